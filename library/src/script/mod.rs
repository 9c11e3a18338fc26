//! Process scripts: short rhai programs that switch a VM's genes and read its state at
//! tick boundaries (`BiologicalVm::execute_biological_process`,
//! `BioVmManager::execute_vm_sync`, `bioxen script`).
//!
//! # What a script can do
//!
//! `start_transcription(["lacZ", "lacY"])`, `stop_transcription(..)`, `activate_operon(name)`,
//! `repress_operon(name)`, `add_inducer("IPTG", 1000.0)` (µM), `remove_inducer(name)`,
//! `install_package(name)`, `allocate_resources(#{ priority: 5, ribosome_reserve: 100 })`,
//! and to read: `tick()`, `minutes()`, `status()`, `metrics()`, `protein(gene)`,
//! `mrna(gene)`, `inducer(name)`; `run(n)` runs the host `n` ticks, so a script can be a
//! protocol ("induce at 30 min, wait, read GFP"). `print` goes to the outcome's log.
//!
//! # Tick boundaries, all or nothing
//!
//! A script's changes are collected until its next `run` (or its end), then scheduled for
//! the next tick together ([`bioxen_engine::sim::Simulation::schedule_all`]): all apply, or
//! none. Reads see the cell as it is at the boundary, before the changes collected. On an
//! error, the changes since the last completed `run` are discarded and the error says at
//! which tick the script stopped; what earlier `run`s applied stays applied (it is the run's
//! history). The script engine never reaches the engine crate: a script reads a copy of the
//! cell and returns actions, which the engine applies like timeline events and records in
//! the tick's record, so replaying a trace needs no script engine.
//!
//! # The sandbox
//!
//! An allow-list ([`sandbox`], listed in `docs/scripts.md`): no clock, sleep, files,
//! `eval`, function pointers by name or randomness; float functions are `libm`'s (the
//! engine's), so a script computes the same on every machine. A script is compiled and its
//! calls checked before it runs. Its limits ([`ScriptLimits`]) are all counted, none timed
//! (`meter`): operations, work (operations and bytes allocated), memory held, value sizes,
//! call depth and ticks run; a script past one stops with an error naming it, at its
//! line:column.

pub(crate) mod errors;
mod functions;
mod meter;
pub mod sandbox;

use bioxen_engine::scenario::TimelineScript;
use bioxen_engine::schedule::Scheduled;
use rhai::{Dynamic, EvalAltResult, Position};
use std::cell::RefCell;
use std::rc::Rc;

pub use errors::{ScriptError, escape};
pub use functions::Change;
pub(crate) use functions::{COMMIT_UNITS, Refused, RunError, Snapshot, Target};
pub use meter::ScriptAllocator;
pub(crate) use meter::{Meter, charge};

/// The bounds every script runs within. All are counted, none timed, so a script stops at
/// the same place on every run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScriptLimits {
    /// Most operations (rhai's count: every expression, statement and call): a million
    /// takes well under a second, and a loop that never ends stops there.
    pub operations: u64,
    /// Most work: operations plus one unit per 256 bytes allocated (`meter::BYTES_PER_UNIT`)
    /// (with [`ScriptAllocator`] installed), so copying large values costs what it copies.
    pub work: u64,
    /// Most bytes held at once (with [`ScriptAllocator`] installed).
    pub memory_bytes: u64,
    /// Deepest call nesting.
    pub call_levels: usize,
    /// Longest string, in bytes.
    pub string_bytes: usize,
    /// Most elements in an array.
    pub array_len: usize,
    /// Most entries in a map.
    pub map_len: usize,
    /// Most ticks the script may run with `run` (over all its calls).
    pub ticks: u64,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits {
            operations: 1_000_000,
            work: SCRIPT_WORK_MAX,
            memory_bytes: SCRIPT_MEMORY_MAX,
            call_levels: 32,
            string_bytes: 16 * 1024,
            array_len: 16_384,
            map_len: 1_024,
            // Eleven and a half days of one-second ticks.
            ticks: 1_000_000,
        }
    }
}

/// A script's most work ([`ScriptLimits::work`]): the worst script found takes about
/// seconds on a 2-core machine (see the README's "The sandbox").
pub const SCRIPT_WORK_MAX: u64 = 4_000_000;

/// A script's most memory ([`ScriptLimits::memory_bytes`]): 128 MiB.
pub const SCRIPT_MEMORY_MAX: u64 = 128 << 20;

/// All of a run's timeline scripts together may do what one script may (its operations
/// and its work): each gets an equal share, whatever runs before it, so a resumed run
/// gives each the same.
pub fn timeline_limits() -> ScriptLimits {
    let scripts = bioxen_engine::scenario::limits::SCRIPTS_MAX as u64;
    let whole = ScriptLimits::default();
    ScriptLimits { operations: whole.operations / scripts, work: whole.work / scripts, ..whole }
}

/// What a script did.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScriptOutcome {
    /// The changes it made, each with the tick it applies at, in order.
    pub changes: Vec<Change>,
    /// The value of its last expression (or of `return`), as JSON.
    pub value: serde_json::Value,
    /// What it printed.
    pub log: Vec<String>,
    /// Ticks it ran.
    pub ticks_run: u64,
    /// The next tick when it ended.
    pub tick: u64,
    /// The work it did ([`ScriptLimits::work`]).
    pub work: u64,
}

/// Runs `code` (called `name` in errors) against VM `vm` of `target` (a session's host:
/// the API's `Session`).
pub(crate) fn execute<T: Target + 'static>(
    target: T,
    vm: usize,
    code: &str,
    name: &str,
    limits: ScriptLimits,
) -> Result<ScriptOutcome, ScriptError> {
    run(target, vm, code, name, limits).0
}

/// The script engine with every function a script can call, for compiling and listing.
pub fn checker() -> rhai::Engine {
    let limits = ScriptLimits::default();
    let mut engine = sandbox::engine(limits);
    let context = Rc::new(RefCell::new(functions::Context::new(functions::Detached, 0, limits)));
    functions::register(&mut engine, &context);
    engine
}

/// Compiles every timeline script of `scenario` and checks its calls, before tick 0: a
/// syntax error or a call to a function scripts do not have is an error at its
/// line:column, not hours into a run. Each distinct script is compiled once.
pub fn check_timeline(scenario: &bioxen_engine::scenario::Scenario) -> Result<(), ScriptError> {
    if scenario.scripts.is_empty() {
        return Ok(());
    }
    let engine = checker();
    let mut seen = std::collections::BTreeSet::new();
    for script in &scenario.scripts {
        if seen.insert(&script.code) {
            compile_with(&engine, &script.code, &script.name, script.tick)?;
        }
    }
    Ok(())
}

/// Compiles `code` (named `name` in errors) and checks its calls without running it: what
/// `bioxen script` does first, for a script of one's own or a test of the examples.
pub fn check(code: &str, name: &str) -> Result<(), ScriptError> {
    compile_with(&checker(), code, name, 0)
}

fn compile_with(engine: &rhai::Engine, code: &str, name: &str, tick: u64) -> Result<(), ScriptError> {
    sandbox::compile(engine, code).map(|_| ()).map_err(|e| {
        let (where_, message) = errors::locate(&e, &ScriptLimits::default());
        ScriptError { name: name.to_string(), where_, message, tick, ran: false, failed: false }
    })
}

/// Runs the timeline script `script` on `snapshot` (its VM's state at the script's
/// boundary): the changes to resolve it into, and what it did. It may not `run`.
#[allow(clippy::type_complexity)] // the changes, where each was made, and the outcome
pub(crate) fn timeline(
    snapshot: Snapshot,
    script: &TimelineScript,
    limits: ScriptLimits,
) -> Result<(Vec<(usize, Scheduled)>, Vec<Position>, ScriptOutcome), ScriptError> {
    let (outcome, context) = run(snapshot, script.vm as usize, &script.code, &script.name, limits);
    let mut c = context.borrow_mut();
    let (items, at) = (std::mem::take(&mut c.target.items), std::mem::take(&mut c.target.at));
    Ok((items, at, outcome?))
}

/// The error of a timeline script whose changes (made at `at`) the run refused where they
/// land: placed at the refused change's call when the run says which, else at the
/// script's end.
pub(crate) fn refused(script: &TimelineScript, at: &[Position], e: &bioxen_engine::sim::SimError) -> ScriptError {
    let place = match e {
        bioxen_engine::sim::SimError::InBatch { index, .. } => at.get(*index).copied(),
        _ if at.len() == 1 => Some(at[0]),
        _ => None,
    };
    let where_ = place.and_then(errors::place).unwrap_or_else(|| end_of(&script.code));
    ScriptError {
        name: script.name.clone(),
        where_,
        message: e.to_string(),
        tick: script.tick,
        ran: true,
        failed: false,
    }
}

/// `line:1` of a script's last line.
fn end_of(code: &str) -> String {
    format!("{}:1", code.lines().count().clamp(1, usize::from(u16::MAX)))
}

/// Runs `code` on `target` in a fresh sandbox; the context stays readable afterwards.
#[allow(clippy::type_complexity)] // the outcome, and the context it leaves
fn run<T: Target + 'static>(
    target: T,
    vm: usize,
    code: &str,
    name: &str,
    limits: ScriptLimits,
) -> (Result<ScriptOutcome, ScriptError>, Rc<RefCell<functions::Context<T>>>) {
    let context = Rc::new(RefCell::new(functions::Context::new(target, vm, limits)));
    let mut engine = sandbox::engine(limits);
    // Counted from here: what the script allocates is its memory and part of its work.
    let meter = meter::Meter::arm();
    let operations = Rc::new(std::cell::Cell::new(0u64));
    let seen = operations.clone();
    engine.on_progress(move |ops| {
        seen.set(ops);
        let spent = meter::spent();
        if spent.peak > limits.memory_bytes {
            Some(Dynamic::from(errors::Limit::Memory))
        } else if spent.work(ops) > limits.work {
            Some(Dynamic::from(errors::Limit::Work))
        } else {
            None
        }
    });
    functions::register(&mut engine, &context);
    let log = context.clone();
    engine.on_print(move |s| log.borrow_mut().print(s));
    let log = context.clone();
    engine.on_debug(move |s, _, _| log.borrow_mut().print(s));
    let fail = |e: &EvalAltResult, where_: Option<String>| {
        let (tick, failed) = (context.borrow().tick(), context.borrow().failed);
        let (at, message) = errors::locate(e, &limits);
        let where_ = where_.unwrap_or(at);
        ScriptError { name: name.to_string(), where_, message, tick, ran: true, failed }
    };
    let value = match sandbox::compile(&engine, code).and_then(|ast| engine.eval_ast::<Dynamic>(&ast)) {
        Ok(v) => v,
        Err(e) => {
            let error = fail(&e, None);
            return (Err(error), context);
        }
    };
    drop(engine);
    let work = meter::spent().work(operations.get());
    drop(meter);
    // The changes after the last `run` apply at the next boundary (or not at all).
    let committed = context.borrow_mut().commit();
    if let Err((at, message)) = committed {
        // A refused change is placed where it was made (else at the script's end).
        let place = at.and_then(errors::place).unwrap_or_else(|| end_of(code));
        let error = fail(&EvalAltResult::ErrorRuntime(message.into(), Position::NONE), Some(place));
        return (Err(error), context);
    }
    let outcome = {
        let c = context.borrow();
        ScriptOutcome {
            changes: c.changes.clone(),
            value: to_json(&value),
            log: c.log.clone(),
            ticks_run: c.ticks_run,
            tick: c.tick(),
            work,
        }
    };
    (Ok(outcome), context)
}

/// A script's value as JSON (unit is null; anything rhai-specific becomes its text).
fn to_json(v: &Dynamic) -> serde_json::Value {
    use serde_json::Value;
    if v.is_unit() {
        Value::Null
    } else if let Some(b) = v.clone().try_cast::<bool>() {
        Value::Bool(b)
    } else if let Some(i) = v.clone().try_cast::<i64>() {
        Value::from(i)
    } else if let Some(f) = v.clone().try_cast::<f64>() {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    } else if v.is_string() {
        Value::String(v.to_string())
    } else if let Some(a) = v.clone().try_cast::<rhai::Array>() {
        Value::Array(a.iter().map(to_json).collect())
    } else if let Some(m) = v.clone().try_cast::<rhai::Map>() {
        Value::Object(m.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect())
    } else {
        Value::String(v.to_string())
    }
}
