//! Text that came from input, made safe to show on a terminal.
//!
//! Every name, path and value a message quotes may come from a file an adversary wrote (a
//! scenario, a package, a GenBank file, an XCP-ng pool's answer). A control character in it
//! (an escape sequence, a carriage return, a backspace) would move a terminal's cursor,
//! recolour or clear the screen, or forge a line of output; a bidirectional override would
//! show the text in another order than it has. The gate refuses such characters in the
//! names it keeps; whatever else reaches a terminal is shown with them
//! escaped ([`one_line`], [`lines`]).

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is: a control character (C0, DEL, C1) or a
/// bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069), which
/// reorder what follows them on screen.
pub fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` on one line, every unprintable character escaped as Rust writes it (`\n`,
/// `\u{1b}`, `\u{202e}`).
pub fn one_line(text: &str) -> Cow<'_, str> {
    escaped(text, |_| true)
}

/// `text` with its line breaks and tabs kept and every other unprintable character escaped
/// (for a message of several lines, such as the list of a directory's bad package files, or
/// tab-separated columns).
pub fn lines(text: &str) -> Cow<'_, str> {
    escaped(text, |c| c != '\n' && c != '\t')
}

/// `text` with each unprintable character that `escape` selects escaped; borrowed when
/// there is none.
fn escaped(text: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    let bad = |c: char| unprintable(c) && escape(c);
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The gate's rule for a name it keeps and shows (a scenario's, a script's, a gene's, a
/// package's version and description): at most `max` bytes, no unprintable character.
pub(crate) fn shown_name(text: &str, max: usize) -> Result<(), String> {
    if text.len() > max {
        return Err(format!("is longer than {max} bytes"));
    }
    match text.chars().find(|&c| unprintable(c)) {
        Some(c) => Err(format!("has an unprintable character ({})", c.escape_default())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_would_move_a_terminal_and_nothing_else() {
        let cases = [
            ("plain text, ünïcode, tabs\tand all", "plain text, ünïcode, tabs\\tand all"),
            ("\u{1b}[2Jred", "\\u{1b}[2Jred"),
            ("a\rb\u{8}c\u{7f}d\u{9b}e", "a\\rb\\u{8}c\\u{7f}d\\u{9b}e"),
            ("abc\u{202e}fed\u{2066}", "abc\\u{202e}fed\\u{2066}"),
            ("two\nlines", "two\\nlines"),
        ];
        for (input, want) in cases {
            assert_eq!(one_line(input), want, "{input:?}");
        }
        assert_eq!(lines("two\nlines\tand a tab\u{1b}"), "two\nlines\tand a tab\\u{1b}");
        assert!(matches!(one_line("nothing to do"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_gate_names_the_character_it_refuses() {
        assert_eq!(shown_name("syn3a-1 (Glass et al.)", 256), Ok(()));
        assert_eq!(shown_name("x\u{1b}[31m", 256).unwrap_err(), "has an unprintable character (\\u{1b})");
        assert_eq!(shown_name("\u{202e}", 256).unwrap_err(), "has an unprintable character (\\u{202e})");
        assert_eq!(shown_name("abc\u{1b}", 3).unwrap_err(), "is longer than 3 bytes");
    }
}
