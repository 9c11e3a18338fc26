//! Host cells: the pools a chassis offers its guests.

use serde::{Deserialize, Serialize};

/// The host cell types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChassisKind {
    /// E. coli K-12 in rich medium.
    Ecoli,
    /// Saccharomyces cerevisiae.
    Yeast,
    /// E. coli carrying orthogonal tethered ribosomes (Ribo-T; Orelle et al. 2015, Nature
    /// 524:119): guests translate only on the small orthogonal pool, isolated from the
    /// host's own translation, so no ribosome reserve is kept for the host.
    Orthogonal,
}

impl ChassisKind {
    /// Every chassis, in CLI order.
    pub const ALL: [ChassisKind; 3] = [ChassisKind::Ecoli, ChassisKind::Yeast, ChassisKind::Orthogonal];

    /// Scenario name.
    pub fn name(self) -> &'static str {
        match self {
            ChassisKind::Ecoli => "ecoli",
            ChassisKind::Yeast => "yeast",
            ChassisKind::Orthogonal => "orthogonal",
        }
    }

    /// The default pools of this chassis.
    pub fn defaults(self) -> Chassis {
        match self {
            ChassisKind::Ecoli => ECOLI,
            ChassisKind::Yeast => YEAST,
            ChassisKind::Orthogonal => ORTHOGONAL,
        }
    }
}

/// A host cell's pools and limits. Per-tick quantities are per simulated second; the
/// simulation scales them by the tick length.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chassis {
    /// Which host this is.
    pub kind: ChassisKind,
    /// Ribosomes available each tick.
    pub ribosomes: u64,
    /// RNA polymerases available each tick.
    pub rnap: u64,
    /// ATP produced per second.
    pub atp_per_s: u64,
    /// Most ATP the cell can hold; production beyond it is lost.
    pub atp_store_max: u64,
    /// Kilobases of guest DNA the cell can carry.
    pub dna_space_kb: u64,
    /// Most VMs that may exist at once.
    pub max_vms: u32,
    /// Fraction of ATP and RNAP the hypervisor keeps for the host.
    pub reserve_fraction: f64,
    /// Fraction of ribosomes the hypervisor keeps for the host.
    pub ribosome_reserve_fraction: f64,
}

/// The hypervisor's share: the original BioXen_jcvi_vm_lib kept 15 % of every pool for the
/// host (its `hypervisor_overhead = 0.15`).
pub(crate) const HYPERVISOR_RESERVE_FRACTION: f64 = 0.15;

/// E. coli K-12 in rich medium.
pub(crate) const ECOLI: Chassis = Chassis {
    kind: ChassisKind::Ecoli,
    // Same cell as the ecoli organism profile (crate::biology::ECOLI): 40,000 ribosomes,
    // within 7,000–70,000 (shared README).
    ribosomes: 40_000,
    // Several thousand RNAP (Bremer & Dennis 2008); see crate::biology::ECOLI.
    rnap: 5_000,
    // Derived: the cell's own translation, 40,000 × 0.85 active × 16 aa/s × 4 ATP/aa =
    // 2.2 M ATP/s, is two thirds of its budget (shared README), so 3.3 M ATP/s.
    atp_per_s: 3_300_000,
    // ~9.6 mM ATP (Bennett et al. 2009, Nat. Chem. Biol. 5:593) in ~1 fL:
    // 9.6e-3 × 1e-15 × 6.022e23 ≈ 5.8 M molecules.
    atp_store_max: 5_800_000,
    // Up to ~4 genome equivalents in fast growth (overlapping replication rounds; Bremer &
    // Dennis 2008): 4 × 4,642 kb. An upper bound on foreign DNA, a modelling choice.
    dna_space_kb: 18_568,
    // A modelling choice: guests beyond this crowd out the host entirely.
    max_vms: 64,
    reserve_fraction: HYPERVISOR_RESERVE_FRACTION,
    ribosome_reserve_fraction: HYPERVISOR_RESERVE_FRACTION,
};

/// Saccharomyces cerevisiae.
pub(crate) const YEAST: Chassis = Chassis {
    kind: ChassisKind::Yeast,
    // ~190,000 ribosomes (shared README; Warner 1999).
    ribosomes: 190_000,
    // ~30,000 RNA polymerase II (order of magnitude; Borggrefe et al. 2001; BioNumbers).
    rnap: 30_000,
    // Derived as for E. coli: 190,000 × 0.8 active × 10 aa/s (shared README) × 4 ATP/aa =
    // 6.1 M ATP/s for translation, two thirds of 9.1 M ATP/s.
    atp_per_s: 9_100_000,
    // ~2 mM ATP (order of magnitude; BioNumbers) in a ~42 fL haploid cell:
    // 2e-3 × 42e-15 × 6.022e23 ≈ 51 M molecules.
    atp_store_max: 51_000_000,
    // Diploid: 2 × 12.1 Mbp (shared README).
    dna_space_kb: 24_200,
    // A modelling choice: larger cell, more guests.
    max_vms: 128,
    reserve_fraction: HYPERVISOR_RESERVE_FRACTION,
    ribosome_reserve_fraction: HYPERVISOR_RESERVE_FRACTION,
};

/// E. coli with an orthogonal Ribo-T pool for the guests.
pub(crate) const ORTHOGONAL: Chassis = Chassis {
    kind: ChassisKind::Orthogonal,
    // Ribo-T supports growth at a fraction of the wild-type rate (Orelle et al. 2015); a
    // pool a tenth of the host's native 40,000 is a modelling choice in that spirit.
    ribosomes: 4_000,
    rnap: ECOLI.rnap,
    atp_per_s: ECOLI.atp_per_s,
    atp_store_max: ECOLI.atp_store_max,
    dna_space_kb: ECOLI.dna_space_kb,
    // A modelling choice: the small pool supports few guests.
    max_vms: 16,
    reserve_fraction: HYPERVISOR_RESERVE_FRACTION,
    // The guests' ribosomes are not the host's: nothing to reserve (Orelle et al. 2015).
    ribosome_reserve_fraction: 0.0,
};
