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
//! rhai with no clock (`no_time`), no `import` (`no_module`, so no files), no `eval`, no
//! math package: float arithmetic is IEEE-exact, `to_float` and `to_int` convert, and
//! `pow`, `sqrt`, `exp`, `ln`, `floor` and `round` are `libm`'s (the engine's), so a script
//! computes the same on every machine.
//! There is no randomness. Limits ([`ScriptLimits`]) bound operations, call depth, string,
//! array and map sizes, and the ticks a script may run; a script past one stops with an
//! error at its line:column.

mod functions;

use crate::api::ApiError;
use bioxen_engine::scenario::TimelineScript;
use bioxen_engine::schedule::Scheduled;
use functions::Target;
use rhai::{Dynamic, Engine, EvalAltResult, Position};
use std::cell::RefCell;
use std::rc::Rc;

pub use functions::Change;
pub(crate) use functions::Snapshot;

/// The bounds every script runs within.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScriptLimits {
    /// Most operations (rhai's count: every expression, statement and call): a million
    /// takes well under a second, and a loop that never ends stops there.
    pub operations: u64,
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
            call_levels: 32,
            string_bytes: 64 * 1024,
            array_len: 65_536,
            map_len: 4_096,
            // Eleven and a half days of one-second ticks.
            ticks: 1_000_000,
        }
    }
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
}

/// Why a script stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{name}:{where_}: {message} (stopped before tick {tick}; its changes since its last completed run were discarded)"
)]
pub struct ScriptError {
    /// The script's name (a file, or `script`).
    pub name: String,
    /// `line:column`, or `1:1` where rhai gives no position.
    pub where_: String,
    /// What went wrong.
    pub message: String,
    /// The next tick when it stopped.
    pub tick: u64,
}

/// Runs `code` (called `name` in errors) against VM `vm` of `host`.
pub(crate) fn execute(
    host: &crate::api::host::Shared,
    vm: usize,
    code: &str,
    name: &str,
    limits: ScriptLimits,
) -> Result<ScriptOutcome, ApiError> {
    run(functions::Session(host.clone()), vm, code, name, limits).0.map_err(ApiError::Script)
}

/// Runs the timeline script `script` on `snapshot` (its VM's state at the script's
/// boundary): the changes to resolve it into, and what it did. It may not `run`.
pub(crate) fn timeline(
    snapshot: Snapshot,
    script: &TimelineScript,
    limits: ScriptLimits,
) -> Result<(Vec<(usize, Scheduled)>, ScriptOutcome), ScriptError> {
    let (outcome, context) = run(snapshot, script.vm as usize, &script.code, &script.name, limits);
    let items = std::mem::take(&mut context.borrow_mut().target.items);
    Ok((items, outcome?))
}

/// The error of a timeline script whose changes the run refused where they land: placed
/// at its end, as a change collected by the end of a script is.
pub(crate) fn refused(script: &TimelineScript, message: String) -> ScriptError {
    ScriptError { name: script.name.clone(), where_: end_of(&script.code), message, tick: script.tick }
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
    let mut engine = sandbox(limits);
    functions::register(&mut engine, &context);
    let log = context.clone();
    engine.on_print(move |s| log.borrow_mut().print(s));
    let log = context.clone();
    engine.on_debug(move |s, _, _| log.borrow_mut().print(s));
    let fail = |e: &EvalAltResult, where_: Option<String>| {
        let tick = context.borrow().tick();
        let p = e.position();
        let where_ = where_.unwrap_or_else(|| match p.is_none() {
            true => "1:1".to_string(),
            false => format!("{}:{}", p.line().unwrap_or(1), p.position().unwrap_or(1)),
        });
        ScriptError { name: name.to_string(), where_, message: message_of(e), tick }
    };
    let value = match engine.eval::<Dynamic>(code) {
        Ok(v) => v,
        Err(e) => {
            let error = fail(&e, None);
            return (Err(error), context);
        }
    };
    drop(engine);
    // The changes after the last `run` apply at the next boundary (or not at all).
    let committed = context.borrow_mut().commit();
    if let Err(e) = committed {
        let error = fail(&EvalAltResult::ErrorRuntime(e.into(), Position::NONE), Some(end_of(code)));
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
        }
    };
    (Ok(outcome), context)
}

/// An engine with only what scripts need: the core language, arrays, maps, strings, logic;
/// no math or time package, no `eval`, no `**` (its float form is the platform's `powf`;
/// `pow` is libm's), and the limits.
fn sandbox(limits: ScriptLimits) -> Engine {
    use rhai::packages::{BasicArrayPackage, BasicMapPackage, CorePackage, LogicPackage, MoreStringPackage, Package};
    let mut engine = Engine::new_raw();
    for module in [
        CorePackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
    ] {
        engine.register_global_module(module);
    }
    for symbol in ["eval", "**", "**="] {
        engine.disable_symbol(symbol);
    }
    engine
        .set_max_operations(limits.operations)
        .set_max_call_levels(limits.call_levels)
        .set_max_string_size(limits.string_bytes)
        .set_max_array_size(limits.array_len)
        .set_max_map_size(limits.map_len)
        .set_max_expr_depths(64, 32);
    engine.register_fn("to_float", |x: i64| x as f64);
    engine.register_fn("to_int", |x: f64| x as i64);
    engine.register_fn("to_int", |x: i64| x);
    engine.register_fn("pow", |x: f64, y: f64| libm::pow(x, y));
    engine.register_fn("pow", |x: i64, y: i64| libm::pow(x as f64, y as f64));
    engine.register_fn("sqrt", |x: f64| libm::sqrt(x));
    engine.register_fn("exp", |x: f64| libm::exp(x));
    engine.register_fn("ln", |x: f64| libm::log(x));
    engine.register_fn("floor", |x: f64| libm::floor(x));
    engine.register_fn("round", |x: f64| libm::round(x));
    engine
}

/// rhai's message without its position (the error carries it) and without the wrapping of
/// a native function's error.
fn message_of(e: &EvalAltResult) -> String {
    match e {
        EvalAltResult::ErrorRuntime(v, _) => v.to_string(),
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => message_of(inner),
        EvalAltResult::ErrorTooManyOperations(_) => {
            "the script ran past its limit of operations (a loop that never ends?)".to_string()
        }
        EvalAltResult::ErrorFunctionNotFound(f, _) => {
            format!("no function {f} here: scripts have no files, clock, network or shell (see `bioxen script --help`)")
        }
        other => {
            let s = other.to_string();
            // rhai appends " (line l, position p)"; the error carries the position.
            match s.rfind(" (line ") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
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
