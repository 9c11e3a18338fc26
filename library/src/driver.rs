//! Driving a run on either runtime: ticks, the optional trace, periodic checkpoints, and a
//! progress hook. Every output is checked before the first tick ([`Outputs::prepare`]), so
//! a bad path fails in a second rather than after the run.

use crate::error::{Error, Result};
use crate::files::{self, Destination, Output};
use crate::metrics::Outcome;
use crate::mirror::VmMirror;
use crate::report::{self, RunSummary};
use crate::script::{self, Snapshot};
use crate::spool::TraceSpool;
use crate::trace_thread::TraceThread;
use bioxen_actors::{ActorConfig, ActorError, ActorRuntime};
use bioxen_engine::checkpoint;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::record::{TickRecord, hex};
use bioxen_engine::scenario::{Action, Scenario};
use bioxen_engine::sim::{SimError, Simulation};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What runs the ticks. Both give the same records and digest.
pub enum Runner {
    /// The engine itself, its VMs advanced by a rayon pool.
    Engine(Box<Simulation>),
    /// Every VM an actix actor (see `bioxen-actors`).
    Actors(Box<ActorRuntime>),
}

impl Runner {
    /// Puts `sim` on the actor runtime when `actors` is given, else keeps it on the engine.
    /// Its timeline scripts are compiled and checked first ([`script::check_timeline`]).
    pub fn new(sim: Simulation, actors: Option<ActorConfig>) -> Result<Runner> {
        script::check_timeline(sim.scenario())?;
        Ok(match actors {
            None => Runner::Engine(Box::new(sim)),
            Some(config) => Runner::Actors(Box::new(ActorRuntime::start(sim, config)?)),
        })
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        match self {
            Runner::Engine(s) => s.scenario(),
            Runner::Actors(a) => a.scenario(),
        }
    }

    /// Ticks completed.
    pub fn tick(&self) -> u64 {
        match self {
            Runner::Engine(s) => s.tick(),
            Runner::Actors(a) => a.tick(),
        }
    }

    /// True when every tick has run.
    pub fn finished(&self) -> bool {
        match self {
            Runner::Engine(s) => s.finished(),
            Runner::Actors(a) => a.finished(),
        }
    }

    /// The hash of the scenario as the run was given it (names its checkpoints).
    pub fn origin(&self) -> [u8; 32] {
        match self {
            Runner::Engine(s) => s.host().origin,
            Runner::Actors(a) => a.origin(),
        }
    }

    /// The digest so far.
    pub fn digest(&self) -> [u8; 32] {
        match self {
            Runner::Engine(s) => s.digest(),
            Runner::Actors(a) => a.digest(),
        }
    }

    /// Runs up to `n` ticks (fewer if the run ends), handing each record to `on_tick`;
    /// when it returns false the run stops (on actors, after the tick already under way).
    /// On actors the ticks are pipelined, so `on_tick`'s work overlaps the next tick.
    ///
    /// A timeline script due at a tick runs at its boundary, on a snapshot of its VM
    /// ([`Runner::resolve_script`]), and its changes apply at that tick; the ticks between
    /// two scripts run in one go. What the scripts scheduled is returned with the outcome,
    /// also when a later tick fails.
    pub fn run_ticks(&mut self, n: u64, mut on_tick: impl FnMut(&TickRecord) -> bool) -> Ran {
        let mut ran = Ran { outcome: Ok(()), scripted: Vec::new() };
        let (mut left, mut going) = (n, true);
        while left > 0 && going && !self.finished() {
            while self.scenario().script_due(self.tick()).is_some() {
                match self.resolve_script() {
                    Ok(actions) => ran.scripted.extend(actions),
                    Err(e) => {
                        ran.outcome = Err(e);
                        return ran;
                    }
                }
            }
            let before = self.tick();
            let m = self.scenario().next_script_tick().map_or(left, |t| left.min(t.saturating_sub(before)));
            let outcome = self.run_segment(m, |record| {
                going = on_tick(record);
                going
            });
            if let Err(e) = outcome {
                ran.outcome = Err(e);
                return ran;
            }
            left -= (self.tick() - before).min(left);
            if self.tick() == before {
                break; // nothing ran: the run has ended
            }
        }
        ran
    }

    /// Runs `n` ticks with no script due among them.
    fn run_segment(&mut self, n: u64, mut on_tick: impl FnMut(&TickRecord) -> bool) -> Result<()> {
        match self {
            Runner::Engine(s) => {
                let mut record = TickRecord::default();
                for _ in 0..n {
                    if s.finished() {
                        break;
                    }
                    s.step_into(&mut record)?;
                    if !on_tick(&record) {
                        break;
                    }
                }
            }
            Runner::Actors(a) => a.run_ticks_while(n, on_tick)?,
        }
        Ok(())
    }

    /// Runs the timeline script due at the next tick on a snapshot of its VM (its cell
    /// now, and what the scenario holds), and resolves it into the changes it made, which
    /// apply at that tick ([`bioxen_engine::schedule::resolve_script`]). Returns them.
    pub fn resolve_script(&mut self) -> Result<Vec<(usize, Action)>> {
        let Some(script) = self.scenario().scripts.first().cloned() else { return Ok(Vec::new()) };
        let vm = script.vm as usize;
        let cell = match self {
            Runner::Engine(s) => s.vms()[vm].cell(),
            Runner::Actors(a) => a.vm(vm)?,
        };
        let scenario = self.scenario();
        let entry = VmMirror::of_cell(scenario, vm, &cell);
        let snapshot = Snapshot {
            tick: self.tick(),
            tick_seconds: scenario.tick_seconds,
            last_tick: scenario.ticks,
            entry,
            cell,
            packages: scenario.packages.clone(),
            items: Vec::new(),
            at: Vec::new(),
        };
        let (items, at, outcome) = script::timeline(snapshot, &script, script::timeline_limits())?;
        for line in &outcome.log {
            tracing::info!(script = %script.name, tick = script.tick, "{line}");
        }
        let vms: Vec<usize> = items.iter().map(|(vm, _)| *vm).collect();
        let refused = |e: SimError| Error::Script(script::refused(&script, &at, &e));
        let actions = match self {
            Runner::Engine(s) => s.resolve_script(items).map_err(refused)?,
            Runner::Actors(a) => a.resolve_script(items).map_err(|e| match e {
                ActorError::Simulation(e) => refused(e),
                other => Error::Actors(other),
            })?,
        };
        Ok(vms.into_iter().zip(actions).collect())
    }

    /// The run's summary now ([`report::summarise`]). The actors' VMs are summarised from
    /// their cells as they are handed over ([`ActorRuntime::cells`]): only each VM's
    /// counters are kept, never a copy of every VM beside the actors.
    pub fn summary(&mut self, vm_ticks: u64, elapsed_seconds: f64) -> Result<RunSummary> {
        match self {
            Runner::Engine(s) => Ok(report::summarise(&**s, vm_ticks, elapsed_seconds)),
            Runner::Actors(a) => {
                let host = a.host_state()?;
                let mut vms = Vec::with_capacity(a.scenario().vms.len());
                a.cells(|_, cell| {
                    vms.push((cell.lifecycle, cell.stats().clone()));
                    Ok::<(), ActorError>(())
                })?;
                let outcome = Outcome { scenario: a.scenario(), host, vms };
                Ok(report::summarise(&outcome, vm_ticks, elapsed_seconds))
            }
        }
    }

    /// The run's state as an engine simulation (stopping the actors, if any).
    pub fn into_simulation(self) -> Result<Simulation> {
        Ok(match self {
            Runner::Engine(s) => *s,
            Runner::Actors(mut a) => {
                let sim = a.snapshot()?;
                a.stop();
                sim
            }
        })
    }
}

/// What [`Runner::run_ticks`] did: how it ended, and the actions the timeline's scripts
/// scheduled on the way (each for its VM), in the order they apply.
#[must_use]
pub struct Ran {
    /// Whether every tick asked for ran.
    pub outcome: Result<()>,
    /// What the scripts scheduled.
    pub scripted: Vec<(usize, Action)>,
}

/// What to write while running.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    /// Write a trace here.
    pub trace: Option<PathBuf>,
    /// Write a checkpoint every this many ticks…
    pub checkpoint_every: Option<u64>,
    /// …into this directory…
    pub checkpoint_dir: Option<PathBuf>,
    /// …keeping only the newest this many of the run's checkpoints (all when `None`).
    pub checkpoint_keep: Option<usize>,
}

/// Outputs checked and ready: the trace's destination, the checkpoint directory made.
pub struct Prepared {
    trace: Option<Destination>,
    checkpoints: Option<(u64, PathBuf, Option<usize>)>,
}

impl Outputs {
    /// Checks every output before the run: the trace's path is writable and is none of
    /// `inputs`; the checkpoint directory is a directory (made if absent), cleared of
    /// temporaries left by crashed runs.
    pub fn prepare(&self, inputs: &[&Path]) -> Result<Prepared> {
        let trace = match &self.trace {
            Some(path) => {
                let dest = files::destination(path, "--trace")?;
                files::refuse_overwriting(&dest, "--trace", path, inputs)?;
                Some(dest)
            }
            None => None,
        };
        let checkpoints = match (self.checkpoint_every.filter(|&every| every > 0), &self.checkpoint_dir) {
            (Some(every), Some(dir)) => {
                match std::fs::metadata(dir) {
                    Ok(meta) if !meta.is_dir() => {
                        return Err(Error::BadInput(format!("--checkpoint-dir {}: is not a directory", dir.display())));
                    }
                    Ok(_) => {}
                    Err(_) => std::fs::create_dir_all(dir).map_err(|e| {
                        Error::BadInput(format!("--checkpoint-dir {}: cannot create it: {e}", dir.display()))
                    })?,
                }
                files::remove_stale_temporaries(dir, None);
                Some((every, dir.clone(), self.checkpoint_keep))
            }
            _ => None,
        };
        Ok(Prepared { trace, checkpoints })
    }
}

/// What a run did, beyond the simulation's own state.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// VM-ticks run by this process (running VMs × ticks).
    pub vm_ticks: u64,
    /// Wall-clock seconds spent in ticks.
    pub elapsed_seconds: f64,
    /// Checkpoints written (and still kept).
    pub checkpoints: Vec<PathBuf>,
    /// The run was stopped before its last tick ([`run_until`]).
    pub stopped: bool,
}

/// The file name of a run's checkpoint after `tick` ticks: the scenario's name, then the
/// start of the hash of the scenario as the run was given it
/// ([`bioxen_engine::sim::HostState::origin`]: every event and timeline script by content,
/// the seed included), so that two runs never share a name or prune each other's
/// checkpoints, then the tick, so names sort in order. A resumed run keeps the prefix.
pub fn checkpoint_name(scenario: &Scenario, origin: &[u8; 32], tick: u64) -> String {
    format!("{}-t{tick:012}.bxck", checkpoint_prefix(scenario, origin))
}

fn checkpoint_prefix(scenario: &Scenario, origin: &[u8; 32]) -> String {
    // Only characters every file system takes, and no leading `.`: a name such as
    // `../x` must not make the checkpoint a hidden file that `ls` does not show.
    let name: String = scenario
        .name
        .chars()
        .enumerate()
        .map(|(i, c)| if c.is_ascii_alphanumeric() || "-_".contains(c) || (c == '.' && i > 0) { c } else { '_' })
        .collect();
    format!("{name}-{}", &hex(origin)[..16])
}

/// Writes a checkpoint of the runner's state into `dir`; returns its path. The actors'
/// cells are written as they are handed over ([`ActorRuntime::cells`]), never all held.
fn write_checkpoint(runner: &mut Runner, dir: &Path) -> Result<PathBuf> {
    match runner {
        Runner::Engine(sim) => {
            let path = dir.join(checkpoint_name(sim.scenario(), &sim.host().origin, sim.tick()));
            let io = |e| Error::io(path.display(), e);
            files::write_file(&path, |w| checkpoint::write(w, sim).map(drop).map_err(io))?;
            Ok(path)
        }
        Runner::Actors(a) => {
            let host = a.host_state()?;
            let path = dir.join(checkpoint_name(a.scenario(), &host.origin, host.tick));
            let io = |e| Error::io(path.display(), e);
            files::write_file(&path, |w| {
                let mut out = checkpoint::Writer::start(w, a.scenario(), &host).map_err(io)?;
                a.cells(|i, cell| out.vm(&host.allocations[i], &cell).map_err(io))?;
                out.finish().map(drop).map_err(io)
            })?;
            Ok(path)
        }
    }
}

/// Deletes the run's oldest checkpoints in `dir`, keeping the newest `keep`: only its own
/// (named by its origin), never another run's.
fn prune_checkpoints(runner: &Runner, dir: &Path, keep: usize) -> Result<()> {
    let prefix = format!("{}-t", checkpoint_prefix(runner.scenario(), &runner.origin()));
    let mut mine: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir.display(), e))?
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".bxck")))
        .map(|e| e.path())
        .collect();
    mine.sort();
    for old in &mine[..mine.len().saturating_sub(keep)] {
        std::fs::remove_file(old).map_err(|e| Error::io(old.display(), e))?;
    }
    Ok(())
}

/// Runs to the last tick, writing what `prepared` asks for; `progress` is told the tick
/// after each one. A trace is only moved to its final name when the run completes; on
/// any failure nothing but whole checkpoints is left.
pub fn run(runner: &mut Runner, prepared: &Prepared, mut progress: impl FnMut(u64)) -> Result<RunReport> {
    let mut trace = match &prepared.trace {
        Some(dest) => Some(TraceOut::new(dest, runner.scenario())?),
        None => None,
    };
    let mut report = RunReport::default();
    let started = Instant::now();
    while !runner.finished() {
        // Run to the next checkpoint (or the end) in one go: on actors, one pipelined run.
        let n = prepared.checkpoints.as_ref().map_or(u64::MAX, |(every, ..)| every - runner.tick() % every);
        let mut trace_error = None;
        let ran = runner.run_ticks(n, |record| {
            report.vm_ticks += record.vms.iter().filter(|v| v.state == Lifecycle::Running).count() as u64;
            if let Some(t) = trace.as_mut()
                && let Err(e) = t.write(record)
            {
                trace_error = Some(e);
                return false;
            }
            progress(record.tick + 1);
            true
        });
        if let Err(e) = ran.outcome {
            return Err(host_lost(e, runner, trace.take(), &report.checkpoints));
        }
        if let Some(e) = trace_error {
            return Err(e);
        }
        checkpoint_if_due(runner, prepared, &mut report, false)?;
    }
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    if let Some(t) = trace {
        t.finish(runner.scenario(), runner.digest())?;
    }
    Ok(report)
}

/// Runs to the last tick one tick at a time, writing what `prepared` asks for, handing
/// `each` every tick's record; `each` returning false stops the run at that tick's end (a
/// dashboard's quit): the trace is finished as a complete trace of the ticks run, a final
/// checkpoint is written where checkpoints were asked for, and the report says `stopped`.
/// The digest is the uninterrupted run's for the ticks run: one tick at a time changes
/// nothing a run computes.
pub fn run_until(
    runner: &mut Runner,
    prepared: &Prepared,
    mut each: impl FnMut(&TickRecord) -> bool,
) -> Result<RunReport> {
    let mut trace = match &prepared.trace {
        Some(dest) => Some(TraceOut::new(dest, runner.scenario())?),
        None => None,
    };
    let mut report = RunReport::default();
    let started = Instant::now();
    while !runner.finished() && !report.stopped {
        let mut trace_error = None;
        let ran = runner.run_ticks(1, |record| {
            report.vm_ticks += record.vms.iter().filter(|v| v.state == Lifecycle::Running).count() as u64;
            if let Some(t) = trace.as_mut()
                && let Err(e) = t.write(record)
            {
                trace_error = Some(e);
            }
            report.stopped = !each(record);
            true
        });
        if let Err(e) = ran.outcome {
            return Err(host_lost(e, runner, trace.take(), &report.checkpoints));
        }
        if let Some(e) = trace_error {
            return Err(e);
        }
        let due = report.stopped && !runner.finished();
        checkpoint_if_due(runner, prepared, &mut report, due)?;
    }
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    if let Some(t) = trace {
        t.finish(runner.scenario(), runner.digest())?;
    }
    Ok(report)
}

/// Writes a checkpoint when one is due (every K ticks, or `now`), pruning old ones.
fn checkpoint_if_due(runner: &mut Runner, prepared: &Prepared, report: &mut RunReport, now: bool) -> Result<()> {
    if let Some((every, dir, keep)) = &prepared.checkpoints
        && (now || runner.tick().is_multiple_of(*every))
        && !runner.finished()
    {
        let path = write_checkpoint(runner, dir)?;
        tracing::info!(tick = runner.tick(), path = %path.display(), "checkpoint written");
        report.checkpoints.push(path);
        if let Some(keep) = keep {
            prune_checkpoints(runner, dir, *keep)?;
            report.checkpoints.retain(|p| p.exists());
        }
    }
    Ok(())
}

/// A host lost mid-run ends the run, but what ran is not lost: the trace of the ticks that
/// completed is finished and kept (a trace that ends early, as a stopped run's does), and
/// where checkpoints were written the error says how to go on from the last one (locally,
/// or on hosts again). Any other failure leaves no trace behind.
fn host_lost(e: Error, runner: &Runner, trace: Option<TraceOut>, checkpoints: &[PathBuf]) -> Error {
    if !matches!(e, Error::Actors(ActorError::HostLost { .. })) {
        return e;
    }
    let mut message = e.to_string();
    if let Some(t) = trace {
        match t.finish(runner.scenario(), runner.digest()) {
            Ok(()) => message.push_str(&format!("; the trace of the {} ticks that ran is kept", runner.tick())),
            Err(e) => message.push_str(&format!("; its trace could not be finished: {e}")),
        }
    }
    if let Some(last) = checkpoints.last() {
        message.push_str(&format!("; go on from the last checkpoint: bioxen resume {} [--hosts FILE]", last.display()));
    }
    Error::Failed(message)
}

/// A run's trace being written: straight through when the scenario is known from the
/// start, spooled when timeline scripts will add events to it (the header then holds the
/// scenario as it ran, so a replay runs no script).
enum TraceOut {
    Direct(TraceThread),
    Spooled(TraceSpool),
}

impl TraceOut {
    fn new(dest: &Destination, scenario: &Scenario) -> Result<TraceOut> {
        if !scenario.scripts.is_empty() {
            return Ok(TraceOut::Spooled(TraceSpool::new(dest.clone())?));
        }
        let out = Output::create(dest)?;
        let what = dest.name();
        Ok(TraceOut::Direct(TraceThread::start(out, scenario, what)?))
    }

    fn write(&mut self, record: &TickRecord) -> Result<()> {
        match self {
            TraceOut::Direct(w) => w.write(record),
            TraceOut::Spooled(spool) => spool.record(record),
        }
    }

    /// Finishes the trace of a completed run of `scenario`.
    fn finish(self, scenario: &Scenario, digest: [u8; 32]) -> Result<()> {
        match self {
            TraceOut::Direct(w) => w.finish(digest)?.commit(),
            TraceOut::Spooled(spool) => {
                // Every script before the last tick has become events.
                let mut ran = scenario.clone();
                ran.scripts.retain(|s| s.tick < ran.ticks);
                spool.finish(&ran, digest)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bioxen_engine::scenario::{self, NoGenomeFiles};

    /// A checkpoint's name keeps what every file system takes, and never starts with a
    /// `.`: a scenario called `../x` or `.hidden` must not write a file `ls` hides.
    #[test]
    fn checkpoint_names_are_plain_visible_file_names() {
        let text = "format_version = 1\nname = \"N\"\n[simulation]\nseed = 1\nticks = 3\npolicy = \"fair\"\n\
                    [chassis]\nkind = \"ecoli\"\n[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n";
        for (name, start) in [("../../etc/x", "_._.._etc_x-"), (".hidden", "_hidden-"), ("a b/c.d", "a_b_c.d-")] {
            let s =
                scenario::parse(&text.replace("\"N\"", &format!("{name:?}")), "s.toml", &mut NoGenomeFiles).unwrap();
            let file = checkpoint_name(&s, &[0xab; 32], 7);
            assert_eq!(file, format!("{start}abababababababab-t000000000007.bxck"), "{name}");
        }
    }
}
