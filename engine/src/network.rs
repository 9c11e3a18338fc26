//! A newborn cell's gene expression as a reaction network with mass-action rates, and
//! cells run with a newborn's grant held: what an exact stochastic simulator can be given
//! to run the same biology (`benches/peers.rs`), and the exact means BioXen is held to
//! (`tests/agreement.rs`).
//!
//! Per protein gene `g`, three reactions: transcription `∅ → m_g` at `b_g` per second,
//! decay `m_g → ∅` at `k` per molecule, translation `m_g → m_g + p_g` at `k_tl` per
//! molecule. Every rate comes from the program and the grant, as the engine's tick uses
//! them:
//! - `b_g`: the rates of the transcription units holding `g`, at the granted RNAP
//!   (`Vm::transcribe` scales the program's rates by granted ÷ a newborn's active RNAP,
//!   and a newborn's grant is the active RNAP rounded up);
//! - `k = ln 2 ÷ the mRNA half-life`;
//! - `k_tl`: a tick's ribosomes polymerise `ribosomes × elongation` amino acids a second,
//!   each protein started picking its message uniformly (`Vm::translate`), so gene `g`
//!   makes `ribosomes × elongation × m_g ÷ Σ_j m_j L_j` proteins a second. With the
//!   messages at their steady means, that is `k_tl × m_g` with
//!   `k_tl = ribosomes × elongation ÷ Σ_j L_j b_j ÷ k`.
//!
//! The network is linear, so its means are closed-form: `m(t) = m₀e^(−kt) + (b/k)(1 −
//! e^(−kt))` and `p(t) = p₀ + k_tl ∫₀ᵗ m`.

use crate::program::Program;
use crate::resources::Resources;
use crate::rng::vm_stream;
use crate::vm::{Vm, machinery_demand};

/// The reaction network of a newborn cell of a program, one tick length's grant held.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpressionNetwork {
    /// The protein genes, in gene order (indices into the program's genes): the network's
    /// species are an mRNA and a protein for each.
    pub genes: Vec<usize>,
    /// Per protein gene, transcription in mRNAs a second.
    pub transcription_per_s: Vec<f64>,
    /// mRNA decay per molecule a second.
    pub mrna_decay_per_s: f64,
    /// Translation per mRNA molecule a second, the same for every gene.
    pub translation_per_mrna_per_s: f64,
    /// Per protein gene, a newborn's mean mRNA (its count is drawn Poisson about it).
    pub mrna_initial_mean: Vec<f64>,
    /// Per protein gene, a newborn's proteins.
    pub protein_initial: Vec<u32>,
    /// Per protein gene, its protein's length in amino acids.
    pub protein_aa: Vec<u32>,
    /// Amino acids the granted ribosomes polymerise a second.
    pub aa_per_s: f64,
    /// The grant (and demand) held every tick.
    pub grant: Resources,
}

impl ExpressionNetwork {
    /// The network of `program` (compiled for its tick length), with a newborn's grant.
    pub fn of(program: &Program) -> ExpressionNetwork {
        let grant = newborn_grant(program);
        let profile = &program.profile;
        let rnap_scale = grant.rnap as f64 / profile.active_rnap();
        let mut per_gene = vec![0.0; program.genes()];
        let mut below = 0.0;
        for (u, &cumulative) in program.unit_rate_cumulative.iter().enumerate() {
            for &g in program.unit(u) {
                per_gene[g as usize] += (cumulative - below) * rnap_scale;
            }
            below = cumulative;
        }
        let genes: Vec<usize> = (0..program.genes()).filter(|&g| program.protein_aa[g] > 0).collect();
        let decay = std::f64::consts::LN_2 / profile.mrna_half_life_s;
        let steady_aa: f64 = genes.iter().map(|&g| f64::from(program.protein_aa[g]) * per_gene[g] / decay).sum();
        let aa_per_s = grant.ribosomes as f64 * profile.elongation_aa_per_s;
        ExpressionNetwork {
            transcription_per_s: genes.iter().map(|&g| per_gene[g]).collect(),
            mrna_decay_per_s: decay,
            translation_per_mrna_per_s: if steady_aa > 0.0 { aa_per_s / steady_aa } else { 0.0 },
            mrna_initial_mean: genes.iter().map(|&g| program.mrna_mean[g]).collect(),
            protein_initial: genes.iter().map(|&g| program.protein_init[g]).collect(),
            protein_aa: genes.iter().map(|&g| program.protein_aa[g]).collect(),
            aa_per_s,
            genes,
            grant,
        }
    }

    /// Amino acids a second the network's translation polymerises with every message at
    /// its steady mean: the granted ribosomes' rate, by the choice of `k_tl`.
    pub fn steady_aa_per_s(&self) -> f64 {
        let per_gene = (0..self.genes.len()).map(|i| {
            let steady_mrna = self.transcription_per_s[i] / self.mrna_decay_per_s;
            self.translation_per_mrna_per_s * steady_mrna * f64::from(self.protein_aa[i])
        });
        per_gene.sum()
    }

    /// The exact mean mRNA of protein gene `i` (an index into `genes`) at `t` seconds.
    pub fn mean_mrna(&self, i: usize, t: f64) -> f64 {
        let (k, b, m0) = (self.mrna_decay_per_s, self.transcription_per_s[i], self.mrna_initial_mean[i]);
        let decayed = libm::exp(-k * t);
        m0 * decayed + b / k * (1.0 - decayed)
    }

    /// The exact mean proteins of protein gene `i` at `t` seconds:
    /// `p₀ + k_tl (m₀ (1 − e^(−kt)) / k + (b/k)(t − (1 − e^(−kt)) / k))`.
    pub fn mean_protein(&self, i: usize, t: f64) -> f64 {
        let (k, b, m0) = (self.mrna_decay_per_s, self.transcription_per_s[i], self.mrna_initial_mean[i]);
        let made_then_gone = -libm::expm1(-k * t) / k;
        let mrna_seconds = m0 * made_then_gone + b / k * (t - made_then_gone);
        f64::from(self.protein_initial[i]) + self.translation_per_mrna_per_s * mrna_seconds
    }
}

/// What a newborn cell of `program` demands in a tick (its machinery at scale 1, no
/// shortage of messages), which the held grant gives it.
fn newborn_grant(program: &Program) -> Resources {
    machinery_demand(program, 1.0, u64::MAX, program.tick_seconds)
}

/// Newborn cells of one program, each advanced a tick at a time with the network's grant
/// (and the same demand): the engine's own tick, without a hypervisor to ration it.
pub struct HeldCells {
    cells: Vec<Vm>,
    grant: Resources,
}

impl HeldCells {
    /// `cells` newborns of `program`, cell `i`'s stream keyed by `seed` and the id `c{i}`.
    pub fn newborn(program: &Program, seed: u64, cells: usize) -> HeldCells {
        let cells = (0..cells).map(|i| Vm::new(program, vm_stream(seed, &format!("c{i}")))).collect();
        HeldCells { cells, grant: newborn_grant(program) }
    }

    /// Advances every cell `ticks` ticks.
    pub fn advance(&mut self, program: &Program, ticks: u64) {
        for cell in &mut self.cells {
            for _ in 0..ticks {
                cell.advance(program, self.grant, self.grant, program.tick_seconds);
            }
        }
    }

    /// The cells.
    pub fn cells(&self) -> &[Vm] {
        &self.cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biology::Organism;
    use crate::genome::{Genome, GenomeSource};

    #[test]
    fn the_syn3a_network_has_its_papers_size_and_steady_messages() {
        let program = Program::compile(&Genome::builtin(Organism::Syn3a), Organism::Syn3a, GenomeSource::Builtin, 1.0);
        let net = ExpressionNetwork::of(&program);
        assert_eq!(net.genes.len(), 452, "452 protein genes: 904 species, 1,356 reactions");
        // A newborn's grant is its active RNAP rounded up (63.58 → 64): transcription 0.66 %
        // above the program's rates, whose steady state is the measured mean.
        let total_b: f64 = net.transcription_per_s.iter().sum();
        let total_m: f64 = net.mrna_initial_mean.iter().sum();
        assert!((total_b / net.mrna_decay_per_s / total_m - 64.0 / 63.58).abs() < 1e-9);
        // At t = 0 the means are the newborn's; proteins grow at the ribosomes' pace.
        assert_eq!(net.mean_mrna(0, 0.0), net.mrna_initial_mean[0]);
        assert_eq!(net.mean_protein(0, 0.0), f64::from(net.protein_initial[0]));
        assert_eq!(net.aa_per_s, 225.0 * 12.0, "500 ribosomes, 45 % active, 12 aa/s");
        assert!((net.steady_aa_per_s() / net.aa_per_s - 1.0).abs() < 1e-12, "steady translation is the grant's");
    }
}
