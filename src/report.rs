//! Run summaries: the table a person reads and the JSON other tools parse.

use crate::metrics;
use bioxen_engine::record::hex;
use bioxen_engine::sim::Simulation;
use serde::Serialize;

/// One VM's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VmSummary {
    /// VM id.
    pub id: String,
    /// Organism type.
    pub organism: String,
    /// Lifecycle state at the end.
    pub state: String,
    /// Proteins completed (throughput).
    pub proteins: u64,
    /// ATP molecules granted over the run.
    pub atp_granted: u64,
    /// Ribosome-ticks granted over the run.
    pub ribosome_ticks: u64,
    /// RNA polymerase-ticks granted over the run.
    pub rnap_ticks: u64,
    /// Divisions.
    pub divisions: u32,
    /// Mean doubling time over completed cycles, minutes (`null` before the first).
    pub mean_doubling_minutes: Option<f64>,
    /// Running ticks with less than half of some resource asked for.
    pub starved_ticks: u64,
    /// Ticks spent running.
    pub running_ticks: u64,
    /// Fraction of demanded ATP granted (1 when nothing was asked).
    pub atp_demand_met: f64,
    /// Fraction of demanded ribosomes granted.
    pub ribosome_demand_met: f64,
}

/// A run's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    /// Scenario name.
    pub scenario: String,
    /// Digest (hex BLAKE3 chain over the tick records).
    pub digest: String,
    /// Seed.
    pub seed: u64,
    /// Ticks run in total (including ticks before a resumed checkpoint).
    pub ticks: u64,
    /// Policy name.
    pub policy: String,
    /// Wall-clock seconds of this process's ticks (not part of the result).
    pub elapsed_seconds: f64,
    /// VM-ticks (running VMs × ticks) per wall-clock second in this process.
    pub vm_ticks_per_second: f64,
    /// Per VM, in id order.
    pub vms: Vec<VmSummary>,
}

/// Summarises a finished (or paused) simulation. `vm_ticks` and `elapsed_seconds` are the
/// work this process did, for the throughput figure.
pub fn summarise(sim: &Simulation, vm_ticks: u64, elapsed_seconds: f64) -> RunSummary {
    let scenario = sim.scenario();
    let vms = scenario
        .vms
        .iter()
        .zip(&sim.state().vms)
        .map(|(spec, vm)| {
            let s = &vm.stats;
            VmSummary {
                id: spec.id.clone(),
                organism: spec.organism.name().to_string(),
                state: vm.lifecycle.name().to_string(),
                proteins: s.proteins_made,
                atp_granted: s.granted.atp,
                ribosome_ticks: s.granted.ribosomes,
                rnap_ticks: s.granted.rnap,
                divisions: s.divisions,
                mean_doubling_minutes: metrics::mean_doubling_minutes(s, scenario.tick_seconds),
                starved_ticks: s.starved_ticks,
                running_ticks: s.running_ticks,
                atp_demand_met: metrics::demand_ratio(s.granted.atp, s.demanded.atp),
                ribosome_demand_met: metrics::demand_ratio(s.granted.ribosomes, s.demanded.ribosomes),
            }
        })
        .collect();
    RunSummary {
        scenario: scenario.name.clone(),
        digest: hex(&sim.digest()),
        seed: scenario.seed,
        ticks: sim.tick(),
        policy: scenario.policy.name().to_string(),
        elapsed_seconds,
        vm_ticks_per_second: if elapsed_seconds > 0.0 { vm_ticks as f64 / elapsed_seconds } else { 0.0 },
        vms,
    }
}

/// Largest number of VM rows the table shows; the JSON always has all of them.
pub const TABLE_ROWS_MAX: usize = 50;

/// The human-readable report.
pub fn table(summary: &RunSummary) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header([
        "VM",
        "organism",
        "state",
        "proteins",
        "divisions",
        "doubling (min)",
        "ATP met",
        "ribosomes met",
        "starved ticks",
    ]);
    for v in summary.vms.iter().take(TABLE_ROWS_MAX) {
        t.add_row([
            v.id.clone(),
            v.organism.clone(),
            v.state.clone(),
            v.proteins.to_string(),
            v.divisions.to_string(),
            v.mean_doubling_minutes.map_or("-".into(), |m| format!("{m:.1}")),
            format!("{:.1} %", 100.0 * v.atp_demand_met),
            format!("{:.1} %", 100.0 * v.ribosome_demand_met),
            v.starved_ticks.to_string(),
        ]);
    }
    let mut out = format!(
        "{}: {} ticks, policy {}, seed {}\n{t}\n",
        summary.scenario, summary.ticks, summary.policy, summary.seed
    );
    if summary.vms.len() > TABLE_ROWS_MAX {
        out.push_str(&format!("({} more VMs; --json lists all)\n", summary.vms.len() - TABLE_ROWS_MAX));
    }
    out.push_str(&format!(
        "{:.0} VM-ticks/s over {:.2} s\ndigest {}\n",
        summary.vm_ticks_per_second, summary.elapsed_seconds, summary.digest
    ));
    out
}
