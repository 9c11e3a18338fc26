//! `BiologicalVm`: one guest on a host, driven by calls that take effect at the next tick
//! boundary, and read back from the model.

use super::error::{ApiError, ApiResult};
use super::host::{Shared, lock};
use super::resources::{BioResourceManager, ResourceUsage, usage};
use super::types::{BiologicalType, VmType};
use bioxen_engine::genome::GeneKind;
use bioxen_engine::lifecycle::{Lifecycle, Transition};
use bioxen_engine::program::NO_UNIT;
use bioxen_engine::scenario::Action;
use std::time::Duration;

/// A VM's state as a call sees it: its lifecycle from the next tick, and the tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmStatus {
    /// The VM's id.
    pub id: String,
    /// Its state once the calls made since the last tick apply (at the next tick).
    pub state: Lifecycle,
    /// Ticks the host has run.
    pub tick: u64,
}

/// Where a VM's growth is, from its growth rate over the last ten simulated minutes,
/// relative to its organism's maximum rate `ln 2 / doubling time` (`biology.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrowthPhase {
    /// Not grown for ten simulated minutes yet (not started, paused, or just started).
    Lag,
    /// Growing at at least [`EXPONENTIAL_FRACTION`] of its maximum rate.
    Exponential,
    /// Running, but growing slower than that (starved of resources).
    Stationary,
}

/// The fraction of an organism's maximum growth rate from which a VM counts as growing
/// exponentially: a modelling convention (a quarter), not a measured constant.
pub const EXPONENTIAL_FRACTION: f64 = 0.25;

impl GrowthPhase {
    /// `lag`, `exponential` or `stationary`.
    pub fn name(self) -> &'static str {
        match self {
            GrowthPhase::Lag => "lag",
            GrowthPhase::Exponential => "exponential",
            GrowthPhase::Stationary => "stationary",
        }
    }
}

/// A transcription unit and whether it is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperonStatus {
    /// The operon's name (or the lone gene's).
    pub name: String,
    /// Its genes, by name.
    pub genes: Vec<String>,
    /// Transcribed from the next tick.
    pub active: bool,
    /// Its genes' mRNA molecules now.
    pub mrna: u32,
}

/// What a transcription switch did: the gene named, and the unit it switched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Switched {
    /// The gene or operon as named.
    pub named: String,
    /// The operon switched, if the gene is in one (naming a gene in an operon switches the
    /// whole operon).
    pub operon: Option<String>,
    /// Every gene the switch reaches.
    pub genes: Vec<String>,
}

/// One of syn3.0's minimal functions and how it fares, from the VM's last tick.
#[derive(Clone, Debug, PartialEq)]
pub struct MinimalFunction {
    /// The function.
    pub name: &'static str,
    /// Whether the model shows it working: the share of its need met last tick (0–1).
    pub supplied: f64,
    /// `active` (≥ 0.5 of need met), `impaired` (> 0) or `inactive`.
    pub status: &'static str,
}

/// The organism-specific measures of a VM, computed from the model.
#[derive(Clone, Debug, PartialEq)]
pub enum BiologicalMetrics {
    /// syn3A.
    Syn3a {
        /// ATP granted as a percentage of ATP asked, last tick.
        atp_level: f64,
        /// Essential genes in the genome.
        essential_genes: usize,
        /// Of them, those with protein present now.
        essential_genes_expressed: usize,
        /// Ribosomes granted last tick.
        ribosome_allocation: u64,
    },
    /// E. coli.
    Ecoli {
        /// Plasmids carried (packages install them; none until then).
        plasmid_count: usize,
        /// The growth phase.
        growth_phase: GrowthPhase,
        /// Every operon and whether it is on.
        operons: Vec<OperonStatus>,
    },
    /// syn3.0.
    MinimalCell {
        /// Its minimal functions and their status.
        functions: Vec<MinimalFunction>,
    },
}

/// A guest VM. Cloning gives another handle on the same VM.
#[doc(alias = "BiologicalVM")]
#[derive(Clone)]
pub struct BiologicalVm {
    host: Shared,
    index: usize,
    id: String,
    biological_type: BiologicalType,
    vm_type: VmType,
}

impl std::fmt::Debug for BiologicalVm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BiologicalVm").field("id", &self.id).field("type", &self.biological_type).finish()
    }
}

impl BiologicalVm {
    pub(crate) fn new(host: Shared, index: usize) -> BiologicalVm {
        let (id, biological_type, vm_type) = {
            let h = lock(&host);
            let e = &h.vms[index];
            (e.id.clone(), e.biological_type, e.vm_type)
        };
        BiologicalVm { host, index, id, biological_type, vm_type }
    }

    pub(crate) fn parts(&self) -> (&Shared, usize) {
        (&self.host, self.index)
    }

    /// The VM's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its organism.
    pub fn biological_type(&self) -> BiologicalType {
        self.biological_type
    }

    /// `syn3a`, `ecoli` or `minimal_cell`.
    pub fn get_biological_type(&self) -> &'static str {
        self.biological_type.name()
    }

    /// The configuration it was created with.
    pub fn get_config(&self) -> super::vm_config::VmConfig {
        lock(&self.host).vms[self.index].config.clone()
    }

    /// `basic` (or `xcpng`).
    pub fn get_vm_type(&self) -> &'static str {
        self.vm_type.name()
    }

    fn transition(&self, t: Transition) -> ApiResult<()> {
        lock(&self.host).schedule(self.index, Action::Lifecycle(t))
    }

    /// Starts the VM at the next tick. An `xcpng` VM is first given its XCP-ng VM (made
    /// from the template, started, its address awaited; its cell then runs on the worker
    /// there): the original's "creates XCP-ng VM then starts biological VM inside it".
    pub fn start(&self) -> ApiResult<()> {
        if self.vm_type == VmType::Xcpng {
            self.provision()?;
        }
        self.transition(Transition::Start)
    }

    /// Makes this `xcpng` VM's XCP-ng VM if it has none (the host is not held meanwhile:
    /// provisioning takes minutes).
    fn provision(&self) -> ApiResult<()> {
        let x = {
            let host = lock(&self.host);
            let entry = &host.vms[self.index];
            if entry.remote.is_some() || entry.lifecycle != Lifecycle::Created {
                return Ok(());
            }
            // Checked before anything is made: its cell can only run on a remote worker.
            if !matches!(host.config.runtime, super::Runtime::Actors { .. }) {
                return Err(super::config::config_error(
                    "runtime",
                    "an xcpng VM's cell runs on a remote worker, which needs the actor runtime",
                ));
            }
            entry.config.xcpng_config.clone().ok_or(ApiError::XcpngConfigMissing)?
        };
        let made = crate::xcpng::provision_vm(&x, &self.id)?;
        lock(&self.host).place_remote(self.index, made)
    }

    /// Pauses it at the next tick (no demand, no growth, no draws).
    pub fn pause(&self) -> ApiResult<()> {
        self.transition(Transition::Pause)
    }

    /// Resumes it at the next tick.
    pub fn resume(&self) -> ApiResult<()> {
        self.transition(Transition::Resume)
    }

    /// Stops it at the next tick; a stopped VM can only be destroyed.
    pub fn stop(&self) -> ApiResult<()> {
        self.transition(Transition::Stop)
    }

    /// Destroys it at the next tick, stopping it first if it runs or is paused (as the
    /// original did); its DNA space is free from then.
    pub fn destroy(&self) -> ApiResult<()> {
        let mut host = lock(&self.host);
        if matches!(host.vms[self.index].lifecycle, Lifecycle::Running | Lifecycle::Paused) {
            host.schedule(self.index, Action::Lifecycle(Transition::Stop))?;
        }
        host.schedule(self.index, Action::Lifecycle(Transition::Destroy))?;
        // An xcpng VM's cell comes home for its last tick, and its XCP-ng VM goes.
        let retired = host.retire_remote(self.index)?;
        drop(host);
        if let Some(mut x) = retired {
            x.teardown()?;
        }
        Ok(())
    }

    /// The VM's state from the next tick, and the tick.
    pub fn get_status(&self) -> VmStatus {
        let host = lock(&self.host);
        VmStatus { id: self.id.clone(), state: host.vms[self.index].lifecycle, tick: host.tick() }
    }

    /// Reserves resources: any of `atp_percent`, `ribosomes`, `memory_kb` (see
    /// [`BioResourceManager`]); all are checked first, so either all are made or none.
    pub fn allocate_resources(
        &self,
        atp_percent: Option<f64>,
        ribosomes: Option<super::units::Ribosomes>,
        memory_kb: Option<u64>,
    ) -> ApiResult<()> {
        BioResourceManager::new(self).allocate(atp_percent, ribosomes, memory_kb)
    }

    /// Its reservations, caps and last grant.
    pub fn get_resource_usage(&self) -> ResourceUsage {
        usage(&lock(&self.host), self.index)
    }

    /// Refuses a call the VM's configuration switches off (`flag` set false), naming it.
    fn allowed_by(
        &self,
        flag: &str,
        get: impl Fn(&super::vm_config::CustomParams) -> Option<bool>,
        refused: &str,
    ) -> ApiResult<()> {
        match get(&lock(&self.host).vms[self.index].config.custom_params) {
            Some(false) => Err(super::config::config_error(
                format!("custom_params.{flag}"),
                format!("is false in VM `{}`'s configuration, so it {refused}", self.id),
            )),
            _ => Ok(()),
        }
    }

    fn only_for(&self, call: &'static str, supported: &[BiologicalType]) -> ApiResult<()> {
        if supported.contains(&self.biological_type) {
            return Ok(());
        }
        Err(ApiError::WrongOrganism {
            call,
            vm: self.id.clone(),
            organism: self.biological_type.name(),
            supported: supported.iter().map(|t| t.name()).collect::<Vec<_>>().join(" and "),
        })
    }

    /// ATP granted as a percentage of ATP asked in the VM's last tick (0 before it ran).
    pub fn get_atp_level(&self) -> f64 {
        let host = lock(&self.host);
        host.vms[self.index]
            .last
            .filter(|r| r.demand.atp > 0)
            .map_or(0.0, |r| 100.0 * r.grant.atp as f64 / r.demand.atp as f64)
    }

    /// Ribosomes granted in the VM's last tick.
    pub fn get_ribosome_allocation(&self) -> u64 {
        lock(&self.host).vms[self.index].last.map_or(0, |r| r.grant.ribosomes)
    }

    /// The essential genes of the VM's genome, by name (syn3a and minimal_cell).
    pub fn get_essential_genes(&self) -> ApiResult<Vec<String>> {
        self.only_for("get_essential_genes", &[BiologicalType::Syn3a, BiologicalType::MinimalCell])?;
        let host = lock(&self.host);
        Ok(host.vms[self.index].genome.genes.iter().filter(|g| g.essential).map(|g| g.name.clone()).collect())
    }

    /// Plasmid copies the VM carries from the next tick (ecoli): each installed package's
    /// copy number, summed.
    pub fn get_plasmid_count(&self) -> ApiResult<usize> {
        self.only_for("get_plasmid_count", &[BiologicalType::Ecoli])?;
        let host = lock(&self.host);
        let packages = &host.scenario().packages;
        Ok(host.vms[self.index].installed.iter().map(|&p| packages[p as usize].copies as usize).sum())
    }

    /// Installs the package called `name` at the next tick boundary (one the session's
    /// scenario already holds, else one in the host's `packages_dir`, else a shipped one:
    /// `bioxen packages`): its plasmid's genes join the cell, competing for its ribosomes
    /// and ATP.
    /// An unknown package, one already installed, one whose replicon does not work in the
    /// VM's organism, or one whose plasmid copies do not fit the VM's DNA space (its genome
    /// plus `max_memory_kb`) is an error, and nothing changes.
    /// A configuration with `plasmid_support = false` refuses every package.
    pub fn install_biological_package(&self, name: &str) -> ApiResult<()> {
        self.allowed_by("plasmid_support", |p| p.plasmid_support, "installs no package")?;
        let mut host = lock(&self.host);
        let package = host.package(name).map_err(ApiError::Package)?;
        host.install(self.index, package)
    }

    /// The packages installed from the next tick, by name.
    pub fn get_installed_packages(&self) -> Vec<String> {
        let host = lock(&self.host);
        let packages = &host.scenario().packages;
        host.vms[self.index].installed.iter().map(|&p| packages[p as usize].name.clone()).collect()
    }

    /// Adds `micromolar` µM of an inducer (`IPTG`, `aTc`) to the VM's medium from the next
    /// tick (0 removes it).
    pub fn add_inducer(&self, inducer: &str, micromolar: f64) -> ApiResult<()> {
        let i = bioxen_engine::package::Inducer::from_name(inducer).ok_or_else(|| {
            ApiError::Package(format!(
                "unknown inducer `{inducer}`; expected one of: {}",
                bioxen_engine::package::Inducer::names()
            ))
        })?;
        lock(&self.host).schedule(self.index, Action::Inducer { inducer: i, micromolar })
    }

    /// Removes an inducer from the VM's medium from the next tick.
    pub fn remove_inducer(&self, inducer: &str) -> ApiResult<()> {
        self.add_inducer(inducer, 0.0)
    }

    /// The full name of the gene `gene` names: `toggle/gfp` for a package's, the genome's
    /// by its name (`/lacZ` where a package installed has a `lacZ` too); an error if it
    /// names none or more than one.
    pub fn gene_name(&self, gene: &str) -> ApiResult<String> {
        let host = lock(&self.host);
        let e = &host.vms[self.index];
        let g = e.gene(gene).map_err(ApiError::Genome)?;
        let name = e.gene_name(g);
        let shadowed = g < e.genome.genes.len() && e.gene(&name).is_err();
        Ok(if shadowed { format!("/{name}") } else { name })
    }

    /// Protein molecules of gene `gene` (a genome gene, or a package's: `gfp`, `toggle/gfp`)
    /// in the cell now.
    pub fn get_protein_count(&self, gene: &str) -> ApiResult<u32> {
        let cell = lock(&self.host).cell(self.index)?;
        let host = lock(&self.host);
        let e = &host.vms[self.index];
        let g = e.gene(gene).map_err(ApiError::Genome)?;
        Ok(cell.proteins_of(g))
    }

    /// Runs a process script against this VM at the tick boundary (see [`crate::script`]:
    /// the functions it may call, its limits, and how its changes apply): the original's
    /// `vm.execute_biological_process('start_transcription(["lacZ", "lacY"])')` runs as
    /// written. Returns what it changed, its value and what it printed.
    pub fn execute_biological_process(&self, code: &str) -> ApiResult<crate::script::ScriptOutcome> {
        self.execute_script(code, "script")
    }

    /// [`Self::execute_biological_process`], its errors naming the script `name` (its file).
    pub fn execute_script(&self, code: &str, name: &str) -> ApiResult<crate::script::ScriptOutcome> {
        self.execute_script_within(code, name, crate::script::ScriptLimits::default())
    }

    /// [`Self::execute_script`] within `limits` (tighter ones, say, for code from a user
    /// one trusts less than the defaults assume).
    pub fn execute_script_within(
        &self,
        code: &str,
        name: &str,
        limits: crate::script::ScriptLimits,
    ) -> ApiResult<crate::script::ScriptOutcome> {
        crate::script::execute(super::session::Session(self.host.clone()), self.index, code, name, limits)
            .map_err(ApiError::Script)
    }

    /// Its growth rate per hour over the last ten simulated minutes, and the phase that
    /// makes (see [`GrowthPhase`]).
    pub fn get_growth_phase(&self) -> (GrowthPhase, f64) {
        let host = lock(&self.host);
        let e = &host.vms[self.index];
        let window = e.growth.len();
        let full = ((600.0 / host.config.tick_seconds).ceil() as usize).max(2);
        let (Some(&(t0, m0)), Some(&(t1, m1))) = (e.growth.front(), e.growth.back()) else {
            return (GrowthPhase::Lag, 0.0);
        };
        if window < full || e.lifecycle != Lifecycle::Running || t1 == t0 {
            let rate = if t1 > t0 { (m1 - m0) / ((t1 - t0) as f64 * host.config.tick_seconds / 3600.0) } else { 0.0 };
            return (GrowthPhase::Lag, rate);
        }
        let per_hour = (m1 - m0) / ((t1 - t0) as f64 * host.config.tick_seconds / 3600.0);
        let maximum = std::f64::consts::LN_2 / (self.biological_type.organism().profile().doubling_min / 60.0);
        let phase =
            if per_hour >= EXPONENTIAL_FRACTION * maximum { GrowthPhase::Exponential } else { GrowthPhase::Stationary };
        (phase, per_hour)
    }

    /// Every operon of the genome (units of more than one gene), whether it is on from the
    /// next tick, and its mRNA now.
    pub fn get_operon_status(&self) -> ApiResult<Vec<OperonStatus>> {
        let cell = lock(&self.host).cell(self.index)?;
        let host = lock(&self.host);
        let e = &host.vms[self.index];
        let mut out = Vec::new();
        for unit in 0..e.program.units() {
            let genes = e.program.unit(unit);
            let Some(operon) = e.operon_of(genes[0] as usize) else { continue };
            out.push(OperonStatus {
                name: operon,
                genes: genes.iter().map(|&g| e.gene_name(g as usize)).collect(),
                active: !e.units_off.contains(&(unit as u32)),
                mrna: genes.iter().map(|&g| cell.mrna_of(g as usize)).sum(),
            });
        }
        Ok(out)
    }

    /// syn3.0's minimal functions and how each fares (minimal_cell): energy (ATP), gene
    /// expression (RNA polymerase), protein synthesis (ribosomes), growth and division
    /// (the growth phase), each the share of its need met in the last tick.
    pub fn get_minimal_functions(&self) -> ApiResult<Vec<MinimalFunction>> {
        self.only_for("get_minimal_functions", &[BiologicalType::MinimalCell])?;
        Ok(self.minimal_functions())
    }

    fn minimal_functions(&self) -> Vec<MinimalFunction> {
        let last = lock(&self.host).vms[self.index].last;
        let share = |granted: u64, asked: u64| if asked == 0 { 0.0 } else { granted as f64 / asked as f64 };
        let (atp, rnap, ribosomes) = last.map_or((0.0, 0.0, 0.0), |r| {
            (
                share(r.grant.atp, r.demand.atp),
                share(r.grant.rnap, r.demand.rnap),
                share(r.grant.ribosomes, r.demand.ribosomes),
            )
        });
        let growth = match self.get_growth_phase().0 {
            GrowthPhase::Exponential => 1.0,
            GrowthPhase::Stationary => 0.25,
            GrowthPhase::Lag => 0.0,
        };
        [("energy", atp), ("gene_expression", rnap), ("protein_synthesis", ribosomes), ("growth_and_division", growth)]
            .into_iter()
            .map(|(name, supplied)| MinimalFunction {
                name,
                supplied,
                status: if supplied >= 0.5 {
                    "active"
                } else if supplied > 0.0 {
                    "impaired"
                } else {
                    "inactive"
                },
            })
            .collect()
    }

    /// Reserves the minimal cell's resource targets (minimal_cell; see
    /// [`BioResourceManager::optimize_resources_for_biological_type`]).
    pub fn optimize_minimal_metabolism(&self) -> ApiResult<(f64, u64)> {
        self.only_for("optimize_minimal_metabolism", &[BiologicalType::MinimalCell])?;
        BioResourceManager::new(self).optimize_resources_for_biological_type()
    }

    /// The organism's measures, computed from the model.
    pub fn get_biological_metrics(&self) -> ApiResult<BiologicalMetrics> {
        Ok(match self.biological_type {
            BiologicalType::Syn3a => {
                let cell = lock(&self.host).cell(self.index)?;
                let host = lock(&self.host);
                let genome = &host.vms[self.index].genome;
                let essential: Vec<usize> = (0..genome.genes.len()).filter(|&g| genome.genes[g].essential).collect();
                let expressed = essential
                    .iter()
                    .filter(|&&g| genome.genes[g].kind != GeneKind::Protein || cell.proteins_of(g) > 0)
                    .count();
                drop(host);
                BiologicalMetrics::Syn3a {
                    atp_level: self.get_atp_level(),
                    essential_genes: essential.len(),
                    essential_genes_expressed: expressed,
                    ribosome_allocation: self.get_ribosome_allocation(),
                }
            }
            BiologicalType::Ecoli => BiologicalMetrics::Ecoli {
                plasmid_count: self.get_plasmid_count()?,
                growth_phase: self.get_growth_phase().0,
                operons: self.get_operon_status()?,
            },
            BiologicalType::MinimalCell => BiologicalMetrics::MinimalCell { functions: self.minimal_functions() },
        })
    }

    /// Switches transcription of `genes` on from the next tick. A gene in an operon
    /// switches its whole operon, and the result says so. An unknown gene is an error
    /// listing close matches; nothing is switched unless every gene is known.
    ///
    /// ```
    /// use bioxen::api::create_bio_vm;
    /// let coli = create_bio_vm("coli", "ecoli", "basic", None)?;
    /// let switched = coli.start_transcription(&["lacZ", "lacY"])?;
    /// assert_eq!(switched[0].operon.as_deref(), Some("lac")); // lacZYA is one transcript
    /// assert!(coli.start_transcription(&["lacz"]).unwrap_err().to_string().contains("close matches: lacZ"));
    /// # Ok::<(), bioxen::api::ApiError>(())
    /// ```
    pub fn start_transcription(&self, genes: &[&str]) -> ApiResult<Vec<Switched>> {
        self.switch(genes, true)
    }

    /// Switches transcription of `genes` off from the next tick (see
    /// [`Self::start_transcription`]).
    pub fn stop_transcription(&self, genes: &[&str]) -> ApiResult<Vec<Switched>> {
        self.switch(genes, false)
    }

    /// Activates (`activate`) or represses (`repress`) operons by name (ecoli). A
    /// configuration with `operon_management = false` refuses it.
    pub fn manage_operons(&self, operons: &[&str], action: &str) -> ApiResult<Vec<Switched>> {
        self.only_for("manage_operons", &[BiologicalType::Ecoli])?;
        self.allowed_by("operon_management", |p| p.operon_management, "switches no operon")?;
        let on = match action {
            "activate" => true,
            "repress" => false,
            other => {
                return Err(ApiError::Genome(format!("unknown operon action `{other}`; expected activate or repress")));
            }
        };
        let mut host = lock(&self.host);
        let e = &host.vms[self.index];
        let mut units = Vec::new();
        for &name in operons {
            let gene = e.genome.genes.iter().position(|g| g.operon.as_deref() == Some(name)).ok_or_else(|| {
                let known: std::collections::BTreeSet<&str> =
                    e.genome.genes.iter().filter_map(|g| g.operon.as_deref()).collect();
                ApiError::Genome(format!(
                    "VM `{}`'s genome has no operon `{name}`; its operons: {}",
                    self.id,
                    known.into_iter().collect::<Vec<_>>().join(", ")
                ))
            })?;
            units.push((name.to_string(), e.program.gene_unit[gene]));
        }
        self.schedule_switches(&mut host, units, on)
    }

    fn switch(&self, genes: &[&str], on: bool) -> ApiResult<Vec<Switched>> {
        let mut host = lock(&self.host);
        let e = &host.vms[self.index];
        let mut units = Vec::new();
        for &name in genes {
            let g = e.gene(name).map_err(ApiError::Genome)?;
            let unit = e.program.gene_unit[g];
            if unit == NO_UNIT {
                return Err(ApiError::Genome(format!(
                    "gene `{name}` codes for a stable RNA, which the model does not switch"
                )));
            }
            units.push((name.to_string(), unit));
        }
        self.schedule_switches(&mut host, units, on)
    }

    fn schedule_switches(
        &self,
        host: &mut super::host::Host,
        units: Vec<(String, u32)>,
        on: bool,
    ) -> ApiResult<Vec<Switched>> {
        let mut done: Vec<u32> = Vec::new();
        let mut out = Vec::new();
        for (named, unit) in units {
            let e = &host.vms[self.index];
            let members = e.program.unit(unit as usize);
            let genes: Vec<String> = members.iter().map(|&g| e.gene_name(g as usize)).collect();
            let operon = e.operon_of(members[0] as usize);
            if !done.contains(&unit) {
                host.schedule(self.index, Action::Transcription { unit, on })?;
                done.push(unit);
            }
            out.push(Switched { named, operon, genes });
        }
        Ok(out)
    }

    /// The manager of the VM's host (every VM on it, its clock, its digest).
    pub fn manager(&self) -> super::BioVmManager {
        super::BioVmManager::of_host(self.host.clone())
    }

    /// Runs the VM's host for `n` ticks (every VM on it runs).
    pub fn run_ticks(&self, n: u64) -> ApiResult<()> {
        lock(&self.host).run_ticks(n)
    }

    /// Runs the VM's host for `duration` of simulated time (whole ticks, rounded up).
    pub fn run_for(&self, duration: Duration) -> ApiResult<u64> {
        super::manager::run_for(&self.host, duration)
    }
}
