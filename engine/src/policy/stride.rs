//! Stride scheduling (Waldspurger & Weihl 1995, MIT/LCS/TM-528): the deterministic
//! counterpart of lottery. Each VM has a pass per resource; the VM with the lowest pass
//! (ties by VM order) gets the next quantum and advances its pass by its stride
//! `STRIDE1 / weight`. Passes persist across ticks, so shares are exact over time.

use super::{Claim, Policy, quantum_size};
use crate::resources::{Resource, Resources};
use crate::rng::Stream;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The stride numerator (the paper's `stride1`).
const STRIDE1: u64 = 1 << 20;

/// The stride policy and its passes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stride {
    quanta_per_vm: u32,
    /// Pass per VM index, per resource.
    passes: Vec<[u64; 3]>,
    /// The pass of the last quantum handed out, per resource (the paper's global pass).
    global_pass: [u64; 3],
}

impl Stride {
    /// A stride scheduler cutting each pool into `quanta_per_vm` quanta per claimant.
    pub(crate) fn new(quanta_per_vm: u32) -> Stride {
        Stride { quanta_per_vm: quanta_per_vm.max(1), passes: Vec::new(), global_pass: [0; 3] }
    }

    /// Checks restored state: the scenario's granularity, one pass per VM at most.
    pub(crate) fn check(&self, quanta_per_vm: u32, vms: usize) -> Result<(), String> {
        if self.quanta_per_vm != quanta_per_vm || self.passes.len() > vms {
            return Err("stride state for another granularity or more VMs".into());
        }
        Ok(())
    }
}

impl Policy for Stride {
    fn allocate(&mut self, _tick: u64, pool: Resources, claims: &[Claim], _rng: &mut Stream) -> Vec<Resources> {
        let max_vm = claims.iter().map(|c| c.vm as usize + 1).max().unwrap_or(0);
        if self.passes.len() < max_vm {
            self.passes.resize(max_vm, [0; 3]);
        }
        let mut grants = vec![Resources::ZERO; claims.len()];
        for (k, r) in Resource::ALL.into_iter().enumerate() {
            let mut left = pool.get(r);
            let quantum = quantum_size(left, claims.len(), self.quanta_per_vm);
            let mut wanting: Vec<u64> = claims.iter().map(|c| c.demand.get(r)).collect();
            let mut heap = BinaryHeap::with_capacity(claims.len());
            for (i, c) in claims.iter().enumerate() {
                if wanting[i] == 0 {
                    continue;
                }
                let stride = STRIDE1 / u64::from(c.weight.max(1));
                // A VM returning from idleness rejoins one stride behind the global pass,
                // so it cannot spend credit banked while it asked for nothing.
                let pass = &mut self.passes[c.vm as usize][k];
                *pass = (*pass).max(self.global_pass[k].saturating_sub(stride));
                heap.push(Reverse((*pass, c.vm, i)));
            }
            while left > 0 {
                let Some(Reverse((pass, vm, i))) = heap.pop() else { break };
                let amount = quantum.min(left).min(wanting[i]);
                *grants[i].get_mut(r) += amount;
                wanting[i] -= amount;
                left -= amount;
                self.global_pass[k] = pass;
                // Saturating: passes grow by at most 2²⁰ a quantum, ~10¹⁷ over the longest run,
                // but restored passes are only known to fit a u64.
                let next = pass.saturating_add(STRIDE1 / u64::from(claims[i].weight.max(1)));
                self.passes[vm as usize][k] = next;
                if wanting[i] > 0 {
                    heap.push(Reverse((next, vm, i)));
                }
            }
        }
        grants
    }
}
