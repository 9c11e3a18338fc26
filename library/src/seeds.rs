//! One script over many seeds: a measurement as a distribution (`bioxen script --seeds`).
//!
//! A figure from one seed is one cell's story; a scientific claim is a distribution. Each
//! seed is a run of its own (the scenario with that seed), the script runs on the same VM
//! in each, and the runs stop where the script returns. The values the script returns are
//! summarised field by field as mean ± SD over the seeds.

use crate::api::{ApiError, BioVmManager};
use bioxen_engine::scenario::Scenario;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

use crate::script::ScriptOutcome;

/// One seed's run of the script.
#[derive(Clone, Debug, Serialize)]
pub struct SeedRun {
    /// The seed.
    pub seed: u64,
    /// What the script did and returned in that run.
    pub outcome: ScriptOutcome,
}

/// A figure over the seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 for one value.
    pub sd: f64,
    /// Runs whose value had this figure.
    pub n: usize,
}

/// Runs `code` (named `name` in errors) on VM `vm` of `scenario` once per seed, the runs in
/// parallel on rayon's pool; returns them in the order of `seeds`. `done` is told how many
/// have finished, in whatever order they finish. The first error (in seed order) is
/// returned, naming its seed.
pub fn run_over_seeds(
    scenario: &Scenario,
    base: &Path,
    vm: &str,
    (code, name): (&str, &str),
    seeds: &[u64],
    done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<SeedRun>, ApiError> {
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let runs: Vec<Result<SeedRun, ApiError>> = seeds
        .par_iter()
        .map(|&seed| {
            let run = run_one(scenario, base, vm, (code, name), seed);
            done(finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            run
        })
        .collect();
    runs.into_iter().collect()
}

fn run_one(
    scenario: &Scenario,
    base: &Path,
    vm: &str,
    (code, name): (&str, &str),
    seed: u64,
) -> Result<SeedRun, ApiError> {
    let mut scenario = scenario.clone();
    scenario.seed = seed;
    let manager = BioVmManager::from_scenario(scenario, base)?;
    let handle = manager.get_vm(vm).ok_or_else(|| ApiError::Vm(format!("--vm: the scenario has no VM `{vm}`")))?;
    let outcome = handle.execute_script(code, name).map_err(|e| seeded(e, seed))?;
    Ok(SeedRun { seed, outcome })
}

/// `e`, saying which seed's run it came from.
fn seeded(e: ApiError, seed: u64) -> ApiError {
    match e {
        ApiError::Script(mut s) => {
            s.message = format!("{} (seed {seed})", s.message);
            ApiError::Script(s)
        }
        other => other,
    }
}

/// The numeric figures of `values`, each summarised over the values that have it: a
/// number is the figure `value`; a map's numeric fields are figures by their names (in
/// name order); anything else has none.
pub fn summarise(values: &[&serde_json::Value]) -> BTreeMap<String, Summary> {
    let mut figures: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for v in values {
        match v {
            serde_json::Value::Number(n) => figures.entry("value".into()).or_default().extend(n.as_f64()),
            serde_json::Value::Object(map) => {
                for (k, x) in map {
                    if let Some(x) = x.as_f64() {
                        figures.entry(k.clone()).or_default().push(x);
                    }
                }
            }
            _ => {}
        }
    }
    figures.into_iter().map(|(k, xs)| (k, summary(&xs))).collect()
}

fn summary(xs: &[f64]) -> Summary {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let sd =
        if n < 2 { 0.0 } else { libm::sqrt(xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64) };
    Summary { mean, sd, n }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summarises_numbers_and_maps_field_by_field() {
        let values = [json!({"a": 1, "b": "x", "c": 2.0}), json!({"a": 3, "c": 4.0}), json!([1, 2])];
        let s = summarise(&values.iter().collect::<Vec<_>>());
        assert_eq!(s.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(s["a"], Summary { mean: 2.0, sd: std::f64::consts::SQRT_2, n: 2 });
        let one = summarise(&[&json!(5)]);
        assert_eq!(one["value"], Summary { mean: 5.0, sd: 0.0, n: 1 });
        assert!(summarise(&[&json!("text")]).is_empty());
    }
}
