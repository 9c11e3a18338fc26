//! The simulation: a scenario, its VMs, the scheduler, and the tick loop.
//!
//! A tick is the four phases of [`crate::tick`], called in order on this machine: the
//! timeline's events, rationing, advancing the VMs (phase 3, in parallel over fixed blocks
//! of `VMS_PER_BLOCK` VMs), and the digest. Only phase 3 runs on several threads, and it
//! touches disjoint VMs with per-VM streams; blocks are fixed, never derived from the
//! thread count, and hashed in VM order, so the result is the same for any thread count.

pub use crate::error::{SimError, StateError};
use crate::genome::Genome;
use crate::hypervisor::Hypervisor;
use crate::lifecycle::{Lifecycle, Transition};
use crate::package::Package;
use crate::program::Program;
use crate::programs::Programs;
use crate::record::{EventRecord, TickRecord, VmRecord, digest_start};
use crate::resources::Resources;
use crate::rng::vm_stream;
use crate::scenario::limits::EVENTS_MAX;
pub use crate::scenario::with_package;
use crate::scenario::{Action, Allocation, Event, GenomeSource, Scenario, VmSpec};
use crate::schedule::{self, Scheduled};
use crate::tick;
use crate::vm::Vm;
use rayon::prelude::*;
use std::sync::Arc;

/// VMs per block of phase 3, each block one rayon task. A fixed number, so the blocks
/// never depend on the thread count (the bytes would not anyway: blocks are hashed in VM
/// order). 512 rather than 64: ~100 instructions less a syn3A VM-tick (fewer tasks and
/// block buffers), measured with callgrind at 2,000 VMs; a thousand VMs still make two
/// blocks, one for each of this machine's threads.
pub(crate) const VMS_PER_BLOCK: usize = 512;

/// The host's side of a run between ticks: everything that changes during a run except
/// the cells. A value: what a checkpoint's header holds, what another runtime keeps.
#[derive(Clone, Debug)]
pub struct HostState {
    /// The next tick to run (= ticks completed).
    pub tick: u64,
    /// Current allocation of each VM (scenario's, as changed by `set` events).
    pub allocations: Vec<Allocation>,
    /// The scheduler's state: ATP store, policy, stream.
    pub hypervisor: Hypervisor,
    /// Digest of all ticks so far.
    pub digest: [u8; 32],
    /// Index of the next timeline event to apply.
    pub next_event: usize,
    /// Commands given since the last tick (already applied), to be recorded in the next.
    pub commands: Vec<EventRecord>,
    /// The hash of the scenario as the run was given it ([`Scenario::origin`]):
    /// kept through checkpoints, so a resumed run names its checkpoints as the run it
    /// continues. It never enters the digest.
    pub origin: [u8; 32],
}

/// A running simulation.
pub struct Simulation {
    scenario: Arc<Scenario>,
    programs: Vec<Arc<Program>>,
    host: HostState,
    /// VMs, in scenario order.
    vms: Vec<Vm>,
    /// Reused encoding buffer for the record's head.
    head_bytes: Vec<u8>,
    /// Reused encodings of phase 3's blocks: allocating and freeing ~100 kB a tick costs
    /// page faults and TLB shootdowns that, being serial, limit the speed-up.
    blocks: Vec<Vec<u8>>,
    /// Reused slots of phase 2 and 3: each VM's demand, then its grant. A vector of 32
    /// bytes a VM made and freed every tick left the heap fragmented around it.
    grants: Vec<Option<Resources>>,
}

impl Simulation {
    /// A fresh run of `scenario` at tick 0: newborn cells, autostarted VMs running. The
    /// scenario passes the gate ([`Scenario::check`]) first.
    pub fn new(scenario: Scenario) -> Result<Simulation, SimError> {
        scenario.check()?;
        let mut compiled = Programs::default();
        let programs: Vec<Arc<Program>> = scenario.vms.iter().map(|v| compiled.of(&scenario, v, &[])).collect();
        let states = scenario.initial_states();
        let vms: Vec<Vm> = scenario
            .vms
            .par_iter()
            .zip(programs.par_iter())
            .zip(states.par_iter())
            .map(|((spec, program), &state)| {
                let mut vm = Vm::new(program, vm_stream(scenario.seed, &spec.id));
                vm.refresh_demand(program, scenario.tick_seconds);
                vm.lifecycle = state;
                vm
            })
            .collect();
        let host = HostState {
            tick: 0,
            allocations: scenario.vms.iter().map(|v| v.allocation).collect(),
            hypervisor: Hypervisor::new(&scenario),
            digest: digest_start(&scenario),
            next_event: 0,
            commands: Vec::new(),
            origin: scenario.origin(),
        };
        Ok(Simulation::of_parts(scenario, programs, host, vms))
    }

    pub(crate) fn of_parts(
        scenario: Scenario,
        programs: Vec<Arc<Program>>,
        host: HostState,
        vms: Vec<Vm>,
    ) -> Simulation {
        Simulation {
            scenario: Arc::new(scenario),
            programs,
            host,
            vms,
            head_bytes: Vec::new(),
            blocks: Vec::new(),
            grants: Vec::new(),
        }
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The host's side of the run now: the tick, allocations, the scheduler's state, the
    /// digest, the timeline's position.
    pub fn host(&self) -> &HostState {
        &self.host
    }

    /// The VMs, in scenario order.
    pub fn vms(&self) -> &[Vm] {
        &self.vms
    }

    /// The scenario, each VM's compiled program, the host's side and the VMs: what another
    /// runtime in this process needs to take the run over from here.
    /// [`Simulation::restore`] is the inverse, from the VMs' cells.
    pub fn into_parts(self) -> (Scenario, Vec<Arc<Program>>, HostState, Vec<Vm>) {
        let scenario = Arc::try_unwrap(self.scenario).unwrap_or_else(|shared| (*shared).clone());
        (scenario, self.programs, self.host, self.vms)
    }

    /// Ticks completed.
    pub fn tick(&self) -> u64 {
        self.host.tick
    }

    /// True when every tick of the scenario has run.
    pub fn finished(&self) -> bool {
        self.host.tick >= self.scenario.ticks
    }

    /// The digest of all ticks so far.
    pub fn digest(&self) -> [u8; 32] {
        self.host.digest
    }

    /// Applies a lifecycle transition to VM `vm` now (between ticks); it is recorded, as an
    /// event, in the next tick's record.
    pub fn transition(&mut self, vm: usize, t: Transition) -> Result<(), SimError> {
        let s = &mut self.host;
        if s.commands.len() >= EVENTS_MAX {
            return Err(SimError::TooManyCommands { tick: s.tick });
        }
        tick::apply_transition(&self.scenario, self.vms.as_mut_slice(), vm, t)
            .map_err(|source| SimError::Lifecycle { tick: s.tick, source })?;
        s.commands.push(EventRecord { vm: vm as u32, action: crate::scenario::Action::Lifecycle(t) });
        Ok(())
    }

    /// Adds `action` for VM `vm` to the timeline at the next tick, after whatever is already
    /// scheduled there: the run becomes the run of the scenario with that event, which is
    /// how an API session stays a scenario. The event must be valid where it lands
    /// (`schedule::check`), or nothing changes. VMs are added with [`Simulation::create`].
    pub fn schedule(&mut self, vm: usize, action: Action) -> Result<(), SimError> {
        self.schedule_all(vec![(vm, Scheduled::Action(action))]).map(|_| ())
    }

    /// Schedules the installation of `package` into VM `vm` at the next tick, adding the
    /// package to the scenario if it has no package of that content yet; checked like any
    /// scheduled event ([`Simulation::schedule`]), and nothing changes if it is refused.
    /// Returns the package's index in the scenario.
    pub fn install(&mut self, vm: usize, package: Package) -> Result<u32, SimError> {
        match self.schedule_all(vec![(vm, Scheduled::Install(package))])?[..] {
            [Action::Install { hash }] => Ok(self.scenario.package_index(&hash).expect("scheduled, so held")),
            _ => unreachable!("one install scheduled"),
        }
    }

    /// Schedules `items` at the next tick, all or none ([`schedule::schedule_all`]): what a
    /// process script changed before its next `run`. Returns the actions added.
    pub fn schedule_all(&mut self, items: Vec<(usize, Scheduled)>) -> Result<Vec<Action>, SimError> {
        self.scheduling(|scenario, run| schedule::schedule_all(scenario, run, items))
    }

    /// Calls `f` with the scenario to change and the run's state as [`schedule`] needs it.
    fn scheduling<T>(
        &mut self,
        f: impl FnOnce(&mut Scenario, &schedule::RunState<'_, &dyn Fn(usize) -> Option<Lifecycle>>) -> T,
    ) -> T {
        let (s, vms) = (&self.host, &self.vms);
        let programs = &self.programs;
        let lifecycle = |i: usize| vms.get(i).map(|v| v.lifecycle);
        let run = schedule::RunState {
            tick: s.tick,
            next_event: s.next_event,
            lifecycle: &lifecycle as &dyn Fn(usize) -> Option<Lifecycle>,
            allocations: &s.allocations,
            units: &|vm| programs.get(vm).map_or(0, |p| p.units()),
            installed: &|vm| vms.get(vm).map_or_else(Vec::new, |v| v.installed().to_vec()),
        };
        f(Arc::make_mut(&mut self.scenario), &run)
    }

    /// Resolves the timeline script due at the next tick into `items`, scheduled like
    /// [`Simulation::schedule_all`]'s, all or none; the script leaves the timeline only if
    /// they are accepted ([`schedule::resolve_script`]). Returns the actions added.
    pub fn resolve_script(&mut self, items: Vec<(usize, Scheduled)>) -> Result<Vec<Action>, SimError> {
        self.scheduling(|scenario, run| schedule::resolve_script(scenario, run, items))
    }

    /// Adds a VM to the run, absent until the next tick, whose first event is its
    /// creation (a `create` event at the next tick): the run becomes the run of the
    /// scenario with that VM and that event. `genome` is the annotation it runs (`None`:
    /// its organism's built-in genome; `spec.genome` is set here). It must not start
    /// automatically (schedule a `start`), and the scenario with it must pass the gate —
    /// its id new, its DNA space and reservations within the chassis' — or nothing changes.
    /// Returns the VM's index: the next after every VM so far.
    pub fn create(&mut self, mut spec: VmSpec, genome: Option<Genome>) -> Result<usize, SimError> {
        let tick = self.host.tick;
        let mut scenario = (*self.scenario).clone();
        if let Some(g) = genome {
            let content = g.content_hash();
            let i = match scenario.genomes.iter().position(|x| x.content_hash() == content) {
                Some(i) => i,
                None => {
                    scenario.genomes.push(g);
                    scenario.genomes.len() - 1
                }
            };
            spec.genome = GenomeSource::Annotation(i as u32);
        } else {
            spec.genome = GenomeSource::Builtin;
        }
        let vm = scenario.vms.len();
        let action = Action::Create(crate::record::vm_hash(&scenario, &spec));
        scenario.vms.push(spec);
        scenario.events.push(Event { tick, vm: vm as u32, action });
        scenario.check()?;
        let spec = &scenario.vms[vm];
        let program = self
            .programs
            .iter()
            .zip(&scenario.vms)
            .find(|(_, v)| (v.genome, v.organism) == (spec.genome, spec.organism))
            .map(|(p, _)| p.clone())
            .unwrap_or_else(|| {
                Arc::new(Program::compile(&scenario.genome_of(spec), spec.organism, spec.genome, scenario.tick_seconds))
            });
        let mut cell = Vm::new(&program, vm_stream(scenario.seed, &spec.id));
        cell.refresh_demand(&program, scenario.tick_seconds);
        cell.lifecycle = Lifecycle::Absent;
        self.host.allocations.push(spec.allocation);
        self.vms.push(cell);
        self.programs.push(program);
        self.scenario = Arc::new(scenario);
        Ok(vm)
    }

    /// Runs one tick and returns its record.
    pub fn step(&mut self) -> Result<TickRecord, SimError> {
        let mut record = TickRecord::default();
        self.step_into(&mut record)?;
        Ok(record)
    }

    /// Runs one tick, writing its record into `record` (reusing its allocation: the
    /// cheaper form for loops that look at one record at a time).
    pub fn step_into(&mut self, record: &mut TickRecord) -> Result<(), SimError> {
        let (scenario, s, vms) = (&*self.scenario, &mut self.host, &mut self.vms);
        let now = s.tick;
        let mut events = std::mem::take(&mut s.commands);
        let mut cells = tick::LocalCells { vms: vms.as_mut_slice(), programs: self.programs.as_mut_slice() };
        tick::apply_due_events(scenario, &mut s.next_event, now, &mut cells, &mut s.allocations, &mut events)?;
        // Demands were worked out at the end of each VM's last advance (or creation).
        // Each running VM advances on the demand it keeps (`Vm::next_demand`, what phase 2
        // read), so phase 3 needs only the grants: they replace the demands in place.
        let grants = &mut self.grants;
        grants.clear();
        grants.extend(vms.iter().map(|vm| tick::demand(vm.lifecycle, vm.next_demand())));
        let head = tick::ration(scenario, &mut s.hypervisor, now, events, grants, &s.allocations);
        self.blocks.resize_with(vms.len().div_ceil(VMS_PER_BLOCK), Vec::new);
        // Every VM's record is written in place, then those of VMs that do not exist dropped.
        // Every place is overwritten, so last tick's records need no clearing: when every
        // VM exists, the vector is already as long as it must be.
        record.vms.resize(vms.len(), VmRecord::default());
        let prefetch = vms.len() >= crate::prefetch::FROM_VMS;
        vms.par_chunks_mut(VMS_PER_BLOCK)
            .zip(self.programs.par_chunks(VMS_PER_BLOCK))
            .zip(grants.par_chunks(VMS_PER_BLOCK))
            .zip(record.vms.par_chunks_mut(VMS_PER_BLOCK).zip(self.blocks.par_iter_mut()))
            .enumerate()
            .for_each(|(b, (((vms, programs), grants), (records, bytes)))| {
                let first = b * VMS_PER_BLOCK;
                let seconds = scenario.tick_seconds;
                if prefetch {
                    tick::advance_records::<true>(first, vms, programs, grants, seconds, records, bytes);
                } else {
                    tick::advance_records::<false>(first, vms, programs, grants, seconds, records, bytes);
                }
            });
        record.vms.retain(|r| r.state.exists());
        let pieces = self.blocks.iter().map(Vec::as_slice);
        tick::seal(&mut s.digest, head, pieces, &mut self.head_bytes, record);
        s.tick += 1;
        Ok(())
    }

    /// Runs every remaining tick, handing each record to `on_tick` (trace writers,
    /// checkpointers, progress bars) before the next tick starts.
    pub fn run(&mut self, mut on_tick: impl FnMut(&Simulation, &TickRecord)) -> Result<[u8; 32], SimError> {
        let mut record = TickRecord::default();
        while !self.finished() {
            self.step_into(&mut record)?;
            on_tick(self, &record);
        }
        Ok(self.host.digest)
    }
}
