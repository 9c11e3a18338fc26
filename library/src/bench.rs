//! The benchmark workload: N identical VMs on a chassis scaled so each keeps what a lone
//! cell of its organism would have.

use bioxen_engine::biology::{ATP_PER_AMINO_ACID_ALL_IN, Organism};
use bioxen_engine::chassis::{Chassis, ChassisKind};
use bioxen_engine::policy::{PolicyKind, PolicyParams};
use bioxen_engine::scenario::{Allocation, GenomeSource, SCENARIO_FORMAT_VERSION, Scenario, VmSpec};

/// A generated scenario of `vms` VMs of `organism` for `ticks` ticks, on [`chassis`].
pub fn scenario(vms: u32, ticks: u64, organism: Organism, policy: PolicyKind, seed: u64) -> Scenario {
    let profile = organism.profile();
    let chassis = chassis(vms, organism);
    let width = vms.to_string().len();
    Scenario {
        format_version: SCENARIO_FORMAT_VERSION,
        name: format!("bench-{vms}x{}", organism.name()),
        seed,
        ticks,
        tick_seconds: 1.0,
        policy,
        policy_params: PolicyParams::default(),
        chassis,
        vms: (0..vms)
            .map(|i| VmSpec {
                id: format!("vm{i:0width$}"),
                organism,
                genome: GenomeSource::Builtin,
                memory_kb: profile.genome_kb(),
                autostart: true,
                allocation: Allocation::default(),
            })
            .collect(),
        events: Vec::new(),
        genomes: Vec::new(),
        packages: Vec::new(),
        scripts: Vec::new(),
    }
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let bytes = crate::files::read_input(std::path::Path::new("/proc/self/status"), 1 << 16).ok()?;
    let status = String::from_utf8(bytes).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The benchmark chassis for `vms` VMs of `organism`: an E. coli chassis whose pools are N
/// × one cell's — all its ribosomes and RNAP, and the ATP those ribosomes would burn at
/// full elongation, so a growing cell (which asks for up to twice a newborn's active
/// machinery) is not starved — all scaled up by the hypervisor reserve so the guests'
/// share is exactly that, with DNA space and VM slots for N.
pub fn chassis(vms: u32, organism: Organism) -> Chassis {
    let profile = organism.profile();
    let mut chassis = ChassisKind::Ecoli.defaults();
    let n = u64::from(vms);
    let gross = |per_cell: f64| (n as f64 * per_cell / (1.0 - chassis.reserve_fraction)).ceil() as u64;
    chassis.ribosome_reserve_fraction = chassis.reserve_fraction;
    chassis.ribosomes = gross(profile.ribosomes_per_cell as f64);
    chassis.rnap = gross(profile.rnap_per_cell as f64);
    chassis.atp_per_s =
        gross(profile.ribosomes_per_cell as f64 * profile.elongation_aa_per_s * ATP_PER_AMINO_ACID_ALL_IN);
    chassis.atp_store_max = 2 * chassis.atp_per_s;
    chassis.dna_space_kb = n * profile.genome_kb();
    chassis.max_vms = vms;
    chassis
}
