//! A live clock: a host's ticks advancing on their own on a thread of their own, at a pace
//! (simulated seconds per wall second) or as fast as they run, pausable.
//!
//! The wall clock decides only *when* calls land; the record says *where*: a call takes
//! effect at the next tick boundary as always (the host is locked for one tick at a time,
//! and a call schedules its event for the tick after the last one run), so a session on a
//! live clock saves as a scenario that replays to its digest bit for bit.
//!
//! The clock's thread holds the host only weakly: dropping every handle on the host ends
//! it. A tick that fails (a bound reached, a runtime failure) stops the clock and keeps the
//! error for [`ClockStatus::error`].

use super::error::{ApiError, ApiResult};
use super::host::{Host, lock};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How fast a live clock runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// This many simulated seconds per wall-clock second (1.0: real time), at most: a tick
    /// that takes longer to compute than its share of wall time slows the clock.
    SimulatedPerWallSecond(f64),
    /// As fast as the ticks run.
    Fastest,
}

/// The fastest pace a clock takes: a million simulated seconds per wall second.
pub const PACE_MAX: f64 = 1e6;
/// The slowest: a thousandth of a simulated second per wall second.
pub const PACE_MIN: f64 = 1e-3;

impl Pace {
    /// Refuses a pace outside [`PACE_MIN`]..=[`PACE_MAX`] (and NaN).
    pub fn check(self) -> ApiResult<Pace> {
        match self {
            Pace::SimulatedPerWallSecond(r) if !(PACE_MIN..=PACE_MAX).contains(&r) => Err(super::config::config_error(
                "pace",
                format!(
                    "simulated seconds per wall second are in [0.001, 1e6], not {}",
                    bioxen_engine::scenario::number(r)
                ),
            )),
            p => Ok(p),
        }
    }
}

/// What a live clock is doing.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockStatus {
    /// Ticks advance on their own.
    pub running: bool,
    /// At this pace.
    pub pace: Pace,
    /// Why the clock stopped on its own, if it did (cleared when it is started again).
    pub error: Option<String>,
}

/// What the caller and the clock's thread share.
struct State {
    running: bool,
    pace: Pace,
    stop: bool,
    error: Option<String>,
    /// When the current pace began, and the ticks run since (the schedule's origin).
    origin: (Instant, u64),
}

struct Control {
    state: Mutex<State>,
    changed: Condvar,
}

impl Control {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A host's live clock (kept by the host; stopped when the host goes).
pub(crate) struct Clock {
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
}

impl Clock {
    /// A clock for `host`, paused, its thread started.
    pub fn new(host: Weak<Mutex<Host>>, tick_seconds: f64) -> ApiResult<Clock> {
        let control = Arc::new(Control {
            state: Mutex::new(State {
                running: false,
                pace: Pace::Fastest,
                stop: false,
                error: None,
                origin: (Instant::now(), 0),
            }),
            changed: Condvar::new(),
        });
        let shared = control.clone();
        let thread = std::thread::Builder::new()
            .name("bioxen-clock".into())
            .spawn(move || tick_on(&shared, &host, tick_seconds))
            .map_err(|e| ApiError::Vm(format!("the live clock's thread could not start: {e}")))?;
        Ok(Clock { control, thread: Some(thread) })
    }

    /// Runs the clock at `pace` from now.
    pub fn start(&self, pace: Pace) {
        let mut s = self.control.state();
        s.running = true;
        s.pace = pace;
        s.error = None;
        s.origin = (Instant::now(), 0);
        self.control.changed.notify_all();
    }

    /// Pauses the clock: no tick starts after this returns (one under way has finished).
    pub fn pause(&self) {
        self.control.state().running = false;
        self.control.changed.notify_all();
    }

    /// What the clock is doing.
    pub fn status(&self) -> ClockStatus {
        let s = self.control.state();
        ClockStatus { running: s.running, pace: s.pace, error: s.error.clone() }
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        self.control.state().stop = true;
        self.control.changed.notify_all();
        // The host may be dropped on the clock's own thread (it held the last handle for a
        // tick): it cannot wait for itself, and it ends at once anyway.
        if let Some(thread) = self.thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

/// The clock's thread: while running, one tick at a time, each after its time on the
/// pace's schedule. The state stays locked while a tick runs, so `pause` returns only
/// between ticks.
fn tick_on(control: &Control, host: &Weak<Mutex<Host>>, tick_seconds: f64) {
    let mut s = control.state();
    loop {
        if s.stop {
            return;
        }
        if !s.running {
            s = control.changed.wait(s).unwrap_or_else(|p| p.into_inner());
            continue;
        }
        if let Some(wait) = until_due(&s, tick_seconds) {
            s = control.changed.wait_timeout(s, wait).unwrap_or_else(|p| p.into_inner()).0;
            continue;
        }
        let Some(strong) = host.upgrade() else { return };
        match lock(&strong).run_ticks(1) {
            Ok(()) => s.origin.1 += 1,
            Err(e) => {
                s.running = false;
                s.error = Some(e.to_string());
            }
        }
        // Let go of the state before the host: if this was the last handle, the host (and
        // this clock, whose drop takes the state) goes here.
        drop(s);
        drop(strong);
        // A fast clock must not starve the callers waiting for the host between ticks (a
        // mutex lets the thread that just unlocked it take it again first).
        std::thread::yield_now();
        s = control.state();
    }
}

/// How long until the next tick is due at the clock's pace (none: now).
fn until_due(s: &State, tick_seconds: f64) -> Option<Duration> {
    let Pace::SimulatedPerWallSecond(rate) = s.pace else { return None };
    let (since, ticks) = s.origin;
    // The pace's bounds and the session's keep this finite; a failure means "not yet".
    let offset = Duration::try_from_secs_f64(ticks as f64 * tick_seconds / rate).unwrap_or(Duration::MAX);
    let Some(due) = since.checked_add(offset) else { return Some(Duration::from_secs(3600)) };
    due.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())
}
