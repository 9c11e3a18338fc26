//! `BioVmManager`: one host and its VMs, competing for its chassis under its policy.

use super::config::ConfigManager;
use super::error::{ApiError, ApiResult};
use super::host::{Host, HostConfig, Shared, lock};
use super::resources::{AvailableResources, BioResourceManager, available};
use super::types::{BiologicalType, VmType};
use super::vm::BiologicalVm;
use super::vm_config::VmConfig;
use bioxen_engine::record::hex;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a per-tick hook ([`BioVmManager::run_ticks_with`]) sees after each tick.
#[derive(Clone, Copy, Debug)]
pub struct TickView<'a> {
    /// The tick's record: its number, the pools offered, the events that applied, and each
    /// VM's state, demand, grant and totals (`record.vms[k].vm` indexes `vm_ids`).
    pub record: &'a bioxen_engine::record::TickRecord,
    /// The VMs' ids, by index.
    pub vm_ids: &'a [String],
}

/// Where a result comes from: what reproduces it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Provenance {
    /// The engine's version (`bioxen_engine::ENGINE_VERSION`).
    pub engine_version: &'static str,
    /// The host's seed.
    pub seed: u64,
    /// Ticks run.
    pub tick: u64,
    /// The run's digest so far, in hex.
    pub digest: String,
}

/// A host (a chassis, a policy, a seed; on the actor runtime unless told otherwise) and
/// the VMs on it. Its VMs share the chassis and compete under its policy. Simulated time
/// moves only through [`BioVmManager::run_ticks`] and [`BioVmManager::run_for`]; calls
/// in between take effect at the next tick boundary. Dropping the manager (and its VMs'
/// handles) stops the actors' threads.
///
/// ```
/// use bioxen::api::{BioVmManager, HostConfig, Runtime};
/// let manager = BioVmManager::with_config(HostConfig { runtime: Runtime::Engine, ..HostConfig::default() })?;
/// let vm = manager.create_vm("cell", "syn3a", "basic", None)?;
/// vm.start()?;
/// manager.run_ticks(10)?;
/// assert_eq!(vm.get_status().state.name(), "running");
/// assert!(vm.get_ribosome_allocation() > 0);
/// # Ok::<(), bioxen::api::ApiError>(())
/// ```
#[doc(alias = "BioVMManager")]
pub struct BioVmManager {
    host: Shared,
}

impl BioVmManager {
    /// A manager of a host with the defaults of [`HostConfig`] (E. coli chassis, fair
    /// share, seed 1, one-second ticks, actors).
    pub fn new() -> ApiResult<BioVmManager> {
        BioVmManager::with_config(HostConfig::default())
    }

    /// A manager of a host configured as `config` says.
    pub fn with_config(config: HostConfig) -> ApiResult<BioVmManager> {
        if !(config.tick_seconds.is_finite() && config.tick_seconds > 0.0) {
            return Err(super::config::config_error("tick_seconds", "must be a positive number of seconds"));
        }
        // A host the gate refuses (a chassis out of range) is a configuration error.
        let host = Host::new(config).map_err(|e| match e {
            ApiError::Sim(refused) => super::config::config_error("host", refused.to_string()),
            other => other,
        })?;
        Ok(BioVmManager { host: Arc::new(Mutex::new(host)) })
    }

    /// Creates VM `vm_id` of `biological_type` (`syn3a`, `ecoli`, `minimal_cell`) and
    /// `vm_type` (`basic`, or `xcpng`: its cell runs in an XCP-ng VM made when it starts,
    /// see [`crate::xcpng`]) with `config` (the organism's defaults when `None`; see
    /// [`ConfigManager::load_defaults`]; a partial one is merged over them,
    /// [`ConfigManager::complete`]; an `xcpng` VM's must hold its `xcpng_config`).
    /// It exists from the next tick, created but not started.
    pub fn create_vm(
        &self,
        vm_id: &str,
        biological_type: &str,
        vm_type: &str,
        config: Option<VmConfig>,
    ) -> ApiResult<BiologicalVm> {
        let t = BiologicalType::parse(biological_type)?;
        let kind = VmType::parse(vm_type)?;
        let chassis = lock(&self.host).config.chassis;
        let configs = ConfigManager::for_chassis(chassis);
        if kind == VmType::Xcpng && config.as_ref().is_none_or(|c| c.xcpng_config.is_none()) {
            return Err(ApiError::XcpngConfigMissing);
        }
        let config = configs.complete(config.as_ref(), biological_type, vm_type)?;
        let index = lock(&self.host).create(vm_id, t, kind, config)?;
        Ok(BiologicalVm::new(self.host.clone(), index))
    }

    /// VM `vm_id`, if there is one.
    pub fn get_vm(&self, vm_id: &str) -> Option<BiologicalVm> {
        let index = lock(&self.host).index(vm_id).ok()?;
        Some(BiologicalVm::new(self.host.clone(), index))
    }

    /// Every VM's id, in the order they were created.
    pub fn list_vms(&self) -> Vec<String> {
        lock(&self.host).vms.iter().map(|v| v.id.clone()).collect()
    }

    /// Destroys VM `vm_id` at the next tick (stopping it first if it runs).
    pub fn terminate_vm(&self, vm_id: &str) -> ApiResult<()> {
        let index = lock(&self.host).index(vm_id)?;
        BiologicalVm::new(self.host.clone(), index).destroy()
    }

    /// VM `vm_id`'s resource manager.
    pub fn get_vm_resource_manager(&self, vm_id: &str) -> ApiResult<BioResourceManager> {
        let index = lock(&self.host).index(vm_id)?;
        Ok(BioResourceManager::new(&BiologicalVm::new(self.host.clone(), index)))
    }

    /// What is left to reserve on the host.
    pub fn get_available_resources(&self) -> AvailableResources {
        available(&lock(&self.host))
    }

    /// A manager running `scenario` from tick 0 on the engine, its VMs and timeline as the
    /// file has them (`bioxen script`); `base` is the directory its genome files are
    /// relative to.
    pub fn from_scenario(scenario: bioxen_engine::scenario::Scenario, base: &Path) -> ApiResult<BioVmManager> {
        Ok(BioVmManager { host: Arc::new(Mutex::new(Host::from_scenario(scenario, base)?)) })
    }

    /// Ticks left before the scenario's last (0 for a session, which has no end).
    pub fn remaining_ticks(&self) -> u64 {
        let host = lock(&self.host);
        let ticks = host.scenario().ticks;
        if ticks == bioxen_engine::scenario::limits::TICKS_MAX { 0 } else { ticks.saturating_sub(host.tick()) }
    }

    /// Runs a process script against VM `vm_id` at the tick boundary and waits for it
    /// (see [`BiologicalVm::execute_biological_process`]).
    pub fn execute_vm_sync(&self, vm_id: &str, code: &str) -> ApiResult<crate::script::ScriptOutcome> {
        let vm = self.get_vm(vm_id).ok_or_else(|| ApiError::VmNotFound(vm_id.to_string()))?;
        vm.execute_biological_process(code)
    }

    /// Runs every VM for up to `n` ticks, handing `each` a view of every tick as it ends;
    /// `each` returning false stops the run there (at a tick boundary: the run is then as
    /// if `run_ticks` had been asked for the ticks run). The host is locked for one tick at
    /// a time, never while `each` runs, so `each` and other threads may call the manager
    /// and its VMs between ticks (a dashboard's status, a Python KeyboardInterrupt). Returns
    /// the ticks run.
    ///
    /// ```
    /// use bioxen::api::BioVmManager;
    /// let manager = BioVmManager::new()?;
    /// manager.create_vm("cell", "syn3a", "basic", None)?.start()?;
    /// let ran = manager.run_ticks_with(100, |view| view.record.tick < 9)?;
    /// assert_eq!((ran, manager.tick()), (10, 10));
    /// # Ok::<(), bioxen::api::ApiError>(())
    /// ```
    pub fn run_ticks_with(&self, n: u64, mut each: impl FnMut(&TickView) -> bool) -> ApiResult<u64> {
        lock(&self.host).refuse_past_end(n)?;
        for ran in 1..=n {
            let mut record = None;
            let ids: Vec<String> = {
                let mut host = lock(&self.host);
                host.run_ticks_observed(1, |r| record = Some(r.clone()))?;
                host.vms.iter().map(|e| e.id.clone()).collect()
            };
            let Some(record) = record else { return Ok(ran - 1) };
            if !each(&TickView { record: &record, vm_ids: &ids }) {
                return Ok(ran);
            }
        }
        Ok(n)
    }

    /// Runs every VM for `n` ticks.
    pub fn run_ticks(&self, n: u64) -> ApiResult<()> {
        lock(&self.host).run_ticks(n)
    }

    /// Runs every VM for `duration` of simulated time (whole ticks, rounded up); returns
    /// the ticks run.
    pub fn run_for(&self, duration: Duration) -> ApiResult<u64> {
        run_for(&self.host, duration)
    }

    /// The ticks [`Self::run_for`] would run for `duration` (whole ticks, rounded up),
    /// refused at once if past the session's bound.
    pub fn ticks_for(&self, duration: Duration) -> ApiResult<u64> {
        let host = lock(&self.host);
        let n = ticks_for(&host, duration);
        host.refuse_past_end(n)?;
        Ok(n)
    }

    /// Starts the live clock (or changes its pace): ticks advance on their own, on a thread
    /// of their own, at `pace`, until [`Self::pause_clock`] or a tick fails (a bound, a
    /// runtime failure: see [`Self::clock_status`]). Calls still take effect at the next
    /// tick boundary and the session is still recorded: the wall clock decides only when
    /// a call lands, the record where, so the saved scenario replays to the digest.
    ///
    /// ```
    /// use bioxen::api::{BioVmManager, Pace};
    /// let manager = BioVmManager::new()?;
    /// manager.create_vm("cell", "syn3a", "basic", None)?.start()?;
    /// manager.start_clock(Pace::Fastest)?;
    /// while manager.tick() < 20 {
    ///     std::thread::yield_now();
    /// }
    /// manager.pause_clock();
    /// let paused_at = manager.tick();
    /// assert_eq!(manager.tick(), paused_at); // no tick starts once pause_clock returned
    /// # Ok::<(), bioxen::api::ApiError>(())
    /// ```
    pub fn start_clock(&self, pace: super::clock::Pace) -> ApiResult<()> {
        let pace = pace.check()?;
        let clock = {
            let mut host = lock(&self.host);
            if host.clock.is_none() {
                let clock = super::clock::Clock::new(Arc::downgrade(&self.host), host.config.tick_seconds)?;
                host.clock = Some(Arc::new(clock));
            }
            host.clock.clone()
        };
        // Never with the host locked: the clock's thread locks its state, then the host.
        if let Some(clock) = clock {
            clock.start(pace);
        }
        Ok(())
    }

    /// Pauses the live clock: when this returns, no tick starts until it is started again
    /// (a call's change still waits for the next tick).
    pub fn pause_clock(&self) {
        let clock = lock(&self.host).clock.clone();
        if let Some(clock) = clock {
            clock.pause();
        }
    }

    /// What the live clock is doing (none before it was first started).
    pub fn clock_status(&self) -> Option<super::clock::ClockStatus> {
        let clock = lock(&self.host).clock.clone();
        clock.map(|c| c.status())
    }

    /// Refuses `n` more ticks at once if they would pass the session's bound (10⁸ ticks
    /// in all, or a scenario's last tick), as the runs do.
    pub fn check_ticks(&self, n: u64) -> ApiResult<()> {
        lock(&self.host).refuse_past_end(n)
    }

    /// The host's chassis.
    pub fn chassis(&self) -> bioxen_engine::chassis::Chassis {
        lock(&self.host).config.chassis
    }

    /// Ticks run.
    pub fn tick(&self) -> u64 {
        lock(&self.host).tick()
    }

    /// Where the session's results come from: the engine's version, the seed, the ticks
    /// run and the digest so far.
    pub fn provenance(&self) -> Provenance {
        let host = lock(&self.host);
        Provenance {
            engine_version: bioxen_engine::ENGINE_VERSION,
            seed: host.config.seed,
            tick: host.tick(),
            digest: hex(&host.digest()),
        }
    }

    /// The manager of an existing host (a VM's, [`BiologicalVm::manager`]).
    pub(crate) fn of_host(host: Shared) -> BioVmManager {
        BioVmManager { host }
    }

    /// The run's digest so far, in hex: the digest `bioxen run` gives the saved scenario.
    pub fn digest(&self) -> String {
        hex(&lock(&self.host).digest())
    }

    /// The session's run so far, summarised as `bioxen run --json` summarises a run: the
    /// run's metrics (fairness, demand met, utilisation, proteins), each VM's line, the
    /// digest — the same as the saved scenario's run gives, without saving or re-running
    /// it. (`elapsed_seconds` and `vm_ticks_per_second` are 0: they measure a command.)
    pub fn run_summary(&self) -> ApiResult<crate::report::RunSummary> {
        lock(&self.host).summary()
    }

    /// The scenario file [`Self::save_scenario`] would write now, as text (the session's
    /// timeline as it will be saved).
    pub fn scenario_text(&self) -> ApiResult<String> {
        let host = lock(&self.host);
        let scenario = host.saved_scenario()?;
        super::save::to_toml(&scenario, |g| {
            host.genome_file(g).map(|(genome, expression)| (genome.to_path_buf(), expression.map(Path::to_path_buf)))
        })
    }

    /// Writes the session as a scenario file (atomically): the host, every VM created so
    /// far with its creation as a `create` event, and every call as an event at the tick
    /// it took effect. `bioxen run` on it gives [`Self::digest`]. Calls made since the last
    /// tick have not taken effect, so they are not in it.
    ///
    /// ```
    /// use bioxen::api::BioVmManager;
    /// let manager = BioVmManager::new()?;
    /// manager.create_vm("cell", "minimal_cell", "basic", None)?.start()?;
    /// manager.run_ticks(5)?;
    /// let path = std::env::temp_dir().join(format!("doc-session-{}.toml", std::process::id()));
    /// manager.save_scenario(&path)?;
    /// let mut rerun = bioxen::engine::sim::Simulation::new(bioxen::files::load_scenario(&path)?)?;
    /// assert_eq!(bioxen::engine::record::hex(&rerun.run(|_, _| {})?), manager.digest());
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save_scenario(&self, path: impl AsRef<Path>) -> ApiResult<()> {
        self.save_scenario_to(&crate::files::destination(path.as_ref(), "save_scenario")?)
    }

    /// [`Self::save_scenario`] to a destination already checked
    /// ([`crate::files::destination`]), as a command checks its outputs before any work.
    pub fn save_scenario_to(&self, destination: &crate::files::Destination) -> ApiResult<()> {
        let text = self.scenario_text()?;
        crate::files::write_output(destination, |w| {
            w.write_all(text.as_bytes()).map_err(|e| crate::Error::io("the saved scenario", e))
        })?;
        Ok(())
    }

    /// Records a trace of the session to `path`, from tick 0 (call it before the first
    /// tick); [`Self::finish_trace`] writes it.
    pub fn record_trace(&self, path: impl AsRef<Path>) -> ApiResult<()> {
        lock(&self.host).record_trace(path.as_ref())
    }

    /// Writes the trace being recorded (the session's scenario so far and every tick), so
    /// that `bioxen replay` on it reproduces [`Self::digest`]; returns its path.
    pub fn finish_trace(&self) -> ApiResult<PathBuf> {
        lock(&self.host).finish_trace()
    }
}

/// Runs `host` for `duration` of simulated time, in whole ticks rounded up.
pub(crate) fn run_for(host: &Shared, duration: Duration) -> ApiResult<u64> {
    let mut host = lock(host);
    let ticks = ticks_for(&host, duration);
    host.run_ticks(ticks)?;
    Ok(ticks)
}

/// The ticks `duration` takes on `host`, rounded up (`u64::MAX`, which every run refuses,
/// past the bound).
fn ticks_for(host: &Host, duration: Duration) -> u64 {
    let ticks = (duration.as_secs_f64() / host.config.tick_seconds).ceil();
    // A float past u64 (Duration::MAX is 1.8e19 s) is refused, never cast to a bound.
    if ticks <= bioxen_engine::scenario::limits::TICKS_MAX as f64 { ticks as u64 } else { u64::MAX }
}
