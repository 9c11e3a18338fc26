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
use crate::scenario::{Allocation, GenomeSource, Scenario};
use crate::tick::{self, Block};
use crate::vm::Vm;
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

/// A simulation that cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A lifecycle event was impossible.
    #[error("at tick {tick}: {source}")]
    Lifecycle {
        /// The tick.
        tick: u64,
        /// What was impossible.
        source: LifecycleError,
    },
    /// A restored state does not fit its scenario.
    #[error("state does not fit its scenario: {0}")]
    Restore(String),
}

fn compile_programs(scenario: &Scenario) -> Vec<Arc<Program>> {
    let mut cache: BTreeMap<(crate::biology::Organism, String), Arc<Program>> = BTreeMap::new();
    scenario
        .vms
        .iter()
        .map(|v| {
            let source = match &v.genome {
                GenomeSource::Builtin => String::new(),
                GenomeSource::File(g) => g.source.clone(),
            };
            cache
                .entry((v.organism, source))
                .or_insert_with(|| Arc::new(Program::compile(&v.genome(), v.organism)))
                .clone()
        })
        .collect()
}

impl Simulation {
    /// A fresh run of `scenario` at tick 0: newborn cells, autostarted VMs running.
    pub fn new(scenario: Scenario) -> Simulation {
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
        Simulation { scenario: Arc::new(scenario), programs, state, head_bytes: Vec::new(), blocks: Vec::new() }
    }

    /// Continues a run from a checkpointed state.
    pub fn restore(scenario: Scenario, mut state: SimState) -> Result<Simulation, SimError> {
        let programs = compile_programs(&scenario);
        let n = scenario.vms.len();
        if state.vms.len() != n || state.allocations.len() != n {
            return Err(SimError::Restore(format!("{} VM states for {n} VMs", state.vms.len())));
        }
        if state.next_event > scenario.events.len() || state.tick > scenario.ticks {
            return Err(SimError::Restore("tick or event position past the scenario's end".into()));
        }
        if state.hypervisor.policy.kind() != scenario.policy {
            return Err(SimError::Restore("policy state is not the scenario's policy".into()));
        }
        for ((vm, program), spec) in state.vms.iter_mut().zip(&programs).zip(&scenario.vms) {
            vm.restore(program).map_err(|e| SimError::Restore(format!("VM `{}`: {e}", spec.id)))?;
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
    pub fn transition(&mut self, vm: usize, t: Transition) -> Result<(), LifecycleError> {
        tick::apply_transition(&self.scenario, self.state.vms.as_mut_slice(), vm, t)?;
        self.state.commands.push(EventRecord { vm: vm as u32, action: crate::scenario::Action::Lifecycle(t) });
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
