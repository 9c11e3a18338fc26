//! The actor runtime of BioXen: every VM an actix actor exchanging messages with a central
//! scheduler actor, reproducing the engine's digest bit for bit.
//!
//! # How a tick flows
//!
//! ```text
//!  handle ──Run──▶ Coordinator ──StartTick──▶ SchedulerActor ──GrantBatch──▶ Relay ══Grant══▶ VmActor × N
//!    ▲               (timeline,   ▲            (Hypervisor:                  ▲  (block in VM     │ (advance,
//!    └──records──────┘ digest)    └─TickDone── ration in VM order) ◀─ReportBatch  order, encoded) ◀┘ next demand)
//! ```
//!
//! Each actor calls the engine's tick phases ([`bioxen_engine::tick`]) and nothing of its
//! own:
//!
//! 1. The coordinator applies the tick's timeline events (phase 1,
//!    [`bioxen_engine::tick::apply_due_events`]) to its lifecycle mirror and allocations,
//!    and starts the tick at the scheduler.
//! 2. The scheduler owns the engine's [`bioxen_engine::hypervisor::Hypervisor`]: it
//!    rations the running VMs' demands (phase 2, [`bioxen_engine::tick::ration`]) and
//!    sends each arbiter's relay its VMs' grants; the relay posts each on its board
//!    (`board.rs`, not a message per VM) and wakes the VM's actor.
//! 3. Each VM actor advances its cell with its own stream ([`bioxen_engine::tick::advance`])
//!    and leaves its record and next demand in its seat on the board.
//! 4. Each relay puts its block of VMs in VM order (idle VMs keep their last record) with
//!    [`bioxen_engine::tick::Block::push`] and reports it; when every relay has, the
//!    scheduler sends the blocks to the coordinator, which starts the next tick of the run
//!    and then chains the digest (phase 4, [`bioxen_engine::tick::finish`]) and hands the
//!    record to the handle.
//!
//! Message arrival order never reaches the result: blocks land in per-relay slots and
//! demands in per-VM slots, read in order, and tick t+1 starts only when every report of
//! tick t is in. The only randomness is in the VM actors' own streams and the scheduler's.
//!
//! A panic on any actor thread ends the run with an error, never a hang: the engine's work
//! runs inside a guard that turns a panic into a fault carried with the tick, and every
//! actor owns a tripwire that tells the handle if it dies anyway.
//!
//! [`ActorRuntime`] is the synchronous handle (a crossbeam bridge into the actix system's
//! threads): run ticks, send lifecycle commands, read status, take a checkpoint, stop. It
//! starts from an engine [`bioxen_engine::sim::Simulation`], fresh or restored, and gives
//! one back, so checkpoints and summaries are the engine's own. [`messages`] holds the
//! tick's messages, plain serde data, for a remote worker to speak.

#![warn(missing_docs)]

mod board;
mod coordinator;
mod error;
mod guard;
pub mod hosted;
pub mod messages;
pub mod placement;
mod relay;
mod runtime;
mod scheduler_actor;
mod system;
mod vm_actor;

pub use error::ActorError;
#[cfg(feature = "fault-injection")]
pub use guard::Failure;
pub use messages::Site;
pub use relay::assemble_records;
pub use runtime::{ActorConfig, ActorRuntime};
