//! The functions a process script can call, and the state of one script's run.

use super::ScriptLimits;
use crate::mirror::VmMirror;
use bioxen_engine::cell::Cell;
use bioxen_engine::package::{Inducer, Package};
use bioxen_engine::program::NO_UNIT;
use bioxen_engine::scenario::{Action, AllocationChange};
use bioxen_engine::schedule::Scheduled;
use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, NativeCallContext, Position};
use std::cell::RefCell;
use std::rc::Rc;

/// One change a script made.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Change {
    /// The tick it applies at.
    pub tick: u64,
    /// What it does, as a scenario file would name it (`start_transcription lacZ`).
    pub action: String,
}

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// What a script works on: the VM's mirror entry and cell, the clock, and where its
/// changes go. A session's host ([`Session`]) runs ticks; a timeline script's snapshot
/// ([`Snapshot`]) cannot, and keeps its changes for the runtime to resolve.
pub(crate) trait Target {
    /// The next tick.
    fn tick(&self) -> u64;
    /// Simulated seconds per tick.
    fn tick_seconds(&self) -> f64;
    /// The run's last tick.
    fn last_tick(&self) -> u64;
    /// `f` of VM `vm`'s entry: its names, program and lifecycle from the next tick.
    fn with_entry<R>(&self, vm: usize, f: impl FnOnce(&VmMirror) -> R) -> R;
    /// `f` of VM `vm`'s entry and its cell now.
    fn with_cell<R>(&self, vm: usize, f: impl FnOnce(&VmMirror, &Cell) -> R) -> Result<R, String>;
    /// Schedules `items` (made at `at`) for the next tick, together.
    fn commit(&mut self, items: Vec<(usize, Scheduled)>, at: &[Position]) -> Result<(), Refused>;
    /// Whether `run` may run ticks (a timeline script may not: the timeline is its clock).
    fn runs_ticks(&self) -> bool;
    /// Runs `n` ticks.
    fn run_ticks(&mut self, n: u64) -> Result<(), RunError>;
    /// The package called `name`.
    fn package(&self, name: &str) -> Result<Package, String>;
}

/// Why ticks a script asked for did not run: refused (the script's doing, as bad input) or
/// failed (the runtime's: an actor or a file failing under it).
#[derive(Debug)]
pub(crate) enum RunError {
    /// The host refused the ticks.
    Refused(String),
    /// The runtime failed while running them.
    Failed(String),
}

/// Why a batch of changes was refused, and which of them, when the host says.
pub(crate) struct Refused {
    /// The refused change's index in the batch.
    pub(crate) index: Option<usize>,
    /// Why.
    pub(crate) message: String,
}

impl From<String> for Refused {
    fn from(message: String) -> Refused {
        Refused { index: None, message }
    }
}

const NO_RUN_IN_TIMELINE: &str = "a timeline script cannot run ticks: the timeline is its clock";

/// What a timeline script sees at its boundary: its VM's cell and entry as they are then,
/// and the scenario's packages; what it changes is kept for the runtime to resolve
/// ([`bioxen_engine::schedule::resolve_script`]).
pub(crate) struct Snapshot {
    pub(crate) tick: u64,
    pub(crate) tick_seconds: f64,
    pub(crate) last_tick: u64,
    pub(crate) entry: VmMirror,
    pub(crate) cell: Cell,
    pub(crate) packages: Vec<Package>,
    /// The changes, once the script has ended.
    pub(crate) items: Vec<(usize, Scheduled)>,
    /// Where in the script each was made.
    pub(crate) at: Vec<Position>,
}

impl Target for Snapshot {
    fn tick(&self) -> u64 {
        self.tick
    }

    fn tick_seconds(&self) -> f64 {
        self.tick_seconds
    }

    fn last_tick(&self) -> u64 {
        self.last_tick
    }

    fn with_entry<R>(&self, _: usize, f: impl FnOnce(&VmMirror) -> R) -> R {
        f(&self.entry)
    }

    fn with_cell<R>(&self, _: usize, f: impl FnOnce(&VmMirror, &Cell) -> R) -> Result<R, String> {
        Ok(f(&self.entry, &self.cell))
    }

    fn commit(&mut self, items: Vec<(usize, Scheduled)>, at: &[Position]) -> Result<(), Refused> {
        self.items.extend(items);
        self.at.extend_from_slice(at);
        Ok(())
    }

    fn runs_ticks(&self) -> bool {
        false
    }

    fn run_ticks(&mut self, _: u64) -> Result<(), RunError> {
        Err(RunError::Refused(NO_RUN_IN_TIMELINE.into()))
    }

    fn package(&self, name: &str) -> Result<Package, String> {
        crate::files::package_for(&self.packages, None, name)
    }
}

/// No VM at all: the target of an engine built only to compile scripts and to list what
/// they can call ([`super::check_timeline`], [`super::sandbox::callable`]); it never runs one.
pub(crate) struct Detached;

impl Target for Detached {
    fn tick(&self) -> u64 {
        0
    }

    fn tick_seconds(&self) -> f64 {
        1.0
    }

    fn last_tick(&self) -> u64 {
        0
    }

    fn with_entry<R>(&self, _: usize, _: impl FnOnce(&VmMirror) -> R) -> R {
        unreachable!("a detached engine compiles scripts; it runs none")
    }

    fn with_cell<R>(&self, _: usize, _: impl FnOnce(&VmMirror, &Cell) -> R) -> Result<R, String> {
        Err("no VM".into())
    }

    fn commit(&mut self, _: Vec<(usize, Scheduled)>, _: &[Position]) -> Result<(), Refused> {
        Err(Refused::from("no VM".to_string()))
    }

    fn runs_ticks(&self) -> bool {
        false
    }

    fn run_ticks(&mut self, _: u64) -> Result<(), RunError> {
        Err(RunError::Refused("no VM".into()))
    }

    fn package(&self, _: &str) -> Result<Package, String> {
        Err("no VM".into())
    }
}

/// One script's run: its target and VM, the changes it has collected since its last
/// `run`, what it has done.
pub(super) struct Context<T> {
    pub(super) target: T,
    vm: usize,
    limits: ScriptLimits,
    pending: Vec<(usize, Scheduled)>,
    pending_names: Vec<String>,
    /// Where each pending change was made.
    pending_at: Vec<Position>,
    /// Where the change being made is called.
    call_at: Position,
    pub(super) changes: Vec<Change>,
    pub(super) log: Vec<String>,
    log_bytes: usize,
    pub(super) ticks_run: u64,
    /// Whether the runtime failed under the script (not the script's doing).
    pub(super) failed: bool,
}

/// The work one batch of changes costs a session's script at the least (about what
/// checking it against a small scenario's timeline costs).
pub(crate) const COMMIT_UNITS: u64 = 2_000;

/// The most bytes a script's log keeps.
pub const LOG_BYTES_MAX: usize = 256 * 1024;

impl<T: Target> Context<T> {
    pub(super) fn new(target: T, vm: usize, limits: ScriptLimits) -> Context<T> {
        Context {
            target,
            vm,
            limits,
            pending: Vec::new(),
            pending_names: Vec::new(),
            pending_at: Vec::new(),
            call_at: Position::NONE,
            changes: Vec::new(),
            log: Vec::new(),
            log_bytes: 0,
            ticks_run: 0,
            failed: false,
        }
    }

    /// The next tick.
    pub(super) fn tick(&self) -> u64 {
        self.target.tick()
    }

    /// Adds a line to the log, escaped (one line, no control characters); the log holds
    /// at most [`LOG_BYTES_MAX`] bytes, then says once that it dropped the rest.
    pub(super) fn print(&mut self, s: &str) {
        if self.log_bytes > LOG_BYTES_MAX {
            return;
        }
        let line = super::escape(s);
        self.log_bytes += line.len();
        if self.log_bytes > LOG_BYTES_MAX {
            self.log
                .push(format!("(the log passed its limit of {} KiB; later lines are dropped)", LOG_BYTES_MAX >> 10));
        } else {
            self.log.push(line);
        }
    }

    /// Schedules the changes collected, together, for the next tick; if they are refused,
    /// says where the refused one was made (when the host says which it was).
    pub(super) fn commit(&mut self) -> Result<(), (Option<Position>, String)> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let tick = self.target.tick();
        let items = std::mem::take(&mut self.pending);
        let names = std::mem::take(&mut self.pending_names);
        let at = std::mem::take(&mut self.pending_at);
        self.target.commit(items, &at).map_err(|r| {
            let index = r.index.or((at.len() == 1).then_some(0));
            (index.and_then(|i| at.get(i)).copied(), r.message)
        })?;
        self.changes.extend(names.into_iter().map(|action| Change { tick, action }));
        Ok(())
    }

    fn add(&mut self, item: Scheduled, name: String) -> Fallible<()> {
        if self.pending.len() >= self.limits.map_len {
            return Err(format!("more than {} changes before one run", self.limits.map_len).into());
        }
        self.pending.push((self.vm, item));
        self.pending_names.push(name);
        self.pending_at.push(self.call_at);
        Ok(())
    }

    /// Collects transcription switches of the units of `genes` (one name or an array).
    fn switch(&mut self, genes: Dynamic, on: bool) -> Fallible<()> {
        let names = names_of(genes)?;
        let units = self.target.with_entry(self.vm, |e| {
            let mut units = Vec::new();
            for name in &names {
                let g = e.gene(name)?;
                let unit = e.program.gene_unit[g];
                if unit == NO_UNIT {
                    return Err(format!("gene `{name}` codes for a stable RNA, which the model does not switch"));
                }
                units.push((name.clone(), unit));
            }
            Ok(units)
        })?;
        let verb = if on { "start_transcription" } else { "stop_transcription" };
        let mut done = Vec::new();
        for (name, unit) in units {
            if !done.contains(&unit) {
                self.add(Scheduled::Action(Action::Transcription { unit, on }), format!("{verb} {name}"))?;
                done.push(unit);
            }
        }
        Ok(())
    }

    fn operon(&mut self, name: &str, on: bool) -> Fallible<()> {
        let unit = self.target.with_entry(self.vm, |e| {
            let g = e.genome.genes.iter().position(|g| g.operon.as_deref() == Some(name));
            g.map(|g| e.program.gene_unit[g])
                .filter(|&u| u != NO_UNIT)
                .ok_or_else(|| format!("VM `{}`'s genome has no operon `{name}`", e.id))
        })?;
        let verb = if on { "activate_operon" } else { "repress_operon" };
        self.add(Scheduled::Action(Action::Transcription { unit, on }), format!("{verb} {name}"))
    }

    fn inducer(&mut self, name: &str, micromolar: f64) -> Fallible<()> {
        let inducer = inducer_named(name)?;
        if !(micromolar.is_finite() && (0.0..=bioxen_engine::package::INDUCER_UM_MAX).contains(&micromolar)) {
            return Err(format!(
                "inducer concentration {} µM is not within 0..={}",
                bioxen_engine::scenario::number(micromolar),
                bioxen_engine::package::INDUCER_UM_MAX
            )
            .into());
        }
        let what = if micromolar > 0.0 {
            format!("add_inducer {} {micromolar} µM", inducer.name())
        } else {
            format!("remove_inducer {}", inducer.name())
        };
        self.add(Scheduled::Action(Action::Inducer { inducer, micromolar }), what)
    }

    fn install(&mut self, name: &str) -> Fallible<()> {
        let package = self.target.package(name)?;
        self.add(Scheduled::Install(package), format!("install {name}"))
    }

    fn allocate(&mut self, settings: Map) -> Fallible<()> {
        let mut c = AllocationChange::default();
        for (key, value) in &settings {
            let int = || value.as_int().map_err(|_| format!("`{key}` takes an integer"));
            let float = || {
                value
                    .as_float()
                    .or_else(|_| value.as_int().map(|i| i as f64))
                    .map_err(|_| format!("`{key}` takes a number"))
            };
            match key.as_str() {
                "weight" => c.weight = Some(u32::try_from(int()?).map_err(|_| "`weight` is 1 to 65535".to_string())?),
                "priority" => {
                    c.priority = Some(i32::try_from(int()?).map_err(|_| "`priority` is out of range".to_string())?)
                }
                "atp_cap_percent" => c.atp_cap_percent = Some(float()?),
                "atp_reserve_percent" => c.atp_reserve_percent = Some(float()?),
                "ribosome_cap" => {
                    c.ribosome_cap = Some(u64::try_from(int()?).map_err(|_| "`ribosome_cap` is ≥ 0".to_string())?)
                }
                "ribosome_reserve" => {
                    c.ribosome_reserve =
                        Some(u64::try_from(int()?).map_err(|_| "`ribosome_reserve` is ≥ 0".to_string())?)
                }
                other => {
                    return Err(format!(
                        "unknown setting `{other}`; expected weight, priority, atp_cap_percent, atp_reserve_percent, \
                         ribosome_cap, ribosome_reserve"
                    )
                    .into());
                }
            }
        }
        if c == AllocationChange::default() {
            return Err("allocate_resources needs at least one setting".into());
        }
        let keys: Vec<String> = settings.keys().map(|k| k.to_string()).collect();
        self.add(Scheduled::Action(Action::Set(c)), format!("set {}", keys.join(", ")))
    }

    fn run(&mut self, ticks: i64) -> Fallible<()> {
        if !self.target.runs_ticks() {
            return Err(NO_RUN_IN_TIMELINE.into());
        }
        let ticks = u64::try_from(ticks).map_err(|_| "run takes a number of ticks ≥ 0".to_string())?;
        if self.ticks_run.saturating_add(ticks) > self.limits.ticks {
            return Err(format!(
                "running {ticks} more ticks would pass the script's limit of {} ticks (it has run {})",
                self.limits.ticks, self.ticks_run
            )
            .into());
        }
        let (now, last) = (self.target.tick(), self.target.last_tick());
        if now.saturating_add(ticks) > last {
            return Err(format!("run({ticks}) at tick {now} would pass the scenario's end at tick {last}").into());
        }
        // A refused change is placed where it was made (at this `run` when the host cannot
        // say which it was).
        let here = self.call_at;
        self.commit()
            .map_err(|(at, message)| Box::new(EvalAltResult::ErrorRuntime(message.into(), at.unwrap_or(here))))?;
        self.target.run_ticks(ticks).map_err(|e| match e {
            RunError::Refused(m) => m,
            RunError::Failed(m) => {
                self.failed = true;
                m
            }
        })?;
        self.ticks_run += ticks;
        Ok(())
    }

    /// Reads the cell now and applies `f` to it with the VM's entry.
    fn read<R>(&self, f: impl FnOnce(&VmMirror, &Cell) -> Fallible<R>) -> Fallible<R> {
        self.target.with_cell(self.vm, f)?
    }

    /// Gene `name`'s index in the cell now.
    fn gene(e: &VmMirror, cell: &Cell, name: &str) -> Fallible<usize> {
        let g = e.gene(name)?;
        if g >= cell.genes() {
            return Err(format!(
                "gene `{name}` is not in the cell yet: the package that carries it is installed at a later tick"
            )
            .into());
        }
        Ok(g)
    }
}

fn names_of(genes: Dynamic) -> Fallible<Vec<String>> {
    if genes.is_string() {
        return Ok(vec![genes.to_string()]);
    }
    match genes.try_cast::<Array>() {
        Some(a) => a
            .into_iter()
            .map(|g| if g.is_string() { Ok(g.to_string()) } else { Err("gene names are strings".into()) })
            .collect(),
        None => Err("name the genes as a string or an array of strings".into()),
    }
}

fn inducer_named(name: &str) -> Fallible<Inducer> {
    Inducer::from_name(name)
        .ok_or_else(|| format!("unknown inducer `{name}`; expected one of: {}", Inducer::names()).into())
}

type Ctx<'a> = NativeCallContext<'a>;

/// `context`, its next change placed at the call `call` (where an error about it points).
fn at<'a, T: Target>(context: &'a Rc<RefCell<Context<T>>>, call: &Ctx) -> std::cell::RefMut<'a, Context<T>> {
    let mut c = context.borrow_mut();
    c.call_at = call.call_position();
    c
}

/// Registers every script function on `engine`, each working on `context`.
pub(super) fn register<T: Target + 'static>(engine: &mut Engine, context: &Rc<RefCell<Context<T>>>) {
    macro_rules! with {
        ($c:ident => $body:expr) => {{
            let $c = context.clone();
            $body
        }};
    }
    with!(c => engine.register_fn("start_transcription", move |x: Ctx, g: Dynamic| at(&c, &x).switch(g, true)));
    with!(c => engine.register_fn("stop_transcription", move |x: Ctx, g: Dynamic| at(&c, &x).switch(g, false)));
    with!(c => engine.register_fn("activate_operon", move |x: Ctx, n: &str| at(&c, &x).operon(n, true)));
    with!(c => engine.register_fn("repress_operon", move |x: Ctx, n: &str| at(&c, &x).operon(n, false)));
    with!(c => engine.register_fn("add_inducer", move |x: Ctx, n: &str, um: f64| at(&c, &x).inducer(n, um)));
    with!(c => engine.register_fn("add_inducer", move |x: Ctx, n: &str, um: i64| at(&c, &x).inducer(n, um as f64)));
    with!(c => engine.register_fn("remove_inducer", move |x: Ctx, n: &str| at(&c, &x).inducer(n, 0.0)));
    with!(c => engine.register_fn("install_package", move |x: Ctx, n: &str| at(&c, &x).install(n)));
    with!(c => engine.register_fn("allocate_resources", move |x: Ctx, m: Map| at(&c, &x).allocate(m)));
    with!(c => engine.register_fn("run", move |x: Ctx, n: i64| at(&c, &x).run(n)));
    with!(c => engine.register_fn("tick", move || c.borrow().tick() as i64));
    with!(c => engine.register_fn("minutes", move || {
        let c = c.borrow();
        c.target.tick() as f64 * c.target.tick_seconds() / 60.0
    }));
    with!(c => engine.register_fn("status", move || {
        let c = c.borrow();
        c.target.with_entry(c.vm, |e| e.lifecycle.name().to_string())
    }));
    with!(c => engine.register_fn("protein", move |gene: &str| {
        c.borrow().read(|e, cell| Ok(i64::from(cell.proteins_of(Context::<T>::gene(e, cell, gene)?))))
    }));
    with!(c => engine.register_fn("mrna", move |gene: &str| {
        c.borrow().read(|e, cell| Ok(i64::from(cell.mrna_of(Context::<T>::gene(e, cell, gene)?))))
    }));
    with!(c => engine.register_fn("inducer", move |name: &str| {
        let inducer = inducer_named(name)?;
        c.borrow().read(|_, cell| Ok(cell.inducer(inducer)))
    }));
    with!(c => engine.register_fn("metrics", move || {
        c.borrow().read(|_, cell| {
            let s = cell.summary();
            let mut m = Map::new();
            m.insert("proteins".into(), Dynamic::from(s.proteins as i64));
            m.insert("mrna".into(), Dynamic::from(i64::from(s.mrna)));
            m.insert("mass_aa".into(), Dynamic::from(s.mass_aa as i64));
            m.insert("proteins_made".into(), Dynamic::from(cell.stats().proteins_made as i64));
            m.insert("divisions".into(), Dynamic::from(i64::from(cell.stats().divisions)));
            m.insert("starved_ticks".into(), Dynamic::from(cell.stats().starved_ticks as i64));
            Ok(m)
        })
    }));
}
