//! Driving a run on either runtime: ticks, the optional trace, periodic checkpoints, and a
//! progress hook. Every output is checked before the first tick ([`Outputs::prepare`]), so
//! a bad path fails in a second rather than after the run.

use crate::error::{Error, Result};
use crate::files::{self, Destination, Output};
use bioxen_actors::{ActorConfig, ActorRuntime};
use bioxen_engine::checkpoint;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::record::{TickRecord, digest_start, hex};
use bioxen_engine::scenario::Scenario;
use bioxen_engine::sim::Simulation;
use bioxen_engine::trace::TraceWriter;
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
    pub fn new(sim: Simulation, actors: Option<ActorConfig>) -> Result<Runner> {
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
    pub fn run_ticks(&mut self, n: u64, mut on_tick: impl FnMut(&TickRecord) -> bool) -> Result<()> {
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
}

/// The file name of a run's checkpoint after `tick` ticks: the scenario's name, then the
/// start of the digest's first link — which the initial configuration alone determines —
/// so that two runs never mix in one directory, then the tick, so names sort in order.
pub fn checkpoint_name(scenario: &Scenario, tick: u64) -> String {
    format!("{}-t{tick:012}.bxck", checkpoint_prefix(scenario))
}

fn checkpoint_prefix(scenario: &Scenario) -> String {
    let name: String =
        scenario.name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    format!("{name}-{}", &hex(&digest_start(scenario))[..12])
}

/// Writes a checkpoint of the runner's state into `dir`; returns its path.
fn write_checkpoint(runner: &mut Runner, dir: &Path) -> Result<PathBuf> {
    let snapshot;
    let sim: &Simulation = match runner {
        Runner::Engine(s) => s,
        Runner::Actors(a) => {
            snapshot = a.snapshot()?;
            &snapshot
        }
    };
    let path = dir.join(checkpoint_name(sim.scenario(), sim.tick()));
    files::write_file(&path, |w| checkpoint::write(w, sim).map(drop).map_err(|e| Error::io(path.display(), e)))?;
    Ok(path)
}

/// Deletes the run's oldest checkpoints in `dir`, keeping the newest `keep`.
fn prune_checkpoints(scenario: &Scenario, dir: &Path, keep: usize) -> Result<()> {
    let prefix = format!("{}-t", checkpoint_prefix(scenario));
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
        Some(dest) => {
            let out = Output::create(dest)?;
            let what = dest.path().map_or_else(|| "standard output".to_string(), |p| p.display().to_string());
            Some((TraceWriter::new(out, runner.scenario()).map_err(|e| Error::io(&what, e))?, what))
        }
        None => None,
    };
    let mut report = RunReport::default();
    let started = Instant::now();
    while !runner.finished() {
        // Run to the next checkpoint (or the end) in one go: on actors, one pipelined run.
        let n = prepared.checkpoints.as_ref().map_or(u64::MAX, |(every, ..)| every - runner.tick() % every);
        let mut trace_error = None;
        runner.run_ticks(n, |record| {
            report.vm_ticks += record.vms.iter().filter(|v| v.state == Lifecycle::Running).count() as u64;
            if let Some((t, what)) = trace.as_mut()
                && let Err(e) = t.write(record)
            {
                trace_error = Some(Error::io(&*what, e));
                return false;
            }
            progress(record.tick + 1);
            true
        })?;
        if let Some(e) = trace_error {
            return Err(e);
        }
        if let Some((every, dir, keep)) = &prepared.checkpoints
            && runner.tick().is_multiple_of(*every)
            && !runner.finished()
        {
            let path = write_checkpoint(runner, dir)?;
            tracing::info!(tick = runner.tick(), path = %path.display(), "checkpoint written");
            report.checkpoints.push(path);
            if let Some(keep) = keep {
                prune_checkpoints(runner.scenario(), dir, *keep)?;
                report.checkpoints.retain(|p| p.exists());
            }
        }
    }
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    if let Some((t, what)) = trace {
        t.finish(runner.digest()).map_err(|e| Error::io(&what, e))?.commit()?;
    }
    Ok(report)
}
