//! The hypervisor's side of a tick: the chassis' ATP store, the policy with its state, and
//! the scheduler's random stream. Every runtime (the sequential engine, the actor
//! scheduler) rations through this one type, so they cannot differ.

use crate::chassis::Chassis;
use crate::policy::{AnyPolicy, Claim};
use crate::resources::Resources;
use crate::rng::{Stream, scheduler_stream, serde_stream};
use crate::rounding::floor_u64;
use crate::scenario::{Allocation, Scenario};
use crate::scheduler::{Request, ration};
use serde::{Deserialize, Serialize};

/// The scheduler's state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Hypervisor {
    /// ATP the chassis store carried over from the last tick (at most its `atp_store_max`).
    pub(crate) atp_store: u64,
    /// The policy and its state.
    pub policy: AnyPolicy,
    /// The scheduler's stream.
    #[serde(with = "serde_stream")]
    pub(crate) rng: Stream,
    /// Pools offered to the guests, summed over the ticks run (for utilisation metrics;
    /// part of the state, not of any record).
    pub offered: Resources,
    /// The scheduler's reusable buffer of claims ([`crate::tick::ration`]): no state, never saved.
    #[serde(skip)]
    claims: Vec<Claim>,
}

impl Hypervisor {
    /// The hypervisor at tick 0: a full ATP store, a fresh policy, the seed's stream.
    pub(crate) fn new(scenario: &Scenario) -> Hypervisor {
        Hypervisor {
            atp_store: scenario.chassis.atp_store_max,
            policy: AnyPolicy::new(scenario.policy, scenario.policy_params),
            rng: scheduler_stream(scenario.seed),
            offered: Resources::ZERO,
            claims: Vec::new(),
        }
    }

    /// The pools offered to the guests for one tick. ATP is a flow: what the chassis makes
    /// this tick, less the host's reserve (which the host uses), plus what the store
    /// carried over from earlier ticks. Capping the store before the offer would starve a
    /// guest whenever one tick's use exceeds the store (a 10-second tick of an E. coli
    /// guest uses ~33 M ATP, the store holds 5.8 M), making growth depend on the tick
    /// length; the cap applies only to what is left over ([`Hypervisor::ration_in_place`]).
    /// Ribosomes and RNAP are counts engaged for the tick, less the host's reserve.
    pub(crate) fn offer(&mut self, chassis: &Chassis, tick_seconds: f64) -> Resources {
        let share = |amount: u64, reserve: f64| (amount as f64 * (1.0 - reserve)).floor() as u64;
        let made = share((chassis.atp_per_s as f64 * tick_seconds).floor() as u64, chassis.reserve_fraction);
        let pool = Resources {
            atp: self.atp_store.saturating_add(made),
            ribosomes: share(chassis.ribosomes, chassis.ribosome_reserve_fraction),
            rnap: share(chassis.rnap, chassis.reserve_fraction),
        };
        // Utilisation is measured against what was made for the guests: the store would
        // otherwise be counted again every tick it is carried.
        self.offered += Resources { atp: made, ..pool };
        pool
    }

    /// Rations `pool` among the running VMs: `slots[i]` holds VM `i`'s demand if it runs,
    /// and is given its grant in its place (one vector of a slot per VM, not two, at the
    /// tick's peak of memory: 32 bytes a VM). The ATP offered and not granted carries over
    /// in the store, up to what the cell can hold (`store_max`). Requests are built and
    /// rationed in VM order, whatever order the demands arrived in.
    pub(crate) fn ration_in_place(
        &mut self,
        tick: u64,
        pool: Resources,
        slots: &mut [Option<Resources>],
        allocations: &[Allocation],
        store_max: u64,
    ) {
        let demands = &*slots;
        let requests =
            || demands.iter().zip(allocations).enumerate().filter_map(|(i, (d, a))| d.map(|d| request(i, d, a, pool)));
        let mut grants = ration(&mut self.policy, tick, pool, requests, &mut self.rng, &mut self.claims).into_iter();
        let mut used = 0u64;
        for slot in slots.iter_mut().filter(|s| s.is_some()) {
            *slot = grants.next();
            used += slot.map_or(0, |g| g.atp);
        }
        self.atp_store = pool.atp.saturating_sub(used).min(store_max);
    }
}

/// VM `vm`'s request: its demand with its allocation's caps and reservations resolved
/// against this tick's pools.
fn request(vm: usize, demand: Resources, a: &Allocation, pool: Resources) -> Request {
    let percent_of = |amount: u64, pct: f64| floor_u64(amount as f64 * pct / 100.0);
    Request {
        vm: vm as u32,
        demand,
        cap: Resources::new(percent_of(pool.atp, a.atp_cap_percent), a.ribosome_cap.unwrap_or(u64::MAX), u64::MAX),
        reserve: Resources::new(percent_of(pool.atp, a.atp_reserve_percent), a.ribosome_reserve, 0),
        weight: a.weight,
        priority: a.priority,
    }
}
