//! Translation's budget of amino acids within a tick, counted as an integer.
//!
//! A cell's carry (`Vm::aa_carry`) is a float: the ribosomes' and the ATP's amino acids
//! with a fraction. Each protein completed takes a whole number of amino acids from it.
//! Taking a whole number from a float below 2⁵³ is exact (the difference needs no finer
//! step than the float had), so the budget can be split once into its whole amino acids,
//! an integer, and its fraction, which no protein touches. Then `whole + fraction` is the
//! float the subtractions would have left, bit for bit, and `whole < aa` decides as
//! `carry < aa` did.
//!
//! Measured reason: the float loop waited on each subtraction (four cycles) before the
//! next compare. An integer takes one. E. coli ×1.033 (1.028–1.048, 7 pairs of
//! `benches/ab.sh before after 50 40 7 --organism ecoli --threads 1`); a syn3A cell starts
//! a few proteins a tick and does not notice.

/// A tick's translation budget: whole amino acids and a fraction in [0, 1).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    whole: u64,
    fraction: f64,
}

impl Budget {
    /// The budget of a carry `carry`: finite, ≥ 0 and below 2⁵³ (at most `POOL_MAX`
    /// ribosomes for `TICK_SECONDS_MAX` is ~10¹⁴ amino acids; `scenario::limits`). Past
    /// 2⁵³ it stays exact in integers, where the float would have rounded.
    pub(crate) fn of(carry: f64) -> Budget {
        let whole = libm::floor(carry);
        Budget { whole: whole as u64, fraction: carry - whole }
    }

    /// Takes `aa` amino acids (a protein's length), if the budget holds them.
    #[inline(always)]
    pub(crate) fn take(&mut self, aa: u32) -> bool {
        let aa = u64::from(aa);
        if self.whole < aa {
            return false;
        }
        self.whole -= aa;
        true
    }

    /// At most `most` amino acids: `carry.min(most)` for a whole `most`.
    pub(crate) fn at_most(&mut self, most: u32) {
        if self.whole >= u64::from(most) {
            (self.whole, self.fraction) = (u64::from(most), 0.0);
        }
    }

    /// The carry left, as the float it is.
    pub(crate) fn carry(self) -> f64 {
        self.whole as f64 + self.fraction
    }
}

#[cfg(test)]
mod tests {
    use super::Budget;
    use proptest::prelude::*;

    proptest! {
        /// The integer budget decides and leaves what the float subtractions did, bit for
        /// bit, from any start below 2⁵³ (whole, fractional, tiny, huge).
        #[test]
        fn the_budget_is_the_float_carry(
            start in prop_oneof![0.0..1e3f64, 0.0..1e9f64, 0.0..9.0e15f64, (0u64..1 << 53).prop_map(|n| n as f64)],
            proteins in proptest::collection::vec(1u32..40_000, 0..200),
            most in 1u32..6_000_000,
        ) {
            let (mut float, mut budget) = (start, Budget::of(start));
            for &aa in &proteins {
                let fits = float >= f64::from(aa);
                prop_assert_eq!(budget.take(aa), fits);
                if fits {
                    float -= f64::from(aa);
                }
                prop_assert_eq!(budget.carry().to_bits(), float.to_bits());
            }
            budget.at_most(most);
            prop_assert_eq!(budget.carry().to_bits(), float.min(f64::from(most)).to_bits());
        }
    }
}
