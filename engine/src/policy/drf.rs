//! Dominant Resource Fairness (Ghodsi et al. 2011, NSDI) over ATP and ribosomes.
//!
//! A VM's dominant share is the largest fraction of a pool (ATP or ribosomes) its grant
//! takes. Progressive filling raises every VM's weighted dominant share together, each VM
//! receiving its demand vector in proportion, until a pool runs out; the VMs that need the
//! exhausted pool stop, the rest go on. RNA polymerase, which the paper's two-resource
//! setting leaves out, is split by max-min fair share.
//!
//! DRF is not work-conserving: once a VM's dominant resource is gone it takes no more of
//! the other, and what it would have taken stays idle.

use super::{Claim, Policy, waterfill::waterfill};
use crate::resources::{Resource, Resources};
use crate::rng::Stream;
use serde::{Deserialize, Serialize};

/// The DRF policy (stateless).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DominantResourceFairness;

const DRF_RESOURCES: [Resource; 2] = [Resource::Atp, Resource::Ribosomes];
/// Bisection steps: 2^-80 of the range is far below one molecule.
const BISECTION_STEPS: u32 = 80;

impl Policy for DominantResourceFairness {
    fn allocate(&mut self, _tick: u64, pool: Resources, claims: &[Claim], _rng: &mut Stream) -> Vec<Resources> {
        let n = claims.len();
        // Dominant share of each VM's whole demand, per unit of weight.
        let dominant: Vec<f64> = claims
            .iter()
            .map(|c| {
                DRF_RESOURCES.iter().map(|&r| share(c.demand.get(r), pool.get(r))).fold(0.0, f64::max)
                    / f64::from(c.weight.max(1))
            })
            .collect();
        let fractions = fill(pool, claims, &dominant);
        let mut grants: Vec<Resources> = claims
            .iter()
            .zip(&fractions)
            .map(|(c, &x)| {
                let part = |r: Resource| ((c.demand.get(r) as f64 * x).floor() as u64).min(c.demand.get(r));
                Resources::new(part(Resource::Atp), part(Resource::Ribosomes), 0)
            })
            .collect();
        // Floating-point sums can overshoot a pool by a unit; take it back in VM order.
        for r in DRF_RESOURCES {
            let mut excess = grants.iter().map(|g| g.get(r)).sum::<u64>().saturating_sub(pool.get(r));
            for g in grants.iter_mut() {
                let take = excess.min(g.get(r));
                *g.get_mut(r) -= take;
                excess -= take;
            }
        }
        let rnap_demands: Vec<u64> = claims.iter().map(|c| c.demand.rnap).collect();
        for (g, rnap) in grants.iter_mut().zip(waterfill(pool.rnap, &rnap_demands, &vec![1; n])) {
            g.rnap = rnap;
        }
        grants
    }
}

/// Progressive filling: the fraction of its demand each VM gets. Every VM's weighted
/// dominant share rises together until a pool runs out; the VMs that need it stop there,
/// the rest go on. At most one round per resource plus one: each round freezes every VM
/// using a newly exhausted pool, or finishes.
fn fill(pool: Resources, claims: &[Claim], dominant: &[f64]) -> Vec<f64> {
    let n = claims.len();
    // `None` while a VM is still filling.
    let mut fixed: Vec<Option<f64>> = dominant.iter().map(|&d| if d > 0.0 { None } else { Some(0.0) }).collect();
    let usage = |level: f64, fixed: &[Option<f64>], r: Resource| -> f64 {
        (0..n)
            .map(|i| fixed[i].unwrap_or_else(|| (level / dominant[i]).min(1.0)) * claims[i].demand.get(r) as f64)
            .sum()
    };
    let fits =
        |level: f64, fixed: &[Option<f64>]| DRF_RESOURCES.iter().all(|&r| usage(level, fixed, r) <= pool.get(r) as f64);
    for _ in 0..=DRF_RESOURCES.len() {
        let filling: Vec<usize> = (0..n).filter(|&i| fixed[i].is_none()).collect();
        if filling.is_empty() {
            break;
        }
        let top = filling.iter().map(|&i| dominant[i]).fold(0.0, f64::max);
        let level = if fits(top, &fixed) {
            top
        } else {
            let (mut lo, mut hi) = (0.0, top);
            for _ in 0..BISECTION_STEPS {
                let mid = 0.5 * (lo + hi);
                if fits(mid, &fixed) { lo = mid } else { hi = mid }
            }
            lo
        };
        let exhausted: Vec<Resource> = DRF_RESOURCES
            .into_iter()
            .filter(|&r| usage(level, &fixed, r) >= pool.get(r) as f64 * (1.0 - 1e-12))
            .collect();
        for &i in &filling {
            let x = (level / dominant[i]).min(1.0);
            if x >= 1.0 || exhausted.iter().any(|&r| claims[i].demand.get(r) > 0) {
                fixed[i] = Some(x);
            }
        }
        if exhausted.is_empty() {
            break;
        }
    }
    fixed.into_iter().map(|x| x.unwrap_or(0.0)).collect()
}

fn share(amount: u64, pool: u64) -> f64 {
    match (amount, pool) {
        (0, _) => 0.0,
        (_, 0) => f64::INFINITY,
        _ => amount as f64 / pool as f64,
    }
}
