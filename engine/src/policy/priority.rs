//! Strict priority: higher levels are served first; within a level, weighted fair share.
//! The classic fixed-priority discipline (Liu & Layland 1973), made work-conserving.

use super::{Claim, Policy, per_resource, waterfill::waterfill};
use crate::resources::Resources;
use crate::rng::Stream;
use serde::{Deserialize, Serialize};

/// The strict priority policy (stateless).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrictPriority;

impl Policy for StrictPriority {
    fn allocate(&mut self, _tick: u64, pool: Resources, claims: &[Claim], _rng: &mut Stream) -> Vec<Resources> {
        let mut levels: Vec<i32> = claims.iter().map(|c| c.priority).collect();
        levels.sort_unstable_by(|a, b| b.cmp(a));
        levels.dedup();
        per_resource(pool, claims, |total, demands| {
            let mut grants = vec![0u64; demands.len()];
            let mut left = total;
            for &level in &levels {
                let members: Vec<usize> = (0..claims.len()).filter(|&i| claims[i].priority == level).collect();
                let d: Vec<u64> = members.iter().map(|&i| demands[i]).collect();
                let w: Vec<u64> = members.iter().map(|&i| u64::from(claims[i].weight.max(1))).collect();
                for (&i, g) in members.iter().zip(waterfill(left, &d, &w)) {
                    grants[i] = g;
                    left -= g;
                }
            }
            grants
        })
    }
}
