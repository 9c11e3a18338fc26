//! What each menu entry does, on the session's manager: every change an API call, so the
//! session is recorded and saves as a scenario that replays to its digest.

use super::Session;
use super::prompts::{self, Step, Stop, choose, confirm, names, number, text};
use bioxen::api::{BioResourceManager, Pace, Ribosomes};
use bioxen::engine::chassis::ChassisKind;
use std::time::Duration;

impl Session {
    /// 🏭: an organism, a VM type, a configuration (defaults or a file) and an id.
    pub(super) fn create(&mut self) -> Step {
        let organism = choose("Organism type?", bioxen::api::get_supported_biological_types())?;
        let vm_type = choose("VM type?", bioxen::api::get_supported_vm_types())?;
        let config = match choose("Configuration?", vec!["the organism's defaults", "a configuration file"])? {
            "a configuration file" => {
                let path = text("Configuration file (JSON or TOML)?", "")?;
                Some(bioxen::api::ConfigManager::for_chassis(self.manager.chassis()).load_from_file(path)?)
            }
            _ => None,
        };
        let id = text("VM id?", &format!("{organism}-{}", self.manager.list_vms().len() + 1))?;
        self.manager.create_vm(&id, organism, vm_type, config)?;
        self.changed();
        self.say(&format!("created {id} ({organism}, {vm_type}); it exists from the next tick"));
        Ok(())
    }

    /// 🖥️: the VMs as a table.
    pub(super) fn list(&self) -> Step {
        let mut table = comfy_table::Table::new();
        table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header(["VM", "organism", "type", "state", "ATP level %", "ribosomes granted"]);
        for id in self.manager.list_vms() {
            let Some(vm) = self.manager.get_vm(&id) else { continue };
            let usage = vm.get_resource_usage();
            table.add_row([
                id.clone(),
                vm.get_biological_type().into(),
                vm.get_vm_type().into(),
                vm.get_status().state.name().into(),
                format!("{:.1}", vm.get_atp_level()),
                usage.ribosomes_granted.to_string(),
            ]);
        }
        println!("{table}\ntick {} (simulated {} s)", self.manager.tick(), self.simulated_seconds());
        Ok(())
    }

    /// ▶️ ⏸️ ⏹️ ⏯️ and 🗑️ (after asking): a lifecycle change at the next tick.
    pub(super) fn lifecycle(&mut self, verb: &str) -> Step {
        let vm = prompts::vm(&self.manager, &format!("to {verb}"))?;
        match verb {
            "start" => vm.start()?,
            "pause" => vm.pause()?,
            "resume" => vm.resume()?,
            "stop" => vm.stop()?,
            _ => {
                if !confirm(&format!("Delete {}? It cannot be undone.", vm.id()), false)? {
                    return Err(Stop::Back);
                }
                vm.destroy()?
            }
        }
        self.changed();
        self.say(&format!("{} will {verb} at the next tick", vm.id()));
        Ok(())
    }

    /// 📊: a VM's status and its organism's measures.
    pub(super) fn status(&self) -> Step {
        let vm = prompts::vm(&self.manager, "to show")?;
        let status = vm.get_status();
        let usage = vm.get_resource_usage();
        let chassis = self.manager.chassis();
        let (phase, rate) = vm.get_growth_phase();
        println!(
            "{} ({}, {}): {} at tick {}",
            vm.id(),
            vm.get_biological_type(),
            vm.get_vm_type(),
            status.state.name(),
            status.tick
        );
        println!("  ATP level        {:.1} % of need", vm.get_atp_level());
        println!(
            "  ribosomes        {} granted of {} asked per tick ({:.2} of the original's)",
            usage.ribosomes_granted,
            usage.ribosomes_demanded,
            Ribosomes::PerTick(usage.ribosomes_granted).original(&chassis)
        );
        println!("  growth           {} ({rate:.3} per hour)", phase.name());
        for line in metric_lines(&vm.get_biological_metrics()?) {
            println!("  {line}");
        }
        println!("  packages         {}", vm.get_installed_packages().join(", "));
        Ok(())
    }

    /// ⚙️: reservations (ATP %, ribosomes in either unit, DNA space) and what is free.
    pub(super) fn resources(&mut self) -> Step {
        let vm = prompts::vm(&self.manager, "to manage")?;
        let resources = BioResourceManager::new(&vm);
        let options = vec![
            "Show usage, limits and what is free",
            "Allocate ATP (% of the guests' pool)",
            "Allocate ribosomes (the original's units)",
            "Allocate ribosomes per tick",
            "Allocate DNA space (kb)",
        ];
        match choose("Resource management", options)? {
            "Allocate ATP (% of the guests' pool)" => {
                resources.allocate_atp(number("ATP %?", "0 to the organism's limit")?)?
            }
            "Allocate ribosomes (the original's units)" => resources
                .allocate_ribosomes(Ribosomes::Original(number("Ribosomes?", "of the original's pool of 80")?))?,
            "Allocate ribosomes per tick" => {
                resources.allocate_ribosomes(Ribosomes::PerTick(number("Ribosomes per tick?", "the model's unit")?))?
            }
            "Allocate DNA space (kb)" => resources.allocate_memory(number("DNA space in kb?", "beyond the genome")?)?,
            _ => {
                println!("usage      {:?}", resources.get_resource_usage());
                println!("limits     {:?}", resources.get_resource_limits());
                println!("available  {:?}", resources.get_available_resources());
                return Ok(());
            }
        }
        self.changed();
        self.say("reserved from the next tick");
        Ok(())
    }

    /// 🧬: the host's chassis, chosen before its first VM (a host has one chassis).
    pub(super) fn chassis(&mut self) -> Step {
        if !self.manager.list_vms().is_empty() {
            return Err(Stop::Failed("the chassis is chosen before the first VM, and this host has VMs".into()));
        }
        let kinds: Vec<ChassisChoice> = ChassisKind::ALL.into_iter().map(ChassisChoice).collect();
        let kind = choose("Chassis?", kinds)?.0;
        self.host.chassis = kind.defaults();
        self.manager = bioxen::api::BioVmManager::with_config(self.host.clone())?;
        self.say(&format!("the host is now the {} chassis", kind.name()));
        Ok(())
    }

    /// ⏱️: the live clock, running at a pace or paused.
    pub(super) fn clock(&mut self) -> Step {
        if self.manager.clock_status().is_some_and(|s| s.running) {
            self.manager.pause_clock();
            self.say(&format!("the clock is paused at tick {}", self.manager.tick()));
            return Ok(());
        }
        let pace = match choose(
            "Pace?",
            vec!["real time (1 simulated s per s)", "60× (a minute per second)", "as fast as possible", "another pace"],
        )? {
            "real time (1 simulated s per s)" => Pace::SimulatedPerWallSecond(1.0),
            "60× (a minute per second)" => Pace::SimulatedPerWallSecond(60.0),
            "as fast as possible" => Pace::Fastest,
            _ => Pace::SimulatedPerWallSecond(number("Simulated seconds per wall second?", "0.001 to 1,000,000")?),
        };
        self.manager.start_clock(pace)?;
        self.changed();
        self.say("the clock runs: VMs grow while you read (this entry again pauses it)");
        Ok(())
    }

    /// ⏩: N ticks, or a simulated duration.
    pub(super) fn run_ticks(&mut self) -> Step {
        let ran = match choose("Run for?", vec!["a number of ticks", "a simulated duration (seconds)"])? {
            "a number of ticks" => {
                let n = number::<u64>("Ticks?", "whole ticks")?;
                self.manager.run_ticks(n)?;
                n
            }
            _ => {
                let seconds = number::<f64>("Simulated seconds?", "rounded up to whole ticks")?;
                let d = Duration::try_from_secs_f64(seconds).map_err(|e| Stop::Failed(e.to_string()))?;
                self.manager.run_for(d)?
            }
        };
        self.changed();
        self.say(&format!("ran {ran} ticks; now at tick {}", self.manager.tick()));
        Ok(())
    }

    /// 🔬: transcription switches by gene, operons by name.
    pub(super) fn transcription(&mut self) -> Step {
        let vm = prompts::vm(&self.manager, "to switch")?;
        let options = vec![
            "start transcription of genes",
            "stop transcription of genes",
            "activate operons",
            "repress operons",
            "show operons",
        ];
        let switched = match choose("Transcription", options)? {
            "start transcription of genes" => vm.start_transcription(&refs(&names("Genes (comma-separated)?")?))?,
            "stop transcription of genes" => vm.stop_transcription(&refs(&names("Genes (comma-separated)?")?))?,
            "activate operons" => vm.manage_operons(&refs(&names("Operons?")?), "activate")?,
            "repress operons" => vm.manage_operons(&refs(&names("Operons?")?), "repress")?,
            _ => {
                for o in vm.get_operon_status()? {
                    println!(
                        "  {:<10} {:<4} {} mRNA  {}",
                        o.name,
                        if o.active { "on" } else { "off" },
                        o.mrna,
                        o.genes.join(" ")
                    );
                }
                return Ok(());
            }
        };
        self.changed();
        for s in switched {
            self.say(&format!("{} → {}", s.named, s.operon.unwrap_or_else(|| s.genes.join(" "))));
        }
        Ok(())
    }
}

/// An organism's measures, a line each.
fn metric_lines(m: &bioxen::api::BiologicalMetrics) -> Vec<String> {
    use bioxen::api::BiologicalMetrics::*;
    match m {
        Syn3a { essential_genes, essential_genes_expressed, .. } => {
            vec![format!("essential genes  {essential_genes_expressed} of {essential_genes} with protein present")]
        }
        Ecoli { plasmid_count, operons, .. } => {
            let on: Vec<&str> = operons.iter().filter(|o| o.active).map(|o| o.name.as_str()).collect();
            vec![
                format!("plasmids         {plasmid_count}"),
                format!("operons on       {} of {}", on.len(), operons.len()),
            ]
        }
        MinimalCell { functions } => functions
            .iter()
            .map(|f| format!("{:<16} {} ({:.0} % of need)", f.name, f.status, f.supplied * 100.0))
            .collect(),
    }
}

/// `&str`s of `names`.
fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// A chassis as a choice reads: its name and pools.
struct ChassisChoice(ChassisKind);

impl std::fmt::Display for ChassisChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self.0.defaults();
        write!(
            f,
            "{}: {} ribosomes, {} RNA polymerases, {} ATP/s, {} kb of DNA space, {} VMs",
            self.0.name(),
            c.ribosomes,
            c.rnap,
            c.atp_per_s,
            c.dna_space_kb,
            c.max_vms
        )
    }
}
