//! The simulation: a scenario, its VMs, the scheduler, and the tick loop.
//!
//! A tick is the four phases of [`crate::tick`], called in order on this machine: the
//! timeline's events, rationing, advancing the VMs (phase 3, in parallel over fixed blocks
//! of [`VMS_PER_BLOCK`] VMs), and the digest. Only phase 3 runs on several threads, and it
//! touches disjoint VMs with per-VM streams; blocks are fixed, never derived from the
//! thread count, and hashed in VM order, so the result is the same for any thread count.

use crate::hypervisor::Hypervisor;
use crate::lifecycle::{Lifecycle, LifecycleError, Transition};
use crate::program::Program;
use crate::record::{EventRecord, TickRecord, digest_start};
use crate::rng::vm_stream;
use crate::scenario::limits::EVENTS_MAX;
use crate::scenario::{Allocation, GenomeSource, Scenario};
use crate::scenario::{CheckError, check};
use crate::tick::{self, Block};
use crate::vm::Vm;
use crate::vm::VmStateError;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// VMs per block of phase 3, each block one rayon task: below this, splitting costs more
/// than it saves. A fixed number, so the blocks never depend on the thread count (the bytes
/// would not anyway: blocks are hashed in VM order).
pub const VMS_PER_BLOCK: usize = 64;

/// Everything that changes during a run: what a checkpoint stores.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SimState {
    /// The next tick to run (= ticks completed).
    pub tick: u64,
    /// VMs, in scenario order.
    pub vms: Vec<Vm>,
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
}

/// A running simulation.
pub struct Simulation {
    scenario: Arc<Scenario>,
    programs: Vec<Arc<Program>>,
    state: SimState,
    /// Reused encoding buffer for the record's head.
    head_bytes: Vec<u8>,
    /// Reused blocks of phase 3: allocating and freeing ~100 kB a tick costs page faults
    /// and TLB shootdowns that, being serial, limit the speed-up.
    blocks: Vec<Block>,
}

/// A simulation that cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario does not pass the gate ([`Scenario::check`]).
    #[error("the scenario is not usable: {0}")]
    Invalid(#[from] CheckError),
    /// A lifecycle event was impossible.
    #[error("at tick {tick}: {source}")]
    Lifecycle {
        /// The tick.
        tick: u64,
        /// What was impossible.
        source: LifecycleError,
    },
    /// More commands between two ticks than a tick's record may carry.
    #[error("more than {EVENTS_MAX} commands before tick {tick}")]
    TooManyCommands {
        /// The next tick.
        tick: u64,
    },
    /// An event names a VM that does not exist (only a scenario that skipped the gate).
    #[error("at tick {tick}: an event for VM #{vm}, which does not exist")]
    NoSuchVm {
        /// The tick.
        tick: u64,
        /// The VM index.
        vm: u32,
    },
    /// A restored state does not fit its scenario.
    #[error("the state does not fit its scenario: {0}")]
    State(#[from] StateError),
}

/// What makes a restored state unusable with its scenario.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not one state and one allocation per VM.
    #[error("{states} VM states and {allocations} allocations for {vms} VMs")]
    VmCount {
        /// VM states.
        states: usize,
        /// Allocations.
        allocations: usize,
        /// VMs in the scenario.
        vms: usize,
    },
    /// The tick and the timeline position do not agree with the scenario.
    #[error("tick {tick} with {next_event} of {events} events applied does not fit a run of {ticks} ticks")]
    Position {
        /// Ticks run.
        tick: u64,
        /// Events applied.
        next_event: usize,
        /// Events in the timeline.
        events: usize,
        /// Ticks in the run.
        ticks: u64,
    },
    /// A pending command names no VM, or there are too many.
    #[error("commands for VMs that do not exist, or more than {EVENTS_MAX}")]
    Commands,
    /// The hypervisor's state does not fit (policy, parameters, ATP store).
    #[error("scheduler: {0}")]
    Scheduler(String),
    /// A VM's allocation is not valid.
    #[error("VM `{vm}`'s allocation: {message}")]
    Allocation {
        /// The VM's id.
        vm: String,
        /// What is wrong.
        message: String,
    },
    /// A VM's cell does not fit its genome or the run.
    #[error("VM `{vm}`: {source}")]
    Vm {
        /// The VM's id.
        vm: String,
        /// What is wrong.
        source: VmStateError,
    },
}

impl SimState {
    /// Checks a state from untrusted bytes against its (checked) scenario: the counts, the
    /// position in the run and the timeline, the commands, the scheduler's state and every
    /// allocation. Each VM's cell is checked by [`Vm::restore`].
    pub fn check(&self, scenario: &Scenario) -> Result<(), StateError> {
        let n = scenario.vms.len();
        if self.vms.len() != n || self.allocations.len() != n {
            return Err(StateError::VmCount { states: self.vms.len(), allocations: self.allocations.len(), vms: n });
        }
        // Events before `next_event` have applied (their ticks are past), the others not.
        let events = &scenario.events;
        let position_fits = self.tick <= scenario.ticks
            && self.next_event <= events.len()
            && events[..self.next_event].iter().all(|e| e.tick < self.tick)
            && events[self.next_event..].iter().all(|e| e.tick >= self.tick);
        if !position_fits {
            return Err(StateError::Position {
                tick: self.tick,
                next_event: self.next_event,
                events: events.len(),
                ticks: scenario.ticks,
            });
        }
        if self.commands.len() > EVENTS_MAX || self.commands.iter().any(|c| c.vm as usize >= n) {
            return Err(StateError::Commands);
        }
        let h = &self.hypervisor;
        h.policy.check(scenario.policy, &scenario.policy_params, n).map_err(StateError::Scheduler)?;
        if h.atp_store > scenario.chassis.atp_store_max {
            return Err(StateError::Scheduler(format!(
                "an ATP store of {}, more than the chassis' {}",
                h.atp_store, scenario.chassis.atp_store_max
            )));
        }
        for (a, spec) in self.allocations.iter().zip(&scenario.vms) {
            check::allocation(a).map_err(|message| StateError::Allocation { vm: spec.id.clone(), message })?;
        }
        Ok(())
    }
}

/// Each VM's program, compiled once per (genome, organism) and shared.
fn compile_programs(scenario: &Scenario) -> Vec<Arc<Program>> {
    let mut cache: BTreeMap<(GenomeSource, crate::biology::Organism), Arc<Program>> = BTreeMap::new();
    scenario
        .vms
        .iter()
        .map(|v| {
            cache
                .entry((v.genome, v.organism))
                .or_insert_with(|| {
                    Arc::new(Program::compile(&scenario.genome_of(v), v.organism, v.genome, scenario.tick_seconds))
                })
                .clone()
        })
        .collect()
}

impl Simulation {
    /// A fresh run of `scenario` at tick 0: newborn cells, autostarted VMs running. The
    /// scenario passes the gate ([`Scenario::check`]) first.
    pub fn new(scenario: Scenario) -> Result<Simulation, SimError> {
        scenario.check()?;
        let programs = compile_programs(&scenario);
        let vms: Vec<Vm> = scenario
            .vms
            .par_iter()
            .zip(programs.par_iter())
            .map(|(spec, program)| {
                let mut vm = Vm::new(program, vm_stream(scenario.seed, &spec.id));
                vm.refresh_demand(program, scenario.tick_seconds);
                if spec.autostart {
                    vm.lifecycle = Lifecycle::Running;
                }
                vm
            })
            .collect();
        let state = SimState {
            tick: 0,
            vms,
            allocations: scenario.vms.iter().map(|v| v.allocation).collect(),
            hypervisor: Hypervisor::new(&scenario),
            digest: digest_start(&scenario),
            next_event: 0,
            commands: Vec::new(),
        };
        Ok(Simulation { scenario: Arc::new(scenario), programs, state, head_bytes: Vec::new(), blocks: Vec::new() })
    }

    /// Continues a run from a checkpointed state. Both pass the gate: the scenario
    /// ([`Scenario::check`]) and the state against it ([`SimState::check`], then each
    /// VM's [`Vm::restore`]), so a state from untrusted bytes runs like any other.
    pub fn restore(scenario: Scenario, mut state: SimState) -> Result<Simulation, SimError> {
        scenario.check()?;
        state.check(&scenario)?;
        let programs = compile_programs(&scenario);
        for ((vm, program), spec) in state.vms.iter_mut().zip(&programs).zip(&scenario.vms) {
            vm.restore(program, state.tick).map_err(|source| StateError::Vm { vm: spec.id.clone(), source })?;
            vm.refresh_demand(program, scenario.tick_seconds);
        }
        Ok(Simulation { scenario: Arc::new(scenario), programs, state, head_bytes: Vec::new(), blocks: Vec::new() })
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The run's state (for checkpoints and summaries).
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// The scenario, each VM's compiled program, and the state: what another runtime
    /// needs to take the run over from here. [`Simulation::restore`] is the inverse.
    pub fn into_parts(self) -> (Scenario, Vec<Arc<Program>>, SimState) {
        let scenario = Arc::try_unwrap(self.scenario).unwrap_or_else(|shared| (*shared).clone());
        (scenario, self.programs, self.state)
    }

    /// Ticks completed.
    pub fn tick(&self) -> u64 {
        self.state.tick
    }

    /// True when every tick of the scenario has run.
    pub fn finished(&self) -> bool {
        self.state.tick >= self.scenario.ticks
    }

    /// The digest of all ticks so far.
    pub fn digest(&self) -> [u8; 32] {
        self.state.digest
    }

    /// Applies a lifecycle transition to VM `vm` now (between ticks); it is recorded, as an
    /// event, in the next tick's record.
    pub fn transition(&mut self, vm: usize, t: Transition) -> Result<(), SimError> {
        let s = &mut self.state;
        if s.commands.len() >= EVENTS_MAX {
            return Err(SimError::TooManyCommands { tick: s.tick });
        }
        tick::apply_transition(&self.scenario, s.vms.as_mut_slice(), vm, t)
            .map_err(|source| SimError::Lifecycle { tick: s.tick, source })?;
        s.commands.push(EventRecord { vm: vm as u32, action: crate::scenario::Action::Lifecycle(t) });
        Ok(())
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
        let (scenario, s) = (&*self.scenario, &mut self.state);
        let now = s.tick;
        let mut events = std::mem::take(&mut s.commands);
        tick::apply_due_events(
            scenario,
            &mut s.next_event,
            now,
            s.vms.as_mut_slice(),
            &mut s.allocations,
            &mut events,
        )?;
        // Demands were worked out at the end of each VM's last advance (or creation).
        let demands = s.vms.iter().map(|vm| tick::demand(vm.lifecycle, vm.next_demand())).collect();
        let rationed = tick::ration(scenario, &mut s.hypervisor, now, events, demands, &s.allocations);
        self.blocks.resize_with(s.vms.len().div_ceil(VMS_PER_BLOCK), Block::default);
        s.vms
            .par_chunks_mut(VMS_PER_BLOCK)
            .zip(self.programs.par_chunks(VMS_PER_BLOCK))
            .zip(rationed.demands.par_chunks(VMS_PER_BLOCK).zip(rationed.grants.par_chunks(VMS_PER_BLOCK)))
            .zip(self.blocks.par_iter_mut())
            .enumerate()
            .for_each(|(b, (((vms, programs), (demands, grants)), out))| {
                tick::advance_block(b * VMS_PER_BLOCK, vms, programs, demands, grants, scenario.tick_seconds, out)
            });
        tick::finish(&mut s.digest, rationed.head, &self.blocks, &mut self.head_bytes, record);
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
        Ok(self.state.digest)
    }
}
