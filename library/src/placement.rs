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

/// The byte range of the `[placement]` table: its header line to the next table header.
fn table_region(text: &str) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        let head = line.trim_start();
        if start.is_some() && head.starts_with('[') {
            return start.map(|s| s..offset);
        }
        if start.is_none() && head.split('#').next().is_some_and(|h| h.trim_end() == "[placement]") {
            start = Some(offset);
        }
        offset += line.len();
    }
    start.map(|s| s..text.len())
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

    #[test]
    fn a_bad_table_is_refused_where_it_is_wrong() {
        let e = strip(&SCENARIO.replace("\"lab1\"", "3"), "s.toml").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:5:7:") && e.contains("the placement table"), "{e}");
        let e = strip(&SCENARIO.replace("lab1", ""), "s.toml").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:5:7:") && e.contains("1 to 64 bytes"), "{e}");
    }
}
