//! The messages of a tick. Plain data of the engine's serde types, so that later they can
//! cross a wire to a remote `bioxen worker` unchanged.

use actix::Message;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::record::VmRecord;
use bioxen_engine::resources::Resources;
use bioxen_engine::scenario::Allocation;
pub use bioxen_engine::tick::Block;
use bioxen_engine::tick::TickHead;
use bioxen_engine::vm::Vm;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Scheduler → VM: what you asked for this tick and what you get. Advance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct Grant {
    /// The tick.
    pub tick: u64,
    /// The demand the grant answers.
    pub demand: Resources,
    /// The grant.
    pub grant: Resources,
}

/// A VM's report: it advanced; its record, and its demand for its next running tick. Filed
/// in its arbiter's inbox, where the arbiter's relay collects it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advanced {
    /// The tick.
    pub tick: u64,
    /// The record (it names the VM).
    pub record: VmRecord,
    /// Next tick's demand.
    pub next_demand: Resources,
}

/// A VM's report that advancing failed (a panic inside the VM), carried like [`Advanced`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    /// The tick.
    pub tick: u64,
    /// The VM's index.
    pub vm: u32,
    /// What happened.
    pub message: String,
}

/// Why a tick could not complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// A VM's biology panicked.
    Panicked(Failed),
    /// A running VM was granted but never reported (a broken protocol, not biology).
    Silent {
        /// The tick.
        tick: u64,
        /// The VM's index.
        vm: u32,
    },
}

impl Fault {
    /// The VM at fault.
    pub fn vm(&self) -> u32 {
        match self {
            Fault::Panicked(f) => f.vm,
            Fault::Silent { vm, .. } => *vm,
        }
    }

    /// Keeps in `slot` the fault of the lowest VM index: when several VMs fail in one tick,
    /// which one is reported must not depend on the order their reports arrived in.
    pub fn keep_lowest(slot: &mut Option<Fault>, fault: Fault) {
        if slot.as_ref().is_none_or(|kept| fault.vm() < kept.vm()) {
            *slot = Some(fault);
        }
    }
}

/// Coordinator → scheduler: start a tick with these lifecycles and allocations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct StartTick {
    /// The tick.
    pub tick: u64,
    /// Every VM's lifecycle this tick (the running ones are rationed).
    pub lifecycles: Arc<Vec<Lifecycle>>,
    /// Every VM's allocation this tick.
    pub allocations: Arc<Vec<Allocation>>,
    /// Blocks of an earlier tick, emptied, for the relays to fill again: at 10,000 VMs a
    /// tick's blocks are ~1 MB, and allocating and freeing them every tick (on different
    /// threads) cost more than the copying they hold.
    pub spare: Vec<Block>,
}

/// Scheduler → coordinator: every arbiter has reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct TickDone {
    /// The tick, its pools and the ATP store after it.
    pub head: TickHead,
    /// Each arbiter's block, in arbiter (hence VM) order; or the first fault.
    pub blocks: Result<Vec<Block>, Fault>,
}

/// Fault injection: the VM panics on its next grant. For tests that a panic inside an
/// actor becomes an error naming the VM and tick, never a hang.
#[derive(Clone, Copy, Debug, Message)]
#[rtype(result = "()")]
pub struct FailNextGrant;

/// Ask a VM actor for a copy of its state (checkpoints, summaries); it answers on the
/// channel, so a synchronous caller can wait without an async runtime.
#[derive(Clone, Debug, Message)]
#[rtype(result = "()")]
pub struct TakeVm {
    /// Where to send `(index, state)`.
    pub reply: crossbeam_channel::Sender<(u32, Vm)>,
}
