//! The entries that reach a VM's genes and a session's files: packages and inducers,
//! process scripts, the timeline as it will be saved, saving, and traces.

use super::Session;
use super::prompts::{self, Step, Stop, choose, number, text};

impl Session {
    /// 📦: install a package, add or remove an inducer.
    pub(super) fn packages(&mut self) -> Step {
        let vm = prompts::vm(&self.manager, "for packages and inducers")?;
        match choose("Packages and inducers", vec!["install a package", "add an inducer", "remove an inducer"])? {
            "install a package" => {
                let shipped: Vec<&str> = bioxen::engine::package::SHIPPED.iter().map(|(n, _)| *n).collect();
                let name = choose("Package?", shipped)?;
                vm.install_biological_package(name)?;
                self.say(&format!("{name} goes into {} at the next tick", vm.id()));
            }
            "add an inducer" => {
                let inducer = choose("Inducer?", vec!["IPTG", "aTc"])?;
                let micromolar = number::<f64>("Concentration (µM)?", "0 removes it")?;
                vm.add_inducer(inducer, micromolar)?;
                self.say(&format!("{inducer} at {micromolar} µM from the next tick"));
            }
            _ => {
                let inducer = choose("Inducer?", vec!["IPTG", "aTc"])?;
                vm.remove_inducer(inducer)?;
                self.say(&format!("{inducer} removed from the next tick"));
            }
        }
        self.changed();
        Ok(())
    }

    /// 📜: a process script from a file or typed in, run against a VM now.
    pub(super) fn script(&mut self) -> Step {
        let vm = prompts::vm(&self.manager, "to run the script against")?;
        let (code, name) = match choose("Script?", vec!["typed in (one line)", "from a file"])? {
            "from a file" => {
                let path = text("Script file?", "")?;
                let code = bioxen::files::read_text(std::path::Path::new(&path), bioxen::files::SCRIPT_BYTES_MAX)
                    .map_err(|e| Stop::Failed(e.to_string()))?;
                (code, path)
            }
            _ => (text("Script?", "")?, "typed".to_string()),
        };
        let outcome = vm.execute_script(&code, &name)?;
        for line in &outcome.log {
            println!("  | {line}");
        }
        for change in &outcome.changes {
            println!("  tick {}: {}", change.tick, change.action);
        }
        self.changed();
        self.say(&format!("value {} after {} ticks; now at tick {}", outcome.value, outcome.ticks_run, outcome.tick));
        Ok(())
    }

    /// 🗓️: the events the session will save, as they will be saved.
    pub(super) fn timeline(&self) -> Step {
        let text = self.manager.scenario_text()?;
        match text.find("[[event]]") {
            Some(start) => println!("{}", text[start..].trim_end()),
            None => println!("(no event yet: every change you make lands here at the tick it takes effect)"),
        }
        Ok(())
    }

    /// 💾: the session as a scenario file, which `bioxen run` replays to its digest.
    pub(super) fn save(&mut self) -> Step {
        let path = text("Save the session as (a .toml file)?", "session.toml")?;
        self.manager.save_scenario(&path)?;
        self.unsaved = false;
        self.say(&format!(
            "saved {path}: `bioxen run {path}` replays it to {} (tick {})",
            self.manager.digest(),
            self.manager.tick()
        ));
        Ok(())
    }

    /// 🎞️: a trace of every tick from now (before the first tick only).
    pub(super) fn trace(&mut self) -> Step {
        let path = text("Record a trace to?", "session.bxtr")?;
        self.manager.record_trace(&path)?;
        self.tracing = true;
        self.say(&format!("recording {path}; it is finished when you exit (`bioxen replay {path}`)"));
        Ok(())
    }
}
