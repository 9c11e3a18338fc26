//! `bioxen sweep`: reproducible parallel runs over seeds, policies and parameters.
//!
//! A sweep is planned up front ([`plan`]): the cartesian product of the `--set` values,
//! policies and seeds, each run numbered. Runs execute in parallel (rayon, `--jobs`),
//! each appending its row to `results.jsonl` as one write as soon as it finishes, so a
//! killed sweep loses at most the rows in flight. At the end both `results.jsonl` and
//! `results.csv` are rewritten, sorted by run number, atomically: the same sweep gives
//! the same files (but the `elapsed_seconds` column) for any `--jobs` and any sharding.
//! `--resume` keeps the rows already written and runs the rest.

pub mod plan;

use crate::metrics::{self, VmMetrics};
use bioxen_engine::codec::write_atomically;
use bioxen_engine::record::hex;
use bioxen_engine::scenario::Scenario;
use bioxen_engine::sim::Simulation;
use plan::{RunSpec, SetAxis, SweepArgError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Manifest format version.
pub const MANIFEST_VERSION: u32 = 1;

/// One finished run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Run number in the full plan.
    pub run: usize,
    /// Seed.
    pub seed: u64,
    /// Policy name.
    pub policy: String,
    /// `--set` key → value.
    pub set: BTreeMap<String, String>,
    /// The run's digest.
    pub digest: String,
    /// Proteins made by all VMs.
    pub proteins_total: u64,
    /// Jain's index over demand met.
    pub jain_fairness: f64,
    /// Smallest demand met.
    pub worst_demand_met: f64,
    /// Jain's index over weighted dominant shares.
    pub jain_dominant: f64,
    /// ATP granted / offered.
    pub atp_utilisation: f64,
    /// Ribosomes granted / offered.
    pub ribosome_utilisation: f64,
    /// Per-VM metrics, in id order.
    pub vms: Vec<VmMetrics>,
    /// Wall-clock seconds (the one column that varies between identical sweeps).
    pub elapsed_seconds: f64,
}

/// What a sweep directory was made by: checked on `--resume` and `sweep-merge`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest format version.
    pub format_version: u32,
    /// Engine version.
    pub engine_version: String,
    /// The scenario file as given.
    pub scenario: String,
    /// BLAKE3 of the scenario file's bytes.
    pub scenario_hash: String,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Policy names.
    pub policies: Vec<String>,
    /// `--set` axes.
    pub sets: Vec<SetAxis>,
    /// `K/N`, if sharded.
    pub shard: Option<(usize, usize)>,
    /// Runs in the whole plan.
    pub runs_total: usize,
    /// The exact command.
    pub command: Vec<String>,
}

impl Manifest {
    /// True when `other` describes the same plan (command and shard aside).
    pub fn same_plan(&self, other: &Manifest) -> bool {
        (&self.scenario_hash, &self.seeds, &self.policies, &self.sets, self.runs_total)
            == (&other.scenario_hash, &other.seeds, &other.policies, &other.sets, other.runs_total)
    }
}

/// Everything a sweep needs.
pub struct Sweep {
    /// Scenario path.
    pub scenario: PathBuf,
    /// Seeds, policies and `--set` axes.
    pub seeds: Vec<u64>,
    /// Policies.
    pub policies: Vec<bioxen_engine::policy::PolicyKind>,
    /// `--set` axes.
    pub sets: Vec<SetAxis>,
    /// Shard `K/N`.
    pub shard: Option<(usize, usize)>,
    /// Output directory.
    pub out: PathBuf,
    /// Continue an interrupted sweep.
    pub resume: bool,
    /// The command line, for the manifest.
    pub command: Vec<String>,
}

/// A sweep that could not run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// Bad arguments or scenario: exit status 2.
    #[error(transparent)]
    Args(#[from] SweepArgError),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
}

fn io(path: &Path, e: impl std::fmt::Display) -> SweepError {
    SweepError::Io(format!("{}: {e}", path.display()))
}

/// Runs (or resumes) a sweep on the current rayon pool. `progress(done, total)` is called
/// after each run. Returns the rows of this shard, sorted by run.
pub fn run(sweep: &Sweep, progress: impl Fn(usize, usize) + Sync) -> Result<Vec<Row>, SweepError> {
    let text = std::fs::read_to_string(&sweep.scenario).map_err(|e| io(&sweep.scenario, e))?;
    let file = sweep.scenario.display().to_string();
    let runs: Vec<RunSpec> = plan::plan(&sweep.seeds, &sweep.policies, &sweep.sets)?;
    let scenarios = scenarios(&sweep.scenario, &text, &sweep.sets, &runs)?;
    let manifest = Manifest {
        format_version: MANIFEST_VERSION,
        engine_version: bioxen_engine::ENGINE_VERSION.to_string(),
        scenario: file.clone(),
        scenario_hash: hex(blake3::hash(text.as_bytes()).as_bytes()),
        seeds: sweep.seeds.clone(),
        policies: sweep.policies.iter().map(|p| p.name().to_string()).collect(),
        sets: sweep.sets.clone(),
        shard: sweep.shard,
        runs_total: runs.len(),
        command: sweep.command.clone(),
    };
    let done = prepare_dir(sweep, &manifest)?;
    let todo: Vec<&RunSpec> =
        runs.iter().filter(|r| plan::in_shard(r.run, sweep.shard) && !done.contains_key(&r.run)).collect();
    let total = todo.len();
    let jsonl = sweep.out.join("results.jsonl");
    let sink = Mutex::new(OpenOptions::new().create(true).append(true).open(&jsonl).map_err(|e| io(&jsonl, e))?);
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let new_rows: Vec<Row> = todo
        .par_iter()
        .map(|r| -> Result<Row, SweepError> {
            let row = run_one(&scenarios[&r.set], &sweep.sets, r)?;
            let mut line = serde_json::to_string(&row).map_err(|e| SweepError::Io(e.to_string()))?;
            line.push('\n');
            // One write per row on an append-only file: a crash leaves whole rows and at
            // most one torn last line, which --resume drops.
            let mut f = sink.lock().unwrap_or_else(|p| p.into_inner());
            f.write_all(line.as_bytes()).and_then(|_| f.flush()).map_err(|e| io(&jsonl, e))?;
            drop(f);
            progress(finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total);
            Ok(row)
        })
        .collect::<Result<_, _>>()?;
    let mut rows: Vec<Row> = done.into_values().chain(new_rows).collect();
    rows.sort_by_key(|r| r.run);
    write_results(&sweep.out, &rows, &sweep.sets)?;
    Ok(rows)
}

/// Runs `runs` of the scenario `text` in parallel without writing anything (for
/// `bioxen compare`), in run order. Every `--set` combination is checked first.
pub fn run_in_memory(
    scenario: &Path,
    sets: &[SetAxis],
    runs: &[RunSpec],
    progress: impl Fn(usize, usize) + Sync,
) -> Result<Vec<Row>, SweepError> {
    let text = std::fs::read_to_string(scenario).map_err(|e| io(scenario, e))?;
    let scenarios = scenarios(scenario, &text, sets, runs)?;
    let finished = std::sync::atomic::AtomicUsize::new(0);
    runs.par_iter()
        .map(|r| {
            let row = run_one(&scenarios[&r.set], sets, r);
            progress(finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, runs.len());
            row
        })
        .collect()
}

/// Each `--set` combination's scenario, parsed and checked once, before any run: a bad
/// value fails the sweep up front, and no run re-parses TOML or re-reads a genome file.
fn scenarios(
    path: &Path,
    text: &str,
    sets: &[SetAxis],
    runs: &[RunSpec],
) -> Result<BTreeMap<Vec<String>, Scenario>, SweepError> {
    let file = path.display().to_string();
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = BTreeMap::new();
    for r in runs {
        if !out.contains_key(&r.set) {
            out.insert(r.set.clone(), plan::scenario_for(text, &file, base, sets, r)?);
        }
    }
    Ok(out)
}

fn run_one(scenario: &Scenario, sets: &[SetAxis], r: &RunSpec) -> Result<Row, SweepError> {
    let started = Instant::now();
    let mut scenario = scenario.clone();
    (scenario.seed, scenario.policy) = (r.seed, r.policy);
    let mut sim = Simulation::new(scenario);
    let digest = sim.run(|_, _| {}).map_err(|e| SweepError::Io(format!("run {}: {e}", r.run)))?;
    let m = metrics::of(&sim);
    Ok(Row {
        run: r.run,
        seed: r.seed,
        policy: r.policy.name().to_string(),
        set: sets.iter().zip(&r.set).map(|(a, v)| (a.key.clone(), v.clone())).collect(),
        digest: hex(&digest),
        proteins_total: m.proteins_total,
        jain_fairness: m.jain_fairness,
        worst_demand_met: m.worst_demand_met,
        jain_dominant: m.jain_dominant,
        atp_utilisation: m.atp_utilisation,
        ribosome_utilisation: m.ribosome_utilisation,
        vms: m.vms,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Creates or reopens the output directory; returns the rows already done (on resume).
fn prepare_dir(sweep: &Sweep, manifest: &Manifest) -> Result<BTreeMap<usize, Row>, SweepError> {
    let out = &sweep.out;
    let manifest_path = out.join("manifest.json");
    let jsonl = out.join("results.jsonl");
    if sweep.resume {
        let old: Manifest = std::fs::read_to_string(&manifest_path)
            .map_err(|e| io(&manifest_path, e))
            .and_then(|t| serde_json::from_str(&t).map_err(|e| io(&manifest_path, e)))?;
        if !old.same_plan(manifest) || old.shard != manifest.shard {
            return Err(SweepArgError(format!(
                "{}: --resume with a different scenario, seeds, policies, --set or --shard than the sweep there",
                out.display()
            ))
            .into());
        }
        let rows = read_rows(&jsonl)?;
        // Rewrite without a torn last line before appending.
        write_atomically(&jsonl, |w| write_jsonl(w, rows.values())).map_err(|e| io(&jsonl, e))?;
        return Ok(rows);
    }
    if manifest_path.exists() || jsonl.exists() {
        return Err(SweepArgError(format!(
            "{} already holds a sweep; pass --resume to finish it, or choose another --out",
            out.display()
        ))
        .into());
    }
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    let text = serde_json::to_string_pretty(manifest).map_err(|e| SweepError::Io(e.to_string()))?;
    write_atomically(&manifest_path, |w| w.write_all(text.as_bytes())).map_err(|e| io(&manifest_path, e))?;
    Ok(BTreeMap::new())
}

/// Rows of a `results.jsonl`, by run; a torn or unreadable line (a crash mid-write) is
/// dropped, and a run written twice keeps its first row.
pub fn read_rows(path: &Path) -> Result<BTreeMap<usize, Row>, SweepError> {
    let mut rows = BTreeMap::new();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(rows),
        Err(e) => return Err(io(path, e)),
    };
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| io(path, e))?;
        if let Ok(row) = serde_json::from_str::<Row>(&line) {
            rows.entry(row.run).or_insert(row);
        }
    }
    Ok(rows)
}

fn write_jsonl<'a>(w: &mut dyn Write, rows: impl Iterator<Item = &'a Row>) -> std::io::Result<()> {
    for r in rows {
        serde_json::to_writer(&mut *w, r)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes `results.jsonl` and `results.csv`, sorted by run, atomically.
pub fn write_results(out: &Path, rows: &[Row], sets: &[SetAxis]) -> Result<(), SweepError> {
    let jsonl = out.join("results.jsonl");
    write_atomically(&jsonl, |w| write_jsonl(w, rows.iter())).map_err(|e| io(&jsonl, e))?;
    let csv = out.join("results.csv");
    write_atomically(&csv, |w| write_csv(w, rows, sets)).map_err(|e| io(&csv, e))
}

const VM_COLUMNS: [&str; 8] = [
    "proteins",
    "atp_granted",
    "ribosome_ticks",
    "demand_met",
    "starved_ticks",
    "divisions",
    "mean_doubling_minutes",
    "dominant_share",
];

fn write_csv(w: &mut dyn Write, rows: &[Row], sets: &[SetAxis]) -> std::io::Result<()> {
    let mut header: Vec<String> = ["run", "seed", "policy"].map(String::from).to_vec();
    header.extend(sets.iter().map(|s| s.key.clone()));
    header.extend(
        [
            "digest",
            "proteins_total",
            "jain_fairness",
            "worst_demand_met",
            "jain_dominant",
            "atp_utilisation",
            "ribosome_utilisation",
        ]
        .map(String::from),
    );
    if let Some(first) = rows.first() {
        for vm in &first.vms {
            header.extend(VM_COLUMNS.iter().map(|c| format!("{}.{c}", vm.id)));
        }
    }
    header.push("elapsed_seconds".into());
    writeln!(w, "{}", header.join(","))?;
    for r in rows {
        let mut cells: Vec<String> = vec![r.run.to_string(), r.seed.to_string(), r.policy.clone()];
        cells.extend(sets.iter().map(|s| r.set.get(&s.key).cloned().unwrap_or_default()));
        cells.extend([
            r.digest.clone(),
            r.proteins_total.to_string(),
            r.jain_fairness.to_string(),
            r.worst_demand_met.to_string(),
            r.jain_dominant.to_string(),
            r.atp_utilisation.to_string(),
            r.ribosome_utilisation.to_string(),
        ]);
        for vm in &r.vms {
            cells.extend([
                vm.proteins.to_string(),
                vm.atp_granted.to_string(),
                vm.ribosome_ticks.to_string(),
                vm.demand_met.to_string(),
                vm.starved_ticks.to_string(),
                vm.divisions.to_string(),
                vm.mean_doubling_minutes.map_or(String::new(), |m| m.to_string()),
                vm.dominant_share.to_string(),
            ]);
        }
        cells.push(r.elapsed_seconds.to_string());
        writeln!(w, "{}", cells.join(","))?;
    }
    Ok(())
}

/// `bioxen sweep-merge`: joins shard directories into `out`, checking they are shards of
/// one plan and that together they hold every run exactly once.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Vec<Row>, SweepError> {
    let mut manifest: Option<Manifest> = None;
    let mut rows: BTreeMap<usize, Row> = BTreeMap::new();
    for dir in dirs {
        let path = dir.join("manifest.json");
        let m: Manifest = std::fs::read_to_string(&path)
            .map_err(|e| io(&path, e))
            .and_then(|t| serde_json::from_str(&t).map_err(|e| io(&path, e)))?;
        if let Some(first) = &manifest
            && !first.same_plan(&m)
        {
            return Err(SweepArgError(format!(
                "{}: not a shard of the same sweep as {}",
                dir.display(),
                dirs[0].display()
            ))
            .into());
        }
        for (run, row) in read_rows(&dir.join("results.jsonl"))? {
            if run >= m.runs_total {
                return Err(SweepArgError(format!(
                    "{}: run {run} is outside the plan's {} runs",
                    dir.display(),
                    m.runs_total
                ))
                .into());
            }
            if let Some(existing) = rows.get(&run)
                && existing.digest != row.digest
            {
                return Err(SweepArgError(format!("run {run} differs between shards")).into());
            }
            rows.entry(run).or_insert(row);
        }
        manifest.get_or_insert(m);
    }
    let Some(mut manifest) = manifest else {
        return Err(SweepArgError("sweep-merge needs at least one directory".into()).into());
    };
    // Every run is < runs_total (checked above), so this cannot underflow.
    let missing = manifest.runs_total - rows.len();
    if missing > 0 {
        return Err(SweepArgError(format!(
            "the shards hold {} of {} runs; {missing} missing",
            rows.len(),
            manifest.runs_total
        ))
        .into());
    }
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    manifest.shard = None;
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| SweepError::Io(e.to_string()))?;
    let mpath = out.join("manifest.json");
    write_atomically(&mpath, |w| w.write_all(text.as_bytes())).map_err(|e| io(&mpath, e))?;
    let rows: Vec<Row> = rows.into_values().collect();
    write_results(out, &rows, &manifest.sets)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// `--resume` and `sweep-merge` read rows back from JSON; their floats must come
        /// back bit for bit or the merged results differ from a single sweep's in the last
        /// digit (serde_json's `float_roundtrip`).
        #[test]
        fn floats_survive_the_json_round_trip(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            let back: f64 = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
            prop_assert_eq!(back.to_bits(), x.to_bits());
        }
    }
}
