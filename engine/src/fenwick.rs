//! A Fenwick (binary indexed) tree over per-gene counts, for picking a molecule uniformly.
//!
//! Picking "a random mRNA" means picking gene `g` with probability `count[g] / total`; the
//! tree does that in O(log genes) instead of a scan. The lottery policy draws its winners
//! with one; a cell's mRNAs, once kept in one too, are now a sorted list
//! (`crate::transcripts`), which answers the same picks with one load.

/// Prefix sums over counts (a lottery's tickets: their sum stays far below 2⁶⁴).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fenwick {
    tree: Vec<u64>,
    total: u64,
}

impl Fenwick {
    /// Builds the tree from counts in O(n).
    pub fn from_counts(counts: &[u64]) -> Fenwick {
        let mut tree = counts.to_vec();
        for i in 0..tree.len() {
            let parent = i | (i + 1);
            if parent < tree.len() {
                tree[parent] = tree[parent].wrapping_add(tree[i]);
            }
        }
        let total = counts.iter().fold(0u64, |sum, &c| sum.saturating_add(c));
        Fenwick { tree, total }
    }

    /// The counts the tree was built from, recovered in O(n) (the inverse of
    /// [`Fenwick::from_counts`]).
    #[cfg(test)]
    pub fn counts(&self) -> Vec<u64> {
        let mut counts = self.tree.clone();
        for i in (0..counts.len()).rev() {
            let parent = i | (i + 1);
            if parent < counts.len() {
                counts[parent] = counts[parent].wrapping_sub(counts[i]);
            }
        }
        counts
    }

    /// Sum of all counts.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Adds `delta` (which may be negative) to entry `index`.
    pub fn add(&mut self, index: usize, delta: i32) {
        self.total = self.total.wrapping_add_signed(i64::from(delta));
        let mut i = index;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add_signed(i64::from(delta));
            i |= i + 1;
        }
    }

    /// The entry whose cumulative range contains `target` (`0 ≤ target < total`): the
    /// smallest `g` with `count[0] + … + count[g] > target`.
    pub fn find(&self, target: u64) -> usize {
        debug_assert!(target < self.total);
        let n = self.tree.len();
        let mut pos = 0usize; // number of entries known to lie wholly below target
        let mut remaining = target;
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next - 1] <= remaining {
                remaining -= self.tree[next - 1];
                pos = next;
            }
            step >>= 1;
        }
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn find_matches_linear_scan(counts in proptest::collection::vec(0u64..20, 1..60), ops in proptest::collection::vec((0usize..60, -3i32..4), 0..40)) {
            let mut counts = counts;
            let mut tree = Fenwick::from_counts(&counts);
            for (i, d) in ops {
                let i = i % counts.len();
                let d = d.max(-(counts[i] as i32));
                counts[i] = (counts[i] as i32 + d) as u64;
                tree.add(i, d);
            }
            prop_assert_eq!(tree.counts(), counts.clone());
            let total: u64 = counts.iter().sum();
            prop_assert_eq!(tree.total(), total);
            let mut cumulative = 0u64;
            for (g, &c) in counts.iter().enumerate() {
                for t in cumulative..cumulative + c {
                    prop_assert_eq!(tree.find(t), g);
                }
                cumulative += c;
            }
        }
    }
}
