//! Moving simulated time from Python: the GIL released while ticks run, Ctrl-C and a
//! per-tick callback at tick boundaries.

use crate::errors::IntoPy;
use bioxen::api::BioVmManager;
use pyo3::prelude::*;

/// Runs `manager`'s host for up to `n` ticks with the GIL released. After each tick the GIL
/// is taken back briefly: a pending signal (Ctrl-C) raises its exception there, and
/// `callback(tick)` runs (a False answer, or an exception, stops the run). The manager is
/// not locked meanwhile, so the callback may read and change it. Returns the ticks run.
pub fn ticks(py: Python<'_>, manager: &BioVmManager, n: u64, callback: Option<Py<PyAny>>) -> PyResult<u64> {
    let Some(callback) = callback else { return plain(py, manager, n) };
    let mut failure: Option<PyErr> = None;
    let ran = py
        .detach(|| {
            manager.run_ticks_with(n, |view| {
                Python::attach(|py| {
                    if let Err(e) = py.check_signals() {
                        failure = Some(e);
                        return false;
                    }
                    match callback.call1(py, (view.record.tick + 1,)) {
                        Ok(answer) => !answer.bind(py).is(&*pyo3::types::PyBool::new(py, false)),
                        Err(e) => {
                            failure = Some(e);
                            false
                        }
                    }
                })
            })
        })
        .py()?;
    match failure {
        Some(e) => Err(e),
        None => Ok(ran),
    }
}

/// [`ticks`] without a callback: one tick at a time (no record copied for a hook), the
/// GIL released for each and a pending signal checked after each.
fn plain(py: Python<'_>, manager: &BioVmManager, n: u64) -> PyResult<u64> {
    manager.check_ticks(n).py()?;
    for _ in 0..n {
        py.detach(|| manager.run_ticks(1)).py()?;
        py.check_signals()?;
    }
    Ok(n)
}

/// Runs for a simulated duration (seconds or a `timedelta`), as whole ticks rounded up,
/// with [`ticks`]' GIL, signals and bounds.
pub fn duration(py: Python<'_>, manager: &BioVmManager, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    let d = crate::convert::duration(value)?;
    let n = manager.ticks_for(d).py()?;
    ticks(py, manager, n, None)
}
