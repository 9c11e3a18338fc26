//! The messages of a tick. Plain data of the engine's serde types, so that later they can
//! cross a wire to a remote `bioxen worker` unchanged.

use actix::Message;
use bioxen_engine::record::{TickRecord, VmRecord};
use bioxen_engine::resources::Resources;
use bioxen_engine::scenario::Allocation;
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
/// in its arbiter's inbox and carried to the scheduler in a `ReportBatch`.
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

/// Coordinator → scheduler: start a tick with these VMs running under these allocations.
#[derive(Clone, Debug, Message)]
#[rtype(result = "()")]
pub struct StartTick {
    /// The tick.
    pub tick: u64,
    /// Which VMs run this tick (indexed by VM).
    pub running: Arc<Vec<bool>>,
    /// Every VM's allocation this tick.
    pub allocations: Arc<Vec<Allocation>>,
}

/// Scheduler → coordinator: every running VM has advanced.
#[derive(Clone, Debug, Message)]
#[rtype(result = "()")]
pub struct TickDone {
    /// The tick, its pools and the ATP store after it.
    pub head: TickRecord,
    /// The running VMs' records, in VM order; or the first failure.
    pub records: Result<Vec<VmRecord>, Failed>,
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
