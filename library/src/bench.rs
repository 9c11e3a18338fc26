//! The benchmark workload: N identical VMs on a chassis scaled so each keeps what a lone
//! cell of its organism would have.

use crate::error::{Error, Result};
use bioxen_engine::biology::{ATP_PER_AMINO_ACID_ALL_IN, Organism};
use bioxen_engine::chassis::{Chassis, ChassisKind};
use bioxen_engine::policy::{PolicyKind, PolicyParams};
use bioxen_engine::scenario::{Allocation, GenomeSource, SCENARIO_FORMAT_VERSION, Scenario, VmSpec};
use std::fmt::Write;

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

/// The workload [`scenario`] makes, as scenario-file text that the parser reads back to the
/// same scenario, so `bioxen run`, `resume` and `sweep` take the bench's workload to the
/// bench's digest. Each VM is written as its id and organism only (its DNA space and
/// autostart are the parser's defaults, which the bench's are): a million VMs take ~44 MB,
/// within the [`crate::files::SCENARIO_BYTES_MAX`] a scenario file may have.
pub fn scenario_text(vms: u32, ticks: u64, organism: Organism, policy: PolicyKind, seed: u64) -> Result<String> {
    #[derive(serde::Serialize)]
    struct Head {
        format_version: u32,
        name: String,
        simulation: crate::api::save::Simulation,
        chassis: crate::api::save::Chassis,
    }
    let s = scenario(vms, ticks, organism, policy, seed);
    let head = Head {
        format_version: s.format_version,
        name: s.name.clone(),
        simulation: crate::api::save::Simulation::of(&s),
        chassis: crate::api::save::Chassis::of(&s.chassis),
    };
    let head = toml::to_string(&head).map_err(|e| Error::Failed(format!("cannot write the bench's scenario: {e}")))?;
    let mut text = format!(
        "# The workload of `bioxen bench --vms {vms} --ticks {ticks} --organism {} --policy {} --seed {seed}`.\n{head}",
        organism.name(),
        policy.name()
    );
    text.reserve(s.vms.len() * 48);
    for v in &s.vms {
        // Writing into a String cannot fail.
        let _ = write!(text, "\n[[vm]]\nid = \"{}\"\norganism = \"{}\"\n", v.id, v.organism.name());
    }
    Ok(text)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{GenomeDir, SCENARIO_BYTES_MAX};
    use bioxen_engine::scenario::limits::VMS_MAX;
    use std::path::Path;

    /// The text parses back, through the scenario gate, to the very scenario the bench runs:
    /// every organism, a policy other than the default, a seed, and sizes whose ids have
    /// different widths.
    #[test]
    fn the_saved_workload_parses_to_the_bench_scenario() {
        for (vms, organism, policy) in [
            (1, Organism::Syn3a, PolicyKind::Fair),
            (12, Organism::Ecoli, PolicyKind::Proportional),
            (101, Organism::MinimalCell, PolicyKind::Priority),
        ] {
            let text = scenario_text(vms, 9, organism, policy, 77).unwrap();
            let parsed = bioxen_engine::scenario::parse(&text, "bench.toml", &mut GenomeDir::new(Path::new(".")))
                .unwrap_or_else(|e| panic!("{vms} × {}: {e}", organism.name()));
            assert_eq!(parsed, scenario(vms, 9, organism, policy, 77), "{vms} × {}", organism.name());
        }
    }

    /// The most VMs a scenario may have fit in the bytes a scenario file may have.
    #[test]
    fn the_largest_workload_fits_a_scenario_file() {
        let text = scenario_text(VMS_MAX, 10, Organism::Syn3a, PolicyKind::Fair, 0).unwrap();
        assert!((text.len() as u64) < SCENARIO_BYTES_MAX, "{} bytes", text.len());
        assert_eq!(text.matches("[[vm]]").count(), VMS_MAX as usize);
    }
}
