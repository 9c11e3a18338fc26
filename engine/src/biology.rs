//! Organism profiles: the published magnitudes that drive a guest genome's kinetics.
//!
//! Every number here cites where it comes from. Where a number is a modelling choice or is
//! derived from other cited numbers, the comment says so and shows the arithmetic, so that a
//! reader can redo it. The facts most used are collected in `../shared/README.md`
//! (Thornburg et al. 2022; Breuer et al. 2019; Hutchison et al. 2016; Blattner et al. 1997;
//! BioNumbers).

use serde::{Deserialize, Serialize};

/// ATP equivalents spent per amino acid polymerised: ~4 (2 for aminoacylation, 2 GTP for
/// elongation). Source: `../shared/README.md` ("~4 ATP equivalents per amino acid").
pub const ATP_PER_AMINO_ACID: f64 = 4.0;

/// Protein synthesis takes more than two thirds of a bacterium's ATP budget
/// (`../shared/README.md`, E. coli row). A VM therefore asks for 1.5 × its translation ATP:
/// the extra half pays transcription (2 phosphoanhydride bonds per nucleotide) and
/// maintenance.
pub const ATP_BUDGET_PER_TRANSLATION_ATP: f64 = 1.5;

/// ATP equivalents requested per amino acid of translation capacity, all costs included:
/// `ATP_PER_AMINO_ACID × ATP_BUDGET_PER_TRANSLATION_ATP` (derived, see both).
pub const ATP_PER_AMINO_ACID_ALL_IN: f64 = ATP_PER_AMINO_ACID * ATP_BUDGET_PER_TRANSLATION_ATP;

/// Upper bound on ribosomes engaged per mRNA. Polysomes carry roughly one ribosome per
/// ~100 nt of message (ribosome footprint ~30 nt plus spacing; Brandt et al. 2009, Cell
/// 136:261), so a ~1 kb bacterial message holds about ten. Used only to stop ribosomes
/// translating mRNA that is not there.
pub const RIBOSOMES_PER_MRNA_MAX: u64 = 10;

/// A tick where a VM receives less than this fraction of its ATP or ribosome demand counts
/// as starved. A modelling convention (half of demand), not a biological constant.
pub const STARVED_FRACTION: f64 = 0.5;

/// The organism types a guest genome can be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Organism {
    /// JCVI-syn3A, the minimal bacterium of Breuer et al. 2019 and Thornburg et al. 2022.
    Syn3a,
    /// Escherichia coli K-12 MG1655 (Blattner et al. 1997).
    Ecoli,
    /// JCVI-syn3.0, the "minimal cell" of Hutchison et al. 2016.
    MinimalCell,
}

impl Organism {
    /// Every organism, in CLI order.
    pub const ALL: [Organism; 3] = [Organism::Syn3a, Organism::Ecoli, Organism::MinimalCell];

    /// The name used in scenario files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Organism::Syn3a => "syn3a",
            Organism::Ecoli => "ecoli",
            Organism::MinimalCell => "minimal_cell",
        }
    }

    /// Parses a scenario/CLI name.
    pub fn from_name(name: &str) -> Option<Organism> {
        Organism::ALL.into_iter().find(|o| o.name() == name)
    }

    /// The published profile of this organism.
    pub fn profile(self) -> &'static OrganismProfile {
        match self {
            Organism::Syn3a => &SYN3A,
            Organism::Ecoli => &ECOLI,
            Organism::MinimalCell => &MINIMAL_CELL,
        }
    }
}

/// Per-cell magnitudes of one organism. Counts are for a newborn cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrganismProfile {
    /// Chromosome length in base pairs.
    pub genome_bp: u64,
    /// Protein-coding genes.
    pub protein_genes: u32,
    /// Genes for stable RNAs (rRNA, tRNA, other ncRNA).
    pub rna_genes: u32,
    /// Mean protein length in amino acids.
    pub mean_protein_aa: u32,
    /// Ribosomes per cell.
    pub ribosomes_per_cell: u64,
    /// Fraction of ribosomes translating at any moment.
    pub ribosome_active_fraction: f64,
    /// RNA polymerases per cell.
    pub rnap_per_cell: u64,
    /// Fraction of RNA polymerases transcribing at any moment.
    pub rnap_active_fraction: f64,
    /// Translation elongation rate, amino acids per second per ribosome.
    pub elongation_aa_per_s: f64,
    /// mRNA half-life in seconds.
    pub mrna_half_life_s: f64,
    /// Mean number of mRNA molecules per cell (all genes).
    pub mrna_per_cell: f64,
    /// Proteins per newborn cell.
    pub proteins_per_cell: u64,
    /// Measured doubling time in minutes (what the model is checked against).
    pub doubling_min: f64,
}

impl OrganismProfile {
    /// Ribosomes a newborn cell keeps busy: `ribosomes_per_cell × ribosome_active_fraction`.
    pub fn active_ribosomes(&self) -> f64 {
        self.ribosomes_per_cell as f64 * self.ribosome_active_fraction
    }

    /// RNA polymerases a newborn cell keeps busy.
    pub fn active_rnap(&self) -> f64 {
        self.rnap_per_cell as f64 * self.rnap_active_fraction
    }

    /// Genome size in kilobases, rounded up.
    pub fn genome_kb(&self) -> u64 {
        self.genome_bp.div_ceil(1000)
    }
}

/// JCVI-syn3A.
///
/// With ribosome demand growing with protein mass, the model's doubling time is
/// `ln 2 × proteome_aa / (active ribosomes × elongation)` = 0.693 × 77,000 × 349 /
/// (500 × 0.45 × 12) ≈ 6,900 s ≈ 115 min, within the ±30 % of the measured 105 min that
/// `tests/grounding.rs` checks.
pub const SYN3A: OrganismProfile = OrganismProfile {
    // 543,379 bp, CP016816.2 (shared/data/syn3a/syn3A.gb LOCUS line; Breuer et al. 2019).
    genome_bp: 543_379,
    // 452 protein-coding genes of 493 (Breuer et al. 2019; shared README).
    protein_genes: 452,
    // 493 − 452 = 41 RNA genes (shared README).
    rna_genes: 41,
    // Mean CDS length in syn3A.gb is 1,050 nt = 349 codons + stop (computed from the 458 CDS
    // features of shared/data/syn3a/syn3A.gb).
    mean_protein_aa: 349,
    // ~500 ribosomes, ≈45 % active (Thornburg et al. 2022; shared README).
    ribosomes_per_cell: 500,
    ribosome_active_fraction: 0.45,
    // 187 RNA polymerases, ≈34 % active (Thornburg et al. 2022; shared README).
    rnap_per_cell: 187,
    rnap_active_fraction: 0.34,
    // 12 aa/s: the low end of the bacterial 12–20 aa/s range (shared README, E. coli row),
    // for a cell growing five times slower than E. coli.
    elongation_aa_per_s: 12.0,
    // mRNA half-life ≈ 2–3.4 min (Thornburg et al. 2022; shared README): midpoint 2.7 min.
    mrna_half_life_s: 162.0,
    // Sum of the mean per-gene counts in shared/data/syn3a/mRNA_counts.csv (455 genes):
    // 139.2 mRNAs per cell.
    mrna_per_cell: 139.2,
    // ~77,000 proteins (Thornburg et al. 2022; shared README).
    proteins_per_cell: 77_000,
    // ~105 min (Breuer et al. 2019; Thornburg et al. 2022; shared README).
    doubling_min: 105.0,
};

/// E. coli K-12 MG1655 in rich medium.
///
/// Doubling in the model: 0.693 × 3.0 M × 317 / (40,000 × 0.85 × 16) ≈ 1,210 s ≈ 20 min.
pub const ECOLI: OrganismProfile = OrganismProfile {
    // 4,641,652 bp (Blattner et al. 1997; shared README).
    genome_bp: 4_641_652,
    // 4,288 protein-coding genes annotated by Blattner et al. 1997 (~4,300 in shared README).
    protein_genes: 4_288,
    // 7 rrn operons × 3 rRNAs + 86 tRNA genes (Blattner et al. 1997) = 107.
    rna_genes: 107,
    // Mean ORF ≈ 950 bp ≈ 317 aa (Blattner et al. 1997).
    mean_protein_aa: 317,
    // 7,000–70,000 ribosomes depending on growth rate (shared README; Bremer & Dennis 2008);
    // 40,000 is the fast-growth end that gives the 20-min doubling derived above.
    ribosomes_per_cell: 40_000,
    // ~85 % of ribosomes active in fast growth (Dai et al. 2016, Nat. Microbiol. 2:16231).
    ribosome_active_fraction: 0.85,
    // Several thousand RNA polymerases per cell in fast growth (Bremer & Dennis 2008,
    // EcoSal Plus); ~30 % transcribing (same source). Order of magnitude.
    rnap_per_cell: 5_000,
    rnap_active_fraction: 0.30,
    // 12–20 aa/s (shared README): midpoint.
    elongation_aa_per_s: 16.0,
    // Median mRNA half-life ≈ 5 min (Bernstein et al. 2002, PNAS 99:9697).
    mrna_half_life_s: 300.0,
    // A few thousand mRNAs per cell (BioNumbers; Bartholomäus et al. 2016). Order of magnitude.
    mrna_per_cell: 4_000.0,
    // ~3 million proteins per cell (BioNumbers; Milo 2013, BioEssays 35:1050).
    proteins_per_cell: 3_000_000,
    // ~20 min in rich medium (shared README).
    doubling_min: 20.0,
};

/// JCVI-syn3.0, the minimal cell.
///
/// Its kinetics are not published separately; it is syn3A less 19 genes (Breuer et al.
/// 2019), so it borrows syn3A's machinery counts. The active-ribosome fraction is the one
/// free parameter, set so the model doubles in the measured 180 min:
/// 0.693 × 77,000 × 349 / (500 × f × 12) = 10,800 s ⇒ f ≈ 0.29.
pub const MINIMAL_CELL: OrganismProfile = OrganismProfile {
    // 531,490 bp (Hutchison et al. 2016; shared README).
    genome_bp: 531_490,
    // 473 genes, 438 protein-coding (Hutchison et al. 2016; shared README).
    protein_genes: 438,
    rna_genes: 35,
    // Calibrated to the measured doubling (see above).
    ribosome_active_fraction: 0.29,
    // ~180 min (Hutchison et al. 2016; shared README).
    doubling_min: 180.0,
    // Everything else as syn3A (assumption, see above): protein length, ribosome and RNAP
    // counts, elongation, mRNA half-life and abundance, proteome size.
    ..SYN3A
};
