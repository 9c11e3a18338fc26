//! Xen's credit scheduler (Cherkasova, Gupta & Vahdat 2007, "Comparison of the three CPU
//! schedulers in Xen"; Xen's sched_credit.c): every accounting period each running VM is
//! credited its weight's share of the period's resources; a grant debits its dominant
//! share of the pools. VMs with credit left (UNDER) are served first, by weight; VMs in
//! debt (OVER) share what remains, so nothing idles while anyone asks. Xen's per-VM cap is
//! the scenario's cap, which the scheduler applies to every policy.

use super::{Claim, Policy, per_resource, waterfill::waterfill, weights};
use crate::resources::{Resource, Resources};
use crate::rng::Stream;
use serde::{Deserialize, Serialize};

/// Credit for consuming a whole pool for one tick.
const CREDIT_PER_POOL_TICK: i64 = 1_000_000;

/// The credit policy and its balances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    period_ticks: u32,
    /// Balance per VM index.
    credits: Vec<i64>,
}

impl Credit {
    /// A credit scheduler with accounting periods of `period_ticks`.
    pub(crate) fn new(period_ticks: u32) -> Credit {
        Credit { period_ticks: period_ticks.max(1), credits: Vec::new() }
    }

    /// Checks restored state: the scenario's period, one balance per VM at most, each
    /// within what a period can leave (±2 periods' credit).
    pub(crate) fn check(&self, period_ticks: u32, vms: usize) -> Result<(), String> {
        let bound = 2 * i64::from(period_ticks) * CREDIT_PER_POOL_TICK;
        if self.period_ticks != period_ticks || self.credits.len() > vms {
            return Err("credit state for another period or more VMs".into());
        }
        if self.credits.iter().any(|b| b.abs() > bound) {
            return Err("a credit balance beyond two periods' credit".into());
        }
        Ok(())
    }
}

impl Policy for Credit {
    fn allocate(&mut self, tick: u64, pool: Resources, claims: &[Claim], _rng: &mut Stream) -> Vec<Resources> {
        let max_vm = claims.iter().map(|c| c.vm as usize + 1).max().unwrap_or(0);
        if self.credits.len() < max_vm {
            self.credits.resize(max_vm, 0);
        }
        let w = weights(claims);
        let weight_total: u64 = w.iter().sum();
        if tick.is_multiple_of(u64::from(self.period_ticks.max(1))) && weight_total > 0 {
            let period = i128::from(self.period_ticks) * i128::from(CREDIT_PER_POOL_TICK);
            for (c, &wi) in claims.iter().zip(&w) {
                // Balances are clamped to one period's entitlement either way, as Xen does,
                // so neither hoarded credit nor old debt dominates. In i128: period × weight
                // reaches 6.6 × 10¹⁶ at the bounds (scenario::limits), and the share is at
                // most a period's credit, which fits an i64.
                let entitlement = (period * i128::from(wi) / i128::from(weight_total)) as i64;
                let balance = &mut self.credits[c.vm as usize];
                *balance = balance.saturating_add(entitlement).clamp(-entitlement, entitlement);
            }
        }
        let under: Vec<bool> = claims.iter().map(|c| self.credits[c.vm as usize] > 0).collect();
        let grants = per_resource(pool, claims, |total, demands| {
            let mut grants = vec![0u64; demands.len()];
            let mut left = total;
            for class in [true, false] {
                let members: Vec<usize> = (0..demands.len()).filter(|&i| under[i] == class).collect();
                let d: Vec<u64> = members.iter().map(|&i| demands[i]).collect();
                let mw: Vec<u64> = members.iter().map(|&i| w[i]).collect();
                for (&i, g) in members.iter().zip(waterfill(left, &d, &mw)) {
                    grants[i] = g;
                    left -= g;
                }
            }
            grants
        });
        for (c, g) in claims.iter().zip(&grants) {
            let dominant = Resource::ALL
                .iter()
                .filter(|&&r| pool.get(r) > 0)
                .map(|&r| (u128::from(g.get(r)) * CREDIT_PER_POOL_TICK as u128 / u128::from(pool.get(r))) as i64)
                .max()
                .unwrap_or(0);
            let balance = &mut self.credits[c.vm as usize];
            *balance = balance.saturating_sub(dominant);
        }
        grants
    }
}
