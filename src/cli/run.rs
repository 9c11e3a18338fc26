//! `bioxen run`, `bioxen resume` and `bioxen validate`.

use super::{ExecArgs, ResumeArgs, RunArgs, parse_policy, print, with_threads};
use bioxen::driver::{self, Outputs, Runner};
use bioxen::error::{Error, Result};
use bioxen::files;
use bioxen::placement::PlacementTable;
use bioxen::report;
use bioxen_engine::sim::Simulation;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(a: RunArgs) -> Result<ExitCode> {
    let (mut s, table) = files::load_scenario_placed(&a.scenario)?;
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
    execute(&a.exec, a.trace, &[&a.scenario], table, move || Ok(Simulation::new(s)?))
}

pub fn resume(a: ResumeArgs) -> Result<ExitCode> {
    let sim = files::read_checkpoint(&a.checkpoint)?;
    tracing::info!(checkpoint = %a.checkpoint.display(), tick = sim.tick(), "resuming");
    execute(&a.exec, None, &[&a.checkpoint], None, move || Ok(sim))
}

fn execute(
    exec: &ExecArgs,
    trace: Option<PathBuf>,
    inputs: &[&Path],
    table: Option<PlacementTable>,
    make: impl FnOnce() -> Result<Simulation> + Send,
) -> Result<ExitCode> {
    let outputs = Outputs {
        trace,
        checkpoint_every: exec.checkpoint_every,
        checkpoint_dir: exec.checkpoint_dir.clone(),
        checkpoint_keep: exec.checkpoint_keep.map(|k| k as usize),
    };
    let json = exec.json;
    let actors = exec.runtime.actors()?;
    if table.is_some() && exec.remote_only {
        return Err(Error::BadInput("--remote-only: the scenario's placement table says where each VM runs".into()));
    }
    let hosts = match &exec.hosts {
        None => None,
        Some(path) => {
            let mut hosts = bioxen::remote::RemoteHosts::load(path)?;
            hosts.local = !exec.remote_only;
            Some(hosts)
        }
    };
    let tui = exec.tui;
    if tui && !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        return Err(Error::BadInput("--tui: needs a terminal (standard input or output is not one)".into()));
    }
    let (summary, done) = with_threads(exec.threads, move || -> Result<(report::RunSummary, driver::RunReport)> {
        // The scenario passes the gate first, then every output is checked (and a
        // checkpoint directory made) before the first tick: bad input writes nothing.
        let sim = make()?;
        let prepared = outputs.prepare(inputs)?;
        let mut runner = match &hosts {
            None => Runner::new(sim, actors)?,
            Some(h) => bioxen::remote::on_hosts(sim, actors.unwrap_or_default(), h, table.as_ref())?,
        };
        let done = if tui {
            with_dashboard(&mut runner, &prepared)?
        } else {
            let bar = progress_bar(runner.scenario().ticks, runner.tick(), json, "ticks");
            let done = driver::run(&mut runner, &prepared, |tick| bar.set_position(tick))?;
            bar.finish_and_clear();
            done
        };
        Ok((runner.summary(done.vm_ticks, done.elapsed_seconds)?, done))
    })??;
    if done.stopped {
        let resume = match done.checkpoints.last() {
            Some(last) => format!("go on with: bioxen resume {}", last.display()),
            None => "give --checkpoint-every K --checkpoint-dir DIR to be able to go on".to_string(),
        };
        eprintln!("stopped at tick {} (the digest below is the run's to there); {resume}", summary.ticks);
    }
    if json {
        print(format_args!("{}\n", serde_json::to_string(&summary)?))?;
    } else {
        print(format_args!("{}", super::table::table(&summary)))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs with the dashboard on the terminal (restored however the run ends).
fn with_dashboard(runner: &mut Runner, prepared: &driver::Prepared) -> Result<driver::RunReport> {
    let ids: Vec<String> = runner.scenario().vms.iter().map(|v| v.id.clone()).collect();
    let mut board = super::dashboard::Dashboard::new(runner.scenario(), runner.tick());
    let mut terminal = ratatui::init();
    // Before the first tick: the first screen, paused.
    let _ = terminal.draw(|f| super::dashboard::draw(f, &board));
    let mut go_on = super::dashboard::after_tick(&mut board, &mut terminal);
    let done = match go_on {
        false => Ok(driver::RunReport { stopped: true, ..driver::RunReport::default() }),
        true => driver::run_until(runner, prepared, |record| {
            board.update(record, &ids);
            go_on = super::dashboard::after_tick(&mut board, &mut terminal);
            go_on
        }),
    };
    if done.as_ref().is_ok_and(|d| !d.stopped) {
        super::dashboard::finished(&mut board, &mut terminal);
    }
    ratatui::restore();
    done
}

/// A bar counting `unit` up to `total`, on a terminal only; hidden when stderr is not
/// one or the output is JSON.
pub fn progress_bar(total: u64, at: u64, json: bool, unit: &str) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit} · {{elapsed}} elapsed · eta {{eta}}");
    bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar.set_position(at);
    bar
}

pub fn validate(path: &Path) -> Result<ExitCode> {
    // Loading is the gate: parse, then Scenario::check (which also checks the policy's
    // parameters); nothing else is needed to know a run would start.
    let s = files::load_scenario(path)?;
    bioxen::script::check_timeline(&s)?;
    // A VM's `packages` are install events at tick 0; timeline scripts are events too.
    let events = s.events.len() + s.scripts.len();
    let mut notes = Vec::new();
    if !s.scripts.is_empty() {
        notes.push(format!("{} of them scripts, each compiled and checked", s.scripts.len()));
    }
    use bioxen::engine::scenario::Action;
    if s.events.iter().any(|e| e.tick == 0 && matches!(e.action, Action::Install { .. })) {
        notes.push("a VM's packages are install events at tick 0".to_string());
    }
    let scripts = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) };
    print(format_args!(
        "{}: ok — \"{}\", {} VMs on {} chassis, policy {}, {} ticks of {} s, {events} events{scripts}\n",
        path.display(),
        s.name,
        s.vms.len(),
        s.chassis.kind.name(),
        s.policy.name(),
        s.ticks,
        s.tick_seconds,
    ))?;
    Ok(ExitCode::SUCCESS)
}
