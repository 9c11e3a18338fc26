//! `bioxen interactive`: the original's VM-management menu on a live clock. Everything done
//! in it is an API session: recorded, and savable as a scenario that replays to the same
//! digest.

mod actions;
mod extras;
mod menu;
mod prompts;

use bioxen::api::{BioVmManager, HostConfig};
use bioxen::error::{Error, Result};
use clap::Args;
use menu::{Entry, Line};
use prompts::Stop;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `bioxen interactive`.
#[derive(Args, Debug)]
pub struct InteractiveArgs {
    /// Start from a scenario: its VMs, and its timeline's events and scripts applying at
    /// their ticks as the clock reaches them.
    #[arg(long, conflicts_with_all = ["chassis", "policy", "seed"])]
    scenario: Option<PathBuf>,
    /// The host's chassis (ecoli, yeast, orthogonal) [default: ecoli].
    #[arg(long)]
    chassis: Option<String>,
    /// The scheduling policy [default: fair].
    #[arg(long)]
    policy: Option<String>,
    /// The seed [default: 1].
    #[arg(long)]
    seed: Option<u64>,
}

/// A menu session: the host, how to draw, and what is not saved yet.
pub struct Session {
    manager: BioVmManager,
    host: HostConfig,
    plain: bool,
    unsaved: bool,
    tracing: bool,
}

impl Session {
    fn changed(&mut self) {
        self.unsaved = true;
    }

    fn say(&self, message: &str) {
        println!("{} {message}", if self.plain { "ok:" } else { "✓" });
    }

    fn simulated_seconds(&self) -> String {
        bioxen::engine::scenario::number(self.manager.tick() as f64 * self.host.tick_seconds)
    }

    /// Runs `entry`; false once the session ends.
    fn act(&mut self, entry: Entry) -> prompts::Step<bool> {
        match entry {
            Entry::Create => self.create()?,
            Entry::List => self.list()?,
            Entry::Start => self.lifecycle("start")?,
            Entry::Pause => self.lifecycle("pause")?,
            Entry::Stop => self.lifecycle("stop")?,
            Entry::Delete => self.lifecycle("delete")?,
            Entry::Resume => self.lifecycle("resume")?,
            Entry::Status => self.status()?,
            Entry::Resources => self.resources()?,
            Entry::Chassis => self.chassis()?,
            Entry::Clock => self.clock()?,
            Entry::RunTicks => self.run_ticks()?,
            Entry::Transcription => self.transcription()?,
            Entry::Packages => self.packages()?,
            Entry::Script => self.script()?,
            Entry::Timeline => self.timeline()?,
            Entry::Save => self.save()?,
            Entry::Trace => self.trace()?,
            Entry::Exit => return self.leave(),
        }
        Ok(true)
    }

    /// Exit: offers to save an unsaved session, finishes a trace; false to end.
    fn leave(&mut self) -> prompts::Step<bool> {
        self.manager.pause_clock();
        if self.unsaved && !self.manager.list_vms().is_empty() {
            match prompts::confirm("The session is not saved. Save it as a scenario first?", true) {
                Ok(true) => self.save()?,
                Ok(false) => {}
                Err(_) => return Ok(true), // backed out: stay
            }
        }
        if self.tracing {
            let path = self.manager.finish_trace()?;
            self.say(&format!("trace finished: {}", path.display()));
        }
        Ok(false)
    }
}

/// Runs the menu until Exit (or a second Ctrl-C at the menu). Without a terminal it says
/// so and exits with status 2.
pub fn interactive(a: InteractiveArgs) -> Result<ExitCode> {
    // The arguments are checked first, so a bad one is named even without a terminal.
    let (manager, host) = host_of(&a)?;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        eprintln!(
            "bioxen interactive: needs a terminal (standard input or output is not one); for scripts use `bioxen run` or `bioxen script`"
        );
        return Ok(ExitCode::from(2));
    }
    let plain = menu::plain();
    if plain {
        inquire::set_global_render_config(inquire::ui::RenderConfig::empty());
    }
    let mut session = Session { manager, host, plain, unsaved: false, tracing: false };
    println!("BioXen interactive: the clock is paused until you run it (\"{}\").", Entry::Clock.label(plain));
    let mut interrupted = false;
    loop {
        let lines: Vec<Line> = Entry::ALL.iter().map(|&entry| Line { entry, text: entry.label(plain) }).collect();
        let title = format!("BioXen · tick {} · {} VMs", session.manager.tick(), session.manager.list_vms().len());
        let choice = inquire::Select::new(&title, lines).with_page_size(Entry::ALL.len()).prompt();
        let entry = match choice {
            Ok(line) => line.entry,
            Err(inquire::InquireError::OperationInterrupted) if interrupted => Entry::Exit,
            Err(inquire::InquireError::OperationInterrupted) => {
                interrupted = true;
                println!("(Ctrl-C again to exit)");
                continue;
            }
            Err(inquire::InquireError::OperationCanceled) => continue,
            Err(e) => return Err(Error::Failed(format!("the menu failed: {e}"))),
        };
        interrupted = false;
        match session.act(entry) {
            Ok(true) => {}
            Ok(false) => break,
            Err(Stop::Back) => {}
            Err(Stop::Failed(message)) => {
                println!("{} {}", if plain { "error:" } else { "✗" }, bioxen_engine::text::lines(&message))
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The host the arguments describe: a scenario's, or a new one (on the actors).
fn host_of(a: &InteractiveArgs) -> Result<(BioVmManager, HostConfig)> {
    let api = |e: bioxen::api::ApiError| Error::Failed(e.to_string());
    if let Some(path) = &a.scenario {
        let scenario = bioxen::files::load_scenario(path)?;
        let base = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
        let host = HostConfig {
            chassis: scenario.chassis,
            policy: scenario.policy,
            seed: scenario.seed,
            tick_seconds: scenario.tick_seconds,
            ..HostConfig::default()
        };
        return Ok((BioVmManager::from_scenario(scenario, &base).map_err(api)?, host));
    }
    let name = a.chassis.as_deref().unwrap_or("ecoli");
    let chassis =
        bioxen::engine::chassis::ChassisKind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| {
            Error::BadInput(format!("--chassis: unknown chassis `{name}`; expected one of: ecoli, yeast, orthogonal"))
        })?;
    let mut host = HostConfig { chassis: chassis.defaults(), seed: a.seed.unwrap_or(1), ..HostConfig::default() };
    if let Some(policy) = &a.policy {
        host.policy = super::parse_policy(policy)?;
    }
    Ok((BioVmManager::with_config(host.clone()).map_err(api)?, host))
}
