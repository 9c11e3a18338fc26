//! Driving a run on either runtime: ticks, the optional trace, periodic checkpoints, and a
//! progress hook.

use bioxen_actors::{ActorConfig, ActorRuntime};
use bioxen_engine::checkpoint;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::record::TickRecord;
use bioxen_engine::scenario::Scenario;
use bioxen_engine::sim::Simulation;
use bioxen_engine::trace::TraceWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What runs the ticks. Both give the same records and digest.
pub enum Runner {
    /// The engine itself, VMs advanced by rayon.
    Sequential(Box<Simulation>),
    /// Every VM an actix actor (see `bioxen-actors`).
    Actors(Box<ActorRuntime>),
}

impl Runner {
    /// Puts `sim` on the actor runtime when `arbiters` is given, else keeps it on the engine.
    pub fn new(sim: Simulation, actors: Option<ActorConfig>) -> anyhow::Result<Runner> {
        Ok(match actors {
            None => Runner::Sequential(Box::new(sim)),
            Some(config) => Runner::Actors(Box::new(ActorRuntime::start(sim, config)?)),
        })
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        match self {
            Runner::Sequential(s) => s.scenario(),
            Runner::Actors(a) => a.scenario(),
        }
    }

    /// Ticks completed.
    pub fn tick(&self) -> u64 {
        match self {
            Runner::Sequential(s) => s.tick(),
            Runner::Actors(a) => a.tick(),
        }
    }

    /// True when every tick has run.
    pub fn finished(&self) -> bool {
        match self {
            Runner::Sequential(s) => s.finished(),
            Runner::Actors(a) => a.finished(),
        }
    }

    /// The digest so far.
    pub fn digest(&self) -> [u8; 32] {
        match self {
            Runner::Sequential(s) => s.digest(),
            Runner::Actors(a) => a.digest(),
        }
    }

    /// Runs up to `n` ticks (fewer if the run ends), handing each record to `on_tick`;
    /// when it returns false the run stops (on actors, after the tick already under way).
    /// On actors the ticks are pipelined, so `on_tick`'s work overlaps the next tick.
    pub fn run_ticks(&mut self, n: u64, mut on_tick: impl FnMut(&TickRecord) -> bool) -> anyhow::Result<()> {
        match self {
            Runner::Sequential(s) => {
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

    /// Writes a checkpoint of the current state into `dir`.
    pub fn checkpoint(&mut self, dir: &Path) -> anyhow::Result<PathBuf> {
        let written = match self {
            Runner::Sequential(s) => checkpoint::write(dir, s),
            Runner::Actors(a) => checkpoint::write(dir, &a.snapshot()?),
        };
        written.map_err(|e| anyhow::anyhow!("{}: cannot write checkpoint: {e}", dir.display()))
    }

    /// The run's state as an engine simulation (stopping the actors, if any).
    pub fn into_simulation(self) -> anyhow::Result<Simulation> {
        Ok(match self {
            Runner::Sequential(s) => *s,
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
    /// …into this directory.
    pub checkpoint_dir: Option<PathBuf>,
}

/// What a run did, beyond the simulation's own state.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// VM-ticks run by this process (running VMs × ticks).
    pub vm_ticks: u64,
    /// Wall-clock seconds spent in ticks.
    pub elapsed_seconds: f64,
    /// Checkpoints written.
    pub checkpoints: Vec<PathBuf>,
}

/// Runs to the last tick, writing what `outputs` asks for; `progress` is told the tick
/// after each one. A trace is only moved to its final name when the run completes.
pub fn run(runner: &mut Runner, outputs: &Outputs, mut progress: impl FnMut(u64)) -> anyhow::Result<RunReport> {
    let mut trace = match &outputs.trace {
        Some(path) => Some(
            TraceWriter::create(path, runner.scenario())
                .map_err(|e| anyhow::anyhow!("{}: cannot write trace: {e}", path.display()))?,
        ),
        None => None,
    };
    if let Some(dir) = &outputs.checkpoint_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("{}: cannot create checkpoint directory: {e}", dir.display()))?;
    }
    let mut report = RunReport::default();
    let started = Instant::now();
    let result = (|| -> anyhow::Result<()> {
        // Every 0 ticks means never (the CLI refuses it; a library caller might not).
        let checkpoints = outputs.checkpoint_every.filter(|&every| every > 0 && outputs.checkpoint_dir.is_some());
        while !runner.finished() {
            // Run to the next checkpoint (or the end) in one go: on actors, one pipelined run.
            let n = checkpoints.map_or(u64::MAX, |every| every - runner.tick() % every);
            let mut trace_error = None;
            runner.run_ticks(n, |record| {
                report.vm_ticks += record.vms.iter().filter(|v| v.state == Lifecycle::Running).count() as u64;
                if let Some(t) = trace.as_mut()
                    && let Err(e) = t.write(record)
                {
                    trace_error = Some(anyhow::anyhow!("cannot write trace: {e}"));
                    return false;
                }
                progress(record.tick + 1);
                true
            })?;
            if let Some(e) = trace_error {
                return Err(e);
            }
            if let (Some(every), Some(dir)) = (checkpoints, &outputs.checkpoint_dir)
                && runner.tick().is_multiple_of(every)
                && !runner.finished()
            {
                let path = runner.checkpoint(dir)?;
                tracing::info!(tick = runner.tick(), path = %path.display(), "checkpoint written");
                report.checkpoints.push(path);
            }
        }
        Ok(())
    })();
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    match (result, trace) {
        (Ok(()), Some(t)) => t.finish(runner.digest()).map_err(|e| anyhow::anyhow!("cannot finish trace: {e}"))?,
        (Ok(()), None) => {}
        (Err(e), t) => {
            if let Some(t) = t {
                t.abandon();
            }
            return Err(e);
        }
    }
    Ok(report)
}
