//! A scenario's placement table: which host each VM runs on.
//!
//! ```toml
//! [placement]
//! "syn3a-1" = "lab1"     # a host of the hosts file
//! "syn3a-2" = "lab2"
//! "minimal" = "local"    # this machine (the default for a VM not listed)
//! ```
//!
//! The engine never sees it: the library cuts the table out of the scenario's text before
//! parsing (blanking its lines, so every other error keeps its line:column) and applies it
//! only to a run with `--hosts`. So placement never reaches a digest, and a saved session
//! carries no host (the API's sessions are saved from the engine's scenario).

use bioxen_engine::scenario::{ScenarioError, locate};
use std::collections::BTreeMap;
use toml::Spanned;

/// The name that means this machine.
pub const LOCAL: &str = "local";

/// A scenario's placement table, as written: VM id → host name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlacementTable {
    /// Each listed VM's host.
    pub hosts: BTreeMap<String, String>,
}

/// Cuts the `[placement]` table out of a scenario's text: the text with the table's lines
/// blanked, and the table if there is one. Errors name `file` and line:column.
pub fn strip(text: &str, file: &str) -> Result<(String, Option<PlacementTable>), ScenarioError> {
    let Some(region) = table_region(text) else { return Ok((text.to_string(), None)) };
    // Blanking keeps every byte offset: a character becomes as many spaces as its bytes.
    let blank = |keep: &dyn Fn(usize) -> bool| -> String {
        let mut out = String::with_capacity(text.len());
        for (offset, ch) in text.char_indices() {
            match (keep(offset), ch) {
                (true, _) | (false, '\n') => out.push(ch),
                (false, _) => out.extend(std::iter::repeat_n(' ', ch.len_utf8())),
            }
        }
        out
    };
    let rest = blank(&|offset| !region.contains(&offset));
    let table = blank(&|offset| region.contains(&offset));
    let parsed: BTreeMap<String, BTreeMap<String, Spanned<String>>> = toml::from_str(&table).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        locate(text, file, &span, format!("the placement table: {}", e.message()))
    })?;
    let mut hosts = BTreeMap::new();
    for (vm, host) in parsed.into_values().flatten() {
        let name = host.get_ref();
        if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
            return Err(locate(text, file, &host.span(), "a host name must be 1 to 64 bytes of text"));
        }
        hosts.insert(vm, host.into_inner());
    }
    Ok((rest, Some(PlacementTable { hosts })))
}

/// The byte range of the `[placement]` table: its header's line to the next table
/// header's. Headers are found among the document's TOML tokens, not its lines: a line
/// that reads `[placement]` inside a multi-line string (a timeline script's code, say) is
/// text, and cutting it out would change the script.
fn table_region(text: &str) -> Option<std::ops::Range<usize>> {
    if !text.contains("placement") {
        return None;
    }
    let headers = headers(text);
    let i = headers.iter().position(|&(_, placement)| placement)?;
    Some(headers[i].0..headers.get(i + 1).map_or(text.len(), |&(at, _)| at))
}

/// Each table header of `text` (`[name]` or `[[name]]` first on its line, outside any
/// value): where its line starts, and whether it is `[placement]`. A streaming pass over
/// toml's own lexer, which never fails (what is not TOML the parsers refuse later).
fn headers(text: &str) -> Vec<(usize, bool)> {
    use toml_parser::lexer::TokenKind as K;
    let mut tokens = toml_parser::Source::new(text).lex().filter(|t| t.kind() != K::Whitespace);
    let word = |t: &toml_parser::lexer::Token| &text[t.span().start()..t.span().end()];
    // `line`: where the current line starts, while nothing but whitespace is on it;
    // `depth`: brackets and braces open in a value (an array may span lines).
    let (mut out, mut line, mut depth) = (Vec::new(), Some(0usize), 0usize);
    while let Some(t) = tokens.next() {
        match t.kind() {
            K::Newline => {
                if depth == 0 {
                    line = Some(t.span().end());
                }
                continue;
            }
            K::LeftSquareBracket if depth == 0 && line.is_some() => {
                // The header's tokens, to the bracket that closes it (or its line's end).
                let (mut inside, mut open, mut next_line) = (Vec::new(), 1usize, None);
                for h in tokens.by_ref() {
                    match h.kind() {
                        K::Newline => {
                            next_line = Some(h.span().end());
                            break;
                        }
                        K::LeftSquareBracket => open += 1,
                        K::RightSquareBracket => open -= 1,
                        _ => {}
                    }
                    inside.push(h);
                    if open == 0 {
                        break;
                    }
                }
                let placement = matches!(inside.as_slice(), [name, close]
                    if name.kind() == K::Atom && word(name) == "placement" && close.kind() == K::RightSquareBracket);
                out.extend(line.map(|at| (at, placement)));
                if next_line.is_some() {
                    line = next_line;
                    continue;
                }
            }
            K::LeftSquareBracket | K::LeftCurlyBracket => depth += 1,
            K::RightSquareBracket | K::RightCurlyBracket => depth = depth.saturating_sub(1),
            _ => {}
        }
        line = None;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = "format_version = 1\n[simulation]\nseed = 1\n[placement]\n\"a\" = \"lab1\" # here\n\"b\" = \"local\"\n[[vm]]\nid = \"a\"\n";

    #[test]
    fn the_table_is_cut_out_and_every_other_byte_keeps_its_place() {
        let (rest, table) = strip(SCENARIO, "s.toml").unwrap();
        assert_eq!(rest.len(), SCENARIO.len());
        assert_eq!(rest.lines().count(), SCENARIO.lines().count());
        assert!(!rest.contains("placement") && !rest.contains("lab1") && rest.contains("[[vm]]"));
        let hosts = table.unwrap().hosts;
        assert_eq!(hosts.get("a").map(String::as_str), Some("lab1"));
        assert_eq!(hosts.get("b").map(String::as_str), Some(LOCAL));
        assert_eq!(strip("x = 1\n", "s.toml").unwrap(), ("x = 1\n".to_string(), None));
    }

    /// A `[placement]` line inside a multi-line string is text, not the table: the
    /// script keeps it, and the real table after it is the one cut out.
    #[test]
    fn headers_are_tokens_not_lines() {
        let script = "[[event]]\ntick = 1\nvm = \"a\"\naction = \"script\"\ncode = \"\"\"\n[placement]\n\"x\" = \"y\"\n[1]\"\"\"\n";
        let text = format!("{SCENARIO}{script}");
        assert_eq!(strip(&text, "s.toml").unwrap().0.matches("[placement]").count(), 1, "the script's line stays");
        let (rest, table) = strip(&text, "s.toml").unwrap();
        assert!(rest.contains(script), "the script changed:\n{rest}");
        assert_eq!(table.unwrap().hosts.len(), 2, "the real table, not the string's");
        // The string alone: no table at all, nothing cut.
        let only = format!("x = 1\n{script}");
        assert_eq!(strip(&only, "s.toml").unwrap(), (only.clone(), None));
        // Spaces inside the brackets, a comment after, and an array of tables after it.
        let spaced = "[ placement ]  # where\n\"a\" = \"h\"\n  [[vm]]\nid = \"a\"\n";
        let (rest, table) = strip(spaced, "s.toml").unwrap();
        assert_eq!(table.unwrap().hosts.get("a").map(String::as_str), Some("h"));
        assert!(rest.ends_with("  [[vm]]\nid = \"a\"\n") && !rest.contains("placement"), "{rest}");
        // An array value whose lines start with `[` does not end the table before it.
        let arrays = "[simulation]\nx = [\n[1],\n[2],\n]\n[placement]\n\"a\" = \"h\"\n";
        let (rest, table) = strip(arrays, "s.toml").unwrap();
        assert!(rest.starts_with("[simulation]\nx = [\n[1],\n[2],\n]\n") && table.is_some(), "{rest}");
    }

    #[test]
    fn a_bad_table_is_refused_where_it_is_wrong() {
        let e = strip(&SCENARIO.replace("\"lab1\"", "3"), "s.toml").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:5:7:") && e.contains("the placement table"), "{e}");
        let e = strip(&SCENARIO.replace("lab1", ""), "s.toml").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:5:7:") && e.contains("1 to 64 bytes"), "{e}");
    }
}
