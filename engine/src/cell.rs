//! A cell's state as a value: what checkpoints store, what a runtime's snapshot returns
//! and what crosses to another process.
//!
//! [`Vm`](crate::vm::Vm) is the cell as the tick loop wants it in memory (mRNA as a
//! Fenwick tree, a live random stream, a cached demand), and that layout is free to
//! change for speed. A [`Cell`] is the cell as data: plain vectors in a fixed field order,
//! so that its encoding — the checkpoint format's per-VM frame — does not move when the
//! in-memory layout does. A cell from untrusted bytes becomes a VM only through
//! [`Vm::from_cell`](crate::vm::Vm::from_cell), which checks it against its program.
//!
//! A cell's counters ([`VmStats`]) and the summary a trace records of it ([`VmSummary`])
//! are values of the same kind, and live here too.

use crate::lifecycle::Lifecycle;
use crate::package::Inducer;
use crate::resources::Resources;
use crate::rng::StreamState;
use serde::{Deserialize, Serialize};

/// One cell's state between ticks, as a value. Its fields are encoded in this order; the
/// order is part of the checkpoint format ([`crate::checkpoint`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Where the VM is in its life.
    pub lifecycle: Lifecycle,
    /// mRNA molecules per gene (the genome's genes, then each installed package's).
    pub(crate) mrna: Vec<u32>,
    /// Protein molecules per gene.
    pub(crate) proteins: Vec<u32>,
    /// The sum of `proteins` (recomputed when the cell is restored).
    pub(crate) proteins_total: u64,
    /// Protein mass in amino acids (recomputed when the cell is restored).
    pub(crate) mass_aa: u64,
    /// The mass at the cell's last division (or birth).
    pub(crate) birth_mass_aa: u64,
    /// Amino acids polymerised but not yet part of a finished protein.
    pub(crate) aa_carry: f64,
    /// The gene whose protein the ribosomes are finishing.
    pub(crate) pending_gene: Option<u32>,
    /// Ticks since the cell's last division (or birth).
    pub(crate) ticks_since_division: u64,
    /// Transcription units switched off, sorted.
    pub(crate) units_off: Vec<u32>,
    /// Packages installed, as indices into the scenario's packages, in install order.
    pub(crate) installed: Vec<u32>,
    /// Inducers in the cell's medium, µM, sorted by inducer.
    pub(crate) inducers: Vec<(Inducer, f64)>,
    /// Counters over the run.
    pub(crate) stats: VmStats,
    /// The position of the cell's random stream.
    pub(crate) rng: StreamState,
}

impl Cell {
    /// mRNA molecules of gene `gene` (0 past the cell's genes).
    pub fn mrna_of(&self, gene: usize) -> u32 {
        self.mrna.get(gene).copied().unwrap_or(0)
    }

    /// Protein molecules of gene `gene` (0 past the cell's genes).
    pub fn proteins_of(&self, gene: usize) -> u32 {
        self.proteins.get(gene).copied().unwrap_or(0)
    }

    /// Genes the cell has (its genome's and its packages').
    pub fn genes(&self) -> usize {
        self.proteins.len()
    }

    /// The packages installed, in install order (indices into the scenario's packages).
    pub fn installed(&self) -> &[u32] {
        &self.installed
    }

    /// The concentration of `inducer` in the cell's medium, µM.
    pub fn inducer(&self, inducer: Inducer) -> f64 {
        self.inducers.iter().find(|(i, _)| *i == inducer).map_or(0.0, |&(_, c)| c)
    }

    /// Whether transcription unit `unit` is transcribed.
    pub fn transcribes(&self, unit: u32) -> bool {
        self.units_off.binary_search(&unit).is_err()
    }

    /// The cell's counters over the run.
    pub fn stats(&self) -> &VmStats {
        &self.stats
    }

    /// The state summary recorded in traces. The mRNA total saturates rather than wraps
    /// on a cell no VM could hold (a restored cell never has more than 2³² − 1).
    pub fn summary(&self) -> VmSummary {
        let mrna: u64 = self.mrna.iter().map(|&n| u64::from(n)).sum();
        VmSummary {
            mrna: u32::try_from(mrna).unwrap_or(u32::MAX),
            proteins: self.proteins_total,
            mass_aa: self.mass_aa,
        }
    }
}

/// Cumulative counters of a VM over a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmStats {
    /// Proteins completed.
    pub proteins_made: u64,
    /// Resources asked for, summed over running ticks.
    pub demanded: Resources,
    /// Resources granted, summed over running ticks (`granted.ribosomes` is ribosome-ticks).
    pub granted: Resources,
    /// Divisions.
    pub divisions: u32,
    /// Running ticks with less than half the ATP, ribosomes or RNAP asked for.
    pub starved_ticks: u64,
    /// Ticks spent running.
    pub running_ticks: u64,
    /// Sum of the lengths of completed cell cycles, in ticks (for the mean doubling time).
    pub cycle_ticks_total: u64,
}

/// A summary of a VM's state, as recorded every tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmSummary {
    /// mRNA molecules.
    pub mrna: u32,
    /// Protein molecules.
    pub proteins: u64,
    /// Protein mass in amino acids.
    pub mass_aa: u64,
}
