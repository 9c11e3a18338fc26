//! Experiments from Python: a scenario run, a sweep over seeds and policies, a comparison
//! of policies, and a trace read back, each as lists of dicts a data frame loads in one
//! line (`pandas.DataFrame(rows)`), each row with its seed and digest.

use crate::convert;
use crate::errors::{from_library, value_error};
use bioxen::engine::policy::PolicyKind;
use bioxen::sweep::Row;
use bioxen::sweep::plan::RunSpec;
use pyo3::prelude::*;
use pyo3::types::PyList;
use std::path::{Path, PathBuf};

/// The most runs one call makes (as `bioxen sweep`'s plan allows).
const RUNS_MAX: usize = 1_000_000;

fn policy(name: &str) -> PyResult<PolicyKind> {
    PolicyKind::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = PolicyKind::ALL.iter().map(|p| p.name()).collect();
        value_error(format!("unknown policy {name:?}: {}", names.join(", ")))
    })
}

/// The plan: every policy (the scenario's when none) × every seed (the scenario's when
/// none), in that order.
fn plan(scenario: &Path, seeds: Option<Vec<u64>>, policies: Option<Vec<String>>) -> PyResult<Vec<RunSpec>> {
    existing(scenario, "Scenario")?;
    let loaded = bioxen::files::load_scenario(scenario).map_err(|e| from_library(e.into()))?;
    let seeds = seeds.unwrap_or_else(|| vec![loaded.seed]);
    let policies = match policies {
        None => vec![loaded.policy],
        Some(names) => names.iter().map(|n| policy(n)).collect::<PyResult<_>>()?,
    };
    if seeds.is_empty() || policies.is_empty() {
        return Err(value_error("a sweep needs at least one seed and one policy"));
    }
    if seeds.len().saturating_mul(policies.len()) > RUNS_MAX {
        return Err(value_error(format!("more than {RUNS_MAX} runs in one call")));
    }
    let specs = policies.iter().flat_map(|&p| seeds.iter().map(move |&s| (p, s)));
    Ok(specs.enumerate().map(|(run, (policy, seed))| RunSpec { run, seed, policy, set: Vec::new() }).collect())
}

/// Runs `specs` of `scenario` with the GIL released, on `jobs` threads (all cores when
/// None).
fn run_specs(py: Python<'_>, scenario: &Path, specs: &[RunSpec], jobs: Option<usize>) -> PyResult<Vec<Row>> {
    let threads = jobs.unwrap_or(0).min(bioxen::THREADS_MAX);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| crate::errors::SimulationError::new_err(e.to_string()))?;
    py.detach(|| pool.install(|| bioxen::sweep::run_in_memory(scenario, &[], specs, None, |_, _| {})))
        .map_err(from_library)
}

/// Runs `specs` of `scenario` as dicts with the engine version.
fn rows<'py>(py: Python<'py>, scenario: &Path, specs: &[RunSpec], jobs: Option<usize>) -> PyResult<Bound<'py, PyList>> {
    let rows = run_specs(py, scenario, specs, jobs)?;
    let list = PyList::empty(py);
    for row in &rows {
        let d = convert::to_py(py, row)?;
        d.set_item("engine_version", bioxen::engine::ENGINE_VERSION)?;
        list.append(d)?;
    }
    Ok(list)
}

/// Runs a scenario file on the engine: its seed and policy unless given. A dict of the
/// run's metrics (`digest`, `seed`, `policy`, `proteins_total`, fairness, utilisation,
/// `vms`: one dict per VM) and the engine version.
#[pyfunction]
#[pyo3(signature = (scenario, seed = None, policy = None))]
pub fn run<'py>(
    py: Python<'py>,
    scenario: PathBuf,
    seed: Option<u64>,
    policy: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let specs = plan(&scenario, seed.map(|s| vec![s]), policy.map(|p| vec![p]))?;
    rows(py, &scenario, &specs, Some(1))?.get_item(0)
}

/// Runs a scenario for every seed under every policy (the scenario's when not given), in
/// parallel on `jobs` threads: one dict per run, in plan order (policies outermost).
#[pyfunction]
#[pyo3(signature = (scenario, seeds, policies = None, jobs = None))]
pub fn sweep<'py>(
    py: Python<'py>,
    scenario: PathBuf,
    seeds: Vec<u64>,
    policies: Option<Vec<String>>,
    jobs: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    let specs = plan(&scenario, Some(seeds), policies)?;
    rows(py, &scenario, &specs, jobs)
}

/// Compares policies over seeds (as `bioxen compare`): one dict per policy with each
/// metric's mean and 95 % interval over the seeds.
#[pyfunction]
#[pyo3(signature = (scenario, seeds, policies, jobs = None))]
pub fn compare<'py>(
    py: Python<'py>,
    scenario: PathBuf,
    seeds: Vec<u64>,
    policies: Vec<String>,
    jobs: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let specs = plan(&scenario, Some(seeds), Some(policies))?;
    let rows = run_specs(py, &scenario, &specs, jobs)?;
    convert::to_py(py, &bioxen::compare::summarise(&rows))
}

/// A trace file's records: one dict per VM per tick (`tick`, `vm`, `state`, demand,
/// grant, `mrna`, `proteins`, …, as `bioxen export`), or with `vm` and `genes` that VM's
/// rows with each gene's protein molecules, read by re-running the trace's scenario.
#[pyfunction]
#[pyo3(signature = (path, vm = None, genes = None))]
pub fn read_trace<'py>(
    py: Python<'py>,
    path: PathBuf,
    vm: Option<String>,
    genes: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyList>> {
    let jsonl = py.detach(|| export(&path, vm.as_deref(), genes.as_deref()))?;
    let list = PyList::empty(py);
    for line in jsonl.lines().filter(|l| !l.is_empty()) {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| crate::errors::SimulationError::new_err(e.to_string()))?;
        list.append(convert::to_py(py, &value)?)?;
    }
    Ok(list)
}

/// The trace at `path` exported as JSON lines (the one row format `bioxen export` has).
fn export(path: &Path, vm: Option<&str>, genes: Option<&[String]>) -> PyResult<String> {
    existing(path, "Trace")?;
    let mut trace = bioxen::files::open_trace(path).map_err(|e| from_library(e.into()))?;
    let mut out = Vec::new();
    let format = bioxen::export::Format::Jsonl;
    match (vm, genes) {
        (None, None) => bioxen::export::rows(&mut trace, format, &mut out, |_| {}),
        (Some(id), genes) => {
            let index = trace
                .scenario
                .vms
                .iter()
                .position(|v| v.id == id)
                .ok_or_else(|| crate::errors::VMNotFoundError::new_err(format!("VM {id} not found")))?;
            let genes = genes.unwrap_or_default();
            bioxen::export::gene_rows(&mut trace, path, index, genes, format, &mut out, |_| {})
        }
        (None, Some(_)) => return Err(value_error("genes are read for one VM: give vm too")),
    }
    .map_err(from_library)?;
    String::from_utf8(out).map_err(|e| crate::errors::SimulationError::new_err(e.to_string()))
}

/// `FileNotFoundError` (`Scenario file not found: p`) for a file that is not there, as
/// the original said of configurations.
fn existing(path: &Path, what: &str) -> PyResult<()> {
    if path.exists() {
        return Ok(());
    }
    Err(crate::errors::ConfigFileNotFoundError::new_err(format!("{what} file not found: {}", path.display())))
}

/// Adds the experiment functions to `m`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(read_trace, m)?)?;
    Ok(())
}
