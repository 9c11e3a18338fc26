//! What can go wrong running on actors.

use crate::messages::Site;

/// What can go wrong running on actors.
#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    /// A VM's biology panicked.
    #[error("VM `{vm}` panicked at tick {tick}: {message}")]
    VmPanicked {
        /// The VM's id.
        vm: String,
        /// The tick.
        tick: u64,
        /// The panic message.
        message: String,
    },
    /// The runtime's own work (rationing, encoding, the digest) panicked.
    #[error("the {actor} panicked at tick {tick}: {message}")]
    Panicked {
        /// Which actor: `scheduler`, `coordinator`, `relay of arbiter N`.
        actor: String,
        /// The tick.
        tick: u64,
        /// The panic message.
        message: String,
    },
    /// An actor died outside its guarded work (its thread panicked); the run cannot go on.
    #[error("the {actor} stopped unexpectedly (its thread panicked); the run cannot go on")]
    Stopped {
        /// Which actor.
        actor: String,
    },
    /// A remote host was lost mid-run and could not be reached again.
    #[error("host `{host}` was lost at tick {tick} and could not be reached again: {message}")]
    HostLost {
        /// The host's name.
        host: String,
        /// The tick that could not complete.
        tick: u64,
        /// What failed last.
        message: String,
    },
    /// The run itself failed (an impossible timeline event).
    #[error(transparent)]
    Simulation(#[from] bioxen_engine::sim::SimError),
    /// A lifecycle command was impossible.
    #[error(transparent)]
    Lifecycle(#[from] bioxen_engine::lifecycle::LifecycleError),
    /// Every tick has run.
    #[error("the run is finished")]
    Finished,
    /// The actor system stopped or broke its protocol.
    #[error("actor system failure: {0}")]
    Protocol(String),
}

/// How a site is named in errors, `vm_name` giving a VM's id.
pub(crate) fn actor_name(site: Site, vm_name: impl Fn(u32) -> String) -> String {
    match site {
        Site::Vm(vm) => format!("actor of VM `{}`", vm_name(vm)),
        Site::Relay(r) => format!("relay of arbiter {r}"),
        Site::Scheduler => "scheduler".into(),
        Site::Coordinator => "coordinator".into(),
    }
}
