//! A host: one chassis, one policy, one seed, its VMs, and the run they share — the state
//! behind a [`super::BioVmManager`] and the [`super::BiologicalVm`]s it hands out.
//!
//! **A session is a scenario.** Every call that changes the simulation becomes a timeline
//! event at the next tick ([`bioxen_engine::sim::Simulation::schedule`]) or a VM added
//! with its `create` event ([`bioxen_engine::sim::Simulation::create`]), so the run is at
//! every moment the run of a scenario — which [`Host::saved_scenario`] writes out, and
//! which `bioxen run` replays to the same digest.
//!
//! The host keeps a mirror of what it has scheduled (each VM's lifecycle, allocation and
//! repressed units as they will be from the next tick): a scheduled event always applies,
//! since it was checked where it lands, so the mirror answers status calls without a
//! round trip and is the runtime's state once the next tick has run.

use super::error::{ApiError, ApiResult};
use super::types::{BiologicalType, VmType};
use super::vm_config::VmConfig;
use crate::driver::Runner;
use crate::files;
use crate::mirror::VmMirror;
use bioxen_actors::ActorConfig;
use bioxen_engine::biology::Organism;
use bioxen_engine::cell::Cell;
use bioxen_engine::chassis::{Chassis, ChassisKind};
use bioxen_engine::genome::{Genome, GenomeOrigin};
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::package::Package;
use bioxen_engine::policy::{PolicyKind, PolicyParams};
use bioxen_engine::program::Program;
use bioxen_engine::record::TickRecord;
use bioxen_engine::scenario::limits::TICKS_MAX;
use bioxen_engine::scenario::{Action, Allocation, GenomeSource, SCENARIO_FORMAT_VERSION, Scenario, VmSpec};
use bioxen_engine::schedule::{Scheduled, transition_of};
use bioxen_engine::sim::Simulation;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// A host shared by its manager and its VMs' handles.
pub(crate) type Shared = Arc<Mutex<Host>>;

/// Locks a host; a panic while it was held (a bug) leaves it usable for reading.
pub(crate) fn lock(host: &Shared) -> MutexGuard<'_, Host> {
    host.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where a host's ticks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// Every VM an actix actor, on this many arbiter threads (the default).
    Actors {
        /// Arbiter threads.
        arbiters: usize,
    },
    /// The engine on this thread's rayon pool.
    Engine,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::Actors { arbiters: ActorConfig::default().arbiters }
    }
}

/// What a host is: its chassis, policy, seed and tick length, and where it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct HostConfig {
    /// The session's name (the saved scenario's `name`).
    pub name: String,
    /// The host cell: a kind's defaults (`ChassisKind::Ecoli.defaults()`), or pools of
    /// your own (checked like a scenario's).
    pub chassis: Chassis,
    /// The scheduling policy.
    pub policy: PolicyKind,
    /// Its tunables.
    pub policy_params: PolicyParams,
    /// Seed of every random stream.
    pub seed: u64,
    /// Simulated seconds per tick.
    pub tick_seconds: f64,
    /// Where the ticks run.
    pub runtime: Runtime,
    /// A directory whose `packages/` holds packages of your own, found by name before the
    /// shipped ones (`None`: only the shipped ones, and those the run already holds).
    pub packages_dir: Option<PathBuf>,
}

impl Default for HostConfig {
    /// An E. coli chassis (the original's default host), fair share, seed 1, 1-second
    /// ticks, on the actor runtime.
    fn default() -> Self {
        HostConfig {
            name: "session".into(),
            chassis: ChassisKind::Ecoli.defaults(),
            policy: PolicyKind::Fair,
            policy_params: PolicyParams::default(),
            seed: 1,
            tick_seconds: 1.0,
            runtime: Runtime::default(),
            packages_dir: None,
        }
    }
}

/// What the host knows of one VM: its mirror ([`VmMirror`]: what the engine will run from
/// the next tick) and what the original library's API adds to it (types, configuration,
/// DNA space reserved). It reads as its mirror (`Deref`), as every entry is one.
pub(crate) struct VmEntry {
    pub mirror: VmMirror,
    pub biological_type: BiologicalType,
    pub vm_type: VmType,
    pub config: VmConfig,
    /// DNA space reserved beyond the genome ([`super::BioResourceManager::allocate_memory`]).
    pub memory_reserved_kb: u64,
    /// Where an `xcpng` VM's cell runs, once started: its XCP-ng VM (torn down when the
    /// entry goes).
    pub remote: Option<crate::xcpng::XcpngVm>,
}

impl std::ops::Deref for VmEntry {
    type Target = VmMirror;
    fn deref(&self) -> &VmMirror {
        &self.mirror
    }
}

impl std::ops::DerefMut for VmEntry {
    fn deref_mut(&mut self) -> &mut VmMirror {
        &mut self.mirror
    }
}

impl VmEntry {
    /// A VM as created: before its first tick, its program's units as at birth.
    fn new(
        id: &str,
        (biological_type, vm_type): (BiologicalType, VmType),
        config: VmConfig,
        allocation: Allocation,
        program: Arc<Program>,
        genome: Arc<Genome>,
    ) -> VmEntry {
        let mirror = VmMirror::new(id, allocation, program, genome);
        VmEntry { mirror, biological_type, vm_type, config, memory_reserved_kb: 0, remote: None }
    }

    /// A scenario's VM `spec` in `state`, running `program` of `genome`, with its
    /// organism's default configuration.
    fn of_spec(spec: &VmSpec, state: Lifecycle, program: Arc<Program>, genome: Arc<Genome>) -> ApiResult<VmEntry> {
        let biological_type = BiologicalType::of(spec.organism);
        let config = super::config::ConfigManager::new().load_defaults(biological_type.name())?;
        let mut entry =
            VmEntry::new(&spec.id, (biological_type, VmType::Basic), config, spec.allocation, program, genome);
        entry.lifecycle = state;
        Ok(entry)
    }
}

/// A host and its run.
pub(crate) struct Host {
    pub config: HostConfig,
    runner: Option<Runner>,
    pub vms: Vec<VmEntry>,
    /// Absolute paths of the annotations VMs run and of their expression files, by genome
    /// index (for the saved scenario).
    genome_files: BTreeMap<u32, (PathBuf, Option<PathBuf>)>,
    programs: BTreeMap<(GenomeSource, Organism), (Arc<Program>, Arc<Genome>)>,
    trace: Option<crate::spool::TraceSpool>,
    /// The live clock, once started ([`super::BioVmManager::start_clock`]).
    pub clock: Option<Arc<super::clock::Clock>>,
}

impl Host {
    /// A host with no VM yet, at tick 0.
    pub fn new(config: HostConfig) -> ApiResult<Host> {
        if let Runtime::Actors { arbiters } = config.runtime
            && !(1..=crate::THREADS_MAX).contains(&arbiters)
        {
            return Err(super::config::config_error(
                "runtime.arbiters",
                format!("must be from 1 to {}, not {arbiters}", crate::THREADS_MAX),
            ));
        }
        let scenario = Scenario {
            format_version: SCENARIO_FORMAT_VERSION,
            name: config.name.clone(),
            seed: config.seed,
            ticks: TICKS_MAX,
            tick_seconds: config.tick_seconds,
            policy: config.policy,
            policy_params: config.policy_params,
            chassis: config.chassis,
            vms: Vec::new(),
            events: Vec::new(),
            genomes: Vec::new(),
            packages: Vec::new(),
            scripts: Vec::new(),
        };
        let sim = Simulation::new(scenario)?;
        Ok(Host {
            config,
            runner: Some(Runner::Engine(Box::new(sim))),
            vms: Vec::new(),
            genome_files: BTreeMap::new(),
            programs: BTreeMap::new(),
            trace: None,
            clock: None,
        })
    }

    /// A host running `scenario` from tick 0 on the engine (`bioxen script`): its VMs as
    /// the scenario has them, their genome files resolved against `base` for saving. The
    /// mirror knows the packages the timeline installs, so scripts can name their genes.
    pub fn from_scenario(scenario: Scenario, base: &Path) -> ApiResult<Host> {
        let config = HostConfig {
            name: scenario.name.clone(),
            chassis: scenario.chassis,
            policy: scenario.policy,
            policy_params: scenario.policy_params,
            seed: scenario.seed,
            tick_seconds: scenario.tick_seconds,
            runtime: Runtime::Engine,
            packages_dir: Some(base.to_path_buf()),
        };
        let mut genome_files = BTreeMap::new();
        for (i, g) in scenario.genomes.iter().enumerate() {
            if let GenomeOrigin::Annotation { genome_file, expression_file } = &g.origin {
                let expression = expression_file.as_ref().map(|e| base.join(e));
                genome_files.insert(i as u32, (base.join(genome_file), expression));
            }
        }
        let mut programs = BTreeMap::new();
        let mut vms = Vec::new();
        let states = scenario.initial_states();
        for (v, state) in scenario.vms.iter().zip(states) {
            let (program, genome) = programs
                .entry((v.genome, v.organism))
                .or_insert_with(|| {
                    let genome = Arc::new(scenario.genome_of(v).into_owned());
                    (Arc::new(Program::compile(&genome, v.organism, v.genome, scenario.tick_seconds)), genome)
                })
                .clone();
            vms.push(VmEntry::of_spec(v, state, program, genome)?);
        }
        let sim = Simulation::new(scenario)?;
        let mut host = Host {
            config,
            runner: Some(Runner::Engine(Box::new(sim))),
            vms,
            genome_files,
            programs,
            trace: None,
            clock: None,
        };
        let installs: Vec<(usize, Action)> = host
            .scenario()
            .events
            .iter()
            .filter(|e| matches!(e.action, Action::Install { .. }))
            .map(|e| (e.vm as usize, e.action))
            .collect();
        for (vm, action) in installs {
            host.mirror(vm, action);
        }
        Ok(host)
    }

    fn runner(&self) -> &Runner {
        self.runner.as_ref().expect("a host always has its runner between calls")
    }

    /// The scenario the run is the run of (events scheduled for the next tick included).
    pub fn scenario(&self) -> &Scenario {
        self.runner().scenario()
    }

    /// Ticks run.
    pub fn tick(&self) -> u64 {
        self.runner().tick()
    }

    /// The digest so far.
    pub fn digest(&self) -> [u8; 32] {
        self.runner().digest()
    }

    /// The run's summary so far — metrics, each VM's line, digest — as `bioxen run` would
    /// print it for the saved scenario, without saving or re-running it (the actors'
    /// counters are read, not stopped). No wall-clock figures: they are the command's.
    pub fn summary(&mut self) -> ApiResult<crate::report::RunSummary> {
        match self.runner.as_mut().expect("a host always has its runner").summary(0, 0.0) {
            Ok(summary) => Ok(summary),
            Err(crate::Error::Actors(e)) => Err(e.into()),
            Err(e) => Err(e.into()),
        }
    }

    /// The index of VM `id`.
    pub fn index(&self, id: &str) -> ApiResult<usize> {
        self.vms.iter().position(|v| v.id == id).ok_or_else(|| ApiError::VmNotFound(id.to_string()))
    }

    /// The run on the engine, taking it off the actors if it is there (their state is the
    /// engine's, exactly: see `ActorRuntime::snapshot`).
    fn simulation(&mut self) -> ApiResult<&mut Simulation> {
        if let Some(Runner::Actors(_)) = self.runner {
            let runner = self.runner.take().expect("checked");
            match runner.into_simulation() {
                Ok(sim) => self.runner = Some(Runner::Engine(Box::new(sim))),
                Err(e) => return Err(e.into()),
            }
        }
        match self.runner.as_mut() {
            Some(Runner::Engine(sim)) => Ok(sim),
            _ => unreachable!("just put on the engine"),
        }
    }

    /// Runs VM `vm`'s cell on `remote` from the next run of ticks (the run comes off the
    /// actors first, so that it starts again with the VM placed there). A VM placed
    /// already keeps its place, and `remote` is torn down.
    pub fn place_remote(&mut self, vm: usize, remote: crate::xcpng::XcpngVm) -> ApiResult<()> {
        self.simulation()?;
        self.vms[vm].remote.get_or_insert(remote);
        Ok(())
    }

    /// Takes VM `vm`'s remote place away (its cell comes home first, the run off the
    /// actors): what to tear down.
    pub fn retire_remote(&mut self, vm: usize) -> ApiResult<Option<crate::xcpng::XcpngVm>> {
        if self.vms[vm].remote.is_none() {
            return Ok(None);
        }
        self.simulation()?;
        Ok(self.vms[vm].remote.take())
    }

    /// Adds a VM: absent until the next tick, then created (its `create` event).
    pub fn create(
        &mut self,
        id: &str,
        biological_type: BiologicalType,
        vm_type: VmType,
        config: VmConfig,
    ) -> ApiResult<usize> {
        if self.vms.iter().any(|v| v.id == id) {
            return Err(ApiError::Vm(format!("a VM `{id}` already exists on this host")));
        }
        let organism = biological_type.organism();
        let (genome, path) = annotation_of(&config)?;
        let settings = config.settings(&self.config.chassis);
        let spec = VmSpec {
            id: id.to_string(),
            organism,
            genome: GenomeSource::Builtin,
            memory_kb: 0, // set below, once the genome's size is known
            autostart: false,
            allocation: Allocation {
                weight: settings.weight,
                priority: settings.priority,
                atp_cap_percent: settings.atp_cap_percent,
                atp_reserve_percent: 0.0,
                ribosome_cap: settings.ribosome_cap,
                ribosome_reserve: 0,
            },
        };
        let genome_kb = genome.as_ref().map_or_else(|| organism.profile().genome_kb(), Genome::length_kb);
        // DNA space: the genome, and the room the configuration gives beyond it
        // (`max_memory_kb`), which packages' plasmids take.
        let spec = VmSpec { memory_kb: genome_kb.saturating_add(settings.memory_kb), ..spec };
        let sim = self.simulation()?;
        let index = sim.create(spec, genome)?;
        let spec = sim.scenario().vms[index].clone();
        let key = (spec.genome, spec.organism);
        let known = self.programs.contains_key(&key);
        let sim = self.simulation()?;
        let scenario = sim.scenario();
        let compiled = match known {
            true => None,
            false => {
                let genome = Arc::new(scenario.genome_of(&spec).into_owned());
                let program = Arc::new(Program::compile(&genome, spec.organism, spec.genome, scenario.tick_seconds));
                Some((program, genome))
            }
        };
        if let Some(p) = compiled {
            self.programs.insert(key, p);
        }
        let (program, genome) = self.programs[&key].clone();
        if let (GenomeSource::Annotation(g), Some(path)) = (spec.genome, path) {
            self.genome_files.entry(g).or_insert(path);
        }
        self.vms.push(VmEntry::new(id, (biological_type, vm_type), config, spec.allocation, program, genome));
        Ok(index)
    }

    /// Schedules `action` for VM `vm` at the next tick and mirrors it.
    pub fn schedule(&mut self, vm: usize, action: Action) -> ApiResult<()> {
        self.schedule_all(vec![(vm, Scheduled::Action(action))]).map(|_| ())
    }

    /// Schedules installing `package` into VM `vm` at the next tick and mirrors it.
    pub fn install(&mut self, vm: usize, package: Package) -> ApiResult<()> {
        self.schedule_all(vec![(vm, Scheduled::Install(package))]).map(|_| ())
    }

    /// Schedules `items` at the next tick, all or none, and mirrors them; returns the
    /// actions added.
    pub fn schedule_all(&mut self, items: Vec<(usize, Scheduled)>) -> ApiResult<Vec<Action>> {
        let vms: Vec<usize> = items.iter().map(|(vm, _)| *vm).collect();
        let actions = match self.runner.as_mut().expect("a host always has its runner") {
            Runner::Engine(sim) => sim.schedule_all(items)?,
            Runner::Actors(actors) => actors.schedule_all(items)?,
        };
        for (&vm, &action) in vms.iter().zip(&actions) {
            self.mirror(vm, action);
        }
        Ok(actions)
    }

    /// What a scheduled action will change in VM `vm`, in the host's mirror of it.
    fn mirror(&mut self, vm: usize, action: Action) {
        let package = match action {
            Action::Install { hash } => {
                self.scenario().package_index(&hash).map(|i| (i, self.scenario().packages[i as usize].clone()))
            }
            _ => None,
        };
        let entry = &mut self.vms[vm];
        if let Some(t) = transition_of(action) {
            entry.lifecycle = entry.lifecycle.after(t).unwrap_or(entry.lifecycle);
        }
        match action {
            Action::Set(change) => change.apply(&mut entry.allocation),
            Action::Transcription { unit, on: true } => {
                entry.units_off.remove(&unit);
            }
            Action::Transcription { unit, on: false } => {
                entry.units_off.insert(unit);
            }
            Action::Inducer { inducer, micromolar } if micromolar > 0.0 => {
                entry.inducers.insert(inducer, micromolar);
            }
            Action::Inducer { inducer, .. } => {
                entry.inducers.remove(&inducer);
            }
            Action::Install { .. } => {
                if let Some((index, p)) = package {
                    Arc::make_mut(&mut entry.program).install(&p);
                    entry.installed.push(index);
                    entry.package_genes.extend(p.genes.iter().map(|g| (p.name.clone(), g.name.clone())));
                }
            }
            Action::Lifecycle(_) | Action::Create(_) => {}
        }
    }

    /// The package called `name`: one the run holds, else one of the configuration's
    /// `packages_dir`, else a shipped one.
    pub fn package(&self, name: &str) -> Result<Package, String> {
        crate::files::package_for(&self.scenario().packages, self.config.packages_dir.as_deref(), name)
    }

    /// Runs `n` ticks on the host's runtime.
    pub fn run_ticks(&mut self, n: u64) -> ApiResult<()> {
        self.run_ticks_observed(n, |_| {})
    }

    /// Refuses `n` more ticks past the run's last at once, rather than running towards the
    /// bound for hours.
    pub fn refuse_past_end(&self, n: u64) -> ApiResult<()> {
        let left = self.scenario().ticks.saturating_sub(self.tick());
        if n > left {
            return Err(ApiError::Limit(format!(
                "{n} more ticks would pass the run's last tick ({}: a session runs at most {TICKS_MAX} ticks in all); \
                 it is at tick {}, {left} ticks left",
                self.scenario().ticks,
                self.tick()
            )));
        }
        Ok(())
    }

    /// [`Host::run_ticks`], handing `each` every tick's record as it is recorded.
    pub fn run_ticks_observed(&mut self, n: u64, mut each: impl FnMut(&TickRecord)) -> ApiResult<()> {
        self.refuse_past_end(n)?;
        if let (Runtime::Actors { arbiters }, Some(Runner::Engine(_))) = (self.config.runtime, &self.runner)
            && !self.vms.is_empty()
        {
            let Some(Runner::Engine(sim)) = self.runner.take() else { unreachable!("checked") };
            let remote: Vec<(usize, &crate::xcpng::XcpngVm)> =
                self.vms.iter().enumerate().filter_map(|(i, v)| v.remote.as_ref().map(|r| (i, r))).collect();
            let config = ActorConfig { arbiters };
            let runner = if remote.is_empty() {
                Runner::new(*sim, Some(config))
            } else {
                crate::remote::on_xcpng_vms(*sim, config, &remote)
            };
            self.runner = Some(runner?);
        }
        let (runner, vms, trace) = (self.runner.as_mut().expect("always"), &mut self.vms, &mut self.trace);
        let window = growth_window(self.config.tick_seconds);
        let mut failure = None;
        let resolved = runner.run_ticks(n, |record| {
            observe(vms, record, window);
            each(record);
            if let Some(spool) = trace.as_mut()
                && let Err(e) = spool.record(record)
            {
                failure = Some(e);
                return false;
            }
            true
        });
        // What the timeline's scripts scheduled has applied: the mirror takes it in order.
        for (vm, action) in resolved.scripted {
            self.mirror(vm, action);
        }
        match (resolved.outcome, failure) {
            (Err(e), _) | (Ok(()), Some(e)) => Err(e.into()),
            (Ok(()), None) => Ok(()),
        }
    }

    /// A copy of VM `vm`'s cell now.
    pub fn cell(&mut self, vm: usize) -> ApiResult<Cell> {
        match self.runner.as_mut().expect("always") {
            Runner::Engine(sim) => Ok(sim.vms()[vm].cell()),
            Runner::Actors(actors) => Ok(actors.vm(vm)?),
        }
    }

    /// The scenario of the run so far, as a file would hold it: the ticks run, the events
    /// that have applied, the VMs that exist by now. (Calls made since the last tick have
    /// not happened yet, so they are not in it.)
    pub fn saved_scenario(&self) -> ApiResult<Scenario> {
        let ticks = self.tick();
        if ticks == 0 {
            return Err(ApiError::Vm("run at least one tick before saving: a scenario runs one tick or more".into()));
        }
        let mut s = self.scenario().clone();
        s.ticks = ticks;
        // VMs whose creation is still to come are the last ones (VMs are numbered in the
        // order they were created); their events are all still to come too. VMs present
        // from tick 0 have no `create` event.
        let first_pending = s
            .events
            .iter()
            .filter(|e| e.tick >= ticks && matches!(e.action, Action::Create(_)))
            .map(|e| e.vm as usize)
            .min();
        if let Some(first) = first_pending {
            s.vms.truncate(first);
        }
        s.events.retain(|e| e.tick < ticks);
        // Scripts before `ticks` have become events; those after it are not reached.
        s.scripts.retain(|x| x.tick < ticks);
        if s.vms.is_empty() {
            return Err(ApiError::Vm("no VM has been created by the last tick: a scenario needs one".into()));
        }
        s.check().map_err(bioxen_engine::sim::SimError::from)?;
        Ok(s)
    }

    /// The annotation file of genome `index` and its expression file, for a saved scenario.
    pub fn genome_file(&self, index: u32) -> Option<(&Path, Option<&Path>)> {
        self.genome_files.get(&index).map(|(g, e)| (g.as_path(), e.as_deref()))
    }

    /// Starts recording a trace to `path`, written when [`Host::finish_trace`] is called.
    /// Only at tick 0: a trace holds the whole run.
    pub fn record_trace(&mut self, path: &Path) -> ApiResult<()> {
        if self.tick() > 0 {
            return Err(ApiError::Vm(format!(
                "a trace holds a run from tick 0; this host has run {} ticks",
                self.tick()
            )));
        }
        let destination = files::destination(path, "trace")?;
        if destination.path().is_none() {
            return Err(ApiError::Vm("a session's trace is written to a file".into()));
        }
        self.trace = Some(crate::spool::TraceSpool::new(destination)?);
        Ok(())
    }

    /// Writes the trace being recorded: the run's scenario as it is now (see
    /// [`Host::saved_scenario`]), every tick so far and the digest, atomically.
    pub fn finish_trace(&mut self) -> ApiResult<PathBuf> {
        let scenario = self.saved_scenario()?;
        let digest = self.digest();
        let spool = self.trace.take().ok_or_else(|| ApiError::Vm("no trace is being recorded".into()))?;
        let destination = spool.destination().map(Path::to_path_buf).unwrap_or_default();
        spool.finish(&scenario, digest)?;
        Ok(destination)
    }
}

/// Ticks of growth history kept per VM: ten simulated minutes (at least two ticks).
fn growth_window(tick_seconds: f64) -> usize {
    ((600.0 / tick_seconds).ceil() as usize).max(2)
}

/// Takes a tick's record into the VMs' last records and growth histories. Growth is
/// measured on protein mass with divisions undone (`mass × 2^divisions`), so a division
/// is not a fall.
fn observe(vms: &mut [VmEntry], record: &TickRecord, window: usize) {
    for r in &record.vms {
        let Some(entry) = vms.get_mut(r.vm as usize) else { continue };
        entry.last = Some(*r);
        if r.state == Lifecycle::Running {
            let log_mass = (r.mass_aa.max(1) as f64).ln() + f64::from(r.divisions) * std::f64::consts::LN_2;
            entry.growth.push_back((record.tick, log_mass));
            while entry.growth.len() > window {
                entry.growth.pop_front();
            }
        }
    }
}

/// The annotation a VM's configuration names (`genome_file`, measured by
/// `expression_file`), loaded, with the absolute paths the saved scenario names; none for
/// the organism's built-in genome.
#[allow(clippy::type_complexity)] // the genome, and its file with its expression file's
fn annotation_of(config: &VmConfig) -> ApiResult<(Option<Genome>, Option<(PathBuf, Option<PathBuf>)>)> {
    let loaded = match (&config.genome_file, &config.expression_file) {
        (None, None) => (None, None),
        (None, Some(_)) => {
            return Err(super::config::config_error(
                "expression_file",
                "measures an annotation: give its genome_file too",
            ));
        }
        (Some(p), e) => {
            let absolute = |key: &str, p: &Path| {
                std::fs::canonicalize(p)
                    .map_err(|err| super::config::config_error(key, format!("{}: {err}", p.display())))
            };
            let path = absolute("genome_file", p)?;
            let mut genome = files::load_genome(&path, &p.display().to_string())
                .map_err(|e| super::config::config_error("genome_file", e.message))?;
            let expression = match e {
                None => None,
                Some(e) => {
                    let path = absolute("expression_file", e)?;
                    let text = files::read_input(&path, files::EXPRESSION_BYTES_MAX)
                        .map_err(|err| super::config::config_error("expression_file", err.to_string()))?;
                    let text = String::from_utf8(text)
                        .map_err(|_| super::config::config_error("expression_file", "is not UTF-8 text"))?;
                    let counts = bioxen_engine::expression::parse(&text, &e.display().to_string())
                        .map_err(|m| super::config::config_error("expression_file", m))?;
                    let applied = bioxen_engine::expression::apply(&mut genome, &counts);
                    tracing::info!(
                        "{}: measured expression for {} protein genes; {} keep the default weight",
                        e.display(),
                        applied.measured,
                        applied.unmeasured
                    );
                    genome.origin = GenomeOrigin::Annotation {
                        genome_file: p.display().to_string(),
                        expression_file: Some(e.display().to_string()),
                    };
                    Some(path)
                }
            };
            (Some(genome), Some((path, expression)))
        }
    };
    Ok(loaded)
}
