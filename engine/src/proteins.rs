//! A cell's protein counts per gene, in the narrowest type that holds them.
//!
//! A syn3A cell's most abundant protein numbers a few hundred and E. coli's a few
//! thousand, so two bytes a gene hold them: half the memory of four, and a VM-tick's cost
//! at scale is the memory it touches. Nothing bounds a count below 2¹⁶ for certain (a
//! package's short, strongly expressed protein in a cell that keeps growing could pass
//! it), so the counts widen to four bytes, for good, the first time one would overflow:
//! a count is always exact, whichever width holds it.

/// Protein molecules per gene.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Proteins {
    /// Every count below 2¹⁶. Boxed slices, not vectors: a cell's genes change only when
    /// a package is installed, and a slice is 8 bytes a cell smaller than a vector.
    Narrow(Box<[u16]>),
    /// Some count reached 2¹⁶ at some point.
    Wide(Box<[u32]>),
}

impl Proteins {
    /// `(address, bytes)` of the counts (see [`crate::vm::Vm::memory`]).
    pub(crate) fn memory(&self) -> (usize, usize) {
        match self {
            Proteins::Narrow(c) => (c.as_ptr() as usize, std::mem::size_of_val(&**c)),
            Proteins::Wide(c) => (c.as_ptr() as usize, std::mem::size_of_val(&**c)),
        }
    }

    /// The counts given, narrow when they all fit.
    pub(crate) fn from_counts(counts: &[u32]) -> Proteins {
        if counts.iter().all(|&c| c <= u32::from(u16::MAX)) {
            Proteins::Narrow(counts.iter().map(|&c| c as u16).collect())
        } else {
            Proteins::Wide(counts.into())
        }
    }

    /// The counts of a cell of `genes` genes, one per gene: those not held are 0.
    pub(crate) fn to_counts(&self, genes: usize) -> Vec<u32> {
        let mut counts = Vec::with_capacity(genes);
        self.each(|_, n| counts.push(n));
        counts.resize(genes, 0);
        counts
    }

    /// Gene `gene`'s count (0 past the end).
    pub(crate) fn get(&self, gene: usize) -> u32 {
        match self {
            Proteins::Narrow(c) => c.get(gene).map_or(0, |&n| u32::from(n)),
            Proteins::Wide(c) => c.get(gene).copied().unwrap_or(0),
        }
    }

    /// Adds one molecule of `gene`, saturating at u32::MAX (a restored state is only
    /// checked to fit its types).
    pub(crate) fn add_one(&mut self, gene: usize) {
        if let Proteins::Narrow(c) = self {
            match c[gene].checked_add(1) {
                Some(n) => {
                    c[gene] = n;
                    return;
                }
                None => self.widen(),
            }
        }
        if let Proteins::Wide(c) = self {
            c[gene] = c[gene].saturating_add(1);
        }
    }

    /// Removes `lost` molecules of `gene` (at most its count).
    pub(crate) fn remove(&mut self, gene: usize, lost: u32) {
        match self {
            // `lost` is at most the count, which fits a u16.
            Proteins::Narrow(c) => c[gene] -= lost as u16,
            Proteins::Wide(c) => c[gene] -= lost,
        }
    }

    /// Adds genes with no molecules, up to `genes`.
    pub(crate) fn resize(&mut self, genes: usize) {
        fn grown<T: Copy + Default>(counts: &mut Box<[T]>, genes: usize) {
            let mut longer = std::mem::take(counts).into_vec();
            longer.resize(genes, T::default());
            *counts = longer.into_boxed_slice();
        }
        match self {
            Proteins::Narrow(c) => grown(c, genes),
            Proteins::Wide(c) => grown(c, genes),
        }
    }

    /// Replaces each nonzero count by `f(count)`, in gene order: `f` may only lower it
    /// (a division's partition), so the width holds.
    pub(crate) fn thin(&mut self, mut f: impl FnMut(u32) -> u32) {
        match self {
            Proteins::Narrow(c) => {
                c.iter_mut().filter(|n| **n > 0).for_each(|n| *n = f(u32::from(*n)).min(u32::from(*n)) as u16)
            }
            Proteins::Wide(c) => c.iter_mut().filter(|n| **n > 0).for_each(|n| *n = f(*n).min(*n)),
        }
    }

    /// The molecules of every gene together.
    pub(crate) fn total(&self) -> u64 {
        let mut total = 0u64;
        self.each(|_, n| total += u64::from(n));
        total
    }

    /// Calls `f(gene, count)` for every gene, in order.
    pub(crate) fn each(&self, mut f: impl FnMut(usize, u32)) {
        match self {
            Proteins::Narrow(c) => c.iter().enumerate().for_each(|(g, &n)| f(g, u32::from(n))),
            Proteins::Wide(c) => c.iter().enumerate().for_each(|(g, &n)| f(g, n)),
        }
    }

    fn widen(&mut self) {
        if let Proteins::Narrow(c) = self {
            *self = Proteins::Wide(c.iter().map(|&n| u32::from(n)).collect());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_widen_instead_of_wrapping() {
        let mut p = Proteins::from_counts(&[u32::from(u16::MAX) - 1, 3]);
        assert!(matches!(p, Proteins::Narrow(_)));
        p.add_one(0);
        assert!(matches!(p, Proteins::Narrow(_)));
        p.add_one(0);
        assert!(matches!(p, Proteins::Wide(_)), "a count past 2^16 - 1 widens");
        assert_eq!(p.to_counts(2), [1 << 16, 3]);
        p.remove(0, 2);
        assert_eq!(p.get(0), (1 << 16) - 2);
        assert!(matches!(Proteins::from_counts(&[1 << 16]), Proteins::Wide(_)));
        let mut top = Proteins::from_counts(&[u32::MAX]);
        top.add_one(0);
        assert_eq!(top.get(0), u32::MAX, "saturates at u32::MAX");
        let mut seen = Vec::new();
        let mut p = Proteins::from_counts(&[4, 0, 7]);
        p.thin(|n| {
            seen.push(n);
            n / 2
        });
        assert_eq!((seen, p.to_counts(3)), (vec![4, 7], vec![2, 0, 3]));
        p.resize(4);
        assert_eq!((p.to_counts(5), p.get(3), p.get(9)), (vec![2, 0, 3, 0, 0], 0, 0), "counts not held are 0");
    }
}
