//! The hypervisor's rationing step: caps and reservations around a policy.
//!
//! For each running VM (in VM order): its demand is first cut to its cap; its reservation
//! is granted first (shared fairly if the pools cannot cover every reservation); the
//! policy then splits what is left over what each VM still asks for. So caps and
//! reservations mean the same under every policy, and a policy never sees an uncapped
//! demand.

use crate::policy::{AnyPolicy, Claim, Policy, waterfill::waterfill};
use crate::resources::{Resource, Resources};
use crate::rng::Stream;

/// One running VM's request for a tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// VM index in the scenario.
    pub vm: u32,
    /// What the VM's biology asks for.
    pub demand: Resources,
    /// The most it may receive (absolute, already resolved from percentages).
    pub cap: Resources,
    /// What it receives before anyone else, if it asks for it.
    pub reserve: Resources,
    /// Policy weight.
    pub weight: u32,
    /// Policy priority.
    pub priority: i32,
}

/// Grants for `requests` (sorted by VM index) from `pool` under `policy`.
///
/// Postconditions, asserted: each grant ≤ min(demand, cap); Σ grants ≤ pool.
pub fn ration(
    policy: &mut AnyPolicy,
    tick: u64,
    pool: Resources,
    requests: &[Request],
    rng: &mut Stream,
) -> Vec<Resources> {
    debug_assert!(requests.windows(2).all(|w| w[0].vm < w[1].vm), "requests out of VM order");
    let capped: Vec<Resources> = requests.iter().map(|r| r.demand.min(r.cap)).collect();
    let mut reserved = vec![Resources::ZERO; requests.len()];
    for res in Resource::ALL {
        let wants = |(r, c): (&Request, &Resources)| r.reserve.get(res).min(c.get(res));
        // Most runs reserve nothing: water-filling nothing grants nothing, so skip it.
        if requests.iter().zip(&capped).all(|rc| wants(rc) == 0) {
            continue;
        }
        let wanted: Vec<u64> = requests.iter().zip(&capped).map(wants).collect();
        for (g, amount) in reserved.iter_mut().zip(waterfill(pool.get(res), &wanted, &vec![1; wanted.len()])) {
            *g.get_mut(res) = amount;
        }
    }
    let left = pool - Resources::sum(&reserved);
    let claims: Vec<Claim> = requests
        .iter()
        .zip(capped.iter().zip(&reserved))
        .map(|(r, (c, g))| Claim { vm: r.vm, demand: *c - *g, weight: r.weight.max(1), priority: r.priority })
        .collect();
    let shares = policy.allocate(tick, left, &claims, rng);
    assert_eq!(shares.len(), claims.len(), "policy {:?} returned the wrong number of grants", policy.kind());
    let grants: Vec<Resources> = reserved.iter().zip(&shares).map(|(r, s)| *r + *s).collect();
    for (g, c) in grants.iter().zip(&capped) {
        assert!(g.fits_within(c), "policy {:?} granted {g:?} over the capped demand {c:?}", policy.kind());
    }
    assert!(Resources::sum(&grants).fits_within(&pool), "policy {:?} granted more than the pool", policy.kind());
    grants
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyKind, PolicyParams};
    use crate::rng::scheduler_stream;
    use proptest::prelude::*;

    fn requests() -> impl Strategy<Value = Vec<Request>> {
        proptest::collection::vec(
            ((0u64..100_000, 0u64..1_000), (0u64..100_000, 0u64..1_000), (0u64..50_000, 0u64..500), 1u32..100),
            0..16,
        )
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, ((da, dr), (ca, cr), (ra, rr), w))| Request {
                    vm: i as u32,
                    demand: Resources::new(da, dr, dr),
                    cap: Resources::new(ca, cr, u64::MAX),
                    reserve: Resources::new(ra, rr, 0),
                    weight: w,
                    priority: (i % 3) as i32,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn caps_and_reservations_hold_under_every_policy(reqs in requests(), pool in (0u64..400_000, 0u64..4_000)) {
            let pool = Resources::new(pool.0, pool.1, pool.1);
            let reserved_total = Resources::sum(&reqs.iter().map(|r| r.reserve.min(r.demand.min(r.cap))).collect::<Vec<_>>());
            for kind in PolicyKind::ALL {
                let mut policy = AnyPolicy::new(kind, PolicyParams::default());
                let grants = ration(&mut policy, 0, pool, &reqs, &mut scheduler_stream(1));
                for (g, r) in grants.iter().zip(&reqs) {
                    prop_assert!(g.fits_within(&r.cap));
                    prop_assert!(g.fits_within(&r.demand));
                    // A reservation the pools can cover is always honoured.
                    if reserved_total.fits_within(&pool) {
                        prop_assert!(r.reserve.min(r.demand.min(r.cap)).fits_within(g), "{}: reservation broken", kind.name());
                    }
                }
            }
        }
    }
}
