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
use crate::lifecycle::{Lifecycle, LifecycleError, Transition};
use crate::policy::AnyPolicy;
use crate::program::Program;
use crate::record::{TickRecord, VmRecord, digest_chain, digest_start};
use crate::resources::Resources;
use crate::rng::{Stream, scheduler_stream, serde_stream, vm_stream};
use crate::scenario::{Action, Allocation, GenomeSource, Scenario};
use crate::scheduler::{Request, ration};
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
    /// ATP in the chassis store.
    pub atp_store: u64,
    /// The policy and its state.
    pub policy: AnyPolicy,
    /// The scheduler's stream.
    #[serde(with = "serde_stream")]
    pub scheduler_rng: Stream,
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
            atp_store: scenario.chassis.atp_store_max,
            policy: AnyPolicy::new(scenario.policy, scenario.policy_params),
            scheduler_rng: scheduler_stream(scenario.seed),
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
        if state.policy.kind() != scenario.policy {
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
        let state = self.state.vms[vm].lifecycle;
        let next = state.after(t).ok_or_else(|| LifecycleError {
            vm: self.scenario.vms[vm].id.clone(),
            state,
            transition: t,
        })?;
        self.state.vms[vm].lifecycle = next;
        Ok(())
    }

    fn apply_events(&mut self) -> Result<(), SimError> {
        let tick = self.state.tick;
        while let Some(event) = self.scenario.events.get(self.state.next_event) {
            if event.tick > tick {
                break;
            }
            let vm = event.vm as usize;
            match event.action {
                Action::Lifecycle(t) => {
                    self.transition(vm, t).map_err(|source| SimError::Lifecycle { tick, source })?
                }
                Action::Set(change) => change.apply(&mut self.state.allocations[vm]),
            }
            self.state.next_event += 1;
        }
        Ok(())
    }

    /// The pools offered to guests this tick, after refilling the ATP store.
    fn refill_and_offer(&mut self) -> Resources {
        let c = &self.scenario.chassis;
        let produced = (c.atp_per_s as f64 * self.scenario.tick_seconds).floor() as u64;
        self.state.atp_store = self.state.atp_store.saturating_add(produced).min(c.atp_store_max);
        let share = |amount: u64, reserve: f64| (amount as f64 * (1.0 - reserve)).floor() as u64;
        Resources {
            atp: share(self.state.atp_store, c.reserve_fraction),
            ribosomes: share(c.ribosomes, c.ribosome_reserve_fraction),
            rnap: share(c.rnap, c.reserve_fraction),
        }
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
        self.apply_events()?;
        let pool = self.refill_and_offer();
        let tick_seconds = self.scenario.tick_seconds;

        // Demands were worked out at the end of each VM's last advance (or creation).
        let demands: Vec<Option<Resources>> =
            self.state.vms.iter().map(|vm| (vm.lifecycle == Lifecycle::Running).then(|| vm.next_demand())).collect();

        let requests: Vec<Request> =
            demands.iter().enumerate().filter_map(|(i, d)| d.map(|demand| self.request(i, demand, pool))).collect();
        let grants = ration(&mut self.state.policy, tick, pool, &requests, &mut self.state.scheduler_rng);
        let mut granted: Vec<Option<Resources>> = vec![None; self.state.vms.len()];
        for (req, grant) in requests.iter().zip(&grants) {
            granted[req.vm as usize] = Some(*grant);
        }
        self.state.atp_store -= grants.iter().map(|g| g.atp).sum::<u64>();

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
                        let r = vm_record(chunk * VMS_PER_TASK_MIN + k, vm, demands[k], granted[k]);
                        codec::encode_into(&r, bytes);
                        records.push(r);
                    }
                }
            });

        // The record's canonical encoding is its head, the VM count, then each VM record:
        // hash exactly that, chunk by chunk, without assembling it.
        let vm_count: usize = self.chunks.iter().map(|c| c.records.len()).sum();
        self.record_bytes.clear();
        codec::encode_into(&(tick, pool, self.state.atp_store, vm_count as u64), &mut self.record_bytes);
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.state.digest);
        hasher.update(&self.record_bytes);
        record.vms.clear();
        for c in &self.chunks {
            hasher.update(&c.bytes);
            record.vms.extend_from_slice(&c.records);
        }
        (record.tick, record.pool, record.atp_store) = (tick, pool, self.state.atp_store);
        let digest = *hasher.finalize().as_bytes();
        debug_assert_eq!(digest, digest_chain(&self.state.digest, &codec::encode(&*record)), "record encoding drifted");
        self.state.digest = digest;
        self.state.tick += 1;
        Ok(())
    }

    fn request(&self, vm: usize, demand: Resources, pool: Resources) -> Request {
        let a = &self.state.allocations[vm];
        let percent_of = |amount: u64, pct: f64| (amount as f64 * pct / 100.0).floor() as u64;
        Request {
            vm: vm as u32,
            demand,
            cap: Resources::new(percent_of(pool.atp, a.atp_cap_percent), a.ribosome_cap.unwrap_or(u64::MAX), u64::MAX),
            reserve: Resources::new(percent_of(pool.atp, a.atp_reserve_percent), a.ribosome_reserve, 0),
            weight: a.weight,
            priority: a.priority,
        }
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

/// The record of VM `index` after its tick.
fn vm_record(index: usize, vm: &Vm, demand: Option<Resources>, grant: Option<Resources>) -> VmRecord {
    let s = vm.summary();
    VmRecord {
        vm: index as u32,
        state: vm.lifecycle,
        demand: demand.unwrap_or_default(),
        grant: grant.unwrap_or_default(),
        mrna: s.mrna,
        proteins: s.proteins,
        mass_aa: s.mass_aa,
        proteins_made: vm.stats.proteins_made,
        divisions: vm.stats.divisions,
    }
}
