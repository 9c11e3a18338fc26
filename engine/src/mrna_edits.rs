//! A tick's mRNA decays and births, gathered and applied to the sorted list in one pass
//! each, for cells with long lists.
//!
//! An E. coli cell holds ~4,000 mRNAs and loses and makes a few tens a tick; removing or
//! inserting each one where it lies moves half the list on average (`memmove` was 9 % of an
//! E. coli tick). Neither decay nor transcription reads the list (decay's picks depend
//! only on the count left, transcription on proteins and inducers), so the tick can note
//! its edits and apply them together, before translation reads the list:
//! - a decay's pick is an index into the list as it would be after the decays before it;
//!   mapped back to a position in the list as it is ([`Decays::pick`]), the picks remove
//!   the same molecules;
//! - births go in ascending order; the list is a sorted multiset, so where equal genes go
//!   among themselves cannot show.
//!
//! Every draw and every list is the same as one molecule at a time (a proptest holds the
//! two to each other). A syn3A cell's ~140 molecules move cheaply one at a time, and
//! gathering cost it more than it saved, so cells that draw few words keep the simple way
//! (`Program::draws_many`).

use crate::scenario::limits::MRNA_PER_CELL_MAX;
use crate::transcripts::{Gene, Transcripts};

/// Edits gathered before they are applied; more are applied in more passes.
const GATHERED_MAX: usize = 64;

/// A tick's decays: positions in the list as it is, ascending.
pub(crate) struct Decays {
    positions: [u32; GATHERED_MAX],
    len: usize,
}

impl Decays {
    /// None yet.
    pub(crate) fn new() -> Decays {
        Decays { positions: [0; GATHERED_MAX], len: 0 }
    }

    /// Molecules left in `list` once the gathered decays are applied.
    pub(crate) fn left(&self, list: &Transcripts) -> u64 {
        list.total() - self.len as u64
    }

    /// Notes the decay of molecule `index` of the list as the gathered decays would leave
    /// it (`index < left`).
    pub(crate) fn pick(&mut self, list: &mut Transcripts, index: u64) {
        if self.len == GATHERED_MAX {
            self.apply(list);
        }
        // The index-th molecule not yet picked: past each picked position at or before it.
        let mut at = index as u32;
        let mut k = 0;
        while k < self.len && self.positions[k] <= at {
            at += 1;
            k += 1;
        }
        self.positions.copy_within(k..self.len, k + 1);
        self.positions[k] = at;
        self.len += 1;
    }

    /// Removes the gathered molecules from `list`.
    pub(crate) fn apply(&mut self, list: &mut Transcripts) {
        list.remove_sorted(&self.positions[..self.len]);
        self.len = 0;
    }
}

/// A tick's births: genes, gathered unsorted.
pub(crate) struct Births {
    genes: [Gene; GATHERED_MAX],
    len: usize,
}

impl Births {
    /// None yet.
    pub(crate) fn new() -> Births {
        Births { genes: [0; GATHERED_MAX], len: 0 }
    }

    /// Notes a molecule of gene `gene`, unless `list` with the gathered births holds
    /// [`MRNA_PER_CELL_MAX`] already (as [`Transcripts::add`] would refuse it).
    pub(crate) fn add(&mut self, list: &mut Transcripts, gene: usize) {
        if list.total() + self.len as u64 >= MRNA_PER_CELL_MAX {
            return;
        }
        if self.len == GATHERED_MAX {
            self.apply(list);
        }
        self.genes[self.len] = gene as Gene;
        self.len += 1;
    }

    /// Adds the gathered molecules to `list`.
    pub(crate) fn apply(&mut self, list: &mut Transcripts) {
        let genes = &mut self.genes[..self.len];
        genes.sort_unstable();
        list.insert_sorted(genes);
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Gathered decays and births leave the list one molecule at a time would, through
        /// more edits than one gathering holds.
        #[test]
        fn gathered_edits_are_edits_one_at_a_time(
            counts in proptest::collection::vec(0u32..40, 1..50),
            picks in proptest::collection::vec(any::<u64>(), 0..150),
            births in proptest::collection::vec(0usize..50, 0..150),
        ) {
            let mut one = Transcripts::from_counts(&counts).unwrap();
            let mut gathered = one.clone();
            let mut decays = Decays::new();
            for &draw in &picks {
                if one.total() == 0 {
                    break;
                }
                prop_assert_eq!(decays.left(&gathered), one.total());
                let index = draw % one.total();
                one.remove_at(index);
                decays.pick(&mut gathered, index);
            }
            decays.apply(&mut gathered);
            prop_assert_eq!(&gathered, &one);
            let mut births_gathered = Births::new();
            for &gene in &births {
                let gene = gene % counts.len();
                one.add(gene);
                births_gathered.add(&mut gathered, gene);
            }
            births_gathered.apply(&mut gathered);
            prop_assert_eq!(gathered, one);
        }
    }

    #[test]
    fn births_stop_at_the_cells_bound() {
        let mut list = Transcripts::from_counts(&[MRNA_PER_CELL_MAX as u32 - 2, 0]).unwrap();
        let mut births = Births::new();
        for _ in 0..5 {
            births.add(&mut list, 1);
        }
        births.apply(&mut list);
        assert_eq!((list.total(), list.count(1)), (MRNA_PER_CELL_MAX, 2));
    }
}
