//! The actor runtime of BioXen: every VM an actix actor exchanging messages with a central
//! scheduler actor, reproducing the engine's digest bit for bit.
//!
//! # How a tick flows
//!
//! ```text
//!  handle ──Run──▶ Coordinator ──StartTick──▶ SchedulerActor ──GrantBatch──▶ Relay ──Grant──▶ VmActor × N
//!    ▲               (timeline,   ▲            (Hypervisor:                  ▲  (block in VM     │ (advance,
//!    └──records──────┘ digest)    └─TickDone── ration in VM order) ◀─ReportBatch  order, encoded) ◀┘ next demand)
//! ```
//!
//! 1. The [`coordinator::Coordinator`] applies the tick's timeline events with the engine's
//!    own [`bioxen_engine::tick::apply_due_events`] to its lifecycle mirror and allocations,
//!    and starts the tick at the scheduler.
//! 2. The [`scheduler_actor::SchedulerActor`] owns the engine's
//!    [`bioxen_engine::hypervisor::Hypervisor`]: it refills ATP, rations the running VMs'
//!    demands in VM order and sends each arbiter's [`relay::Relay`] its VMs' grants.
//! 3. Each [`vm_actor::VmActor`] advances its cell with its own stream, works out its next
//!    demand and files both with its record in its arbiter's inbox.
//! 4. Each relay puts its block of VMs in VM order (idle VMs keep their last record),
//!    encodes it and reports it; when every relay has, the scheduler sends the blocks to
//!    the coordinator, which starts the next tick of the run and then chains the digest
//!    over the blocks exactly as the engine does, and hands the record to the handle.
//!
//! Message arrival order never reaches the result: blocks land in per-relay slots and
//! demands in per-VM slots, read in order, and tick t+1 starts only when every report of
//! tick t is in. The only randomness is in the VM actors' own streams and the scheduler's.
//!
//! [`runtime::ActorRuntime`] is the synchronous handle (a crossbeam bridge into the actix
//! system's threads): run ticks, send lifecycle commands, read status, take a checkpoint,
//! stop. It starts from an engine [`bioxen_engine::sim::Simulation`], fresh or restored,
//! and gives one back, so checkpoints and summaries are the engine's own.

#![warn(missing_docs)]

pub mod coordinator;
pub mod messages;
pub mod relay;
pub mod runtime;
pub mod scheduler_actor;
pub mod vm_actor;

pub use runtime::{ActorConfig, ActorRuntime};

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
