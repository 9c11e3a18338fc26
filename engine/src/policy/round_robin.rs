//! Round robin with a quantum in ticks: for `quantum_ticks` ticks one VM is first in line
//! and takes all it asks for; the others follow in VM order after it. This is the time
//! slicing of the original BioXen_jcvi_vm_lib (its `RoundRobinScheduler`), made
//! work-conserving: what the VM in turn leaves goes to the next in line.

use super::{Claim, Policy, per_resource};
use crate::resources::Resources;
use crate::rng::Stream;
use serde::{Deserialize, Serialize};

/// The round-robin policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundRobin {
    quantum_ticks: u32,
}

impl RoundRobin {
    /// A round robin that moves to the next VM every `quantum_ticks` ticks.
    pub(crate) fn new(quantum_ticks: u32) -> RoundRobin {
        RoundRobin { quantum_ticks: quantum_ticks.max(1) }
    }

    /// Checks restored state: the scenario's quantum.
    pub(crate) fn check(&self, quantum_ticks: u32) -> Result<(), String> {
        if self.quantum_ticks == quantum_ticks { Ok(()) } else { Err("round-robin state for another quantum".into()) }
    }
}

impl Policy for RoundRobin {
    fn allocate(&mut self, tick: u64, pool: Resources, claims: &[Claim], _rng: &mut Stream) -> Vec<Resources> {
        if claims.is_empty() {
            return Vec::new();
        }
        // `max(1)` again: a checkpoint is untrusted input and could carry a zero quantum.
        let first = ((tick / u64::from(self.quantum_ticks.max(1))) % claims.len() as u64) as usize;
        per_resource(pool, claims, |total, demands| {
            let mut grants = vec![0u64; demands.len()];
            let mut left = total;
            for k in 0..demands.len() {
                let i = (first + k) % demands.len();
                grants[i] = demands[i].min(left);
                left -= grants[i];
            }
            grants
        })
    }
}
