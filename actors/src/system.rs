//! An actix system on a thread of its own, with worker arbiters, as both the runtime
//! ([`crate::ActorRuntime`]) and a worker's hosted block ([`crate::hosted`]) run one.

use crate::ActorError;
use crate::guard::Alarm;
use actix::{Arbiter, System};
use crossbeam_channel::bounded;
use std::sync::Arc;
use std::thread::JoinHandle;

/// A running system; stopping it (or dropping it) stops every actor and joins every
/// thread.
pub(crate) struct SystemThread {
    system: System,
    thread: Option<JoinHandle<()>>,
    alarm: Arc<Alarm>,
}

impl SystemThread {
    /// Starts a system on a thread named `name` with `arbiters` worker arbiters; `build`
    /// runs inside it to start the actors, and what it returns is handed back.
    pub(crate) fn start<T: Send + 'static>(
        name: &str,
        arbiters: usize,
        alarm: Arc<Alarm>,
        build: impl FnOnce(&[Arbiter]) -> T + Send + 'static,
    ) -> Result<(SystemThread, T), ActorError> {
        let (started_tx, started_rx) = bounded(1);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let system = System::new();
                let workers: Vec<Arbiter> = system.block_on(async { (0..arbiters).map(|_| Arbiter::new()).collect() });
                let started = system.block_on(async { build(&workers) });
                if started_tx.send((started, System::current())).is_ok() {
                    let _ = system.run();
                }
                for w in &workers {
                    w.stop();
                }
                for w in workers {
                    let _ = w.join();
                }
            })
            .map_err(|e| ActorError::Protocol(format!("cannot start the actor thread: {e}")))?;
        let (started, system) =
            started_rx.recv().map_err(|_| ActorError::Protocol("the actor system failed to start".into()))?;
        Ok((SystemThread { system, thread: Some(thread), alarm }, started))
    }

    /// Stops every actor and joins every thread.
    pub(crate) fn shutdown(&mut self) {
        // Actors dropped from here on are being stopped, not dying.
        self.alarm.disarm();
        self.system.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SystemThread {
    fn drop(&mut self) {
        self.shutdown();
    }
}
