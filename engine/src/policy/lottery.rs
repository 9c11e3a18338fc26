//! Lottery scheduling (Waldspurger & Weihl 1994, OSDI): each resource is cut into quanta and
//! each quantum goes to a winner drawn with probability proportional to its tickets (its
//! weight) among the VMs still wanting that resource. Draws come from the scheduler's
//! stream, in VM order, so the outcome is a function of the seed alone.

use super::{Claim, Policy, quantum_size};
use crate::fenwick::Fenwick;
use crate::resources::{Resource, Resources};
use crate::rng::Stream;
use crate::sample::below;
use serde::{Deserialize, Serialize};

/// The lottery policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lottery {
    quanta_per_vm: u32,
}

impl Lottery {
    /// A lottery cutting each pool into `quanta_per_vm` quanta per claimant.
    pub fn new(quanta_per_vm: u32) -> Lottery {
        Lottery { quanta_per_vm: quanta_per_vm.max(1) }
    }
}

impl Policy for Lottery {
    fn allocate(&mut self, _tick: u64, pool: Resources, claims: &[Claim], rng: &mut Stream) -> Vec<Resources> {
        let mut grants = vec![Resources::ZERO; claims.len()];
        for r in Resource::ALL {
            let mut wanting: Vec<u64> = claims.iter().map(|c| c.demand.get(r)).collect();
            // Weights are capped at i32::MAX tickets so a ticket count fits the tree's
            // signed updates; scenario weights are far below that.
            let tickets: Vec<u32> = claims
                .iter()
                .zip(&wanting)
                .map(|(c, &w)| if w > 0 { c.weight.clamp(1, i32::MAX as u32) } else { 0 })
                .collect();
            let mut draw = Fenwick::from_counts(&tickets);
            let mut left = pool.get(r);
            let quantum = quantum_size(left, claims.len(), self.quanta_per_vm);
            while left > 0 && draw.total() > 0 {
                let winner = draw.find(below(rng, draw.total()));
                let amount = quantum.min(left).min(wanting[winner]);
                *grants[winner].get_mut(r) += amount;
                wanting[winner] -= amount;
                left -= amount;
                if wanting[winner] == 0 {
                    draw.add(winner, -(tickets[winner] as i32));
                }
            }
        }
        grants
    }
}
