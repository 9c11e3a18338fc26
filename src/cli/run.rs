//! `bioxen run`, `bioxen resume` and `bioxen validate`.

use super::{BadInput, ExecArgs, ResumeArgs, RunArgs, parse_policy, with_threads};
use bioxen::driver::{self, Outputs, Runner};
use bioxen::report;
use bioxen_engine::checkpoint;
use bioxen_engine::policy::AnyPolicy;
use bioxen_engine::scenario;
use bioxen_engine::sim::Simulation;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

pub fn run(a: RunArgs) -> anyhow::Result<ExitCode> {
    let mut s = scenario::load(&a.scenario)?;
    if let Some(seed) = a.seed {
        s.seed = seed;
    }
    if let Some(ticks) = a.ticks {
        s.ticks = ticks;
    }
    if let Some(p) = &a.policy {
        s.policy = parse_policy(p)?;
    }
    tracing::info!(scenario = %a.scenario.display(), vms = s.vms.len(), ticks = s.ticks, "starting run");
    execute(&a.exec, move || Simulation::new(s))
}

pub fn resume(a: ResumeArgs) -> anyhow::Result<ExitCode> {
    let sim = checkpoint::read(&a.checkpoint)?;
    tracing::info!(checkpoint = %a.checkpoint.display(), tick = sim.tick(), "resuming");
    if a.exec.trace.is_some() {
        return Err(BadInput("--trace is not available on resume: a trace must cover the whole run".into()).into());
    }
    execute(&a.exec, move || sim)
}

fn execute(exec: &ExecArgs, make: impl FnOnce() -> Simulation + Send) -> anyhow::Result<ExitCode> {
    let outputs = Outputs {
        trace: exec.trace.clone(),
        checkpoint_every: exec.checkpoint_every,
        checkpoint_dir: exec.checkpoint_dir.clone(),
    };
    let json = exec.json;
    let actors = exec.runtime.actors()?;
    let summary = with_threads(exec.threads, move || -> anyhow::Result<report::RunSummary> {
        let mut runner = Runner::new(make(), actors)?;
        let bar = progress_bar(runner.scenario().ticks, runner.tick(), json);
        let done = driver::run(&mut runner, &outputs, |tick| bar.set_position(tick))?;
        bar.finish_and_clear();
        let sim = runner.into_simulation()?;
        Ok(report::summarise(&sim, done.vm_ticks, done.elapsed_seconds))
    })??;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", report::table(&summary))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A bar on a terminal; hidden when stderr is not one or the output is JSON.
pub fn progress_bar(ticks: u64, at: u64, json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(ticks), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} ticks · {elapsed} elapsed · eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(at);
    bar
}

pub fn validate(path: &Path) -> anyhow::Result<ExitCode> {
    let s = scenario::load(path)?;
    // Building the policy checks its parameters the same way a run would.
    let _ = AnyPolicy::new(s.policy, s.policy_params);
    println!(
        "{}: ok — \"{}\", {} VMs on {} chassis, policy {}, {} ticks of {} s, {} events",
        path.display(),
        s.name,
        s.vms.len(),
        s.chassis.kind.name(),
        s.policy.name(),
        s.ticks,
        s.tick_seconds,
        s.events.len()
    );
    Ok(ExitCode::SUCCESS)
}
