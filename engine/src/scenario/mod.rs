//! Scenarios: what to simulate, resolved and checked.
//!
//! A scenario file (TOML, see `README.md` for the format) is parsed by [`parse`] into a
//! [`Scenario`]: every name resolved, every genome loaded (through the caller's
//! [`GenomeFiles`]: the engine reads no files), VMs sorted by id and events by tick. A
//! `Scenario` is what traces and checkpoints embed, so replay and resume need nothing but
//! the file they are given.
//!
//! **One gate.** [`Scenario::check`] is the one definition of a usable scenario, and every
//! way a scenario enters a run passes it: [`parse`] (which also reports `line:column`),
//! decoding a trace or checkpoint, [`crate::sim::Simulation::new`] and
//! [`crate::sim::Simulation::restore`]. Its bounds ([`limits`]) keep every later
//! computation in range: no sum of inputs overflows, no loop's length is unbounded.

pub(crate) mod check;
pub use crate::diagnostic::number;
pub mod frames;
pub mod limits;
mod parse;

pub use check::CheckError;
pub use parse::{GenomeFileError, GenomeFiles, NoGenomeFiles, ScenarioError, locate, parse, unknown_package};

use crate::biology::Organism;
use crate::chassis::Chassis;
use crate::genome::Genome;
pub use crate::genome::GenomeSource;
use crate::lifecycle::{Lifecycle, Transition};
use crate::package::{Inducer, Package};
use crate::policy::{PolicyKind, PolicyParams};
use serde::{Deserialize, Serialize};

/// The scenario format version this engine reads and writes.
pub const SCENARIO_FORMAT_VERSION: u32 = 1;

/// A resolved, validated scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Format version of the file it came from.
    pub format_version: u32,
    /// Free-form name.
    pub name: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// Ticks to run.
    pub ticks: u64,
    /// Simulated seconds per tick.
    pub tick_seconds: f64,
    /// Scheduling policy.
    pub policy: PolicyKind,
    /// Its tunables.
    pub policy_params: PolicyParams,
    /// The host cell.
    pub chassis: Chassis,
    /// Guests: those present at tick 0 sorted by id, then those a `create` event brings
    /// in later, in the order of their `create` events (so an API session, which appends
    /// each VM it creates, and the scenario it saves number VMs alike).
    pub vms: Vec<VmSpec>,
    /// Timeline, sorted by tick (file order within a tick).
    pub events: Vec<Event>,
    /// The annotated genomes the VMs run, each once however many VMs run it (embedded, so
    /// the scenario is self-contained).
    pub genomes: Vec<Genome>,
    /// The packages `install` events install, each once (embedded like genomes: editing a
    /// package file never changes a scenario already made).
    pub packages: Vec<Package>,
    /// Process scripts the timeline runs, sorted by tick (file order within a tick), not
    /// yet run: a run resolves each into events when it reaches its tick and removes it
    /// ([`crate::schedule::resolve_script`]), so the scenario of a finished run holds none.
    pub scripts: Vec<TimelineScript>,
}

/// A process script on the timeline. The engine does not run scripts (it has no script
/// engine): a runtime that reaches the boundary before `tick` runs it on a snapshot of the
/// VM's cell and hands its actions back ([`crate::schedule::resolve_script`]); they apply
/// at `tick` after the tick's other events, like events a program schedules. A tick
/// refuses to start while a script due at it is unresolved
/// ([`crate::sim::SimError::ScriptDue`]), so no runtime skips one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineScript {
    /// The tick whose boundary it runs at.
    pub tick: u64,
    /// Index of the VM in [`Scenario::vms`] it works on.
    pub vm: u32,
    /// What errors call it: its file as the scenario names it, or where it is written.
    pub name: String,
    /// Its source.
    pub code: String,
}

/// One guest VM.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VmSpec {
    /// Unique id (its random stream derives from it).
    pub id: String,
    /// Organism type: whose kinetics the genome runs with.
    pub organism: Organism,
    /// Its genome.
    pub genome: GenomeSource,
    /// DNA space reserved for it, in kb (at least its genome's size).
    pub memory_kb: u64,
    /// Whether it starts at tick 0.
    pub autostart: bool,
    /// Its initial share settings.
    pub allocation: Allocation,
}

/// A VM's share settings: weight, priority, caps and reservations.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Allocation {
    /// Relative weight (≥ 1). Xen's default is 256.
    pub weight: u32,
    /// Priority; higher first under the priority policy.
    pub priority: i32,
    /// Most ATP per tick as a percentage of the guests' ATP pool.
    pub atp_cap_percent: f64,
    /// ATP guaranteed per tick as a percentage of the guests' ATP pool.
    pub atp_reserve_percent: f64,
    /// Most ribosomes per tick.
    pub ribosome_cap: Option<u64>,
    /// Ribosomes guaranteed per tick.
    pub ribosome_reserve: u64,
}

/// Xen's default domain weight.
pub const DEFAULT_WEIGHT: u32 = 256;

impl Default for Allocation {
    fn default() -> Self {
        Allocation {
            weight: DEFAULT_WEIGHT,
            priority: 0,
            atp_cap_percent: 100.0,
            atp_reserve_percent: 0.0,
            ribosome_cap: None,
            ribosome_reserve: 0,
        }
    }
}

/// Changes to a VM's allocation; `None` leaves a setting as it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AllocationChange {
    /// New weight.
    pub weight: Option<u32>,
    /// New priority.
    pub priority: Option<i32>,
    /// New ATP cap.
    pub atp_cap_percent: Option<f64>,
    /// New ATP reservation.
    pub atp_reserve_percent: Option<f64>,
    /// New ribosome cap.
    pub ribosome_cap: Option<u64>,
    /// New ribosome reservation.
    pub ribosome_reserve: Option<u64>,
}

impl AllocationChange {
    /// Applies the change.
    pub fn apply(&self, a: &mut Allocation) {
        if let Some(w) = self.weight {
            a.weight = w;
        }
        if let Some(p) = self.priority {
            a.priority = p;
        }
        if let Some(c) = self.atp_cap_percent {
            a.atp_cap_percent = c;
        }
        if let Some(r) = self.atp_reserve_percent {
            a.atp_reserve_percent = r;
        }
        if let Some(c) = self.ribosome_cap {
            a.ribosome_cap = Some(c);
        }
        if let Some(r) = self.ribosome_reserve {
            a.ribosome_reserve = r;
        }
    }
}

/// What happens at an event. New actions are appended, so the encodings of the others
/// (and every digest of a scenario that does not use the new ones) stay as they were.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// A lifecycle transition (any but [`Transition::Create`], which is [`Action::Create`]).
    Lifecycle(Transition),
    /// An allocation change.
    Set(AllocationChange),
    /// The VM comes into existence (absent → created), configured as its [`VmSpec`] says;
    /// the hash of that configuration (`crate::record::vm_hash`) is carried so that the
    /// digest covers it from this tick, as it covers a VM present at tick 0 from the start.
    Create([u8; 32]),
    /// Switches transcription of one transcription unit (an operon, or a lone gene) of the
    /// VM's genome on or off, from this tick.
    Transcription {
        /// The unit's index in the VM's program ([`crate::program::Program::unit`]).
        unit: u32,
        /// On (transcribed at its rate) or off (repressed).
        on: bool,
    },
    /// Installs a package of [`Scenario::packages`] into the VM: its plasmid's genes join
    /// the cell's, with no transcripts or proteins yet. The package is named by its
    /// content alone ([`Package::content_hash`]), never by its place in the scenario's list,
    /// so the record and the digest do not depend on the order in which a run came to hold
    /// its packages (a timeline script's install and the same install written as an event
    /// give one digest).
    Install {
        /// [`Package::content_hash`] of the package.
        hash: [u8; 32],
    },
    /// Sets the concentration of an inducer in the VM's medium, in µM (0 removes it).
    Inducer {
        /// Which inducer.
        inducer: Inducer,
        /// Its concentration, µM.
        micromolar: f64,
    },
}

impl Action {
    /// The action's name as a scenario file writes it (a switch by its direction; a
    /// scenario may also name an operon's switch `activate_operon`/`repress_operon`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Lifecycle(t) => t.name(),
            Action::Set(_) => "set",
            Action::Create(_) => "create",
            Action::Transcription { on: true, .. } => "start_transcription",
            Action::Transcription { on: false, .. } => "stop_transcription",
            Action::Install { .. } => "install",
            Action::Inducer { micromolar, .. } if *micromolar > 0.0 => "add_inducer",
            Action::Inducer { .. } => "remove_inducer",
        }
    }
}

/// A timeline event, applied at the start of its tick.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The tick it applies at.
    pub tick: u64,
    /// Index of the VM in [`Scenario::vms`].
    pub vm: u32,
    /// What happens.
    pub action: Action,
}

impl Scenario {
    /// Index of the VM with this id.
    pub fn vm_index(&self, id: &str) -> Option<usize> {
        self.vms.iter().position(|v| v.id == id)
    }

    /// Each VM's state before the first tick: absent if a `create` event brings it in
    /// later, running if it starts automatically, created otherwise.
    pub fn initial_states(&self) -> Vec<Lifecycle> {
        let mut states: Vec<Lifecycle> =
            self.vms.iter().map(|v| if v.autostart { Lifecycle::Running } else { Lifecycle::Created }).collect();
        for e in &self.events {
            if let (Action::Create(_), Some(state)) = (e.action, states.get_mut(e.vm as usize)) {
                *state = Lifecycle::Absent;
            }
        }
        states
    }

    /// The annotated genome `source` names, if it names one that exists.
    pub(crate) fn annotation(&self, source: GenomeSource) -> Option<&Genome> {
        match source {
            GenomeSource::Builtin => None,
            GenomeSource::Annotation(i) => self.genomes.get(i as usize),
        }
    }

    /// The genome VM `vm` runs (built-in genomes are made on demand).
    pub fn genome_of(&self, vm: &VmSpec) -> std::borrow::Cow<'_, Genome> {
        match self.annotation(vm.genome) {
            Some(g) => std::borrow::Cow::Borrowed(g),
            None => std::borrow::Cow::Owned(Genome::builtin(vm.organism)),
        }
    }

    /// The hash of the scenario as a run is given it — every setting, genome, package, VM,
    /// event and timeline script by content, the seed and the name included — which names
    /// the run's checkpoints, so that two runs that differ anywhere never share a
    /// checkpoint's name. It never enters the digest.
    pub fn origin(&self) -> [u8; 32] {
        blake3::derive_key("bioxen.scenario-origin.v1", &crate::codec::encode(self))
    }

    /// The index in [`Scenario::packages`] of the package whose content hashes to `hash`
    /// (the gate allows no two packages of one name, so there is at most one).
    pub fn package_index(&self, hash: &[u8; 32]) -> Option<u32> {
        self.packages.iter().position(|p| &p.content_hash() == hash).map(|i| i as u32)
    }

    /// The first unresolved timeline script, if it is due at or before `tick`.
    pub fn script_due(&self, tick: u64) -> Option<&TimelineScript> {
        self.scripts.first().filter(|s| s.tick <= tick)
    }

    /// The tick of the next unresolved timeline script.
    pub fn next_script_tick(&self) -> Option<u64> {
        self.scripts.first().map(|s| s.tick)
    }

    /// The DNA space VM `vm`'s genome occupies, in kb.
    pub(crate) fn genome_kb(&self, vm: &VmSpec) -> u64 {
        self.annotation(vm.genome).map_or_else(|| vm.organism.profile().genome_kb(), Genome::length_kb)
    }
}

/// The index `package` has in `scenario` (added at the end if no package there has its
/// content), the `install` action for it, and whether it was added.
pub fn with_package(scenario: &mut Scenario, package: Package) -> (u32, Action, bool) {
    let hash = package.content_hash();
    match scenario.packages.iter().position(|p| p.content_hash() == hash) {
        Some(i) => (i as u32, Action::Install { hash }, false),
        None => {
            scenario.packages.push(package);
            let i = scenario.packages.len() as u32 - 1;
            (i, Action::Install { hash }, true)
        }
    }
}
