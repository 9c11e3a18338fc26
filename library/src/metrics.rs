//! Metrics of a finished run, per VM and per run, as sweeps and comparisons report them.
//!
//! Definitions:
//! - **proteins**: proteins completed (throughput).
//! - **atp_granted**, **ribosome_ticks**: ATP molecules and ribosome-ticks granted.
//! - **demand_met**: the fraction of the VM's demand granted, averaged over ATP and
//!   ribosomes: ½ (Σ granted ATP / Σ demanded ATP + Σ granted ribosomes / Σ demanded
//!   ribosomes), 1 when nothing was asked.
//! - **starved_ticks**: running ticks with less than half of some resource asked for.
//! - **divisions**, **mean_doubling_minutes**: completed cell cycles and their mean length.
//! - **jain_fairness**: Jain's index over the VMs' demand_met, (Σx)² / (n Σx²), from 1/n
//!   (one VM gets everything) to 1 (equal shares) (Jain, Chiu & Hawe 1984, DEC-TR-301).
//! - **worst_demand_met**: the smallest demand_met of any VM that ran.
//! - **dominant_share**: a VM's largest share of a pool over the run, max(Σ its ATP /
//!   Σ ATP offered, Σ its ribosomes / Σ ribosomes offered) — what DRF equalises (Ghodsi et
//!   al. 2011); **jain_dominant** is Jain's index over the VMs' dominant shares divided by
//!   their weights.
//! - **atp_utilisation**, **ribosome_utilisation**: all VMs' grants over the pools offered,
//!   summed over the run: how much of the guests' share the policy handed out.
//!
//! Only VMs that ran at least one tick count in the run metrics.

use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::scenario::Scenario;
use bioxen_engine::sim::{HostState, Simulation};
use bioxen_engine::vm::VmStats;
use serde::{Deserialize, Serialize};

/// What a run's figures are made of: its scenario, the host's side and each VM's
/// lifecycle and counters. A [`Simulation`] is one; an [`Outcome`] is one taken off a
/// runtime a cell at a time, without the VMs themselves.
pub trait Finished {
    /// The scenario run.
    fn scenario(&self) -> &Scenario;
    /// The host's side: the tick, the digest, each VM's allocation, the scheduler's state.
    fn host(&self) -> &HostState;
    /// VM `vm`'s lifecycle and counters.
    fn vm(&self, vm: usize) -> (Lifecycle, &VmStats);
}

impl Finished for Simulation {
    fn scenario(&self) -> &Scenario {
        Simulation::scenario(self)
    }

    fn host(&self) -> &HostState {
        Simulation::host(self)
    }

    fn vm(&self, vm: usize) -> (Lifecycle, &VmStats) {
        let vm = &self.vms()[vm];
        (vm.lifecycle, &vm.stats)
    }
}

/// A run's figures' makings as values: each VM's lifecycle and counters (~100 bytes, of
/// the ~2 kB a syn3A VM holds), so that a runtime that keeps its VMs elsewhere (the
/// actors) is summarised without a copy of every VM beside its own.
pub struct Outcome<'a> {
    /// The scenario run.
    pub scenario: &'a Scenario,
    /// The host's side.
    pub host: HostState,
    /// Each VM's lifecycle and counters, in VM order.
    pub vms: Vec<(Lifecycle, VmStats)>,
}

impl Finished for Outcome<'_> {
    fn scenario(&self) -> &Scenario {
        self.scenario
    }

    fn host(&self) -> &HostState {
        &self.host
    }

    fn vm(&self, vm: usize) -> (Lifecycle, &VmStats) {
        let (lifecycle, stats) = &self.vms[vm];
        (*lifecycle, stats)
    }
}

/// One VM's metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VmMetrics {
    /// VM id.
    pub id: String,
    /// Proteins completed.
    pub proteins: u64,
    /// ATP granted.
    pub atp_granted: u64,
    /// Ribosome-ticks granted.
    pub ribosome_ticks: u64,
    /// Fraction of demand met (see the module docs).
    pub demand_met: f64,
    /// Starved ticks.
    pub starved_ticks: u64,
    /// Divisions.
    pub divisions: u32,
    /// Mean doubling time in minutes, if the VM divided.
    pub mean_doubling_minutes: Option<f64>,
    /// Largest share of a pool (ATP or ribosomes) over the run.
    pub dominant_share: f64,
}

/// A run's metrics (the VMs' own are [`VmMetrics`], listed beside them by [`of`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunMetrics {
    /// Jain's fairness index over demand_met.
    pub jain_fairness: f64,
    /// Smallest demand_met.
    pub worst_demand_met: f64,
    /// Jain's index over dominant shares per unit weight.
    pub jain_dominant: f64,
    /// ATP granted / ATP offered.
    pub atp_utilisation: f64,
    /// Ribosomes granted / ribosomes offered.
    pub ribosome_utilisation: f64,
    /// Proteins completed by all VMs.
    pub proteins_total: u64,
}

/// Granted over demanded: 1 when nothing was asked.
pub fn demand_ratio(granted: u64, demanded: u64) -> f64 {
    if demanded == 0 { 1.0 } else { granted as f64 / demanded as f64 }
}

/// Mean length of the completed cell cycles in minutes, if the VM divided.
pub fn mean_doubling_minutes(stats: &bioxen_engine::vm::VmStats, tick_seconds: f64) -> Option<f64> {
    (stats.divisions > 0).then(|| stats.cycle_ticks_total as f64 / f64::from(stats.divisions) * tick_seconds / 60.0)
}

/// Jain's fairness index of `xs` (1 for an empty or all-zero list).
pub fn jain(xs: &[f64]) -> f64 {
    let sum: f64 = xs.iter().sum();
    let squares: f64 = xs.iter().map(|x| x * x).sum();
    if squares == 0.0 { 1.0 } else { sum * sum / (xs.len() as f64 * squares) }
}

/// The metrics of `sim` as it stands (normally finished): the run's, and each VM's in id
/// order.
pub fn of(run: &impl Finished) -> (RunMetrics, Vec<VmMetrics>) {
    let offered = run.host().hypervisor.offered;
    let share = |part: u64, whole: u64| if whole == 0 { 0.0 } else { part as f64 / whole as f64 };
    let tick_seconds = run.scenario().tick_seconds;
    let stats = |i: usize| run.vm(i).1;
    let ran = |i: &usize| run.vm(*i).1.running_ticks > 0;
    let vms: Vec<VmMetrics> = run
        .scenario()
        .vms
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let s = stats(i);
            VmMetrics {
                id: spec.id.clone(),
                proteins: s.proteins_made,
                atp_granted: s.granted.atp,
                ribosome_ticks: s.granted.ribosomes,
                demand_met: 0.5
                    * (demand_ratio(s.granted.atp, s.demanded.atp)
                        + demand_ratio(s.granted.ribosomes, s.demanded.ribosomes)),
                starved_ticks: s.starved_ticks,
                divisions: s.divisions,
                mean_doubling_minutes: mean_doubling_minutes(s, tick_seconds),
                dominant_share: share(s.granted.atp, offered.atp).max(share(s.granted.ribosomes, offered.ribosomes)),
            }
        })
        .collect();
    let n = vms.len();
    let demand_met: Vec<f64> = (0..n).filter(ran).map(|i| vms[i].demand_met).collect();
    let allocations = &run.host().allocations;
    let weighted_dominant: Vec<f64> =
        (0..n).filter(ran).map(|i| vms[i].dominant_share / f64::from(allocations[i].weight.max(1))).collect();
    let granted = bioxen_engine::resources::Resources::sum(&(0..n).map(|i| stats(i).granted).collect::<Vec<_>>());
    let metrics = RunMetrics {
        jain_fairness: jain(&demand_met),
        jain_dominant: jain(&weighted_dominant),
        atp_utilisation: share(granted.atp, offered.atp),
        ribosome_utilisation: share(granted.ribosomes, offered.ribosomes),
        worst_demand_met: demand_met.iter().copied().fold(1.0, f64::min),
        proteins_total: vms.iter().map(|v| v.proteins).sum(),
    };
    (metrics, vms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_is_one_for_equal_shares_and_one_over_n_for_a_monopoly() {
        assert_eq!(jain(&[0.5, 0.5, 0.5]), 1.0);
        assert!((jain(&[1.0, 0.0, 0.0, 0.0]) - 0.25).abs() < 1e-12);
        assert_eq!(jain(&[]), 1.0);
    }
}
