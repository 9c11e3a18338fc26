//! What a coordinator and a worker say after the handshake: the tick's messages of a
//! local relay ([`bioxen_actors::messages`]), carried as values on the wire.
//!
//! ```text
//!  coordinator                                   worker
//!  Setup · scenario frames · Cells × k   ──▶     (restores the block through the gate)
//!                                        ◀──     Ready | Refused
//!  Tick (grants, lifecycles, changes)    ──▶
//!                                        ◀──     Report (records, next demands, fault)
//!  TakeCells                             ──▶
//!                                        ◀──     Cells × k
//!  Run · scenario frames                 ──▶     (a whole run, on the engine)
//!                                        ◀──     Finished (its checkpoint) | Refused
//!  Bye                                   ──▶     (exits)
//! ```
//!
//! A report carries records, not their encoding: the coordinator encodes them itself, so
//! the bytes that reach the digest are never a peer's.

use bioxen_actors::messages::{Fault, Grant, VmChange};
use bioxen_engine::cell::Cell;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::record::VmRecord;
use bioxen_engine::resources::Resources;
use serde::{Deserialize, Serialize};

/// Cells per frame: an E. coli cell encodes to ~20 kB, so a frame of them stays far below
/// the frame limit.
pub const CELLS_PER_FRAME: usize = 256;

/// Whether a frame of `chunk` cells may come when `have` of `count` are in: at least one,
/// at most [`CELLS_PER_FRAME`], never past `count`.
pub fn chunk_fits(chunk: usize, have: usize, count: usize) -> bool {
    chunk > 0 && chunk <= CELLS_PER_FRAME.min(count.saturating_sub(have))
}

/// Coordinator → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Host a block; the scenario's frames follow, then its cells in [`ToWorker::Cells`]
    /// frames of at most [`CELLS_PER_FRAME`].
    Setup(Setup),
    /// Some of the block's cells, in VM order.
    Cells(Vec<Cell>),
    /// Run a tick.
    Tick(TickOrder),
    /// Send the block's cells (a checkpoint).
    TakeCells,
    /// Run a whole run here, on the engine (the scenario's frames follow), and send it
    /// back finished as a checkpoint: how sweeps farm runs out.
    Run,
    /// The run is over: exit.
    Bye,
}

/// The block a worker hosts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    /// The coordinator's relay number for it.
    pub relay: u32,
    /// Its first VM's index.
    pub first: u32,
    /// How many VMs.
    pub count: u32,
    /// The tick the cells are at.
    pub tick: u64,
}

/// A tick for the block: [`bioxen_actors::messages::GrantBatch`] without its reused
/// buffers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TickOrder {
    /// The tick.
    pub tick: u64,
    /// `(VM index, grant)` of the block's VMs that run.
    pub grants: Vec<(u32, Grant)>,
    /// Each of the block's VMs' lifecycle this tick.
    pub lifecycles: Vec<Lifecycle>,
    /// This tick's cell changes for the block's VMs, in the order they applied.
    pub changes: Vec<VmChange>,
}

/// Worker → coordinator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The block is restored and hosted.
    Ready,
    /// The block could not be hosted: why.
    Refused(String),
    /// A tick's report.
    Report(Report),
    /// Some of the block's cells, in VM order.
    Cells(Vec<Cell>),
    /// A whole run, finished: its checkpoint's bytes.
    Finished(Vec<u8>),
}

/// A tick's report: [`bioxen_actors::messages::ReportBatch`] with records in place of
/// their encoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The tick.
    pub tick: u64,
    /// The block's records, in VM order (VMs that do not exist have none).
    pub records: Vec<VmRecord>,
    /// `(VM index, next demand)` of each VM that ran, in VM order.
    pub demands: Vec<(u32, Resources)>,
    /// The first fault, if the block could not be completed.
    pub fault: Option<Fault>,
}
