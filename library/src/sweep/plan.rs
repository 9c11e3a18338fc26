//! A sweep's plan: the axes from the command line and the runs they make.

use crate::error::{Error, Result};
use crate::files::GenomeDir;
use bioxen_engine::policy::PolicyKind;
use bioxen_engine::scenario::{self, Scenario};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Most runs one sweep may plan: bounds memory for the plan and the result rows (a
/// million runs take ~150 MB to plan, and hours to run at tens of runs a second).
pub const RUNS_MAX: usize = 1_000_000;

fn bad(message: String) -> Error {
    Error::BadInput(message)
}

/// Parses `--seeds`: `A..B` (A up to B, B excluded) or a list `1,5,9`.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>> {
    let number =
        |s: &str| s.trim().parse::<u64>().map_err(|_| bad(format!("--seeds: `{s}` is not a non-negative integer")));
    let seeds: Vec<u64> = match text.split_once("..") {
        Some((a, b)) => {
            let (a, b) = (number(a)?, number(b)?);
            if a >= b {
                return Err(bad(format!("--seeds {text}: the range is empty (A..B runs A up to B-1)")));
            }
            if (b - a) as usize > RUNS_MAX {
                return Err(bad(format!("--seeds {text}: more than {RUNS_MAX} seeds")));
            }
            (a..b).collect()
        }
        None => text.split(',').map(number).collect::<Result<_, _>>()?,
    };
    let mut unique = seeds.clone();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != seeds.len() {
        return Err(bad(format!("--seeds {text}: a seed is listed twice")));
    }
    Ok(seeds)
}

/// Parses `--policies`: `all` or a list of names.
pub fn parse_policies(text: &str) -> Result<Vec<PolicyKind>> {
    if text.trim() == "all" {
        return Ok(PolicyKind::ALL.to_vec());
    }
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim) {
        let p = PolicyKind::from_name(name).ok_or_else(|| {
            let names: Vec<_> = PolicyKind::ALL.iter().map(|p| p.name()).collect();
            bad(format!("--policies: unknown policy `{name}`; expected `all` or some of: {}", names.join(", ")))
        })?;
        if out.contains(&p) {
            return Err(bad(format!("--policies: `{name}` is listed twice")));
        }
        out.push(p);
    }
    Ok(out)
}

/// One `--set KEY=V1,V2` axis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAxis {
    /// `vm.<id>.<field>`, `chassis.<field>` or `simulation.<field>`.
    pub key: String,
    /// The values, as written.
    pub values: Vec<String>,
}

/// Parses one `--set`.
pub fn parse_set(text: &str) -> Result<SetAxis> {
    let (key, values) = text
        .split_once('=')
        .ok_or_else(|| bad(format!("--set {text}: expected KEY=VALUE[,VALUE…], e.g. vm.a.weight=128,256")))?;
    let parts: Vec<&str> = key.split('.').collect();
    let shape_ok = match parts.as_slice() {
        ["vm", id, field] => !id.is_empty() && !field.is_empty(),
        ["chassis" | "simulation", field] => !field.is_empty(),
        ["simulation", "policy_params", field] => !field.is_empty(),
        _ => false,
    };
    if !shape_ok {
        return Err(bad(format!(
            "--set {text}: the key must be vm.<id>.<field>, chassis.<field>, simulation.<field> or \
             simulation.policy_params.<field>"
        )));
    }
    if matches!(parts.as_slice(), ["simulation", "seed" | "policy"]) {
        return Err(bad(format!("--set {text}: seeds and policies are axes of their own: use --seeds and --policies")));
    }
    let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
    if values.iter().any(String::is_empty) {
        return Err(bad(format!("--set {text}: an empty value")));
    }
    Ok(SetAxis { key: key.to_string(), values })
}

/// Parses every `--set`, refusing a key given twice (its runs would be labelled with one
/// value and run with another).
pub fn parse_sets(texts: &[String]) -> Result<Vec<SetAxis>> {
    let mut axes: Vec<SetAxis> = Vec::with_capacity(texts.len());
    for text in texts {
        let axis = parse_set(text)?;
        if axes.iter().any(|a| a.key == axis.key) {
            return Err(bad(format!("--set {}: the key is given twice; list its values in one --set", axis.key)));
        }
        axes.push(axis);
    }
    Ok(axes)
}

/// One run of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Position in the full plan (stable across jobs and shards).
    pub run: usize,
    /// Seed.
    pub seed: u64,
    /// Policy.
    pub policy: PolicyKind,
    /// One value per `--set` axis, in axis order.
    pub set: Vec<String>,
}

/// The full plan: every combination, in a fixed order (set values outermost, then
/// policies, then seeds).
pub fn plan(seeds: &[u64], policies: &[PolicyKind], sets: &[SetAxis]) -> Result<Vec<RunSpec>> {
    let combos = sets.iter().try_fold(1usize, |n, a| n.checked_mul(a.values.len()));
    let total = combos
        .and_then(|c| c.checked_mul(policies.len()))
        .and_then(|c| c.checked_mul(seeds.len()))
        .filter(|&t| t <= RUNS_MAX)
        .ok_or_else(|| bad(format!("the sweep has more than {RUNS_MAX} runs")))?;
    let mut runs = Vec::with_capacity(total);
    let combos = combos.unwrap_or(1);
    for c in 0..combos {
        // Mixed-radix digits of c: the last axis varies fastest.
        let mut rest = c;
        let mut set = vec![String::new(); sets.len()];
        for (k, axis) in sets.iter().enumerate().rev() {
            set[k] = axis.values[rest % axis.values.len()].clone();
            rest /= axis.values.len();
        }
        for &policy in policies {
            for &seed in seeds {
                runs.push(RunSpec { run: runs.len(), seed, policy, set: set.clone() });
            }
        }
    }
    Ok(runs)
}

/// Whether run `run` belongs to shard `k` of `n` (1-based, interleaved).
pub fn in_shard(run: usize, shard: Option<(usize, usize)>) -> bool {
    shard.is_none_or(|(k, n)| run % n == k - 1)
}

/// Parses `--shard K/N`.
pub fn parse_shard(text: &str) -> Result<(usize, usize)> {
    let parsed = text.split_once('/').and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((k, n)) if n >= 1 && (1..=n).contains(&k) => Ok((k, n)),
        _ => Err(bad(format!("--shard {text}: expected K/N with 1 ≤ K ≤ N, e.g. 2/8"))),
    }
}

/// The scenario of one run: the file's TOML with the run's `--set` values written in,
/// then parsed and checked exactly like a scenario file.
pub fn scenario_for(text: &str, file: &str, base: &Path, sets: &[SetAxis], run: &RunSpec) -> Result<Scenario> {
    let mut scenario = if sets.is_empty() {
        scenario::parse(text, file, &mut GenomeDir::new(base))?
    } else {
        let mut doc: toml::Table = toml::from_str(text).map_err(|e| bad(format!("{file}: {e}")))?;
        for (axis, value) in sets.iter().zip(&run.set) {
            set_value(&mut doc, &axis.key, value)?;
        }
        let edited = toml::to_string(&doc).map_err(|e| bad(format!("{file}: {e}")))?;
        let what: Vec<String> = sets.iter().zip(&run.set).map(|(a, v)| format!("{}={v}", a.key)).collect();
        scenario::parse(&edited, file, &mut GenomeDir::new(base)).map_err(|e| {
            // A line:column of the edited text would mean nothing to the user; a field does.
            let field = if e.where_.starts_with(|c: char| c.is_ascii_digit()) {
                String::new()
            } else {
                format!("{}: ", e.where_)
            };
            bad(format!("--set {}: {field}{}", what.join(" "), e.message))
        })?
    };
    scenario.seed = run.seed;
    scenario.policy = run.policy;
    crate::script::check_timeline(&scenario)?;
    Ok(scenario)
}

fn set_value(doc: &mut toml::Table, key: &str, value: &str) -> Result<()> {
    let parsed = value
        .parse::<i64>()
        .map(toml::Value::Integer)
        .or_else(|_| value.parse::<f64>().map(toml::Value::Float))
        .or_else(|_| value.parse::<bool>().map(toml::Value::Boolean))
        .unwrap_or_else(|_| toml::Value::String(value.to_string()));
    let parts: Vec<&str> = key.split('.').collect();
    let table = match parts.as_slice() {
        ["simulation", "policy_params", _] => doc
            .entry("simulation".to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| bad(format!("--set {key}: `simulation` is not a table")))?
            .entry("policy_params".to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| bad(format!("--set {key}: `simulation.policy_params` is not a table")))?,
        ["vm", id, _] => doc
            .get_mut("vm")
            .and_then(|v| v.as_array_mut())
            .and_then(|vms| vms.iter_mut().find(|v| v.get("id").and_then(|i| i.as_str()) == Some(*id)))
            .and_then(|v| v.as_table_mut())
            .ok_or_else(|| bad(format!("--set {key}: the scenario has no VM `{id}`")))?,
        [section, _] => doc
            .entry(section.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| bad(format!("--set {key}: `{section}` is not a table")))?,
        _ => return Err(bad(format!("--set {key}: not a settable key"))),
    };
    table.insert(parts[parts.len() - 1].to_string(), parsed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_ranges_lists_and_errors() {
        assert_eq!(parse_seeds("0..3").unwrap(), [0, 1, 2]);
        assert_eq!(parse_seeds("1,5,9").unwrap(), [1, 5, 9]);
        for bad in ["5..5", "3..1", "a..2", "1,,2", "-1", "1,1"] {
            assert!(parse_seeds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plan_is_the_cartesian_product_in_a_fixed_order() {
        let sets = vec![parse_set("vm.a.weight=1,2").unwrap()];
        let p = plan(&[7, 8], &[PolicyKind::Fair, PolicyKind::Drf], &sets).unwrap();
        assert_eq!(p.len(), 8);
        assert_eq!((p[0].seed, p[0].policy, p[0].set[0].as_str()), (7, PolicyKind::Fair, "1"));
        assert_eq!((p[3].seed, p[3].policy, p[3].set[0].as_str()), (8, PolicyKind::Drf, "1"));
        assert_eq!(p[4].set[0], "2");
        assert!(p.iter().enumerate().all(|(i, r)| r.run == i));
        let shard: Vec<usize> = p.iter().filter(|r| in_shard(r.run, Some((2, 3)))).map(|r| r.run).collect();
        assert_eq!(shard, [1, 4, 7]);
    }
}
