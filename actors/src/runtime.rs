//! The synchronous handle on a running actor system.

use crate::ActorError;
use crate::coordinator::{Clock, Command, Coordinator, Run, TakeClock};
use crate::messages::{FailNextGrant, TakeVm};
use crate::relay::{Relay, SetVms};
use crate::scheduler_actor::{SchedulerActor, SetRelays, TakeHypervisor};
use crate::vm_actor::VmActor;
use actix::dev::channel;
use actix::{Actor, Addr, Arbiter, AsyncContext, Context, System};
use bioxen_engine::lifecycle::{Lifecycle, Transition};
use bioxen_engine::program::Program;
use bioxen_engine::record::{TickRecord, VmRecord};
use bioxen_engine::scenario::Scenario;
use bioxen_engine::sim::{SimState, Simulation};
use bioxen_engine::vm::Vm;
use crossbeam_channel::{Receiver, bounded};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// How to lay the actors out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActorConfig {
    /// Arbiters (event-loop threads) the VM actors are spread over, in contiguous blocks,
    /// each with one relay. The coordinator and the scheduler run on the system's own
    /// thread.
    pub arbiters: usize,
}

impl Default for ActorConfig {
    fn default() -> Self {
        ActorConfig { arbiters: std::thread::available_parallelism().map_or(1, |n| n.get()) }
    }
}

/// A running actor system and the handle to drive it.
pub struct ActorRuntime {
    scenario: Arc<Scenario>,
    coordinator: Addr<Coordinator>,
    scheduler: Addr<SchedulerActor>,
    vms: Vec<Addr<VmActor>>,
    system: System,
    thread: Option<JoinHandle<()>>,
    tick: u64,
    digest: [u8; 32],
}

/// Addresses handed from the system's thread to the handle.
struct Started {
    coordinator: Addr<Coordinator>,
    scheduler: Addr<SchedulerActor>,
    vms: Vec<Addr<VmActor>>,
    system: System,
}

impl ActorRuntime {
    /// Starts the actors from `sim`'s current state (tick 0 or a restored checkpoint).
    pub fn start(sim: Simulation, config: ActorConfig) -> Result<ActorRuntime, ActorError> {
        let (scenario, programs, state) = sim.into_parts();
        let scenario = Arc::new(scenario);
        let (tick, digest) = (state.tick, state.digest);
        let (started_tx, started_rx) = bounded(1);
        let scenario2 = scenario.clone();
        let arbiters = config.arbiters.max(1);
        let thread = std::thread::Builder::new()
            .name("bioxen-actors".into())
            .spawn(move || {
                let system = System::new();
                let workers: Vec<Arbiter> = system.block_on(async { (0..arbiters).map(|_| Arbiter::new()).collect() });
                let started = system.block_on(async { build(scenario2, programs, state, &workers) });
                if started_tx.send(started).is_ok() {
                    let _ = system.run();
                }
                for w in &workers {
                    w.stop();
                }
                for w in workers {
                    let _ = w.join();
                }
            })
            .map_err(|e| ActorError::Protocol(format!("cannot start the actor thread: {e}")))?;
        let s = started_rx.recv().map_err(|_| ActorError::Protocol("the actor system failed to start".into()))?;
        Ok(ActorRuntime {
            scenario,
            coordinator: s.coordinator,
            scheduler: s.scheduler,
            vms: s.vms,
            system: s.system,
            thread: Some(thread),
            tick,
            digest,
        })
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Ticks completed.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// True when every tick has run.
    pub fn finished(&self) -> bool {
        self.tick >= self.scenario.ticks
    }

    /// The digest so far.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// Runs one tick and returns its record ([`ActorError::Finished`] after the last).
    pub fn step(&mut self) -> Result<TickRecord, ActorError> {
        let mut record = None;
        self.run(1, |r| {
            record = Some(std::mem::take(r));
            true
        })?;
        record.ok_or_else(|| ActorError::Protocol("the tick produced no record".into()))
    }

    /// Runs `n` ticks (fewer if the run ends), handing each record to `on_tick`.
    pub fn run_ticks(&mut self, n: u64, mut on_tick: impl FnMut(&TickRecord)) -> Result<(), ActorError> {
        self.run_ticks_while(n, |r| {
            on_tick(r);
            true
        })
    }

    /// Runs `n` ticks (fewer if the run ends), handing each record to `on_tick`; when it
    /// returns false, the run stops after the tick already under way (whose record is
    /// counted in [`Self::tick`] and [`Self::digest`] but not shown to `on_tick`).
    ///
    /// Ticks are pipelined: tick t+1 runs while t's record is hashed and handed over, so
    /// `on_tick`'s own work (writing a trace) overlaps the simulation.
    pub fn run_ticks_while(&mut self, n: u64, mut on_tick: impl FnMut(&TickRecord) -> bool) -> Result<(), ActorError> {
        let n = n.min(self.scenario.ticks.saturating_sub(self.tick));
        if n == 0 {
            return Ok(());
        }
        self.run(n, |r| on_tick(r))
    }

    /// Asks the coordinator for `n` ticks and takes their records as they come, until it
    /// closes the channel: only then is no tick in flight, so the handle never returns
    /// while the actors are mid-tick (a checkpoint or command after it sees a whole tick).
    fn run(&mut self, n: u64, mut on_tick: impl FnMut(&mut TickRecord) -> bool) -> Result<(), ActorError> {
        // Room for the record being handed over while the next tick runs; a full channel
        // holds the coordinator back, so a slow `on_tick` sets the pace and memory stays
        // bounded.
        let (tx, rx) = bounded(2);
        // Records' VM lists go back to be filled again (~1 MB a tick at 10,000 VMs).
        let (recycle, recycled) = bounded(2);
        let stop = Arc::new(AtomicBool::new(false));
        self.coordinator.do_send(Run { ticks: n, reply: tx, stop: stop.clone(), recycled });
        let (mut received, mut failure) = (0, None);
        while let Ok(result) = rx.recv() {
            match result {
                Ok((mut record, digest)) => {
                    (received, self.tick, self.digest) = (received + 1, self.tick + 1, digest);
                    if failure.is_none() && !stop.load(Ordering::Acquire) && !on_tick(&mut record) {
                        stop.store(true, Ordering::Release);
                    }
                    let _ = recycle.try_send(record.vms);
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None if received < n && !stop.load(Ordering::Acquire) => {
                Err(ActorError::Protocol("the actor system stopped".into()))
            }
            None => Ok(()),
        }
    }

    /// Applies a lifecycle transition to VM `vm` before the next tick.
    pub fn transition(&mut self, vm: usize, transition: Transition) -> Result<(), ActorError> {
        let (tx, rx) = bounded(1);
        self.coordinator.do_send(Command { vm, transition, reply: tx });
        wait(&rx)?
    }

    /// Every VM's lifecycle state now.
    pub fn status(&self) -> Result<Vec<Lifecycle>, ActorError> {
        Ok(self.clock()?.lifecycles.to_vec())
    }

    fn clock(&self) -> Result<Clock, ActorError> {
        let (tx, rx) = bounded(1);
        self.coordinator.do_send(TakeClock { reply: tx });
        wait(&rx)
    }

    /// The whole run's state as an engine simulation (for checkpoints and summaries), taken
    /// between ticks.
    pub fn snapshot(&self) -> Result<Simulation, ActorError> {
        let clock = self.clock()?;
        let (tx, rx) = bounded(1);
        self.scheduler.do_send(TakeHypervisor { reply: tx });
        let hypervisor = wait(&rx)?;
        let (tx, rx) = bounded(self.vms.len().max(1));
        for vm in &self.vms {
            vm.do_send(TakeVm { reply: tx.clone() });
        }
        drop(tx);
        let mut vms: Vec<Option<Vm>> = vec![None; self.vms.len()];
        for _ in 0..self.vms.len() {
            let (i, vm) = wait(&rx)?;
            vms[i as usize] = Some(vm);
        }
        let vms = vms
            .into_iter()
            .zip(clock.lifecycles.iter())
            .map(|(vm, &lifecycle)| {
                vm.map(|mut vm| {
                    vm.lifecycle = lifecycle;
                    vm
                })
            })
            .collect::<Option<Vec<Vm>>>()
            .ok_or_else(|| ActorError::Protocol("a VM did not report its state".into()))?;
        let state = SimState {
            tick: clock.tick,
            vms,
            allocations: (*clock.allocations).clone(),
            hypervisor,
            digest: clock.digest,
            next_event: clock.next_event,
        };
        Simulation::restore((*self.scenario).clone(), state).map_err(ActorError::Simulation)
    }

    /// Fault injection: VM `vm` panics on its next grant (see [`FailNextGrant`]).
    pub fn fail_next_grant(&self, vm: usize) {
        if let Some(a) = self.vms.get(vm) {
            a.do_send(FailNextGrant);
        }
    }

    /// Stops every actor and joins every thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.system.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ActorRuntime {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Waits for an answer from the actor system; a closed channel means it stopped.
fn wait<T>(rx: &Receiver<T>) -> Result<T, ActorError> {
    rx.recv().map_err(|_| ActorError::Protocol("the actor system stopped".into()))
}

/// Mailbox capacity of a VM actor (actix's default). Only a bound for `send`; the tick's
/// messages use `do_send`, and a VM has at most one grant queued at a time.
const MAILBOX_CAPACITY: usize = 16;

/// Creates the actors: the coordinator and the scheduler on the system thread, and the VM
/// actors in contiguous blocks over the worker arbiters, each block with its relay.
fn build(scenario: Arc<Scenario>, programs: Vec<Arc<Program>>, state: SimState, workers: &[Arbiter]) -> Started {
    let mut latest: Vec<VmRecord> =
        state.vms.iter().enumerate().map(|(i, vm)| VmRecord::of(i, vm, None, None)).collect();
    let demands = state.vms.iter().map(|vm| vm.next_demand()).collect();
    let clock = Clock {
        tick: state.tick,
        lifecycles: Arc::new(state.vms.iter().map(|vm| vm.lifecycle).collect()),
        allocations: Arc::new(state.allocations),
        next_event: state.next_event,
        digest: state.digest,
    };
    let count = state.vms.len();
    let relay_of: Vec<usize> = (0..count).map(|i| i * workers.len() / count.max(1)).collect();
    let hypervisor = state.hypervisor;
    let mut scheduler_out = None;
    let mut vms_out = Vec::new();
    let coordinator = Coordinator::create(|cctx| {
        let to_coordinator = cctx.address().recipient();
        let for_scheduler = scenario.clone();
        let scheduler = SchedulerActor::new(for_scheduler, hypervisor, demands, to_coordinator).start();
        let relays: Vec<Addr<Relay>> = workers
            .iter()
            .enumerate()
            .map(|(r, w)| {
                let to_scheduler = scheduler.clone().recipient();
                Relay::start_in_arbiter(&w.handle(), move |_| Relay::new(r, to_scheduler))
            })
            .collect();
        // The per-VM allocations are made in VM order — the mailboxes here, then each
        // arbiter's actors in one go on its own thread — so that they lie in memory in the
        // order the arbiter serves the VMs (see `VmActor::vm`).
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..count).map(|_| channel::channel::<VmActor>(MAILBOX_CAPACITY)).unzip();
        let vms: Vec<Addr<VmActor>> = senders.into_iter().map(Addr::new).collect();
        let mut members: Vec<_> = state.vms.into_iter().zip(programs).zip(receivers).collect();
        // Blocks are contiguous and in relay order: split them off from the back.
        for (r, worker) in workers.iter().enumerate().rev() {
            let first = relay_of.partition_point(|&x| x < r);
            let block = members.split_off(first);
            let (relay, tick_seconds) = (relays[r].clone(), scenario.tick_seconds);
            worker.spawn_fn(move || {
                for (k, ((vm, program), mailbox)) in block.into_iter().enumerate() {
                    let index = (first + k) as u32;
                    let relay = relay.clone();
                    // A fresh copy made here, not the engine's: see `VmActor::vm`.
                    let vm = Box::new(vm.clone());
                    let actor = VmActor { index, vm, program, tick_seconds, relay, fail_next_grant: false };
                    Context::with_receiver(mailbox).run(actor);
                }
            });
        }
        // Blocks are contiguous and in relay order, so the last block's VMs are the tail of
        // `latest`: split them off from the back.
        for (r, relay) in relays.iter().enumerate().rev() {
            let first = relay_of.partition_point(|&x| x < r);
            let end = relay_of.partition_point(|&x| x <= r);
            let block = latest.split_off(first);
            debug_assert_eq!(block.len(), end - first);
            relay.do_send(SetVms { first: first as u32, vms: vms[first..end].to_vec(), latest: block });
        }
        // Sent before any tick can start (the coordinator starts ticks only when asked by
        // the handle, which waits for this function to return).
        scheduler.do_send(SetRelays { relays, relay_of });
        vms_out = vms;
        scheduler_out = Some(scheduler.clone());
        let mut c = Coordinator::new(scenario.clone(), clock);
        c.set_scheduler(scheduler);
        c
    });
    Started { coordinator, scheduler: scheduler_out.expect("created above"), vms: vms_out, system: System::current() }
}
