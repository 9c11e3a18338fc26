//! Comparing policies over seeds: per policy (and per combination of `--set` values, never
//! pooled), each metric's mean and 95 % confidence interval, ranked.

use crate::sweep::Row;
use serde::Serialize;
use std::collections::BTreeMap;

/// Mean and 95 % confidence interval of one metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// Sample mean.
    pub mean: f64,
    /// Half-width of the 95 % interval (Student's t, n − 1 degrees of freedom); 0 for n < 2.
    pub half_width: f64,
}

/// One policy's results over seeds, for one combination of `--set` values.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicySummary {
    /// Policy name.
    pub policy: String,
    /// The `--set` values of these runs (empty without `--set`).
    pub set: BTreeMap<String, String>,
    /// Runs (seeds).
    pub runs: usize,
    /// Proteins made by all VMs per run.
    pub proteins_total: Estimate,
    /// Jain's fairness index over demand met.
    pub jain_fairness: Estimate,
    /// The worst VM's fraction of demand met.
    pub worst_demand_met: Estimate,
    /// Starved VM-ticks per run.
    pub starved_ticks: Estimate,
    /// Jain's index over weighted dominant shares (what DRF equalises).
    pub jain_dominant: Estimate,
    /// Ribosomes granted / offered.
    pub ribosome_utilisation: Estimate,
}

/// Two-sided 97.5 % quantiles of Student's t for 1–30 degrees of freedom (standard
/// tables, e.g. NIST/SEMATECH e-Handbook §1.3.6.7.2); beyond, [`t_975`]'s expansion.
const T_975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// Mean and 95 % interval of `xs`.
pub fn estimate(xs: &[f64]) -> Estimate {
    let n = xs.len();
    if n == 0 {
        return Estimate { mean: f64::NAN, half_width: f64::NAN };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Estimate { mean, half_width: 0.0 };
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    Estimate { mean, half_width: t_975(n - 1) * (var / n as f64).sqrt() }
}

/// The 97.5 % quantile of Student's t with `df` ≥ 1 degrees of freedom: the table to 30,
/// then the Cornish–Fisher expansion in 1/df around the normal quantile (Abramowitz &
/// Stegun 1964, 26.7.5), within 4·10⁻⁸ of the exact value from 30 on and closer as df
/// grows. (Taking 1.96 beyond the table made every interval of 31 to ~200 runs up to 4 %
/// too narrow.) Arithmetic only: the same on every machine.
fn t_975(df: usize) -> f64 {
    if let Some(&t) = T_975.get(df.wrapping_sub(1)) {
        return t;
    }
    // The normal distribution's 97.5 % quantile, Φ⁻¹(0.975).
    const Z: f64 = 1.959_963_984_540_054;
    let (z, v) = (Z, df as f64);
    let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
    let g1 = (z3 + z) / 4.0;
    let g2 = (5.0 * z5 + 16.0 * z3 + 3.0 * z) / 96.0;
    let g3 = (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / 384.0;
    let g4 = (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / 92160.0;
    z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v)
}

/// Summaries per policy and `--set` combination, in the order they first appear in
/// `rows`, then ranked by mean proteins made (descending; ties keep that order).
pub fn summarise(rows: &[Row]) -> Vec<PolicySummary> {
    let mut groups: Vec<(&str, &BTreeMap<String, String>)> = Vec::new();
    for r in rows {
        if !groups.contains(&(r.policy.as_str(), &r.set)) {
            groups.push((&r.policy, &r.set));
        }
    }
    let mut out: Vec<PolicySummary> = groups
        .into_iter()
        .map(|(p, set)| {
            let mine: Vec<&Row> = rows.iter().filter(|r| r.policy == p && &r.set == set).collect();
            let metric = |f: &dyn Fn(&Row) -> f64| estimate(&mine.iter().map(|r| f(r)).collect::<Vec<_>>());
            PolicySummary {
                runs: mine.len(),
                proteins_total: metric(&|r| r.proteins_total as f64),
                jain_fairness: metric(&|r| r.jain_fairness),
                worst_demand_met: metric(&|r| r.worst_demand_met),
                starved_ticks: metric(&|r| r.vms.iter().map(|v| v.starved_ticks).sum::<u64>() as f64),
                jain_dominant: metric(&|r| r.jain_dominant),
                ribosome_utilisation: metric(&|r| r.ribosome_utilisation),
                policy: p.to_string(),
                set: set.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.proteins_total.mean.total_cmp(&a.proteins_total.mean));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_matches_a_hand_computation() {
        // 1, 2, 3: mean 2, s = 1, t(2) = 4.303, half-width 4.303 / √3.
        let e = estimate(&[1.0, 2.0, 3.0]);
        assert_eq!(e.mean, 2.0);
        assert!((e.half_width - 4.303 / 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(estimate(&[5.0]).half_width, 0.0);
    }

    /// Beyond the table, the expansion against the exact quantiles (R's `qt(0.975, df)`).
    #[test]
    fn t_quantiles_beyond_the_table_are_exact_to_the_table_s_digits() {
        for (df, exact) in
            [(31, 2.039513446), (40, 2.021075390), (60, 2.000297822), (120, 1.979930405), (999, 1.962341461)]
        {
            assert!((t_975(df) - exact).abs() < 1e-7, "df {df}: {} against {exact}", t_975(df));
        }
        assert_eq!(t_975(1), 12.706);
        assert_eq!(t_975(30), 2.042);
        assert!(t_975(1_000_000) > 1.959_963 && t_975(1_000_000) < 1.959_97);
    }
}
