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

/// Grants for `requests` (sorted by VM index) from `pool` under `policy`, one per request.
/// `requests` makes the requests afresh each time it is called, so none is kept: at scale,
/// a vector of them would be the tick's largest (88 bytes a VM).
///
/// Postconditions, asserted: each grant ≤ min(demand, cap); Σ grants ≤ pool.
/// `claims` is a reusable buffer (its contents are replaced): 40 bytes a VM made and
/// freed every tick cost ~1,000 page faults a tick at 100,000 VMs once the allocator had
/// gone over to mapping it afresh each time.
pub fn ration<I: Iterator<Item = Request>>(
    policy: &mut AnyPolicy,
    tick: u64,
    pool: Resources,
    requests: impl Fn() -> I,
    rng: &mut Stream,
    claims: &mut Vec<Claim>,
) -> Vec<Resources> {
    // Each claim asks first for its capped demand; its reservation, if any, is taken out below.
    let mut reserving = false;
    claims.clear();
    claims.extend(requests().map(|r| {
        reserving |= r.reserve != Resources::ZERO;
        Claim { vm: r.vm, demand: r.demand.min(r.cap), weight: r.weight.max(1), priority: r.priority }
    }));
    debug_assert!(claims.windows(2).all(|w| w[0].vm < w[1].vm), "requests out of VM order");
    // The requests are made again only if someone reserves something (few runs do).
    let reserved = if reserving { reservations(pool, &requests, claims) } else { None };
    if let Some(reserved) = &reserved {
        for (c, g) in claims.iter_mut().zip(reserved) {
            c.demand = c.demand - *g;
        }
    }
    let left = pool - reserved.as_deref().map_or(Resources::ZERO, Resources::sum);
    let mut grants = policy.allocate(tick, left, claims, rng);
    assert_eq!(grants.len(), claims.len(), "policy {:?} returned the wrong number of grants", policy.kind());
    for (i, (g, c)) in grants.iter_mut().zip(claims.iter()).enumerate() {
        assert!(g.fits_within(&c.demand), "policy {:?} granted {g:?} over the demand {:?}", policy.kind(), c.demand);
        *g += reserved.as_ref().map_or(Resources::ZERO, |r| r[i]);
    }
    assert!(Resources::sum(&grants).fits_within(&pool), "policy {:?} granted more than the pool", policy.kind());
    grants
}

/// What each claim receives before the policy runs: its reservation, up to its capped
/// demand, water-filled per resource when the pool cannot cover them all. `None` when
/// nobody reserves anything, as in most runs: then nothing need be water-filled or kept.
fn reservations<I: Iterator<Item = Request>>(
    pool: Resources,
    requests: &impl Fn() -> I,
    claims: &[Claim],
) -> Option<Vec<Resources>> {
    let mut reserved: Option<Vec<Resources>> = None;
    for res in Resource::ALL {
        let wants = |(r, c): (Request, &Claim)| r.reserve.get(res).min(c.demand.get(res));
        if requests().zip(claims).all(|rc| wants(rc) == 0) {
            continue;
        }
        let wanted: Vec<u64> = requests().zip(claims).map(wants).collect();
        let reserved = reserved.get_or_insert_with(|| vec![Resources::ZERO; claims.len()]);
        for (g, amount) in reserved.iter_mut().zip(waterfill(pool.get(res), &wanted, &vec![1; wanted.len()])) {
            *g.get_mut(res) = amount;
        }
    }
    reserved
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
                let grants = ration(&mut policy, 0, pool, || reqs.iter().copied(), &mut scheduler_stream(1), &mut Vec::new());
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
