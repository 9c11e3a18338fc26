//! Scheduling policies: how the hypervisor splits a tick's pools among running VMs.
//!
//! Every policy implements [`Policy`]: given the pools left after reservations and the
//! claims (residual demand, weight, priority) of the running VMs in VM order, it returns a
//! grant per claim. The scheduler (`crate::scheduler`) applies caps and reservations
//! around it, so policies only ever see claims that are already capped.
//!
//! Grants are integers, and every policy but DRF computes them in integers; DRF finds its
//! fill level by bisection in f64 (IEEE arithmetic only, summed in VM order, so the same
//! on every machine) and rounds down. Policies may keep state between ticks (stride's
//! passes, credit's balances); that state is part of a checkpoint and is checked against
//! the scenario when restored (`AnyPolicy::check`). The only randomness a policy may use
//! is the scheduler's stream it is handed.

mod credit;
mod drf;
mod lottery;
mod priority;
mod round_robin;
mod stride;
pub(crate) mod waterfill;

pub use credit::Credit;
pub use drf::DominantResourceFairness;
pub use lottery::Lottery;
pub use priority::StrictPriority;
pub use round_robin::RoundRobin;
pub use stride::Stride;

use crate::resources::{Resource, Resources};
use crate::rng::Stream;
use serde::{Deserialize, Serialize};
use waterfill::waterfill;

/// One running VM's claim on this tick's pools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The VM's index in the scenario (VMs sorted by id).
    pub vm: u32,
    /// What it still asks for after its reservation.
    pub demand: Resources,
    /// Relative share (≥ 1).
    pub weight: u32,
    /// Higher is served first by the priority policy.
    pub priority: i32,
}

/// A scheduling policy.
pub trait Policy {
    /// Splits `pool` among `claims` (sorted by VM index). The result has one grant per
    /// claim, each within its claim's demand, and sums to at most `pool`.
    fn allocate(&mut self, tick: u64, pool: Resources, claims: &[Claim], rng: &mut Stream) -> Vec<Resources>;
}

/// The policies, by CLI name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    /// Max-min fair share.
    Fair,
    /// Weighted proportional share.
    Proportional,
    /// Strict priority.
    Priority,
    /// Round robin with a quantum in ticks.
    RoundRobin,
    /// Lottery scheduling.
    Lottery,
    /// Stride scheduling.
    Stride,
    /// Dominant Resource Fairness.
    Drf,
    /// Xen-style credit.
    Credit,
}

impl PolicyKind {
    /// Every policy, in CLI order.
    pub const ALL: [PolicyKind; 8] = [
        PolicyKind::Fair,
        PolicyKind::Proportional,
        PolicyKind::Priority,
        PolicyKind::RoundRobin,
        PolicyKind::Lottery,
        PolicyKind::Stride,
        PolicyKind::Drf,
        PolicyKind::Credit,
    ];

    /// The CLI and scenario name.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Fair => "fair",
            PolicyKind::Proportional => "proportional",
            PolicyKind::Priority => "priority",
            PolicyKind::RoundRobin => "round-robin",
            PolicyKind::Lottery => "lottery",
            PolicyKind::Stride => "stride",
            PolicyKind::Drf => "drf",
            PolicyKind::Credit => "credit",
        }
    }

    /// Parses a CLI or scenario name.
    pub fn from_name(name: &str) -> Option<PolicyKind> {
        PolicyKind::ALL.into_iter().find(|p| p.name() == name)
    }

    /// One line: what it does and where it comes from.
    pub fn summary(self) -> &'static str {
        match self {
            PolicyKind::Fair => "max-min fair share by water-filling, each resource alone (Bertsekas & Gallager 1992)",
            PolicyKind::Proportional => {
                "weighted max-min share in proportion to VM weight (Demers, Keshav & Shenker 1989)"
            }
            PolicyKind::Priority => {
                "highest priority served first, fair share within a priority level (strict priority)"
            }
            PolicyKind::RoundRobin => {
                "one VM served first for `quantum_ticks`, then the next (BioXen_jcvi_vm_lib's behaviour)"
            }
            PolicyKind::Lottery => {
                "resource quanta won by weighted draws from the scheduler's stream (Waldspurger & Weihl 1994)"
            }
            PolicyKind::Stride => "deterministic proportional share by lowest pass (Waldspurger & Weihl 1995)",
            PolicyKind::Drf => {
                "Dominant Resource Fairness over ATP and ribosomes, progressive filling (Ghodsi et al. 2011)"
            }
            PolicyKind::Credit => {
                "Xen credit: weighted credits per accounting period, UNDER before OVER (Cherkasova et al. 2007)"
            }
        }
    }

    /// Whether the policy hands out everything that is asked for while the pool lasts.
    /// DRF is not: it stops when a VM's dominant resource runs out, even if others remain.
    pub fn work_conserving(self) -> bool {
        self != PolicyKind::Drf
    }
}

/// Tunables of the policies that have any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyParams {
    /// Round robin: ticks a VM stays first in line. It counts ticks, not seconds: the same
    /// value is a longer turn in simulated time with longer ticks.
    pub quantum_ticks: u32,
    /// Lottery and stride: resource quanta per claiming VM per tick (granularity).
    pub quanta_per_vm: u32,
    /// Credit: ticks per accounting period (Xen's is 30 ms of 10 ms ticks; we keep 30). It
    /// counts ticks, not seconds, as `quantum_ticks` does.
    pub credit_period_ticks: u32,
}

impl Default for PolicyParams {
    fn default() -> Self {
        PolicyParams { quantum_ticks: 10, quanta_per_vm: 4, credit_period_ticks: 30 }
    }
}

/// Any policy with its state: what the scheduler holds and checkpoints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AnyPolicy {
    /// See [`PolicyKind::Fair`].
    Fair,
    /// See [`PolicyKind::Proportional`].
    Proportional,
    /// See [`PolicyKind::Priority`].
    Priority(StrictPriority),
    /// See [`PolicyKind::RoundRobin`].
    RoundRobin(RoundRobin),
    /// See [`PolicyKind::Lottery`].
    Lottery(Lottery),
    /// See [`PolicyKind::Stride`].
    Stride(Stride),
    /// See [`PolicyKind::Drf`].
    Drf(DominantResourceFairness),
    /// See [`PolicyKind::Credit`].
    Credit(Credit),
}

impl AnyPolicy {
    /// A fresh policy of `kind`.
    pub fn new(kind: PolicyKind, params: PolicyParams) -> AnyPolicy {
        match kind {
            PolicyKind::Fair => AnyPolicy::Fair,
            PolicyKind::Proportional => AnyPolicy::Proportional,
            PolicyKind::Priority => AnyPolicy::Priority(StrictPriority),
            PolicyKind::RoundRobin => AnyPolicy::RoundRobin(RoundRobin::new(params.quantum_ticks)),
            PolicyKind::Lottery => AnyPolicy::Lottery(Lottery::new(params.quanta_per_vm)),
            PolicyKind::Stride => AnyPolicy::Stride(Stride::new(params.quanta_per_vm)),
            PolicyKind::Drf => AnyPolicy::Drf(DominantResourceFairness),
            PolicyKind::Credit => AnyPolicy::Credit(Credit::new(params.credit_period_ticks)),
        }
    }

    /// Checks state restored from untrusted bytes against the scenario: the same policy,
    /// with the scenario's parameters, holding state for at most `vms` VMs.
    pub(crate) fn check(&self, kind: PolicyKind, params: &PolicyParams, vms: usize) -> Result<(), String> {
        if self.kind() != kind {
            return Err(format!(
                "the policy state is {}'s, the scenario's policy is {}",
                self.kind().name(),
                kind.name()
            ));
        }
        match self {
            AnyPolicy::RoundRobin(p) => p.check(params.quantum_ticks),
            AnyPolicy::Lottery(p) => p.check(params.quanta_per_vm),
            AnyPolicy::Stride(p) => p.check(params.quanta_per_vm, vms),
            AnyPolicy::Credit(p) => p.check(params.credit_period_ticks, vms),
            AnyPolicy::Fair | AnyPolicy::Proportional | AnyPolicy::Priority(_) | AnyPolicy::Drf(_) => Ok(()),
        }
    }

    /// Which policy this is.
    pub(crate) fn kind(&self) -> PolicyKind {
        match self {
            AnyPolicy::Fair => PolicyKind::Fair,
            AnyPolicy::Proportional => PolicyKind::Proportional,
            AnyPolicy::Priority(_) => PolicyKind::Priority,
            AnyPolicy::RoundRobin(_) => PolicyKind::RoundRobin,
            AnyPolicy::Lottery(_) => PolicyKind::Lottery,
            AnyPolicy::Stride(_) => PolicyKind::Stride,
            AnyPolicy::Drf(_) => PolicyKind::Drf,
            AnyPolicy::Credit(_) => PolicyKind::Credit,
        }
    }
}

impl Policy for AnyPolicy {
    fn allocate(&mut self, tick: u64, pool: Resources, claims: &[Claim], rng: &mut Stream) -> Vec<Resources> {
        match self {
            AnyPolicy::Fair => water_fill_each(pool, claims, false),
            AnyPolicy::Proportional => water_fill_each(pool, claims, true),
            AnyPolicy::Priority(p) => p.allocate(tick, pool, claims, rng),
            AnyPolicy::RoundRobin(p) => p.allocate(tick, pool, claims, rng),
            AnyPolicy::Lottery(p) => p.allocate(tick, pool, claims, rng),
            AnyPolicy::Stride(p) => p.allocate(tick, pool, claims, rng),
            AnyPolicy::Drf(p) => p.allocate(tick, pool, claims, rng),
            AnyPolicy::Credit(p) => p.allocate(tick, pool, claims, rng),
        }
    }
}

/// Claim weights as `u64`.
pub(crate) fn weights(claims: &[Claim]) -> Vec<u64> {
    claims.iter().map(|c| u64::from(c.weight.max(1))).collect()
}

/// Fair share (`weighted` false) and proportional share: each resource water-filled alone
/// ([`waterfill`]). A resource whose claims all fit its pool grants every demand, which is
/// what water-filling returns then, without the three vectors of a word per claim it
/// would build (~24 bytes a VM at the tick's peak of memory, in the common uncontended
/// case).
fn water_fill_each(pool: Resources, claims: &[Claim], weighted: bool) -> Vec<Resources> {
    let mut grants: Vec<Resources> = claims.iter().map(|c| c.demand).collect();
    for r in Resource::ALL {
        let total = claims.iter().try_fold(0u64, |acc, c| acc.checked_add(c.demand.get(r)));
        if total.is_some_and(|t| t <= pool.get(r)) {
            continue;
        }
        let demands: Vec<u64> = claims.iter().map(|c| c.demand.get(r)).collect();
        let weights = if weighted { weights(claims) } else { vec![1; claims.len()] };
        for (g, amount) in grants.iter_mut().zip(waterfill(pool.get(r), &demands, &weights)) {
            *g.get_mut(r) = amount;
        }
    }
    grants
}

/// Runs a single-resource allocator on each resource in turn.
pub(crate) fn per_resource(
    pool: Resources,
    claims: &[Claim],
    mut split: impl FnMut(u64, &[u64]) -> Vec<u64>,
) -> Vec<Resources> {
    let mut grants = vec![Resources::ZERO; claims.len()];
    for r in Resource::ALL {
        let demands: Vec<u64> = claims.iter().map(|c| c.demand.get(r)).collect();
        for (g, amount) in grants.iter_mut().zip(split(pool.get(r), &demands)) {
            *g.get_mut(r) = amount;
        }
    }
    grants
}

/// Size of one quantum for lottery and stride: the pool cut into `quanta_per_vm` pieces
/// per claimant, at least one unit. Handing out quanta until the pool or the demand runs
/// out then takes at most `quanta + claimants + 1` rounds.
pub(crate) fn quantum_size(pool: u64, claimants: usize, quanta_per_vm: u32) -> u64 {
    let quanta = (claimants as u64).saturating_mul(u64::from(quanta_per_vm.max(1))).max(1);
    pool.div_ceil(quanta).max(1)
}

#[cfg(test)]
mod tests;
