//! The simulation: a scenario, its VMs, the scheduler, and the tick loop.
//!
//! One tick, in order:
//! 1. timeline events for this tick are applied, in scenario order;
//! 2. the ATP store is refilled and the guests' pools are set aside from the host reserve;
//! 3. every running VM states its demand (worked out at the end of its previous advance,
//!    in parallel, each VM reading only itself);
//! 4. the scheduler rations, in VM order, under the policy, with the scheduler's stream;
//! 5. every running VM advances with its grant and encodes its record (in parallel, in
//!    fixed chunks; each VM draws only from its own stream);
//! 6. the chunks are hashed in VM order into the digest.
//!
//! Only steps 3 and 5 run on several threads, and they touch disjoint VMs with per-VM
//! streams, so the result is the same for any thread count.

use crate::codec;
use crate::hypervisor::Hypervisor;
use crate::lifecycle::{Lifecycle, LifecycleError, Transition};
use crate::program::Program;
use crate::record::{TickRecord, VmRecord, digest_chain, digest_chain_pieces, digest_start};
use crate::resources::Resources;
use crate::rng::vm_stream;
use crate::scenario::{Action, Allocation, GenomeSource, Scenario};
use crate::vm::Vm;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// VMs per rayon task: below this, splitting costs more than it saves. Also the chunk in
/// which VMs advance and encode their records; a fixed number, so the bytes produced can
/// never depend on the thread count (they would not anyway: chunks are concatenated in
/// order).
const VMS_PER_TASK_MIN: usize = 64;

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
}

/// A running simulation.
pub struct Simulation {
    scenario: Arc<Scenario>,
    programs: Vec<Arc<Program>>,
    state: SimState,
    /// Reused encoding buffer for the record's head.
    record_bytes: Vec<u8>,
    /// Reused per-chunk buffers of the parallel pass: allocating and freeing ~100 kB a
    /// tick costs page faults and TLB shootdowns that, being serial, limit the speed-up.
    chunks: Vec<Chunk>,
}

/// One chunk's output in the parallel pass: its VMs' records and their encoding.
#[derive(Default)]
struct Chunk {
    records: Vec<VmRecord>,
    bytes: Vec<u8>,
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
            digest: digest_start(&scenario.hash()),
            next_event: 0,
        };
        Simulation { scenario: Arc::new(scenario), programs, state, record_bytes: Vec::new(), chunks: Vec::new() }
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
        Ok(Simulation { scenario: Arc::new(scenario), programs, state, record_bytes: Vec::new(), chunks: Vec::new() })
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

    /// Applies a lifecycle transition to VM `vm` now (between ticks).
    pub fn transition(&mut self, vm: usize, t: Transition) -> Result<(), LifecycleError> {
        apply_transition(&self.scenario, self.state.vms.as_mut_slice(), vm, t)
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
        let tick = self.state.tick;
        let s = &mut self.state;
        apply_due_events(&self.scenario, &mut s.next_event, tick, s.vms.as_mut_slice(), &mut s.allocations)?;
        let pool = self.state.hypervisor.offer(&self.scenario.chassis, self.scenario.tick_seconds);
        let tick_seconds = self.scenario.tick_seconds;

        // Demands were worked out at the end of each VM's last advance (or creation).
        let demands: Vec<Option<Resources>> =
            self.state.vms.iter().map(|vm| (vm.lifecycle == Lifecycle::Running).then(|| vm.next_demand())).collect();
        let granted = self.state.hypervisor.ration(tick, pool, &demands, &self.state.allocations);

        // Advance and record in one parallel pass: each chunk of VMs advances, then encodes
        // its VM records into its own buffer.
        self.chunks.resize_with(self.state.vms.len().div_ceil(VMS_PER_TASK_MIN), Chunk::default);
        self.state
            .vms
            .par_chunks_mut(VMS_PER_TASK_MIN)
            .zip(self.programs.par_chunks(VMS_PER_TASK_MIN))
            .zip(demands.par_chunks(VMS_PER_TASK_MIN).zip(granted.par_chunks(VMS_PER_TASK_MIN)))
            .zip(self.chunks.par_iter_mut())
            .enumerate()
            .for_each(|(chunk, (((vms, programs), (demands, granted)), out))| {
                let Chunk { records, bytes } = out;
                records.clear();
                bytes.clear();
                for (k, vm) in vms.iter_mut().enumerate() {
                    if let (Some(d), Some(g)) = (demands[k], granted[k]) {
                        vm.advance(&programs[k], d, g, tick_seconds);
                        vm.refresh_demand(&programs[k], tick_seconds);
                    }
                    if vm.lifecycle != Lifecycle::Destroyed {
                        let r = VmRecord::of(chunk * VMS_PER_TASK_MIN + k, vm, demands[k], granted[k]);
                        codec::encode_into(&r, bytes);
                        records.push(r);
                    }
                }
            });

        // The record's canonical encoding is its head, the VM count, then each VM record:
        // hash exactly that, chunk by chunk, without assembling it.
        let vm_count: usize = self.chunks.iter().map(|c| c.records.len()).sum();
        self.record_bytes.clear();
        TickRecord::encode_head_into(tick, pool, self.state.hypervisor.atp_store, vm_count, &mut self.record_bytes);
        record.vms.clear();
        for c in &self.chunks {
            record.vms.extend_from_slice(&c.records);
        }
        (record.tick, record.pool, record.atp_store) = (tick, pool, self.state.hypervisor.atp_store);
        let pieces =
            std::iter::once(self.record_bytes.as_slice()).chain(self.chunks.iter().map(|c| c.bytes.as_slice()));
        let digest = digest_chain_pieces(&self.state.digest, pieces);
        debug_assert_eq!(digest, digest_chain(&self.state.digest, &codec::encode(&*record)), "record encoding drifted");
        self.state.digest = digest;
        self.state.tick += 1;
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

/// Whatever holds the VMs' lifecycle states: the engine's VMs, or a runtime's mirror of them.
pub trait Lifecycles {
    /// VM `vm`'s state.
    fn lifecycle_mut(&mut self, vm: usize) -> &mut Lifecycle;
}

impl Lifecycles for [Vm] {
    fn lifecycle_mut(&mut self, vm: usize) -> &mut Lifecycle {
        &mut self[vm].lifecycle
    }
}

impl Lifecycles for [Lifecycle] {
    fn lifecycle_mut(&mut self, vm: usize) -> &mut Lifecycle {
        &mut self[vm]
    }
}

/// Moves VM `vm` through transition `t`, or says why it cannot, naming the VM and its
/// state. The one place a lifecycle changes, for every runtime and for direct commands.
pub fn apply_transition(
    scenario: &Scenario,
    lifecycles: &mut (impl Lifecycles + ?Sized),
    vm: usize,
    t: Transition,
) -> Result<(), LifecycleError> {
    let state = lifecycles.lifecycle_mut(vm);
    *state = state.after(t).ok_or_else(|| LifecycleError {
        vm: scenario.vms[vm].id.clone(),
        state: *state,
        transition: t,
    })?;
    Ok(())
}

/// Applies the timeline events due at `tick` (those not yet applied, in scenario order),
/// advancing `next_event`: transitions change `lifecycles`, `set` events `allocations`.
/// The one definition of the timeline, for every runtime.
pub fn apply_due_events(
    scenario: &Scenario,
    next_event: &mut usize,
    tick: u64,
    lifecycles: &mut (impl Lifecycles + ?Sized),
    allocations: &mut [Allocation],
) -> Result<(), SimError> {
    while let Some(event) = scenario.events.get(*next_event) {
        if event.tick > tick {
            break;
        }
        let vm = event.vm as usize;
        match event.action {
            Action::Lifecycle(t) => {
                apply_transition(scenario, lifecycles, vm, t).map_err(|source| SimError::Lifecycle { tick, source })?
            }
            Action::Set(change) => change.apply(&mut allocations[vm]),
        }
        *next_event += 1;
    }
    Ok(())
}
