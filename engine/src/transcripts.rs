//! A cell's mRNA molecules, as the sorted list of the genes they were transcribed from.
//!
//! Picking "a random mRNA" means picking gene `g` with probability `count[g] / total`.
//! With the molecules listed in gene order, the molecule at position `i` is the gene whose
//! cumulative range holds `i`: the same answer a prefix-sum search (a Fenwick tree) gives
//! for target `i`, so every draw is unchanged, but a pick is one load instead of a walk of
//! ~9 levels, and the list takes two bytes a molecule (a syn3A cell holds ~140 mRNAs over
//! 493 genes: ~280 bytes, against 1,972 for a tree of u32 partial sums). A cell holds at
//! most [`MRNA_PER_CELL_MAX`]. Adding or removing
//! a molecule moves the list's tail, a few hundred bytes for a syn3A cell; picks (one per
//! protein started) far outnumber both.

use crate::scenario::limits::{GENES_MAX, MRNA_PER_CELL_MAX};

/// A gene's index, as the list stores it: the gate keeps genomes within [`GENES_MAX`]
/// genes, so every index fits.
pub(crate) type Gene = u16;
const _: () = assert!(GENES_MAX - 1 <= Gene::MAX as usize);

/// mRNA molecules by gene, as a sorted list of gene indices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Transcripts {
    genes: Vec<Gene>,
}

impl Transcripts {
    /// `(address, bytes)` of the list (see [`crate::vm::Vm::memory`]).
    pub(crate) fn memory(&self) -> (usize, usize) {
        (self.genes.as_ptr() as usize, std::mem::size_of_val(self.genes.as_slice()))
    }

    /// The molecules of `counts` (per gene, in gene order); `None` when there are more
    /// than [`MRNA_PER_CELL_MAX`] or more genes than [`GENES_MAX`] (counts from untrusted
    /// bytes), so that building the list never allocates without bound.
    pub(crate) fn from_counts(counts: &[u32]) -> Option<Transcripts> {
        let total = counts.iter().map(|&c| u64::from(c)).sum::<u64>();
        if total > MRNA_PER_CELL_MAX || counts.len() > GENES_MAX {
            return None;
        }
        let mut genes = Vec::with_capacity(total as usize);
        for (g, &c) in counts.iter().enumerate() {
            genes.extend(std::iter::repeat_n(g as Gene, c as usize));
        }
        Some(Transcripts { genes })
    }

    /// A newborn's molecules, drawn as `counts` (per gene, in gene order): like a running
    /// cell, it holds at most [`MRNA_PER_CELL_MAX`], the genes in order filling it (only
    /// measured expression near its bound per gene, 10⁶, over several genes could reach it).
    pub(crate) fn newborn(counts: &[u32]) -> Transcripts {
        let total = counts.iter().map(|&c| c as usize).sum::<usize>().min(MRNA_PER_CELL_MAX as usize);
        let mut genes = Vec::with_capacity(total + total / 8 + 8);
        for (g, &c) in counts.iter().enumerate() {
            let room = MRNA_PER_CELL_MAX as usize - genes.len();
            genes.extend(std::iter::repeat_n(g as Gene, (c as usize).min(room)));
        }
        Transcripts { genes }
    }

    /// Counts per gene for a cell of `genes` genes (the inverse of
    /// [`Transcripts::from_counts`]).
    pub(crate) fn counts(&self, genes: usize) -> Vec<u32> {
        let mut counts = vec![0u32; genes];
        for &g in &self.genes {
            counts[usize::from(g)] += 1;
        }
        counts
    }

    /// Molecules in all.
    pub(crate) fn total(&self) -> u64 {
        self.genes.len() as u64
    }

    /// Molecules of gene `gene`.
    pub(crate) fn count(&self, gene: usize) -> u32 {
        let Ok(gene) = Gene::try_from(gene) else { return 0 };
        (self.upper(gene) - self.lower(gene)) as u32
    }

    /// The gene of molecule `index` (`index < total`): the smallest `g` with
    /// `count[0] + … + count[g] > index`.
    pub(crate) fn gene_at(&self, index: u64) -> usize {
        usize::from(self.genes[index as usize])
    }

    /// The genes with molecules, each once, in gene order.
    pub(crate) fn genes(&self) -> impl Iterator<Item = usize> + '_ {
        let firsts = self.genes.iter().enumerate().filter(|&(i, &g)| i == 0 || self.genes[i - 1] != g);
        firsts.map(|(_, &g)| usize::from(g))
    }

    /// Removes molecule `index` (`index < total`).
    pub(crate) fn remove_at(&mut self, index: u64) {
        self.genes.remove(index as usize);
    }

    /// Adds a molecule of gene `gene` (after its others, which keeps the list sorted),
    /// unless the cell holds [`MRNA_PER_CELL_MAX`] already.
    pub(crate) fn add(&mut self, gene: usize) {
        if self.total() >= MRNA_PER_CELL_MAX {
            return;
        }
        let gene = gene as Gene;
        let at = self.upper(gene);
        if self.genes.len() == self.genes.capacity() {
            // Grow by an eighth, not by doubling: births and decays balance around a
            // steady count, so the list settles a few reallocations above it instead of
            // holding up to twice its molecules.
            self.genes.reserve_exact(self.genes.len() / 8 + 8);
        }
        self.genes.insert(at, gene);
    }

    /// Removes the molecules at `positions` (ascending, distinct, each below `total`): one
    /// pass over the list from the first, instead of a move of the tail per molecule.
    pub(crate) fn remove_sorted(&mut self, positions: &[u32]) {
        let Some(&first) = positions.first() else { return };
        let mut kept = first as usize;
        for (k, &at) in positions.iter().enumerate() {
            let next = positions.get(k + 1).map_or(self.genes.len(), |&p| p as usize);
            let run = at as usize + 1..next;
            self.genes.copy_within(run.clone(), kept);
            kept += run.len();
        }
        self.genes.truncate(kept);
    }

    /// Adds a molecule of each of `genes` (ascending), each after its gene's others: the
    /// list's runs moved once each, from the end, instead of its tail per molecule. The
    /// caller keeps the total within [`MRNA_PER_CELL_MAX`].
    pub(crate) fn insert_sorted(&mut self, genes: &[Gene]) {
        if genes.is_empty() {
            return;
        }
        let old = self.genes.len();
        if old + genes.len() > self.genes.capacity() {
            // As `add` grows, by an eighth.
            self.genes.reserve_exact((old / 8 + 8).max(genes.len()));
        }
        self.genes.resize(old + genes.len(), 0);
        // From the last new molecule down: each one's place among the old molecules before
        // the ones already placed, the old molecules past it moved up by the new ones left.
        let mut end = old;
        for (left, &gene) in genes.iter().enumerate().rev() {
            let at = self.genes[..end].partition_point(|&g| g <= gene);
            self.genes.copy_within(at..end, at + left + 1);
            self.genes[at + left] = gene;
            end = at;
        }
    }

    /// Replaces each gene's count by `f(gene, count)`, called for every gene with
    /// molecules, in gene order; the new counts may only be lower (a division's partition).
    pub(crate) fn thin(&mut self, mut f: impl FnMut(usize, u32) -> u32) {
        let mut kept = 0;
        let mut start = 0;
        while start < self.genes.len() {
            let gene = self.genes[start];
            let end = start + self.genes[start..].partition_point(|&g| g == gene);
            let keep = f(usize::from(gene), (end - start) as u32).min((end - start) as u32) as usize;
            self.genes.copy_within(start..start + keep, kept);
            kept += keep;
            start = end;
        }
        self.genes.truncate(kept);
    }

    /// Position of `gene`'s first molecule (or where it would go).
    fn lower(&self, gene: Gene) -> usize {
        self.genes.partition_point(|&g| g < gene)
    }

    /// Position after `gene`'s last molecule.
    fn upper(&self, gene: Gene) -> usize {
        self.genes.partition_point(|&g| g <= gene)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fenwick::Fenwick;
    use proptest::prelude::*;

    proptest! {
        /// The list answers every pick as the prefix-sum tree the engine used before it
        /// did, through any sequence of additions, removals and thinnings.
        #[test]
        fn picks_match_a_prefix_sum_tree(
            counts in proptest::collection::vec(0u32..6, 1..60),
            ops in proptest::collection::vec((0usize..60, any::<bool>(), any::<u64>()), 0..60),
        ) {
            let mut list = Transcripts::from_counts(&counts).unwrap();
            let mut tree = Fenwick::from_counts(&counts.iter().map(|&c| u64::from(c)).collect::<Vec<_>>());
            for (gene, adding, draw) in ops {
                if adding {
                    let gene = gene % counts.len();
                    list.add(gene);
                    tree.add(gene, 1);
                } else if list.total() > 0 {
                    let index = draw % list.total();
                    prop_assert_eq!(list.gene_at(index), tree.find(index));
                    tree.add(list.gene_at(index), -1);
                    list.remove_at(index);
                }
                prop_assert_eq!(list.total(), tree.total());
                for t in 0..list.total() {
                    prop_assert_eq!(list.gene_at(t), tree.find(t));
                }
            }
            let counts: Vec<u32> = tree.counts().iter().map(|&c| c as u32).collect();
            prop_assert_eq!(list.counts(counts.len()), counts.clone());
            for (g, &c) in counts.iter().enumerate() {
                prop_assert_eq!(list.count(g), c);
            }
            let mut halves = Vec::new();
            list.thin(|g, c| { halves.push(g); c / 2 });
            let expected: Vec<u32> = counts.iter().map(|c| c / 2).collect();
            prop_assert_eq!(list.counts(counts.len()), expected);
            prop_assert!(halves.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(halves.len(), counts.iter().filter(|&&c| c > 0).count());
        }
    }

    #[test]
    fn a_newborn_fills_up_to_the_bound_in_gene_order() {
        let cap = MRNA_PER_CELL_MAX as u32;
        assert_eq!(Transcripts::newborn(&[2, 0, 3]).counts(3), [2, 0, 3]);
        let full = Transcripts::newborn(&[cap - 5, 3, 4, 1]);
        assert_eq!(full.counts(4), [cap - 5, 3, 2, 0]);
    }

    #[test]
    fn a_full_cell_makes_no_more_molecules() {
        let mut full = Transcripts::from_counts(&[MRNA_PER_CELL_MAX as u32 - 1, 0]).unwrap();
        full.add(1);
        full.add(1);
        assert_eq!((full.total(), full.count(1)), (MRNA_PER_CELL_MAX, 1));
        full.remove_at(0);
        full.add(0);
        assert_eq!(full.total(), MRNA_PER_CELL_MAX);
    }

    #[test]
    fn refuses_more_molecules_than_a_cell_may_hold() {
        assert!(Transcripts::from_counts(&[u32::MAX, u32::MAX]).is_none());
        assert!(Transcripts::from_counts(&[MRNA_PER_CELL_MAX as u32]).is_some());
        assert!(Transcripts::from_counts(&[MRNA_PER_CELL_MAX as u32, 1]).is_none());
        assert!(Transcripts::from_counts(&vec![0; GENES_MAX + 1]).is_none());
    }
}
