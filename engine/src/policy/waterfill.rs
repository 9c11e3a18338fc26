//! Integer weighted max-min water-filling, the building block of most policies.

/// Shares `pool` among claimants with `demands` and `weights` (all weights ≥ 1) so that
/// no one gets more than it asks, and the unsatisfied get shares proportional to their
/// weights (weighted max-min fairness; Demers, Keshav & Shenker 1989).
///
/// Exact in integers: units left by rounding go one each to the unsatisfied claimants with
/// the largest remainders (Hamilton's method; ties by index), so the result is work-conserving (`Σ grants = min(pool, Σ demands)`) and
/// depends on nothing but its inputs.
pub(crate) fn waterfill(pool: u64, demands: &[u64], weights: &[u64]) -> Vec<u64> {
    debug_assert_eq!(demands.len(), weights.len());
    let n = demands.len();
    // Enough for everyone: the common, uncontended case, in O(n).
    if demands.iter().try_fold(0u64, |acc, &d| acc.checked_add(d)).is_some_and(|total| total <= pool) {
        return demands.to_vec();
    }
    let mut grants = vec![0u64; n];
    let mut order: Vec<usize> = (0..n).filter(|&i| demands[i] > 0).collect();
    // Ascending demand per unit weight; ties by index.
    order.sort_by(|&a, &b| {
        let lhs = u128::from(demands[a]) * u128::from(weights[b]);
        let rhs = u128::from(demands[b]) * u128::from(weights[a]);
        lhs.cmp(&rhs).then(a.cmp(&b))
    });
    let mut remaining = u128::from(pool);
    let mut weight_left: u128 = order.iter().map(|&i| u128::from(weights[i])).sum();
    for (position, &i) in order.iter().enumerate() {
        let share = remaining * u128::from(weights[i]) / weight_left;
        if u128::from(demands[i]) <= share {
            grants[i] = demands[i];
            remaining -= u128::from(demands[i]);
            weight_left -= u128::from(weights[i]);
            continue;
        }
        // Everyone from here on wants more than its share: split what is left by weight.
        let mut unsatisfied: Vec<(u128, usize)> = Vec::with_capacity(order.len() - position);
        let mut handed = 0u128;
        for &j in &order[position..] {
            let exact = remaining * u128::from(weights[j]);
            grants[j] = (exact / weight_left) as u64;
            handed += exact / weight_left;
            unsatisfied.push((exact % weight_left, j));
        }
        unsatisfied.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let leftover = (remaining - handed) as usize;
        for &(_, j) in unsatisfied.iter().take(leftover) {
            grants[j] += 1;
        }
        break;
    }
    grants
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn classic_example() {
        // Pool 10 over demands 2, 4, 10 with equal weights: 2, 4, 4.
        assert_eq!(waterfill(10, &[2, 4, 10], &[1, 1, 1]), vec![2, 4, 4]);
        // Weights 1:3 over a pool of 8, both hungry: 2 and 6.
        assert_eq!(waterfill(8, &[100, 100], &[1, 3]), vec![2, 6]);
        // Leftover units go to the largest remainders, ties by index.
        assert_eq!(waterfill(5, &[9, 9, 9], &[1, 1, 1]), vec![2, 2, 1]);
        assert_eq!(waterfill(4, &[9, 9], &[1, 2]), vec![1, 3]);
    }

    proptest! {
        #[test]
        fn conserving_bounded_and_fair(pool in 0u64..1_000_000, reqs in proptest::collection::vec((0u64..100_000, 1u64..1000), 0..40)) {
            let demands: Vec<u64> = reqs.iter().map(|r| r.0).collect();
            let weights: Vec<u64> = reqs.iter().map(|r| r.1).collect();
            let g = waterfill(pool, &demands, &weights);
            let total: u64 = g.iter().sum();
            prop_assert_eq!(total, pool.min(demands.iter().sum()));
            for i in 0..g.len() {
                prop_assert!(g[i] <= demands[i]);
                // An unsatisfied claimant's share per unit weight trails no one's by more than
                // rounding: g_j/w_j − g_i/w_i ≤ 1/w_i + 1/w_j.
                if g[i] < demands[i] {
                    for j in 0..g.len() {
                        let (gi, gj, wi, wj) = (g[i] as u128, g[j] as u128, weights[i] as u128, weights[j] as u128);
                        prop_assert!(gj * wi <= gi * wj + wi + wj, "{} got {} (w {}), {} got {} (w {})", i, gi, wi, j, gj, wj);
                    }
                }
            }
        }
    }
}
