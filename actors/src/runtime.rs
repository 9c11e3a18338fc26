//! The synchronous handle on a running actor system.

use crate::ActorError;
use crate::coordinator::{Clock, Command, Coordinator, Run, Schedule, TakeClock};
use crate::error::actor_name;
use crate::guard::Alarm;
use crate::messages::{GrantBatch, Site};
use crate::placement::{BlockSetup, Placement, Slot, TakeCells, layout};
use crate::relay::{Relay, SetVms};
use crate::scheduler_actor::{SchedulerActor, SetRelays, TakeHypervisor};
use crate::system::SystemThread;
use crate::vm_actor::{TakeVm, VmActor, ask_cells};
use actix::dev::channel;
use actix::{Actor, Addr, Arbiter, AsyncContext, Recipient};
use bioxen_engine::cell::Cell;
use bioxen_engine::lifecycle::{Lifecycle, Transition};
use bioxen_engine::program::Program;
use bioxen_engine::record::{TickRecord, VmRecord};
use bioxen_engine::restore::Restorer;
use bioxen_engine::scenario::Scenario;
use bioxen_engine::schedule::Scheduled;
use bioxen_engine::sim::{HostState, Simulation};
use bioxen_engine::vm::Vm;
use crossbeam_channel::{Receiver, bounded, select};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// VMs asked for their cells at a time by [`ActorRuntime::cells`]: ~15 MB of syn3A
/// cells in flight, and a few hundred round trips for a million VMs.
const SNAPSHOT_BATCH: usize = 4096;

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
    /// The scenario as the coordinator has it (events scheduled between runs included).
    scenario: Arc<Scenario>,
    coordinator: Addr<Coordinator>,
    scheduler: Addr<SchedulerActor>,
    /// Only fault injection talks to relays directly.
    #[cfg(feature = "fault-injection")]
    relays: Vec<Addr<Relay>>,
    /// Each VM's actor, where it runs here.
    vms: Vec<Option<Addr<VmActor>>>,
    /// The blocks served elsewhere, and where to ask for their cells.
    remote: Vec<(Range<usize>, Recipient<TakeCells>)>,
    /// The system's thread; stopped when the handle is.
    system: SystemThread,
    tick: u64,
    digest: [u8; 32],
    /// The run's origin ([`bioxen_engine::sim::HostState::origin`]), handed back in snapshots.
    origin: [u8; 32],
    /// Where the alarm any actor that dies rings (see [`crate::guard`]); waited on beside
    /// every reply.
    rings: Receiver<Site>,
    /// Set once an actor has died: every later call fails with it at once.
    dead: Option<Site>,
}

/// Addresses handed from the system's thread to the handle.
struct Started {
    coordinator: Addr<Coordinator>,
    scheduler: Addr<SchedulerActor>,
    #[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
    relays: Vec<Addr<Relay>>,
    vms: Vec<Option<Addr<VmActor>>>,
    remote: Vec<(Range<usize>, Recipient<TakeCells>)>,
}

impl ActorRuntime {
    /// Starts the actors from `sim`'s current state (tick 0 or a restored checkpoint).
    pub fn start(sim: Simulation, config: ActorConfig) -> Result<ActorRuntime, ActorError> {
        ActorRuntime::start_placed(sim, config, Placement::default())
    }

    /// Starts the actors from `sim`'s current state with the blocks of `placement` served
    /// elsewhere (remote hosts) and every other VM here.
    pub fn start_placed(
        sim: Simulation,
        config: ActorConfig,
        placement: Placement,
    ) -> Result<ActorRuntime, ActorError> {
        let slots = layout(sim.vms().len(), config.arbiters.max(1), placement).map_err(ActorError::Protocol)?;
        let (scenario, programs, host, cells) = sim.into_parts();
        let scenario = Arc::new(scenario);
        let (tick, digest, origin) = (host.tick, host.digest, host.origin);
        let scenario2 = scenario.clone();
        let (alarm, rings) = Alarm::new();
        let alarm2 = alarm.clone();
        let (system, s) = SystemThread::start("bioxen-actors", config.arbiters.max(1), alarm, move |workers| {
            build(scenario2, programs, host, cells, workers, slots, &alarm2)
        })?;
        Ok(ActorRuntime {
            scenario,
            coordinator: s.coordinator,
            scheduler: s.scheduler,
            #[cfg(feature = "fault-injection")]
            relays: s.relays,
            vms: s.vms,
            remote: s.remote,
            system,
            tick,
            digest,
            origin,
            rings,
            dead: None,
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

    /// The hash of the scenario as the run was given it (names its checkpoints).
    pub fn origin(&self) -> [u8; 32] {
        self.origin
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
        self.alive()?;
        let (tx, rx) = bounded(2);
        // Records' VM lists go back to be filled again (~1 MB a tick at 10,000 VMs).
        let (recycle, recycled) = bounded(2);
        let stop = Arc::new(AtomicBool::new(false));
        self.coordinator.do_send(Run { ticks: n, reply: tx, stop: stop.clone(), recycled });
        let (mut received, mut failure) = (0, None);
        while let Some(result) = self.wait_or_dead(&rx)? {
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
            // Only the coordinator holds the run's channel, and it closes it early only by
            // dying (a failure would have been sent first).
            None if received < n && !stop.load(Ordering::Acquire) => {
                self.dead = Some(Site::Coordinator);
                Err(self.stopped(Site::Coordinator))
            }
            None => Ok(()),
        }
    }

    /// Applies a lifecycle transition to VM `vm` before the next tick.
    pub fn transition(&mut self, vm: usize, transition: Transition) -> Result<(), ActorError> {
        self.alive()?;
        let (tx, rx) = bounded(1);
        self.coordinator.do_send(Command { vm, transition, reply: tx });
        self.wait(&rx)?
    }

    /// Adds `action` for VM `vm` to the timeline at the next tick (see
    /// [`bioxen_engine::sim::Simulation::schedule`]; the coordinator checks it with the same
    /// rules): the run becomes the run of the scenario with that event.
    pub fn schedule(&mut self, vm: usize, action: bioxen_engine::scenario::Action) -> Result<(), ActorError> {
        self.schedule_all(vec![(vm, Scheduled::Action(action))]).map(|_| ())
    }

    /// Schedules the installation of `package` into VM `vm` at the next tick (see
    /// [`bioxen_engine::sim::Simulation::install`]); returns its index in the scenario.
    pub fn install(&mut self, vm: usize, package: bioxen_engine::package::Package) -> Result<u32, ActorError> {
        match self.schedule_all(vec![(vm, Scheduled::Install(package))])?[..] {
            [bioxen_engine::scenario::Action::Install { hash }] => self
                .scenario
                .package_index(&hash)
                .ok_or_else(|| ActorError::Protocol("an installed package is not in the scenario".into())),
            _ => Err(ActorError::Protocol("an install answered with another action".into())),
        }
    }

    /// Schedules `items` at the next tick, all or none (see
    /// [`bioxen_engine::sim::Simulation::schedule_all`]); returns the actions added.
    pub fn schedule_all(
        &mut self,
        items: Vec<(usize, Scheduled)>,
    ) -> Result<Vec<bioxen_engine::scenario::Action>, ActorError> {
        self.send_schedule(items, false)
    }

    /// Resolves the timeline script due at the next tick into `items`, all or none (see
    /// [`bioxen_engine::sim::Simulation::resolve_script`]); returns the actions added.
    pub fn resolve_script(
        &mut self,
        items: Vec<(usize, Scheduled)>,
    ) -> Result<Vec<bioxen_engine::scenario::Action>, ActorError> {
        self.send_schedule(items, true)
    }

    fn send_schedule(
        &mut self,
        items: Vec<(usize, Scheduled)>,
        resolves_script: bool,
    ) -> Result<Vec<bioxen_engine::scenario::Action>, ActorError> {
        self.alive()?;
        let (tx, rx) = bounded(1);
        let vms: Vec<u32> = items.iter().map(|(vm, _)| *vm as u32).collect();
        self.coordinator.do_send(Schedule { items, resolves_script, reply: tx });
        let (actions, packages) = self.wait(&rx)??;
        // The handle's copy of the scenario follows the coordinator's.
        let scenario = Arc::make_mut(&mut self.scenario);
        scenario.packages.extend(packages);
        if resolves_script {
            scenario.scripts.remove(0);
        }
        let start = scenario.events.partition_point(|e| e.tick <= self.tick);
        for (k, (&vm, &action)) in vms.iter().zip(&actions).enumerate() {
            scenario.events.insert(start + k, bioxen_engine::scenario::Event { tick: self.tick, vm, action });
        }
        Ok(actions)
    }

    /// A copy of VM `vm`'s cell now (between runs), with its lifecycle.
    pub fn vm(&mut self, vm: usize) -> Result<Cell, ActorError> {
        if vm >= self.vms.len() {
            return Err(ActorError::Protocol(format!("no VM #{vm}")));
        }
        let lifecycle = self.clock()?.lifecycles.get(vm).copied();
        let mut cell = match self.vms[vm].clone() {
            Some(actor) => {
                let (tx, rx) = bounded(1);
                actor.do_send(TakeVm { reply: tx });
                self.wait(&rx)?.1
            }
            None => {
                let k = self.remote.iter().position(|(vms, _)| vms.contains(&vm));
                let k = k.ok_or_else(|| ActorError::Protocol(format!("VM #{vm} is nowhere")))?;
                let first = self.remote[k].0.start;
                self.remote_cells(k)?.into_iter().nth(vm - first).ok_or_else(|| self.lost_cells(k))?
            }
        };
        cell.lifecycle = lifecycle.unwrap_or(cell.lifecycle);
        Ok(cell)
    }

    /// The cells of remote block `k`, in VM order.
    fn remote_cells(&mut self, k: usize) -> Result<Vec<Cell>, ActorError> {
        let (tx, rx) = bounded(1);
        let (vms, proxy) = &self.remote[k];
        let expected = vms.len();
        proxy.do_send(TakeCells { reply: tx });
        let cells = self.wait(&rx)?.map_err(ActorError::Protocol)?;
        if cells.len() != expected {
            return Err(self.lost_cells(k));
        }
        Ok(cells)
    }

    fn lost_cells(&self, k: usize) -> ActorError {
        ActorError::Protocol(format!("remote block {:?} did not hand over its cells", self.remote[k].0))
    }

    /// An error if an actor has died.
    fn alive(&self) -> Result<(), ActorError> {
        match self.dead {
            Some(site) => Err(self.stopped(site)),
            None => Ok(()),
        }
    }

    fn stopped(&self, site: Site) -> ActorError {
        let vm_name = |vm: u32| self.scenario.vms.get(vm as usize).map_or_else(|| format!("#{vm}"), |v| v.id.clone());
        ActorError::Stopped { actor: actor_name(site, vm_name) }
    }

    /// The next message on `rx`, `None` once it is closed; or the error of an actor's
    /// death, whichever comes first. A dead actor may never answer, so this is the one
    /// way the handle waits.
    fn wait_or_dead<T>(&mut self, rx: &Receiver<T>) -> Result<Option<T>, ActorError> {
        select! {
            recv(rx) -> message => match message {
                Ok(m) => Ok(Some(m)),
                // A dying actor rings before it drops its channels (tripwires are dropped
                // first), so a closed channel is checked against the alarm.
                Err(_) => match self.rings.try_recv() {
                    Ok(site) => {
                        self.dead = Some(site);
                        Err(self.stopped(site))
                    }
                    Err(_) => Ok(None),
                },
            },
            recv(self.rings) -> site => {
                let site = site.unwrap_or(Site::Coordinator);
                self.dead = Some(site);
                Err(self.stopped(site))
            }
        }
    }

    /// Waits for one answer from the actor system; a closed channel means it stopped.
    fn wait<T>(&mut self, rx: &Receiver<T>) -> Result<T, ActorError> {
        self.wait_or_dead(rx)?.ok_or_else(|| ActorError::Protocol("the actor system stopped".into()))
    }

    /// Every VM's lifecycle state now.
    pub fn status(&mut self) -> Result<Vec<Lifecycle>, ActorError> {
        Ok(self.clock()?.lifecycles.to_vec())
    }

    fn clock(&mut self) -> Result<Clock, ActorError> {
        self.alive()?;
        let (tx, rx) = bounded(1);
        self.coordinator.do_send(TakeClock { reply: tx });
        self.wait(&rx)
    }

    /// The whole run's state as an engine simulation, taken between ticks: its host's side
    /// ([`ActorRuntime::host_state`]) and its cells ([`ActorRuntime::cells`]), each cell
    /// becoming a VM as it comes ([`Restorer`]), so that the actors, the cells and the
    /// simulation are never all held at once.
    pub fn snapshot(&mut self) -> Result<Simulation, ActorError> {
        let mut host = self.host_state()?;
        let allocations = std::mem::take(&mut host.allocations);
        let mut restorer = Restorer::new((*self.scenario).clone(), host);
        self.cells(|i, cell| {
            restorer.push(allocations[i], cell);
            Ok::<(), ActorError>(())
        })?;
        restorer.finish().map_err(ActorError::Simulation)
    }

    /// The host's side of the run now, between ticks: the tick, each VM's allocation, the
    /// scheduler's state, the digest, the timeline's position, the commands, the origin.
    pub fn host_state(&mut self) -> Result<HostState, ActorError> {
        let clock = self.clock()?;
        let (tx, rx) = bounded(1);
        self.scheduler.do_send(TakeHypervisor { reply: tx });
        let hypervisor = self.wait(&rx)?;
        Ok(HostState {
            tick: clock.tick,
            allocations: (*clock.allocations).clone(),
            hypervisor,
            digest: clock.digest,
            next_event: clock.next_event,
            commands: clock.commands,
            origin: self.origin,
        })
    }

    /// Hands each VM's cell now (between ticks), in VM order, to `each` with its index:
    /// the VMs are asked a batch of 4,096 at a time, so that a checkpoint, a snapshot or a
    /// summary never needs every cell at once. Stops at `each`'s first error.
    pub fn cells<E: From<ActorError>>(&mut self, mut each: impl FnMut(usize, Cell) -> Result<(), E>) -> Result<(), E> {
        let lifecycles = self.clock()?.lifecycles;
        let mut remote = None;
        let n = self.vms.len();
        for start in (0..n).step_by(SNAPSHOT_BATCH) {
            let batch = start..(start + SNAPSHOT_BATCH).min(n);
            let cells = self.cells_of(batch.clone(), &mut remote)?;
            for (i, mut cell) in batch.zip(cells) {
                cell.lifecycle = lifecycles[i];
                each(i, cell)?;
            }
        }
        Ok(())
    }

    /// The cells of the VMs in `batch`, in order: the local ones asked of their actors,
    /// the remote ones taken from their block's cells (`remote`: the block being passed,
    /// fetched whole when the batch reaches it).
    fn cells_of(
        &mut self,
        batch: Range<usize>,
        remote: &mut Option<(usize, std::vec::IntoIter<Cell>)>,
    ) -> Result<Vec<Cell>, ActorError> {
        let (rx, asked) = ask_cells(self.vms[batch.clone()].iter().flatten());
        let mut local: Vec<Option<Cell>> = vec![None; batch.len()];
        for _ in 0..asked {
            let (i, cell) = self.wait(&rx)?;
            if let Some(slot) = (i as usize).checked_sub(batch.start).and_then(|k| local.get_mut(k)) {
                *slot = Some(cell);
            }
        }
        let mut cells = Vec::with_capacity(batch.len());
        for (i, cell) in batch.zip(local) {
            let cell = match (cell, &self.vms[i]) {
                (Some(cell), Some(_)) => Some(cell),
                (_, Some(_)) => None,
                (_, None) => self.remote_cell(i, remote)?,
            };
            cells.push(cell.ok_or_else(|| ActorError::Protocol("a VM did not report its state".into()))?);
        }
        Ok(cells)
    }

    /// The cell of remote VM `vm`, the next of its block's (`remote`, fetched when `vm`
    /// is the first of a block not fetched yet).
    fn remote_cell(
        &mut self,
        vm: usize,
        remote: &mut Option<(usize, std::vec::IntoIter<Cell>)>,
    ) -> Result<Option<Cell>, ActorError> {
        let k = self.remote.iter().position(|(vms, _)| vms.contains(&vm));
        let k = k.ok_or_else(|| ActorError::Protocol(format!("VM #{vm} is nowhere")))?;
        if remote.as_ref().is_none_or(|(fetched, _)| *fetched != k) {
            *remote = Some((k, self.remote_cells(k)?.into_iter()));
        }
        Ok(remote.as_mut().and_then(|(_, cells)| cells.next()))
    }

    /// Fault injection (`fault-injection` feature): the actor at `site` fails on its next
    /// tick, inside its guarded work ([`Failure::Caught`](crate::guard::Failure)) or in its
    /// handler itself ([`Failure::Fatal`](crate::guard::Failure)).
    #[cfg(feature = "fault-injection")]
    pub fn inject(&self, site: Site, failure: crate::guard::Failure) {
        let m = crate::guard::Inject(failure);
        match site {
            Site::Vm(vm) => self.vms.get(vm as usize).into_iter().flatten().for_each(|a| a.do_send(m)),
            Site::Relay(r) => self.relays.get(r as usize).into_iter().for_each(|a| a.do_send(m)),
            Site::Scheduler => self.scheduler.do_send(m),
            Site::Coordinator => self.coordinator.do_send(m),
        }
    }

    /// Stops every actor and joins every thread.
    pub fn stop(mut self) {
        self.system.shutdown();
    }
}

/// Mailbox capacity of a VM actor (actix's default). Only a bound for `send`; a VM's
/// messages (cell changes, requests for its cell) use `do_send`, and its grants come on its
/// relay's board, not through the mailbox.
const MAILBOX_CAPACITY: usize = 16;

/// Creates the actors: the coordinator and the scheduler on the system thread, the VM
/// actors in contiguous blocks over the worker arbiters, each block with its relay, and
/// the remote blocks' proxies.
fn build(
    scenario: Arc<Scenario>,
    programs: Vec<Arc<Program>>,
    host: HostState,
    cells: Vec<Vm>,
    workers: &[Arbiter],
    slots: Vec<Slot>,
    alarm: &Arc<Alarm>,
) -> Started {
    let latest: Vec<VmRecord> = cells.iter().enumerate().map(|(i, vm)| VmRecord::of(i, vm, None, None)).collect();
    let demands = cells.iter().map(|vm| vm.next_demand()).collect();
    let clock = Clock {
        tick: host.tick,
        lifecycles: Arc::new(cells.iter().map(|vm| vm.lifecycle).collect()),
        allocations: Arc::new(host.allocations),
        next_event: host.next_event,
        digest: host.digest,
        commands: host.commands,
    };
    let (tick, count) = (host.tick, cells.len());
    let relay_of: Vec<usize> = slots.iter().enumerate().flat_map(|(r, slot)| slot.vms().map(move |_| r)).collect();
    let hypervisor = host.hypervisor;
    let units: Vec<usize> = programs.iter().map(|p| p.units()).collect();
    let installed: Vec<Vec<u32>> = cells.iter().map(|v| v.installed().to_vec()).collect();
    let members = cells.into_iter().zip(programs).zip(latest).map(|((vm, p), l)| (vm, p, l)).collect();
    let mut started = None;
    let coordinator = Coordinator::create(|cctx| {
        let to_coordinator = cctx.address().recipient();
        let scheduler = SchedulerActor::new(scenario.clone(), hypervisor, demands, to_coordinator, alarm).start();
        let (recipients, relays, remote, local) =
            start_relays(&scenario, tick, members, slots, workers, &scheduler, alarm);
        let mut vms: Vec<Option<Addr<VmActor>>> = vec![None; count];
        for (vm, addr) in start_vm_actors(scenario.tick_seconds, local) {
            vms[vm] = Some(addr);
        }
        // Sent before any tick can start (the coordinator starts ticks only when asked by
        // the handle, which waits for this function to return).
        scheduler.do_send(SetRelays { relays: recipients, relay_of });
        let mut c = Coordinator::new(scenario.clone(), clock, units, installed, alarm);
        c.set_scheduler(scheduler.clone());
        started = Some((scheduler, relays, vms, remote));
        c
    });
    let (scheduler, relays, vms, remote) = started.expect("created above");
    Started { coordinator, scheduler, relays, vms, remote }
}

/// Each slot's relay: a local relay on its arbiter (its block of VMs and their latest
/// records set aside for [`start_vm_actors`]), or a remote block's proxy, given its cells.
/// Returns the relays' recipients in slot order, the local relays, the remote blocks and
/// the local blocks.
fn start_relays(
    scenario: &Arc<Scenario>,
    tick: u64,
    members: Vec<(Vm, Arc<Program>, VmRecord)>,
    slots: Vec<Slot>,
    workers: &[Arbiter],
    scheduler: &Addr<SchedulerActor>,
    alarm: &Arc<Alarm>,
) -> RelaysStarted {
    let mut members: Vec<Option<(Vm, Arc<Program>, VmRecord)>> = members.into_iter().map(Some).collect();
    let (mut recipients, mut relays, mut remote, mut local) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (r, slot) in slots.into_iter().enumerate() {
        let to_scheduler = scheduler.clone().recipient();
        match slot {
            Slot::Local { arbiter, vms } => {
                let alarm = alarm.clone();
                let worker = workers[arbiter].handle();
                let relay = Relay::start_in_arbiter(&worker, move |_| Relay::new(r as u32, to_scheduler, true, &alarm));
                let (block, block_latest) = members[vms.clone()]
                    .iter_mut()
                    .flat_map(Option::take)
                    .map(|(vm, program, latest)| ((vm, program), latest))
                    .unzip();
                recipients.push(relay.clone().recipient());
                local.push((relay.clone(), vms.start, block, block_latest));
                relays.push(relay);
            }
            Slot::Remote { vms, block } => {
                let (cells, latest) = members[vms.clone()]
                    .iter_mut()
                    .flat_map(Option::take)
                    .map(|(vm, _, latest)| (vm.cell(), latest))
                    .unzip();
                let setup = BlockSetup {
                    relay: r as u32,
                    vms: vms.start as u32..vms.end as u32,
                    tick,
                    scenario: scenario.clone(),
                    cells,
                    latest,
                    reports: to_scheduler,
                };
                let proxy = block.serve(setup);
                recipients.push(proxy.grants);
                remote.push((vms, proxy.cells));
            }
        }
    }
    (recipients, relays, remote, local)
}

/// What [`start_relays`] returns.
type RelaysStarted =
    (Vec<Recipient<GrantBatch>>, Vec<Addr<Relay>>, Vec<(Range<usize>, Recipient<TakeCells>)>, Vec<LocalBlock>);

/// `items` cut into the contiguous `blocks`, in order.
pub(crate) fn split_by<T>(mut items: Vec<T>, blocks: &[Range<usize>]) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = blocks.iter().rev().map(|b| items.split_off(b.start)).collect();
    out.reverse();
    out
}

/// A local relay's block: its relay, its first VM's index, its VMs with their programs and
/// their latest records.
pub(crate) type LocalBlock = (Addr<Relay>, usize, Vec<(Vm, Arc<Program>)>, Vec<VmRecord>);

/// Has each block's relay start its VMs' actors on its arbiter, reporting to it; returns
/// each VM's index and address. The mailboxes are made here, in VM order; the actors on
/// their arbiter ([`SetVms`]).
pub(crate) fn start_vm_actors(tick_seconds: f64, blocks: Vec<LocalBlock>) -> Vec<(usize, Addr<VmActor>)> {
    let mut addresses = Vec::new();
    for (relay, first, members, latest) in blocks {
        let (senders, mailboxes): (Vec<_>, Vec<_>) =
            (0..members.len()).map(|_| channel::channel::<VmActor>(MAILBOX_CAPACITY)).unzip();
        let vms: Vec<Addr<VmActor>> = senders.into_iter().map(Addr::new).collect();
        let first_vm = first as u32;
        relay.do_send(SetVms { first: first_vm, members, mailboxes, vms: vms.clone(), latest, tick_seconds });
        addresses.extend(vms.into_iter().enumerate().map(|(k, a)| (first + k, a)));
    }
    addresses
}
