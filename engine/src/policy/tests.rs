//! Property tests every policy must pass.

use super::*;
use crate::rng::scheduler_stream;
use proptest::prelude::*;

fn claims_strategy() -> impl Strategy<Value = Vec<Claim>> {
    proptest::collection::vec(((0u64..2_000_000, 0u64..5_000, 0u64..300), 1u32..1000, -3i32..4), 0..24).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, ((atp, ribosomes, rnap), weight, priority))| Claim {
                vm: (i * 3) as u32,
                demand: Resources::new(atp, ribosomes, rnap),
                weight,
                priority,
            })
            .collect()
    })
}

fn pool_strategy() -> impl Strategy<Value = Resources> {
    (0u64..20_000_000, 0u64..40_000, 0u64..3_000).prop_map(|(a, r, p)| Resources::new(a, r, p))
}

fn run(kind: PolicyKind, ticks: u64, pool: Resources, claims: &[Claim], seed: u64) -> Vec<Vec<Resources>> {
    let mut policy = AnyPolicy::new(kind, PolicyParams::default());
    let mut rng = scheduler_stream(seed);
    (0..ticks).map(|t| policy.allocate(t, pool, claims, &mut rng)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn grants_stay_within_pool_and_request(pool in pool_strategy(), claims in claims_strategy(), seed in any::<u64>()) {
        for kind in PolicyKind::ALL {
            for grants in run(kind, 3, pool, &claims, seed) {
                prop_assert_eq!(grants.len(), claims.len());
                for (g, c) in grants.iter().zip(&claims) {
                    prop_assert!(g.fits_within(&c.demand), "{}: grant {:?} over demand {:?}", kind.name(), g, c.demand);
                }
                prop_assert!(Resources::sum(&grants).fits_within(&pool), "{}: over the pool", kind.name());
            }
        }
    }

    #[test]
    fn work_conserving_policies_leave_nothing_idle(pool in pool_strategy(), claims in claims_strategy(), seed in any::<u64>()) {
        for kind in PolicyKind::ALL.into_iter().filter(|k| k.work_conserving()) {
            for grants in run(kind, 3, pool, &claims, seed) {
                let total = Resources::sum(&grants);
                for r in crate::resources::Resource::ALL {
                    let asked: u64 = claims.iter().map(|c| c.demand.get(r)).sum();
                    prop_assert_eq!(total.get(r), asked.min(pool.get(r)), "{} idles {}", kind.name(), r.name());
                }
            }
        }
    }

    #[test]
    fn same_inputs_same_grants(pool in pool_strategy(), claims in claims_strategy(), seed in any::<u64>()) {
        for kind in PolicyKind::ALL {
            prop_assert_eq!(run(kind, 4, pool, &claims, seed), run(kind, 4, pool, &claims, seed));
        }
    }

    #[test]
    fn drf_equalises_dominant_shares_of_the_unsatisfied(pool in pool_strategy(), claims in claims_strategy()) {
        let grants = run(PolicyKind::Drf, 1, pool, &claims, 0).remove(0);
        // Pareto: if some VM got less than it asked, some pool it needs is (nearly) exhausted.
        for (g, c) in grants.iter().zip(&claims) {
            let short = [Resource::Atp, Resource::Ribosomes].iter().any(|&r| g.get(r) < c.demand.get(r));
            if short {
                let exhausted = [Resource::Atp, Resource::Ribosomes].iter().any(|&r| {
                    c.demand.get(r) > 0 && Resources::sum(&grants).get(r) + claims.len() as u64 + 1 >= pool.get(r)
                });
                prop_assert!(exhausted, "DRF left {:?} short with pools to spare", c);
            }
        }
    }
}

#[test]
fn proportional_follows_weights_and_priority_follows_levels() {
    let claims = [
        Claim { vm: 0, demand: Resources::new(1000, 1000, 1000), weight: 1, priority: 0 },
        Claim { vm: 1, demand: Resources::new(1000, 1000, 1000), weight: 3, priority: 5 },
    ];
    let pool = Resources::new(400, 400, 400);
    let p = run(PolicyKind::Proportional, 1, pool, &claims, 0).remove(0);
    assert_eq!((p[0].atp, p[1].atp), (100, 300));
    let p = run(PolicyKind::Priority, 1, pool, &claims, 0).remove(0);
    assert_eq!((p[0].atp, p[1].atp), (0, 400));
}

#[test]
fn stride_and_lottery_converge_to_weights_over_time() {
    let claims = [
        Claim { vm: 0, demand: Resources::new(1_000, 0, 0), weight: 100, priority: 0 },
        Claim { vm: 1, demand: Resources::new(1_000, 0, 0), weight: 300, priority: 0 },
    ];
    let pool = Resources::new(400, 0, 0);
    for kind in [PolicyKind::Stride, PolicyKind::Lottery, PolicyKind::Credit] {
        let ticks = run(kind, 200, pool, &claims, 9);
        let first: u64 = ticks.iter().map(|g| g[0].atp).sum();
        let second: u64 = ticks.iter().map(|g| g[1].atp).sum();
        let ratio = second as f64 / first as f64;
        assert!((2.5..3.5).contains(&ratio), "{}: ratio {ratio}", kind.name());
    }
}

#[test]
fn round_robin_rotates_every_quantum() {
    let claims = [
        Claim { vm: 0, demand: Resources::new(10, 0, 0), weight: 1, priority: 0 },
        Claim { vm: 1, demand: Resources::new(10, 0, 0), weight: 1, priority: 0 },
    ];
    let ticks = run(PolicyKind::RoundRobin, 20, Resources::new(10, 0, 0), &claims, 0);
    assert_eq!(ticks[0][0].atp, 10);
    assert_eq!(ticks[9][0].atp, 10);
    assert_eq!(ticks[10][1].atp, 10);
    assert_eq!(ticks[10][0].atp, 0);
}
