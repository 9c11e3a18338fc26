//! A genome compiled for simulation: per-gene lengths and expression, transcription units
//! and their cumulative rates. Built once per (genome, organism) and shared by every VM
//! that runs it, so a VM's own state is only its counts.

use crate::biology::{Organism, OrganismProfile};
use crate::genome::GenomeSource;
use crate::genome::{GeneKind, Genome, spread};
use crate::guide::Guide;
use crate::package::{InducerBinding, Package, Regulation};
use crate::sample::Binomial;

/// √2 − 1, for expression weights: decorrelated from the length sequence.
const EXPRESSION_ALPHA: f64 = std::f64::consts::SQRT_2 - 1.0;

/// [`Program::gene_unit`] of a gene in no transcription unit.
pub const NO_UNIT: u32 = u32::MAX;

/// The simulation-ready form of a genome, for one tick length.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// The organism whose kinetics drive this genome.
    pub(crate) organism: Organism,
    /// That organism's profile (copied so checkpoints are self-contained).
    pub(crate) profile: OrganismProfile,
    /// Protein length per gene in amino acids; 0 for RNA genes.
    pub(crate) protein_aa: Vec<u32>,
    /// The longest protein, in amino acids: the most translation a cell can have in hand.
    pub(crate) protein_aa_max: u32,
    /// Mean mRNA count per gene (newborn cell).
    pub(crate) mrna_mean: Vec<f64>,
    /// Initial protein count per gene.
    pub(crate) protein_init: Vec<u32>,
    /// Genes of each transcription unit, flattened; unit `u` is
    /// `unit_genes[unit_start[u]..unit_start[u + 1]]`.
    pub(crate) unit_genes: Vec<u32>,
    /// Offsets into `unit_genes`, one more than there are units.
    pub(crate) unit_start: Vec<u32>,
    /// Cumulative transcription rate over units, per second, at the newborn cell's RNAP.
    pub(crate) unit_rate_cumulative: Vec<f64>,
    /// Where draws over `unit_rate_cumulative` start looking (rebuilt with it).
    unit_guide: Guide,
    /// Whether a newborn cell draws hundreds of random blocks a tick rather than a few: 64
    /// or more proteins started a tick (two words each) at its active ribosomes. Only how
    /// its random stream buffers words depends on it (`CellStream`), never a draw.
    draws_many: bool,
    /// Protein mass of a newborn cell in amino acids: the reference for scaling demand.
    pub(crate) reference_mass_aa: u64,
    /// The tick length this program was compiled for.
    pub(crate) tick_seconds: f64,
    /// The transcription unit of each gene; [`NO_UNIT`] for stable RNAs, which the model
    /// does not transcribe one by one.
    pub gene_unit: Vec<u32>,
    /// Units repressed in a newborn cell (the genome's repressed operons), sorted.
    pub units_off_at_birth: Vec<u32>,
    /// Decay of one tick: each mRNA survives with probability 2^(−tick/half-life), so the
    /// number decaying is binomial with p = 1 − that; its draws, powers precomputed.
    pub(crate) mrna_decay: Binomial,
    /// The regulation of each transcription unit, for units that have one; empty when no
    /// unit does (a genome without packages), so a host-only program pays nothing.
    pub(crate) unit_regulation: Vec<Option<UnitRegulation>>,
    /// Genes whose proteins are actively degraded, in gene order, with their decay in one
    /// tick.
    pub(crate) protein_decay: Vec<ProteinDecay>,
    /// The chance that a transcript made during a tick is still there at its end
    /// ([`born_surviving`] of the mRNA's decay rate).
    pub(crate) mrna_born_surviving: f64,
}

/// How an actively degraded protein decays in one tick.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ProteinDecay {
    /// The gene.
    pub(crate) gene: u32,
    /// The draws for the molecules there at the start of the tick: each survives with
    /// probability 2^(−tick/half-life), so the number lost is binomial.
    pub(crate) draws: Binomial,
    /// The chance that a molecule completed during the tick survives to its end
    /// ([`born_surviving`]).
    pub(crate) born_surviving: f64,
}

/// The chance that a molecule made at a uniformly random moment of a tick of `tick_seconds`
/// survives to the tick's end, decaying at `rate_per_s`: (1 − e^(−k·dt)) / (k·dt). Molecules
/// that were there at the start survive with e^(−k·dt); thinning the ones made during the
/// tick by this keeps the mean count of a birth–death process at its exact value, k⁻¹ × the
/// birth rate, whatever the tick length. Without it a 60-second tick would hold 6.5 % more
/// E. coli mRNA than a 1-second one (made in a tick, none decaying before the next).
pub(crate) fn born_surviving(rate_per_s: f64, tick_seconds: f64) -> f64 {
    let kt = rate_per_s * tick_seconds;
    if kt <= 0.0 { 1.0 } else { -libm::expm1(-kt) / kt }
}

/// A regulated unit: its promoter's regulation, the regulator a gene of the program.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UnitRegulation {
    /// The regulation, `regulator` being a gene index of the program.
    pub(crate) regulation: Regulation,
    /// The inducer that binds the regulator, if any.
    pub(crate) binding: Option<InducerBinding>,
}

impl Program {
    /// Compiles `genome`, which comes from `source`, for `organism`, with ticks of
    /// `tick_seconds`.
    ///
    /// Expression: the organism's total mRNA is spread over its protein genes by a fixed
    /// weight per gene (between 0.25 and 1.75 for built-in genomes; for annotations, the
    /// measured mean mRNA count where the scenario gives an `expression_file`, the mean of
    /// those counts for genes it does not measure, and 1 when there is none, as GenBank
    /// carries no expression data); initial proteins follow the same weights. A
    /// unit's rate keeps its genes' mean mRNA at steady state: `mean × ln 2 / half-life`.
    pub fn compile(genome: &Genome, organism: Organism, source: GenomeSource, tick_seconds: f64) -> Program {
        let profile = organism.profile().clone();
        let weights = expression_weights(genome, source == GenomeSource::Builtin);
        let weight_total: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let mrna_mean: Vec<f64> = weights.iter().map(|w| profile.mrna_per_cell * w / weight_total).collect();
        let protein_init: Vec<u32> =
            weights.iter().map(|w| (profile.proteins_per_cell as f64 * w / weight_total).round() as u32).collect();
        let protein_aa: Vec<u32> = genome.genes.iter().map(|g| g.protein_aa()).collect();
        let reference_mass_aa =
            protein_init.iter().zip(&protein_aa).map(|(&n, &aa)| u64::from(n) * u64::from(aa)).sum();

        let decay_per_s = std::f64::consts::LN_2 / profile.mrna_half_life_s;
        let units = Units::of(genome, &mrna_mean, decay_per_s);
        let decay_p = 1.0 - libm::exp(-std::f64::consts::LN_2 * tick_seconds / profile.mrna_half_life_s);
        let aa_per_tick = profile.active_ribosomes() * profile.elongation_aa_per_s * tick_seconds;
        Program {
            draws_many: aa_per_tick >= 64.0 * f64::from(profile.mean_protein_aa),
            organism,
            tick_seconds,
            gene_unit: units.gene_unit,
            units_off_at_birth: units.off_at_birth,
            mrna_decay: Binomial::new(decay_p),
            mrna_born_surviving: born_surviving(decay_per_s, tick_seconds),
            profile,
            protein_aa_max: protein_aa.iter().copied().max().unwrap_or(0),
            protein_aa,
            mrna_mean,
            protein_init,
            unit_genes: units.genes,
            unit_start: units.start,
            unit_guide: Guide::of(&units.rate_cumulative),
            unit_rate_cumulative: units.rate_cumulative,
            reference_mass_aa,
            unit_regulation: Vec::new(),
            protein_decay: Vec::new(),
        }
    }

    /// `genome` compiled for `organism` with `packages` installed, in that order: what a VM
    /// that installed them runs ([`Program::install`] on [`Program::compile`]).
    pub(crate) fn compile_with(
        genome: &Genome,
        organism: Organism,
        source: GenomeSource,
        tick_seconds: f64,
        packages: &[&Package],
    ) -> Program {
        let mut program = Program::compile(genome, organism, source, tick_seconds);
        for p in packages {
            program.install(p);
        }
        program
    }

    /// Appends a package's genes and promoters: genes after every gene so far, units after
    /// every unit, so the indices of what was there do not move. Each promoter's full rate
    /// is `copies × per_copy_per_s`; its regulator is resolved to a gene of this program.
    /// The installed genes have no transcripts or proteins in a newborn's means (a cell
    /// gets its plasmid by installation, empty).
    pub fn install(&mut self, package: &Package) {
        let first = self.protein_aa.len() as u32;
        for (i, g) in package.genes.iter().enumerate() {
            self.protein_aa.push(g.protein_aa());
            self.mrna_mean.push(0.0);
            self.protein_init.push(0);
            self.gene_unit.push(NO_UNIT);
            if let Some(h) = g.half_life_min {
                let rate_per_s = std::f64::consts::LN_2 / (h * 60.0);
                self.protein_decay.push(ProteinDecay {
                    gene: first + i as u32,
                    draws: Binomial::new(-libm::expm1(-rate_per_s * self.tick_seconds)),
                    born_surviving: born_surviving(rate_per_s, self.tick_seconds),
                });
            }
        }
        self.protein_aa_max = self.protein_aa.iter().copied().max().unwrap_or(0);
        if self.unit_regulation.is_empty() {
            self.unit_regulation = vec![None; self.units()];
        }
        let copies = f64::from(package.copies);
        let mut cumulative = self.transcription_rate_per_s();
        for p in &package.promoters {
            let unit = self.units() as u32;
            for &g in &p.genes {
                self.gene_unit[(first + g) as usize] = unit;
                self.unit_genes.push(first + g);
            }
            self.unit_start.push(self.unit_genes.len() as u32);
            cumulative += copies * p.per_copy_per_s;
            self.unit_rate_cumulative.push(cumulative);
            self.unit_regulation.push(p.regulation.map(|r| UnitRegulation {
                regulation: Regulation { regulator: first + r.regulator, ..r },
                binding: package.genes[r.regulator as usize].inducer,
            }));
        }
        self.unit_guide = Guide::of(&self.unit_rate_cumulative);
    }

    /// The regulation of unit `unit`, if it has one.
    pub(crate) fn regulation(&self, unit: usize) -> Option<&UnitRegulation> {
        self.unit_regulation.get(unit).and_then(Option::as_ref)
    }

    /// Total transcription rate per second at the newborn cell's RNAP.
    pub(crate) fn transcription_rate_per_s(&self) -> f64 {
        self.unit_rate_cumulative.last().copied().unwrap_or(0.0)
    }

    /// The genes of transcription unit `unit`.
    pub fn unit(&self, unit: usize) -> &[u32] {
        &self.unit_genes[self.unit_start[unit] as usize..self.unit_start[unit + 1] as usize]
    }

    /// Number of transcription units.
    pub fn units(&self) -> usize {
        self.unit_rate_cumulative.len()
    }

    /// The unit whose cumulative-rate interval holds `x` (`0 ≤ x < total rate`).
    pub(crate) fn unit_at(&self, x: f64) -> usize {
        let i = self.unit_guide.find(&self.unit_rate_cumulative, x);
        i.min(self.unit_rate_cumulative.len() - 1)
    }

    /// Whether a cell draws hundreds of random blocks a tick rather than a few (see the
    /// field).
    #[inline]
    pub(crate) fn draws_many(&self) -> bool {
        self.draws_many
    }

    /// Number of genes.
    pub(crate) fn genes(&self) -> usize {
        self.protein_aa.len()
    }

    /// One past the last gene that codes for a protein (0 if none does): the genes whose
    /// protein counts a cell holds, every later one being an RNA gene with none.
    pub(crate) fn protein_genes_end(&self) -> usize {
        self.protein_aa.iter().rposition(|&aa| aa > 0).map_or(0, |g| g + 1)
    }
}

/// Each gene's expression weight: for a built-in genome, between 0.25 and 1.75 by its place
/// in the genome; for an annotation, its measured mean mRNA count, or the mean of those
/// measured for a gene not measured (1 without measurements); 0 for a stable RNA.
fn expression_weights(genome: &Genome, builtin: bool) -> Vec<f64> {
    // Measured counts where there are any; unmeasured protein genes take their mean, the
    // weight a gene has under uniform expression.
    let measured: Vec<f64> = genome.expression.iter().flatten().flatten().copied().collect();
    let default = if measured.is_empty() { 1.0 } else { measured.iter().sum::<f64>() / measured.len() as f64 };
    genome
        .genes
        .iter()
        .enumerate()
        .map(|(i, g)| match (g.kind, builtin) {
            (GeneKind::Protein, true) => 0.25 + 1.5 * spread(i + 1, EXPRESSION_ALPHA),
            (GeneKind::Protein, false) => {
                genome.expression.as_ref().and_then(|e| e.get(i).copied().flatten()).unwrap_or(default)
            }
            _ => 0.0,
        })
        .collect()
}

/// A genome's transcription units: consecutive genes of one operon, or a lone protein gene.
struct Units {
    genes: Vec<u32>,
    start: Vec<u32>,
    rate_cumulative: Vec<f64>,
    gene_unit: Vec<u32>,
    off_at_birth: Vec<u32>,
}

impl Units {
    /// The units of `genome`, each transcribed at the rate that keeps its genes' mean mRNA
    /// (`mrna_mean`) at steady state against decay at `decay_per_s`.
    fn of(genome: &Genome, mrna_mean: &[f64], decay_per_s: f64) -> Units {
        let mut unit_genes = Vec::new();
        let mut unit_start = vec![0u32];
        let mut unit_rate_cumulative = Vec::new();
        let mut cumulative = 0.0;
        let mut gene_unit = vec![NO_UNIT; genome.genes.len()];
        let mut units_off_at_birth = Vec::new();
        let mut i = 0;
        while i < genome.genes.len() {
            let operon = genome.genes[i].operon.as_deref();
            let mut j = i + 1;
            while operon.is_some() && j < genome.genes.len() && genome.genes[j].operon.as_deref() == operon {
                j += 1;
            }
            let members: Vec<u32> =
                (i..j).filter(|&g| genome.genes[g].kind == GeneKind::Protein).map(|g| g as u32).collect();
            if !members.is_empty() {
                let unit = unit_rate_cumulative.len() as u32;
                for &g in &members {
                    gene_unit[g as usize] = unit;
                }
                if operon.is_some_and(|o| genome.repressed.iter().any(|r| r == o)) {
                    units_off_at_birth.push(unit);
                }
                let mean = members.iter().map(|&g| mrna_mean[g as usize]).sum::<f64>() / members.len() as f64;
                cumulative += mean * decay_per_s;
                unit_genes.extend_from_slice(&members);
                unit_start.push(unit_genes.len() as u32);
                unit_rate_cumulative.push(cumulative);
            }
            i = j;
        }
        Units {
            genes: unit_genes,
            start: unit_start,
            rate_cumulative: unit_rate_cumulative,
            gene_unit,
            off_at_birth: units_off_at_birth,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lac_operon_is_one_unit() {
        let program = Program::compile(&Genome::builtin(Organism::Ecoli), Organism::Ecoli, GenomeSource::Builtin, 1.0);
        assert_eq!(program.unit(0), &[0, 1, 2]); // lacZ lacY lacA
        assert_eq!(program.unit(1).len(), 6); // trpLEDCBA
        assert_eq!(program.units_off_at_birth, [0]); // lac starts repressed
        assert_eq!(&program.gene_unit[..4], &[0, 0, 0, 1]);
        let total_mrna: f64 = program.mrna_mean.iter().sum();
        assert!((total_mrna - 4_000.0).abs() < 1e-6);
    }

    #[test]
    fn syn3a_reference_mass_is_published_proteome() {
        let program = Program::compile(&Genome::builtin(Organism::Syn3a), Organism::Syn3a, GenomeSource::Builtin, 1.0);
        let proteins: u64 = program.protein_init.iter().map(|&n| u64::from(n)).sum();
        assert!((76_500..=77_500).contains(&proteins), "{proteins}");
        let mean_aa = program.reference_mass_aa as f64 / proteins as f64;
        assert!((300.0..400.0).contains(&mean_aa), "{mean_aa}");
    }
}
