//! Run summaries: the table a person reads and the JSON other tools parse. Every figure is
//! one of [`crate::metrics`]' (one definition each); this module only adds what a report
//! needs besides (the VM's organism and state, timing) and lays it out.

use crate::metrics::{self, Finished, RunMetrics, VmMetrics};
use bioxen_engine::record::hex;
use serde::Serialize;

/// One VM's line of the report: its metrics and what else a reader wants to see.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VmReport {
    /// The VM's metrics (id, proteins, grants, demand met, divisions, …).
    #[serde(flatten)]
    pub metrics: VmMetrics,
    /// Organism type.
    pub organism: String,
    /// Lifecycle state at the end.
    pub state: String,
    /// RNA polymerase-ticks granted over the run.
    pub rnap_ticks: u64,
    /// Ticks spent running.
    pub running_ticks: u64,
    /// Fraction of demanded ATP granted; `null` for a VM that never ran (it asked for
    /// nothing, which is not the same as having all it asked for).
    pub atp_demand_met: Option<f64>,
    /// Fraction of demanded ribosomes granted; `null` for a VM that never ran.
    pub ribosome_demand_met: Option<f64>,
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
    /// The run's metrics (fairness, utilisation, proteins), and each VM's line.
    #[serde(flatten)]
    pub run: RunMetrics,
    /// Per VM, in id order.
    pub vms: Vec<VmReport>,
}

/// Summarises a finished (or paused) run: a simulation, or an [`Outcome`](metrics::Outcome)
/// taken off a runtime. `vm_ticks` and `elapsed_seconds` are the work this process did,
/// for the throughput figure.
pub fn summarise(finished: &impl Finished, vm_ticks: u64, elapsed_seconds: f64) -> RunSummary {
    let scenario = finished.scenario();
    let (run, per_vm) = metrics::of(finished);
    let vms = per_vm
        .into_iter()
        .zip(&scenario.vms)
        .enumerate()
        .map(|(i, (metrics, spec))| {
            let (lifecycle, s) = finished.vm(i);
            let ran = s.running_ticks > 0;
            VmReport {
                metrics,
                organism: spec.organism.name().to_string(),
                state: lifecycle.name().to_string(),
                rnap_ticks: s.granted.rnap,
                running_ticks: s.running_ticks,
                atp_demand_met: ran.then(|| metrics::demand_ratio(s.granted.atp, s.demanded.atp)),
                ribosome_demand_met: ran.then(|| metrics::demand_ratio(s.granted.ribosomes, s.demanded.ribosomes)),
            }
        })
        .collect();
    let host = finished.host();
    RunSummary {
        scenario: scenario.name.clone(),
        digest: hex(&host.digest),
        seed: scenario.seed,
        ticks: host.tick,
        policy: scenario.policy.name().to_string(),
        elapsed_seconds,
        vm_ticks_per_second: if elapsed_seconds > 0.0 { vm_ticks as f64 / elapsed_seconds } else { 0.0 },
        run,
        vms,
    }
}
