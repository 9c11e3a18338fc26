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
    pub(crate) fn new(quanta_per_vm: u32) -> Lottery {
        Lottery { quanta_per_vm: quanta_per_vm.max(1) }
    }

    /// Checks restored state: the scenario's granularity.
    pub(crate) fn check(&self, quanta_per_vm: u32) -> Result<(), String> {
        if self.quanta_per_vm == quanta_per_vm { Ok(()) } else { Err("lottery state for another granularity".into()) }
    }
}

impl Policy for Lottery {
    fn allocate(&mut self, _tick: u64, pool: Resources, claims: &[Claim], rng: &mut Stream) -> Vec<Resources> {
        let mut grants = vec![Resources::ZERO; claims.len()];
        for r in Resource::ALL {
            let mut wanting: Vec<u64> = claims.iter().map(|c| c.demand.get(r)).collect();
            // Tickets are weights (at most WEIGHT_MAX each, so Σ < 2³⁶: a u64 tree).
            let tickets: Vec<u64> =
                claims.iter().zip(&wanting).map(|(c, &w)| if w > 0 { u64::from(c.weight.max(1)) } else { 0 }).collect();
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
                    // A ticket count fits an i32: weights are at most WEIGHT_MAX (the gate).
                    draw.add(winner, -(i32::try_from(tickets[winner]).unwrap_or(i32::MAX)));
                }
            }
        }
        grants
    }
}
