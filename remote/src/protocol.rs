//! What a coordinator and a worker say after the handshake: the tick's messages of a
//! local relay ([`bioxen_actors::messages`]), carried as values on the wire.
//!
//! ```text
//!  coordinator                                   worker
//!  Setup · scenario frames · Cells × k   ──▶     (restores the block through the gate)
//!                                        ◀──     Ready | Refused
//!  Tick (grants, lifecycles, changes)    ──▶
//!                                        ◀──     Report (running VMs' counts, next demands)
//!  TakeCells                             ──▶
//!                                        ◀──     Cells × k
//!  Run · scenario frames                 ──▶     (a whole run, on the engine)
//!                                        ◀──     Finished (its checkpoint) | Refused
//!  Bye                                   ──▶     (exits)
//! ```
//!
//! A report carries what the running VMs computed, not records: the coordinator makes and
//! encodes the records itself, so the bytes that reach the digest are never a peer's.

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

/// A tick's report: [`bioxen_actors::messages::ReportBatch`] cut down to what the order
/// does not already say. The coordinator makes each VM's record itself — index, state,
/// demand and grant from its order, an idle VM's from its latest record — so a report is
/// only what the running VMs computed, and a peer cannot misname a VM or its state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The tick.
    pub tick: u64,
    /// What each VM that ran computed, in VM order (one per grant of the order).
    pub ran: Vec<Ran>,
    /// The first fault, if the block could not be completed.
    pub fault: Option<Fault>,
}

/// A running VM's tick: its cell's counts after it ([`VmRecord`]'s measured fields) and
/// its demand for its next running tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ran {
    /// mRNA molecules.
    pub mrna: u32,
    /// Protein molecules.
    pub proteins: u64,
    /// Protein mass in amino acids.
    pub mass_aa: u64,
    /// Proteins completed so far.
    pub proteins_made: u64,
    /// Divisions so far.
    pub divisions: u32,
    /// Its next demand.
    pub next_demand: Resources,
}

impl Ran {
    /// What `record` (a running VM's, this tick) and `next_demand` say beyond its order.
    pub fn of(record: &VmRecord, next_demand: Resources) -> Ran {
        let VmRecord { mrna, proteins, mass_aa, proteins_made, divisions, .. } = *record;
        Ran { mrna, proteins, mass_aa, proteins_made, divisions, next_demand }
    }

    /// The running VM `vm`'s record: this, with its order's `grant`.
    pub fn record(&self, vm: u32, grant: &Grant) -> VmRecord {
        let Ran { mrna, proteins, mass_aa, proteins_made, divisions, .. } = *self;
        let state = Lifecycle::Running;
        VmRecord {
            vm,
            state,
            demand: grant.demand,
            grant: grant.grant,
            mrna,
            proteins,
            mass_aa,
            proteins_made,
            divisions,
        }
    }
}
