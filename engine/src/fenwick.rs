//! A Fenwick (binary indexed) tree over per-gene counts, for picking a molecule uniformly.
//!
//! Picking "a random mRNA" means picking gene `g` with probability `count[g] / total`; the
//! tree does that in O(log genes) instead of a scan, which keeps a VM-tick's cost
//! proportional to the events in it rather than to the genome's size.

use serde::{Deserialize, Serialize};

/// A count a tree can hold: `u32` for a cell's mRNAs (half the memory of `u64`, which
/// matters because a VM-tick's cost is the cache misses of walking the tree), `u64` for a
/// lottery's tickets (their sum can pass 2³²).
pub trait Count: Copy + Default + Eq + Into<u64> + std::fmt::Debug {
    /// `self + other`, wrapping (partial sums are exact while the total fits).
    fn plus(self, other: Self) -> Self;
    /// `self − other`, wrapping.
    fn minus(self, other: Self) -> Self;
    /// `self + delta`, wrapping.
    fn plus_signed(self, delta: i32) -> Self;
    /// The largest total the tree's partial sums can hold.
    const TOTAL_MAX: u64;
}

/// `Count` for an unsigned integer type: wrapping arithmetic, its own maximum.
macro_rules! count {
    ($t:ty) => {
        impl Count for $t {
            fn plus(self, other: $t) -> $t {
                self.wrapping_add(other)
            }
            fn minus(self, other: $t) -> $t {
                self.wrapping_sub(other)
            }
            fn plus_signed(self, delta: i32) -> $t {
                self.wrapping_add_signed(delta.into())
            }
            const TOTAL_MAX: u64 = <$t>::MAX as u64;
        }
    };
}

count!(u32);
count!(u64);

/// Prefix sums over counts, stored as the counts' own type: exact as long as the total
/// is at most [`Count::TOTAL_MAX`] (checked when a tree is built from untrusted counts,
/// [`Fenwick::total_fits`]). Serialised as the plain counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fenwick<C: Count = u32> {
    tree: Vec<C>,
    total: u64,
}

impl<C: Count + Serialize> Serialize for Fenwick<C> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.counts().serialize(s)
    }
}

impl<'de, C: Count + Deserialize<'de>> Deserialize<'de> for Fenwick<C> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Fenwick::from_counts(&Vec::<C>::deserialize(d)?))
    }
}

impl<C: Count> Fenwick<C> {
    /// Builds the tree from counts in O(n).
    pub fn from_counts(counts: &[C]) -> Fenwick<C> {
        let mut tree: Vec<C> = counts.to_vec();
        for i in 0..tree.len() {
            let parent = i | (i + 1);
            if parent < tree.len() {
                tree[parent] = tree[parent].plus(tree[i]);
            }
        }
        let total = counts.iter().fold(0u64, |sum, &c| sum.saturating_add(c.into()));
        Fenwick { tree, total }
    }

    /// True when the total fits the partial sums, so that [`Fenwick::find`] is exact: a
    /// tree built from untrusted counts is checked with this before use.
    pub fn total_fits(&self) -> bool {
        self.total < C::TOTAL_MAX
    }

    /// The counts the tree was built from, recovered in O(n) (the inverse of
    /// [`Fenwick::from_counts`]).
    pub fn counts(&self) -> Vec<C> {
        let mut counts = self.tree.clone();
        for i in (0..counts.len()).rev() {
            let parent = i | (i + 1);
            if parent < counts.len() {
                counts[parent] = counts[parent].minus(counts[i]);
            }
        }
        counts
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Sum of all counts.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Entry `index`'s count (0 past the end), in O(log n): the prefix sum through it less
    /// the prefix sum before it.
    pub fn count(&self, index: usize) -> C {
        if index >= self.tree.len() {
            return C::default();
        }
        self.prefix(index + 1).minus(self.prefix(index))
    }

    /// Sum of the first `n` counts (wrapping, like the tree).
    fn prefix(&self, n: usize) -> C {
        let (mut sum, mut i) = (C::default(), n);
        while i > 0 {
            sum = sum.plus(self.tree[i - 1]);
            i &= i - 1;
        }
        sum
    }

    /// Adds `delta` (which may be negative) to entry `index`.
    pub fn add(&mut self, index: usize, delta: i32) {
        self.total = self.total.wrapping_add_signed(i64::from(delta));
        let mut i = index;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].plus_signed(delta);
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
            if next <= n && self.tree[next - 1].into() <= remaining {
                remaining -= self.tree[next - 1].into();
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
        fn find_matches_linear_scan(counts in proptest::collection::vec(0u32..20, 1..60), ops in proptest::collection::vec((0usize..60, -3i32..4), 0..40)) {
            let mut counts = counts;
            let mut tree: Fenwick = Fenwick::from_counts(&counts);
            for (i, d) in ops {
                let i = i % counts.len();
                let d = d.max(-(counts[i] as i32));
                counts[i] = (counts[i] as i32 + d) as u32;
                tree.add(i, d);
            }
            prop_assert_eq!(tree.counts(), counts.clone());
            for (g, &c) in counts.iter().enumerate() {
                prop_assert_eq!(tree.count(g), c);
            }
            let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
            prop_assert_eq!(tree.total(), total);
            let mut cumulative = 0u64;
            for (g, &c) in counts.iter().enumerate() {
                for t in cumulative..cumulative + u64::from(c) {
                    prop_assert_eq!(tree.find(t), g);
                }
                cumulative += u64::from(c);
            }
        }
    }
}
