//! A script's errors in words: placed where they happened (inside a function, not at its
//! call), naming the limit a script passed with its number, and with the script's own
//! text (a `throw`, a name) escaped so that it cannot forge lines on a terminal.

use super::ScriptLimits;
use super::meter::BYTES_PER_UNIT;
use rhai::{EvalAltResult, Position};

/// Which counted limit stopped a script (the token rhai's progress hook ends it with).
#[derive(Clone, Copy, Debug)]
pub(super) enum Limit {
    Memory,
    Work,
}

/// Where `e` happened (`line:column`; `1:1` where rhai gives no place) — for an error
/// inside a function, inside it — and what it says.
pub(super) fn locate(e: &EvalAltResult, limits: &ScriptLimits) -> (String, String) {
    let (at, message) = located(e, limits);
    (at.unwrap_or_else(|| "1:1".to_string()), message)
}

fn located(e: &EvalAltResult, limits: &ScriptLimits) -> (Option<String>, String) {
    if let EvalAltResult::ErrorInFunctionCall(f, _, inner, call) = e {
        let (at, message) = located(inner, limits);
        let called = place(*call).map_or(String::new(), |c| format!(", called at {c}"));
        return (at.or(place(*call)), format!("{message} (in `{}`{called})", escape(f)));
    }
    (place(e.position()), message_of(e, limits))
}

/// `p` as `line:column`, if it is a place.
pub(super) fn place(p: Position) -> Option<String> {
    (!p.is_none()).then(|| format!("{}:{}", p.line().unwrap_or(1), p.position().unwrap_or(1)))
}

/// rhai's message without its position (the error carries it), limits by their numbers.
fn message_of(e: &EvalAltResult, limits: &ScriptLimits) -> String {
    match e {
        EvalAltResult::ErrorRuntime(v, _) => escape(&v.to_string()),
        EvalAltResult::ErrorTooManyOperations(_) => {
            format!("the script ran past its limit of {} operations (a loop that never ends?)", limits.operations)
        }
        EvalAltResult::ErrorTerminated(token, _) => match token.clone().try_cast::<Limit>() {
            Some(Limit::Memory) => {
                format!("the script held more than its limit of {} MiB of memory at once", limits.memory_bytes >> 20)
            }
            Some(Limit::Work) => format!(
                "the script ran past its limit of {} units of work (an operation, or {BYTES_PER_UNIT} bytes it \
                 copied or built)",
                limits.work
            ),
            None => "the script was stopped".to_string(),
        },
        EvalAltResult::ErrorDataTooLarge(what, _) => match what.as_str() {
            "Length of string" => format!("a string passed its limit of {} bytes", limits.string_bytes),
            "Size of object map" => format!("a map passed its limit of {} entries", limits.map_len),
            _ => format!("an array passed its limit of {} elements (nested ones counted)", limits.array_len),
        },
        EvalAltResult::ErrorStackOverflow(_) => {
            format!("calls nested deeper than the limit of {} (a function that never returns?)", limits.call_levels)
        }
        EvalAltResult::ErrorFunctionNotFound(f, _) => format!(
            "no function {} here: scripts may call only the functions listed in docs/scripts.md (no files, clock, \
             network, shell or sleep)",
            escape(f)
        ),
        other => {
            let s = other.to_string();
            // rhai appends " (line l, position p)"; the error carries the position.
            escape(s.rfind(" (line ").map_or(&s[..], |i| &s[..i]))
        }
    }
}

/// `text` on one line with every unprintable character escaped (`\n`, `\u{1b}`), so a
/// script's words cannot move a terminal's cursor or forge a line of output.
pub fn escape(text: &str) -> String {
    bioxen_engine::text::one_line(text).into_owned()
}

/// Why a script stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name}:{where_}: {message}{}", self.when())]
pub struct ScriptError {
    /// The script's name (a file, or `script`).
    pub name: String,
    /// `line:column`, or `1:1` where rhai gives no position.
    pub where_: String,
    /// What went wrong.
    pub message: String,
    /// The next tick when it stopped.
    pub tick: u64,
    /// Whether it was running (else it was refused before the run, when compiled).
    pub ran: bool,
    /// Whether the runtime failed under it (an actor or a file, while it ran ticks): a
    /// failure (exit 1), not a mistake in the script or its input (exit 2).
    pub failed: bool,
}

impl ScriptError {
    fn when(&self) -> String {
        match self.ran {
            true => {
                format!(" (stopped before tick {}; its changes since its last completed run were discarded)", self.tick)
            }
            false => format!(" (a script due at tick {}, checked before the run)", self.tick),
        }
    }
}
