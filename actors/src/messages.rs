//! The messages of a tick. Plain data of the engine's serde types, so that they can cross a
//! wire to a remote `bioxen worker` unchanged (`actors/tests/wire.rs` round-trips each
//! through the engine's codec).
//!
//! ```text
//!  Coordinator ──StartTick──▶ SchedulerActor ──GrantBatch──▶ Relay ══Grant══▶ VmActor
//!       ▲                        │   ▲                          ▲              │ record, demand
//!       └────────TickDone────────┘   └───────ReportBatch────────┴──Collect─────┘ (on the board)
//! ```
//!
//! `══▶` is not a message: the relay posts each grant on its board (`board.rs`), where
//! the VM leaves its record and next demand.

use actix::Message;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::record::EventRecord;
use bioxen_engine::resources::Resources;
use bioxen_engine::scenario::Allocation;
pub use bioxen_engine::tick::Block;
use bioxen_engine::tick::CellChange;
use bioxen_engine::tick::TickHead;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Coordinator → scheduler: start a tick with these lifecycles and allocations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct StartTick {
    /// The tick.
    pub tick: u64,
    /// The events that applied at its start (phase 1), for its record.
    pub events: Vec<EventRecord>,
    /// Every VM's lifecycle this tick (the running ones are rationed).
    pub lifecycles: Arc<Vec<Lifecycle>>,
    /// Every VM's allocation this tick.
    pub allocations: Arc<Vec<Allocation>>,
    /// The cell changes (changes, inducers, installs) that applied at its start, for the
    /// cells to apply before they advance.
    pub changes: Vec<VmChange>,
    /// Blocks of an earlier tick, emptied, for the relays to fill again: at 10,000 VMs a
    /// tick's blocks are ~1 MB, and allocating and freeing them every tick (on different
    /// threads) cost more than the copying they hold.
    pub spare: Vec<Block>,
}

/// Scheduler → relay: this tick's grants for the relay's VMs, in VM order. Every relay gets
/// one each tick, with or without grants, because it also reports its idle VMs' records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct GrantBatch {
    /// The tick.
    pub tick: u64,
    /// `(VM index, grant)` pairs.
    pub grants: Vec<(u32, Grant)>,
    /// The lifecycle this tick of each of the relay's VMs, its first VM first: the
    /// coordinator's authoritative mirror (VM actors are never told of transitions, they
    /// only advance when granted).
    pub lifecycles: Vec<Lifecycle>,
    /// This tick's cell changes for the relay's VMs, in the order they applied:
    /// each goes to its VM before any grant.
    pub changes: Vec<VmChange>,
    /// An emptied block to fill (reused allocations).
    pub spare_block: Block,
    /// An emptied demands list to fill (reused allocation).
    pub spare_demands: Vec<(u32, Resources)>,
}

/// Relay → VM: change your cell (a transcription switch, an inducer, a package installed:
/// phase 1's [`bioxen_engine::tick::Cells::change`], applied where the cell is with
/// [`bioxen_engine::tick::change_cell`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct VmChange {
    /// The VM's index.
    pub vm: u32,
    /// The change.
    pub change: CellChange,
}

/// Relay → VM (posted on the relay's board, `board.rs`): what you asked for this
/// tick and what you get. Advance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The tick.
    pub tick: u64,
    /// The demand the grant answers.
    pub demand: Resources,
    /// The grant.
    pub grant: Resources,
}

/// VM → relay: every report of this tick is on the relay's board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct Collect {
    /// The tick.
    pub tick: u64,
}

/// Relay → scheduler: the relay's block of the tick, complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct ReportBatch {
    /// The tick.
    pub tick: u64,
    /// Which relay (its VMs are the `relay`-th contiguous block).
    pub relay: u32,
    /// The block's records and their encoding.
    pub block: Block,
    /// `(VM index, next demand)` of each VM that ran, in VM order.
    pub demands: Vec<(u32, Resources)>,
    /// The first fault, if the block could not be completed.
    pub fault: Option<Fault>,
    /// The grants list, emptied, for the scheduler to fill again.
    pub spent_grants: Vec<(u32, Grant)>,
}

/// Scheduler → coordinator: every relay has reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct TickDone {
    /// The tick, its pools and the ATP store after it.
    pub head: TickHead,
    /// Each relay's block, in relay (hence VM) order; or the fault that broke the tick.
    pub blocks: Result<Vec<Block>, Fault>,
}

/// Which actor something happened in. Ordered: VMs by index, then relays, the scheduler
/// and the coordinator, so that the fault reported among several is chosen by this order,
/// never by arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Site {
    /// The actor of VM `n`.
    Vm(u32),
    /// The relay of arbiter `n`.
    Relay(u32),
    /// The scheduler.
    Scheduler,
    /// The coordinator.
    Coordinator,
}

/// A panic caught in an actor's work: where, when and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    /// The tick.
    pub tick: u64,
    /// Which actor.
    pub site: Site,
    /// The panic's message.
    pub message: String,
}

/// Why a tick could not complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// An actor's work panicked (a VM's biology, rationing, encoding).
    Panicked(Failed),
    /// A remote host's relay was lost for good: its link failed and reconnecting to it
    /// ran out of retries.
    Lost {
        /// The tick.
        tick: u64,
        /// Which relay.
        relay: u32,
        /// The host's name.
        host: String,
        /// What failed last.
        message: String,
    },
    /// A running VM was granted but never reported (a broken protocol, not biology).
    Silent {
        /// The tick.
        tick: u64,
        /// The VM's index.
        vm: u32,
    },
}

impl Fault {
    /// The actor at fault.
    pub fn site(&self) -> Site {
        match self {
            Fault::Panicked(f) => f.site,
            Fault::Silent { vm, .. } => Site::Vm(*vm),
            Fault::Lost { relay, .. } => Site::Relay(*relay),
        }
    }

    /// Keeps in `slot` the fault of the lowest [`Site`]: when several actors fail in one
    /// tick, which one is reported must not depend on the order their reports arrived in.
    pub fn keep_lowest(slot: &mut Option<Fault>, fault: Fault) {
        if slot.as_ref().is_none_or(|kept| fault.site() < kept.site()) {
            *slot = Some(fault);
        }
    }
}
