//! Driving a run: ticks, the optional trace, periodic checkpoints, and a progress hook.

use bioxen_engine::checkpoint;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::sim::Simulation;
use bioxen_engine::trace::TraceWriter;
use std::path::PathBuf;
use std::time::Instant;

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

/// Runs `sim` to its last tick, writing what `outputs` asks for; `progress` is told the
/// tick after each one. A trace is only moved to its final name when the run completes.
pub fn run(sim: &mut Simulation, outputs: &Outputs, mut progress: impl FnMut(u64)) -> anyhow::Result<RunReport> {
    let mut trace = match &outputs.trace {
        Some(path) => Some(
            TraceWriter::create(path, sim.scenario())
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
        let mut record = bioxen_engine::record::TickRecord::default();
        while !sim.finished() {
            sim.step_into(&mut record)?;
            report.vm_ticks += record.vms.iter().filter(|v| v.state == Lifecycle::Running).count() as u64;
            if let Some(t) = trace.as_mut() {
                t.write(&record).map_err(|e| anyhow::anyhow!("cannot write trace: {e}"))?;
            }
            if let (Some(every), Some(dir)) = (outputs.checkpoint_every, &outputs.checkpoint_dir)
                && sim.tick().is_multiple_of(every)
                && !sim.finished()
            {
                let path = checkpoint::write(dir, sim)
                    .map_err(|e| anyhow::anyhow!("{}: cannot write checkpoint: {e}", dir.display()))?;
                tracing::info!(tick = sim.tick(), path = %path.display(), "checkpoint written");
                report.checkpoints.push(path);
            }
            progress(sim.tick());
        }
        Ok(())
    })();
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    match (result, trace) {
        (Ok(()), Some(t)) => t.finish(sim.digest()).map_err(|e| anyhow::anyhow!("cannot finish trace: {e}"))?,
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
