//! A guide table over a cumulative sum, for picking the interval a uniform draw falls in.
//!
//! A transcription event picks its unit by where `u × total rate` falls among the units'
//! cumulative rates. A binary search over E. coli's ~2,600 units is twelve dependent loads
//! (8 % of an E. coli tick); the guide maps the draw to one of as many buckets as there
//! are units, each holding the answer for its left end, and walks from there: the walk
//! ends where the search would, whatever the guide holds, so every pick is unchanged.

/// Where each of `len` equal buckets of `[0, total)` starts among a cumulative sum's
/// entries.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Guide {
    /// For bucket `b`, the first entry greater than the bucket's left end.
    starts: Vec<u32>,
    /// Buckets per unit of the sum.
    scale: f64,
}

impl Guide {
    /// The guide of `cumulative` (nondecreasing), one bucket an entry.
    pub(crate) fn of(cumulative: &[f64]) -> Guide {
        let total = cumulative.last().copied().unwrap_or(0.0);
        if !(total > 0.0 && total.is_finite()) {
            return Guide::default();
        }
        let buckets = cumulative.len();
        let scale = buckets as f64 / total;
        let starts = (0..buckets).map(|b| cumulative.partition_point(|&c| c * scale <= b as f64) as u32).collect();
        Guide { starts, scale }
    }

    /// The first entry of `cumulative` (the sum the guide was made of) greater than `x`,
    /// as `cumulative.partition_point(|&c| c <= x)` answers it.
    #[inline]
    pub(crate) fn find(&self, cumulative: &[f64], x: f64) -> usize {
        let bucket = (x * self.scale) as usize; // saturating: NaN and negatives give 0
        let mut i = self.starts.get(bucket).map_or(cumulative.len(), |&s| s as usize);
        // The walks make the answer exact whatever the start: down while the entry before
        // is past `x` (every entry is, for a NaN), then up past every entry not greater.
        while i > 0 && (cumulative[i - 1] > x || x.is_nan()) {
            i -= 1;
        }
        while i < cumulative.len() && cumulative[i] <= x {
            i += 1;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every answer is the binary search's, for draws inside, at the ends of and past
        /// the sum, over rates spanning orders of magnitude and zero rates.
        #[test]
        fn the_guide_answers_as_the_search(
            rates in proptest::collection::vec(prop_oneof![Just(0.0), 1e-6f64..1.0, 1.0f64..1e4], 1..200),
            draws in proptest::collection::vec(0.0f64..1.0, 1..100),
        ) {
            let mut cumulative = Vec::new();
            let mut sum = 0.0;
            for r in rates {
                sum += r;
                cumulative.push(sum);
            }
            let guide = Guide::of(&cumulative);
            let mut xs: Vec<f64> = draws.iter().map(|u| u * sum).collect();
            xs.extend(cumulative.iter().copied());
            xs.extend([0.0, sum, sum * 2.0, -1.0, f64::NAN, f64::INFINITY]);
            for x in xs {
                prop_assert_eq!(guide.find(&cumulative, x), cumulative.partition_point(|&c| c <= x), "x = {}", x);
            }
        }
    }

    #[test]
    fn an_empty_or_zero_sum_still_answers() {
        for cumulative in [vec![], vec![0.0, 0.0]] {
            let guide = Guide::of(&cumulative);
            for x in [0.0, 1.0, -1.0] {
                assert_eq!(guide.find(&cumulative, x), cumulative.partition_point(|&c| c <= x));
            }
        }
    }
}
