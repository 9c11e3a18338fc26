//! One error type for everything `bioxen` does, and the one place that decides what is the
//! user's bad input (exit status 2) and what is a failure (exit status 1).

use bioxen_actors::ActorError;
use bioxen_engine::checkpoint::CheckpointError;
use bioxen_engine::codec::FormatError;
use bioxen_engine::scenario::ScenarioError;
use bioxen_engine::sim::SimError;
use std::io;

/// Anything that stops a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Arguments, or a file's contents, that cannot be used: exit status 2. The message
    /// names the argument, or the file and line:column or field.
    #[error("{0}")]
    BadInput(String),
    /// A scenario file that cannot be used.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A trace or checkpoint that cannot be read.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// A checkpoint whose state does not fit its scenario.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The simulation could not start or go on.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// A timeline script that failed, or whose changes the run refused: exit status 2.
    #[error(transparent)]
    Script(#[from] crate::script::errors::ScriptError),
    /// The actor runtime failed.
    #[error(transparent)]
    Actors(#[from] ActorError),
    /// Reading or writing a file failed (not because of what the user gave).
    #[error("{what}: {source}")]
    Io {
        /// The file, or what was being written.
        what: String,
        /// The OS error.
        source: io::Error,
    },
    /// Anything else that failed.
    #[error("{0}")]
    Failed(String),
    /// A signal asked the process to stop; temporaries are already gone.
    #[error("interrupted by signal {0}")]
    Interrupted(i32),
    /// One run of a sweep or comparison failed: which, and why (classified as its cause
    /// is: a script's mistake is bad input, an actor failing is a failure).
    #[error("run {run}: {source}")]
    InRun {
        /// The run's number in the plan.
        run: usize,
        /// Why it failed.
        source: Box<Error>,
    },
}

/// The result of a `bioxen` operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error while handling `what`.
    pub fn io(what: impl std::fmt::Display, source: io::Error) -> Error {
        Error::Io { what: what.to_string(), source }
    }

    /// True when the user's input is at fault (exit status 2), false for a failure (1).
    pub fn is_bad_input(&self) -> bool {
        match self {
            Error::BadInput(_) | Error::Scenario(_) | Error::Checkpoint(_) => true,
            // A script's mistake is the input's; the runtime failing under it is not.
            Error::Script(e) => !e.failed,
            // A trace or checkpoint that is missing or unreadable is the user's input too.
            Error::Format(_) => true,
            // A script due where no script runs (a trace made by hand) is the input's too.
            Error::Sim(e) => matches!(e, SimError::Invalid(_) | SimError::ScriptDue { .. }),
            Error::Actors(ActorError::Simulation(SimError::Invalid(_) | SimError::ScriptDue { .. })) => true,
            Error::Actors(_) | Error::Io { .. } | Error::Failed(_) | Error::Interrupted(_) => false,
            Error::InRun { source, .. } => source.is_bad_input(),
        }
    }

    /// True when the error is standard output closing under us (`bioxen … | head`): not a
    /// failure, and nothing to report.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        match e.io_error_kind() {
            Some(kind) => Error::io("standard output", io::Error::new(kind, e)),
            None => Error::Failed(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sweep run's failure is classified by its cause, not flattened to a string: a
    /// script's mistake stays bad input (exit 2), a failure stays a failure (exit 1).
    #[test]
    fn a_failed_run_is_classified_by_its_cause() {
        let script = |failed| crate::script::ScriptError {
            name: "s.rhai".into(),
            where_: "2:1".into(),
            message: "no gene `x`".into(),
            tick: 0,
            ran: true,
            failed,
        };
        let in_run = |e: Error| Error::InRun { run: 7, source: Box::new(e) };
        let bad = in_run(Error::Script(script(false)));
        assert!(bad.is_bad_input());
        assert!(bad.to_string().starts_with("run 7: s.rhai:2:1: no gene `x`"), "{bad}");
        assert!(!in_run(Error::Script(script(true))).is_bad_input());
        assert!(!in_run(Error::Failed("the disk is full".into())).is_bad_input());
    }
}
