//! `f64` to `u64` rounding up or down, exactly as `x.ceil() as u64` and `x.floor() as u64`
//! round (saturating casts: NaN and negatives give 0, past `u64::MAX` gives it), without
//! calling `ceil` or `floor`. Baseline x86-64 has no rounding instruction (SSE4.1's
//! `roundsd`), so each of those is a call into a software routine of ~30 instructions;
//! the demand a syn3A cell makes each tick rounds up three times and its request rounds
//! down twice, ~5 % of a VM-tick. A proptest holds both to the originals over every kind
//! of double.

/// `x.ceil() as u64`: the truncation, plus one where it fell below `x`. Truncation is
/// exact for every double that is not an integer already (those are below 2⁵³), so the
/// comparison is exact too; past `u64::MAX` (infinity included) it stays saturated.
#[inline]
pub(crate) fn ceil_u64(x: f64) -> u64 {
    let t = x as u64;
    if (t as f64) < x { t.saturating_add(1) } else { t }
}

/// `x.floor() as u64`: a saturating cast truncates toward zero, which is the floor for
/// every non-negative `x`, and sends every negative `x` (whose floor is negative) to 0,
/// as the floor's cast does.
#[inline]
pub(crate) fn floor_u64(x: f64) -> u64 {
    x as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn edges() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            -2.0f64..2.0,
            0.0f64..1e6,
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0),
            Just(u64::MAX as f64),
            Just(9_007_199_254_740_993.0),
            (0u64..1 << 20).prop_map(|k| k as f64 + 0.5),
            any::<u64>().prop_map(|k| k as f64),
            any::<u64>().prop_map(f64::from_bits),
        ]
    }

    proptest! {
        #[test]
        fn rounding_is_the_standard_librarys(x in edges()) {
            prop_assert_eq!(ceil_u64(x), x.ceil() as u64, "ceil of {:e}", x);
            prop_assert_eq!(floor_u64(x), x.floor() as u64, "floor of {:e}", x);
        }
    }
}
