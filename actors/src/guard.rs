//! Why a panic on an actor thread can never hang a run.
//!
//! Two layers. Each actor runs the engine's work (a VM's biology, rationing, encoding, the
//! digest) inside [`catch`], which turns a panic into a [`crate::messages::Fault`] that
//! travels with the tick like any report, so the caller gets an error naming the actor,
//! the tick and the panic's message. And each actor owns a [`Tripwire`]: should it die
//! anyway (a panic outside that work, or its thread dying), dropping it rings the
//! runtime's [`Alarm`], which the handle waits on beside every reply. tokio drops a task
//! whose poll panicked while unwinding, so an actor that dies always drops its tripwire.
//! The handle disarms the alarm before it stops the system, so a normal shutdown is
//! silent.

use crate::messages::Site;
use crossbeam_channel::{Receiver, Sender, bounded};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs `work`, turning a panic into its message.
pub(crate) fn catch<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

/// Rung by a [`Tripwire`] whose actor died while the runtime was running.
pub(crate) struct Alarm {
    armed: AtomicBool,
    ring: Sender<Site>,
}

impl Alarm {
    /// An armed alarm and where it rings. Only the first ring is kept: that actor's death
    /// is what broke the run (the others die with it or after it).
    pub(crate) fn new() -> (Arc<Alarm>, Receiver<Site>) {
        let (ring, rings) = bounded(1);
        (Arc::new(Alarm { armed: AtomicBool::new(true), ring }), rings)
    }

    /// Silences the alarm: the runtime is being stopped on purpose.
    pub(crate) fn disarm(&self) {
        self.armed.store(false, Ordering::Release);
    }
}

/// Owned by an actor; dropping it while the alarm is armed rings it.
pub(crate) struct Tripwire {
    alarm: Arc<Alarm>,
    site: Site,
}

impl Tripwire {
    /// A tripwire for the actor at `site`.
    pub(crate) fn new(alarm: &Arc<Alarm>, site: Site) -> Tripwire {
        Tripwire { alarm: alarm.clone(), site }
    }
}

impl Drop for Tripwire {
    fn drop(&mut self) {
        if self.alarm.armed.load(Ordering::Acquire) {
            let _ = self.alarm.ring.try_send(self.site);
        }
    }
}

/// Where an injected failure strikes (tests of the guarantees above).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A panic inside the actor's guarded work: reported as a fault with its message.
    Caught,
    /// A panic in the actor's message handler itself: the actor dies, and its tripwire
    /// tells the handle.
    Fatal,
}

/// An actor's armed failure, if any. Empty and free unless the `fault-injection` feature
/// is on, so release builds carry no test hooks.
#[derive(Debug, Default)]
pub(crate) struct Sabotage {
    #[cfg(feature = "fault-injection")]
    armed: Option<Failure>,
}

impl Sabotage {
    /// Arms a failure for the actor's next tick.
    #[cfg(feature = "fault-injection")]
    pub(crate) fn arm(&mut self, failure: Failure) {
        self.armed = Some(failure);
    }

    /// Panics here if a failure of this kind is armed (once).
    #[inline]
    pub(crate) fn strike(&mut self, _at: Failure) {
        #[cfg(feature = "fault-injection")]
        if self.armed == Some(_at) {
            self.armed = None;
            panic!("injected failure");
        }
    }
}

/// Fault injection: arm a failure in an actor (`fault-injection` feature only).
#[cfg(feature = "fault-injection")]
#[derive(Clone, Copy, Debug, actix::Message)]
#[rtype(result = "()")]
pub struct Inject(pub Failure);
