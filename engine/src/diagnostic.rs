//! Errors with a place, and the text helpers their messages share: a leaf every module may
//! name (the codec, genomes, packages and the scenario gate alike), so none of them has to
//! reach up to the scenario for them.

use std::ops::Range;

/// What makes a scenario unusable, and where: the field, as `vm.<id>.weight`,
/// `chassis.ribosomes`, `event[3]`…
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CheckError {
    /// The field.
    pub(crate) field: String,
    /// What is wrong, and what is allowed.
    pub(crate) message: String,
}

/// A scenario that cannot be used, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{where_}: {message}")]
pub struct ScenarioError {
    /// The file (or `<input>`).
    pub file: String,
    /// `line:column`, or the field name when the problem is not at one place.
    pub where_: String,
    /// What is wrong.
    pub message: String,
}

/// The error `message` at byte offset `span.start` of `text`, as `file:line:column`.
pub fn locate(text: &str, file: &str, span: &Range<usize>, message: impl Into<String>) -> ScenarioError {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    ScenarioError { file: file.to_string(), where_: format!("{line}:{column}"), message: message.into() }
}

/// `x` as a person writes it in a message: plainly when it is of an everyday size, else in
/// scientific notation (`1e300`, `2.2250738585072014e-308`), never hundreds of digits.
pub fn number(x: f64) -> String {
    let plain = x == 0.0 || (1e-4..1e15).contains(&x.abs()) || !x.is_finite();
    if plain { format!("{x}") } else { format!("{x:e}") }
}

pub(crate) fn excerpt(text: &str) -> String {
    excerpt_of(text, 40)
}

/// Shortens `text` for an error message: at most `chars` characters.
pub(crate) fn excerpt_of(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}
