//! A session's host as a script's target: a script run through the API
//! (`BiologicalVm::execute_script`) reads the host's mirror, schedules on its run, and may
//! run ticks. The script engine defines what a target is ([`crate::script::Target`]); the
//! API provides this one, so the script engine never names the API.

use super::error::ApiError;
use super::host::{Shared, lock};
use crate::mirror::VmMirror;
use crate::script::{COMMIT_UNITS, Meter, Refused, RunError, Target, charge};
use bioxen_actors::ActorError;
use bioxen_engine::cell::Cell;
use bioxen_engine::package::Package;
use bioxen_engine::schedule::Scheduled;
use bioxen_engine::sim::SimError;
use rhai::Position;

/// A session's host: its VMs' mirror, its run.
pub(crate) struct Session(pub Shared);

impl Target for Session {
    fn tick(&self) -> u64 {
        lock(&self.0).tick()
    }

    fn tick_seconds(&self) -> f64 {
        lock(&self.0).config.tick_seconds
    }

    fn last_tick(&self) -> u64 {
        lock(&self.0).scenario().ticks
    }

    fn with_entry<R>(&self, vm: usize, f: impl FnOnce(&VmMirror) -> R) -> R {
        f(&lock(&self.0).vms[vm])
    }

    // The host's own work (copying a cell out of the actors, running ticks, reading a
    // package) is not the script's: it is not counted against its memory or work.
    fn with_cell<R>(&self, vm: usize, f: impl FnOnce(&VmMirror, &Cell) -> R) -> Result<R, String> {
        let mut host = lock(&self.0);
        let cell = Meter::paused(|| host.cell(vm)).map_err(|e| e.to_string())?;
        Ok(f(&host.vms[vm], &cell))
    }

    fn commit(&mut self, items: Vec<(usize, Scheduled)>, _: &[Position]) -> Result<(), Refused> {
        let mut host = lock(&self.0);
        // Scheduling checks the batch against the whole timeline (and the scenario, when
        // later events exist): it is the script's work, charged by the scenario's size, so
        // a loop of tiny batches cannot keep the host busy past the script's limit.
        let s = host.scenario();
        charge(COMMIT_UNITS + 16 * s.vms.len() as u64 + s.events.len() as u64 / 8);
        Meter::paused(|| host.schedule_all(items).map(drop)).map_err(|e| {
            let index = match &e {
                ApiError::Sim(SimError::InBatch { index, .. })
                | ApiError::Actors(ActorError::Simulation(SimError::InBatch { index, .. })) => Some(*index),
                _ => None,
            };
            Refused { index, message: e.to_string() }
        })
    }

    fn runs_ticks(&self) -> bool {
        true
    }

    fn run_ticks(&mut self, n: u64) -> Result<(), RunError> {
        Meter::paused(|| lock(&self.0).run_ticks(n)).map_err(run_error)
    }

    fn package(&self, name: &str) -> Result<Package, String> {
        Meter::paused(|| lock(&self.0).package(name))
    }
}

/// Why a script's ticks did not run: an actor or a file failing under it is the runtime's
/// failure; anything the simulation refused (an impossible event, a limit) is the script's.
fn run_error(e: ApiError) -> RunError {
    match e {
        ApiError::Actors(ActorError::Simulation(_) | ActorError::Lifecycle(_) | ActorError::Finished) => {
            RunError::Refused(e.to_string())
        }
        ApiError::Actors(_) | ApiError::Files(_) => RunError::Failed(e.to_string()),
        other => RunError::Refused(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An actor panicking under a script's `run` is a failure of the run (exit 1, through
    /// `ScriptError::failed`); a limit or a refused event is the script's (exit 2).
    #[test]
    fn a_runtime_failure_under_a_script_is_not_bad_input() {
        let panicked = ApiError::Actors(ActorError::VmPanicked { vm: "a".into(), tick: 3, message: "boom".into() });
        assert!(matches!(run_error(panicked), RunError::Failed(m) if m.contains("boom")));
        assert!(matches!(run_error(ApiError::Limit("too far".into())), RunError::Refused(_)));
        let script = |failed| crate::script::ScriptError {
            name: "s.rhai".into(),
            where_: "1:1".into(),
            message: "m".into(),
            tick: 3,
            ran: true,
            failed,
        };
        assert!(!crate::Error::Script(script(true)).is_bad_input());
        assert!(crate::Error::Script(script(false)).is_bad_input());
    }
}
