//! Running a sweep's plan: in parallel, each row appended as its run finishes; or in
//! memory, for `bioxen compare`.

use super::plan::{self, RunSpec, SetAxis};
use super::results::{self, Row};
use super::{MANIFEST_VERSION, Manifest, Sweep};
use crate::driver::Runner;
use crate::error::{Error, Result};
use crate::files;
use crate::metrics;
use crate::remote::Farm;
use bioxen_engine::record::hex;
use bioxen_engine::scenario::Scenario;
use bioxen_engine::sim::Simulation;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Runs (or resumes) a sweep on the current rayon pool. `progress(done, total)` is called
/// after each run. Returns the rows of this shard, sorted by run.
pub fn run(sweep: &Sweep, progress: impl Fn(usize, usize) + Sync) -> Result<Vec<Row>> {
    let text = read_scenario(&sweep.scenario)?;
    let runs: Vec<RunSpec> = plan::plan(&sweep.seeds, &sweep.policies, &sweep.sets)?;
    let scenarios = scenarios(&sweep.scenario, &without_placement(&sweep.scenario, &text)?, &sweep.sets, &runs)?;
    let manifest = Manifest {
        format_version: MANIFEST_VERSION,
        engine_version: bioxen_engine::ENGINE_VERSION.to_string(),
        scenario: sweep.scenario.display().to_string(),
        scenario_hash: hex(blake3::hash(text.as_bytes()).as_bytes()),
        seeds: sweep.seeds.clone(),
        policies: sweep.policies.iter().map(|p| p.name().to_string()).collect(),
        sets: sweep.sets.clone(),
        shard: sweep.shard,
        runs_total: runs.len(),
        command: sweep.command.clone(),
    };
    let mine: Vec<&RunSpec> = runs.iter().filter(|r| plan::in_shard(r.run, sweep.shard)).collect();
    let done = prepare_dir(sweep, &manifest, &mine)?;
    let todo: Vec<&RunSpec> = mine.into_iter().filter(|r| !done.contains_key(&r.run)).collect();
    let total = todo.len();
    let jsonl = sweep.out.join("results.jsonl");
    let sink = Mutex::new(files::append_log(&jsonl)?);
    let finished = AtomicUsize::new(0);
    let new_rows: Vec<Row> = todo
        .par_iter()
        .map(|r| -> Result<Row> {
            let row = run_one(&scenarios[&r.set], &sweep.sets, r, sweep.farm.as_deref())?;
            let mut line = serde_json::to_string(&row)?;
            line.push('\n');
            // One write per row on an append-only file: a crash leaves whole rows and at
            // most one torn last line, which --resume drops.
            let mut f = sink.lock().unwrap_or_else(|p| p.into_inner());
            f.write_all(line.as_bytes()).and_then(|_| f.flush()).map_err(|e| Error::io(jsonl.display(), e))?;
            drop(f);
            progress(finished.fetch_add(1, Ordering::Relaxed) + 1, total);
            Ok(row)
        })
        .collect::<Result<_>>()?;
    let mut rows: Vec<Row> = done.into_values().chain(new_rows).collect();
    rows.sort_by_key(|r| r.run);
    results::write_results(&sweep.out, &rows, &sweep.sets)?;
    Ok(rows)
}

/// Runs `runs` of the scenario at `scenario` in parallel without writing anything (for
/// `bioxen compare`), in run order, on `farm`'s hosts if given. Every `--set` combination
/// is checked first.
pub fn run_in_memory(
    scenario: &Path,
    sets: &[SetAxis],
    runs: &[RunSpec],
    farm: Option<&Farm>,
    progress: impl Fn(usize, usize) + Sync,
) -> Result<Vec<Row>> {
    let text = read_scenario(scenario)?;
    let scenarios = scenarios(scenario, &without_placement(scenario, &text)?, sets, runs)?;
    let finished = AtomicUsize::new(0);
    runs.par_iter()
        .map(|r| {
            let row = run_one(&scenarios[&r.set], sets, r, farm);
            progress(finished.fetch_add(1, Ordering::Relaxed) + 1, runs.len());
            row
        })
        .collect()
}

/// The scenario file's text, read within the scenario bound.
fn read_scenario(path: &Path) -> Result<String> {
    let bytes = files::read_input(path, files::SCENARIO_BYTES_MAX)
        .map_err(|e| Error::BadInput(format!("{}: cannot read scenario: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|_| Error::BadInput(format!("{}: the scenario is not UTF-8 text", path.display())))
}

/// The scenario's text with its placement table cut out (a whole run goes to one host;
/// the table only places VMs within a run).
fn without_placement(path: &Path, text: &str) -> Result<String> {
    Ok(crate::placement::strip(text, &path.display().to_string())?.0)
}

/// Each `--set` combination's scenario, parsed and checked once, before any run: a bad
/// value fails the sweep up front, and no run re-parses TOML or re-reads a genome file.
fn scenarios(path: &Path, text: &str, sets: &[SetAxis], runs: &[RunSpec]) -> Result<BTreeMap<Vec<String>, Scenario>> {
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

fn run_one(scenario: &Scenario, sets: &[SetAxis], r: &RunSpec, farm: Option<&Farm>) -> Result<Row> {
    let started = Instant::now();
    let mut scenario = scenario.clone();
    (scenario.seed, scenario.policy) = (r.seed, r.policy);
    let in_run = |e: Error| Error::InRun { run: r.run, source: Box::new(e) };
    let sim = match farm {
        Some(farm) => farm.run(&scenario).map_err(in_run)?,
        None => {
            // Through the runner, which runs the timeline's scripts.
            let mut runner = Runner::Engine(Box::new(Simulation::new(scenario).map_err(|e| in_run(e.into()))?));
            runner.run_ticks(u64::MAX, |_| true).outcome.map_err(in_run)?;
            runner.into_simulation()?
        }
    };
    let digest = sim.digest();
    let (m, vms) = metrics::of(&sim);
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
        vms,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Creates or reopens the output directory; returns the rows already done (on resume):
/// only those of `mine`, this shard's plan, with the seed, policy and values the plan
/// gives their run number.
fn prepare_dir(sweep: &Sweep, manifest: &Manifest, mine: &[&RunSpec]) -> Result<BTreeMap<usize, Row>> {
    let out = &sweep.out;
    let manifest_path = out.join("manifest.json");
    let jsonl = out.join("results.jsonl");
    if let Ok(meta) = std::fs::metadata(out)
        && !meta.is_dir()
    {
        return Err(Error::BadInput(format!("--out {}: is not a directory", out.display())));
    }
    if sweep.resume {
        let old = read_manifest(&manifest_path)?;
        if !old.same_plan(manifest) || old.shard != manifest.shard {
            return Err(Error::BadInput(format!(
                "{}: --resume with a different scenario, seeds, policies, --set or --shard than the sweep there",
                out.display()
            )));
        }
        let planned: BTreeMap<usize, &RunSpec> = mine.iter().map(|r| (r.run, *r)).collect();
        let (kept, dropped): (BTreeMap<usize, Row>, BTreeMap<usize, Row>) =
            results::read_rows(&jsonl)?.into_iter().partition(|(run, row)| {
                planned.get(run).is_some_and(|p| {
                    row.seed == p.seed
                        && row.policy == p.policy.name()
                        && manifest.sets.iter().zip(&p.set).all(|(a, v)| row.set.get(&a.key) == Some(v))
                })
            });
        if !dropped.is_empty() {
            tracing::warn!(rows = dropped.len(), "dropped rows that are not in this sweep's plan");
        }
        // Rewrite without a torn last line, or rows not in the plan, before appending.
        files::write_file(&jsonl, |w| results::write_jsonl(w, kept.values()))?;
        return Ok(kept);
    }
    if manifest_path.exists() || jsonl.exists() {
        return Err(Error::BadInput(format!(
            "{} already holds a sweep; pass --resume to finish it, or choose another --out",
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::BadInput(format!("--out {}: {e}", out.display())))?;
    write_manifest(&manifest_path, manifest)?;
    Ok(BTreeMap::new())
}

/// Reads a sweep directory's manifest (a bounded read).
pub(super) fn read_manifest(path: &Path) -> Result<Manifest> {
    let bytes = files::read_input(path, 16 * 1024 * 1024)
        .map_err(|e| Error::BadInput(format!("{}: cannot read the sweep's manifest: {e}", path.display())))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::BadInput(format!("{}: not a sweep manifest: {e}", path.display())))
}

/// Writes a manifest, atomically.
pub(super) fn write_manifest(path: &Path, manifest: &Manifest) -> Result<()> {
    let text = serde_json::to_string_pretty(manifest)?;
    files::write_file(path, |w| w.write_all(text.as_bytes()).map_err(|e| Error::io(path.display(), e)))
}
