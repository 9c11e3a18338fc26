//! The clock: applies the timeline at tick boundaries, starts each tick at the scheduler,
//! and turns the scheduler's reports into the engine's tick record and digest.
//!
//! Ticks are pipelined within a [`Run`]: the coordinator keeps [`AHEAD`] ticks at the
//! scheduler — one running, the next queued with its events already applied — so that the
//! scheduler starts tick t+1 the moment tick t's last report is in, without a round trip
//! here. Meanwhile this thread hashes tick t and hands its record over, and the handle
//! writes t's trace. Nothing about t+1 depends on that bookkeeping: the timeline is fixed,
//! so t+1's lifecycles and allocations are known before t ends, and its demands are read
//! by the scheduler from t's reports.

use crate::ActorError;
use crate::error::actor_name;
use crate::guard::{self, Alarm, Failure, Sabotage, Tripwire};
use crate::messages::{Block, Fault, Site, StartTick, TickDone, VmChange};
use crate::scheduler_actor::SchedulerActor;
use actix::{Actor, Addr, Context, Handler, Message};
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::package::Package;
use bioxen_engine::record::{EventRecord, TickRecord, VmRecord};
use bioxen_engine::scenario::Action;
use bioxen_engine::scenario::{Allocation, Scenario};
use bioxen_engine::schedule;
use bioxen_engine::schedule::Scheduled;
use bioxen_engine::tick::{self, CellChange, Cells, Lifecycles, TickHead, apply_due_events, apply_transition};
use crossbeam_channel::{Receiver, Sender};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A tick's record and the digest after it, or why the tick failed.
pub type StepResult = Result<(TickRecord, [u8; 32]), ActorError>;

/// What the coordinator keeps of a run (and gives back for checkpoints).
#[derive(Clone, Debug)]
pub struct Clock {
    /// Next tick to run.
    pub tick: u64,
    /// Each VM's lifecycle: the authoritative copy (VM actors only advance when granted).
    /// Shared with the scheduler and relays for the tick in progress.
    pub lifecycles: Arc<Vec<Lifecycle>>,
    /// Each VM's allocation.
    pub allocations: Arc<Vec<Allocation>>,
    /// Next timeline event.
    pub next_event: usize,
    /// Digest so far.
    pub digest: [u8; 32],
    /// Commands given since the last tick (already applied), for the next tick's record.
    pub commands: Vec<EventRecord>,
}

/// The coordinator's view of the cells in phase 1: it keeps their lifecycles, their
/// transcription units and packages (to check scheduled events), and forwards cell
/// changes, with the tick, to the cells in their VM actors.
struct Mirror<'a> {
    lifecycles: &'a mut [Lifecycle],
    units: &'a mut [usize],
    installed: &'a mut [Vec<u32>],
    changes: &'a mut Vec<VmChange>,
}

impl Lifecycles for Mirror<'_> {
    fn lifecycle_mut(&mut self, vm: usize) -> Option<&mut Lifecycle> {
        self.lifecycles.get_mut(vm)
    }
}

impl Cells for Mirror<'_> {
    fn change(&mut self, vm: usize, change: CellChange) -> bool {
        let exists = vm < self.lifecycles.len();
        if exists {
            if let CellChange::Install { index, package } = &change
                && let (Some(units), Some(installed)) = (self.units.get_mut(vm), self.installed.get_mut(vm))
            {
                *units += package.promoters.len();
                installed.push(*index);
            }
            self.changes.push(VmChange { vm: vm as u32, change });
        }
        exists
    }
}

/// Ticks a run keeps at the scheduler: one in progress and one queued behind it.
pub const AHEAD: u32 = 2;

/// The run in progress: where its records go and how many ticks it still wants.
struct Running {
    reply: Sender<StepResult>,
    /// Ticks still to start.
    to_start: u64,
    /// Ticks sent to the scheduler and not yet done.
    in_flight: u32,
    /// Why the run failed; sent once no tick is in flight.
    failure: Option<ActorError>,
    /// Set by the handle to stop after the tick in flight.
    stop: Arc<AtomicBool>,
    /// Records' VM lists the handle is done with, to fill again.
    recycled: Receiver<Vec<VmRecord>>,
}

/// The coordinator actor.
pub struct Coordinator {
    /// Rings the runtime's alarm if this actor dies (see [`crate::guard`]). The first
    /// field, so it is dropped — and rings — before anything the actor holds, such as a
    /// reply channel whose closing the handle would otherwise see first.
    _tripwire: Tripwire,
    scenario: Arc<Scenario>,
    clock: Clock,
    /// Each VM's number of transcription units, for checking scheduled changes.
    units: Vec<usize>,
    /// Each VM's installed packages, for checking scheduled installs.
    installed: Vec<Vec<u32>>,
    /// The next tick to start: ahead of `clock.tick` (the next to complete) while ticks
    /// are in flight, equal between runs. The clock's lifecycles and allocations are those
    /// of the tick before this one.
    next_start: u64,
    scheduler: Option<Addr<SchedulerActor>>,
    run: Option<Running>,
    /// Reused encoding buffer for the record's head.
    head_bytes: Vec<u8>,
    /// Blocks of a finished tick, emptied, to go back to the relays with the next tick.
    spare: Vec<Block>,
    /// Set when the coordinator's own work panicked: every later run fails with it.
    broken: Option<(u64, String)>,
    sabotage: Sabotage,
}

impl Coordinator {
    /// A coordinator at `clock`.
    pub fn new(
        scenario: Arc<Scenario>,
        clock: Clock,
        units: Vec<usize>,
        installed: Vec<Vec<u32>>,
        alarm: &Arc<Alarm>,
    ) -> Coordinator {
        let next_start = clock.tick;
        Coordinator {
            scenario,
            clock,
            units,
            installed,
            next_start,
            scheduler: None,
            run: None,
            head_bytes: Vec::new(),
            spare: Vec::new(),
            broken: None,
            _tripwire: Tripwire::new(alarm, Site::Coordinator),
            sabotage: Sabotage::default(),
        }
    }

    /// The error a panic in the coordinator's own work became.
    fn broken_error(&self) -> Option<ActorError> {
        self.broken.as_ref().map(|(tick, message)| ActorError::Panicked {
            actor: "coordinator".into(),
            tick: *tick,
            message: message.clone(),
        })
    }

    /// Connects the scheduler (created after the coordinator, which it reports to).
    pub fn set_scheduler(&mut self, scheduler: Addr<SchedulerActor>) {
        self.scheduler = Some(scheduler);
    }

    /// Applies the next tick's events (phase 1 of [`bioxen_engine::tick`]) and sends it to
    /// the scheduler.
    fn start_tick(&mut self) -> Result<(), ActorError> {
        let tick = self.next_start;
        let (scenario, c, sabotage) = (&self.scenario, &mut self.clock, &mut self.sabotage);
        let (units, installed) = (&mut self.units, &mut self.installed);
        // The engine's refusal, checked here too: phase 1 below runs only on ticks with events.
        if let Some(script) = scenario.script_due(tick) {
            return Err(ActorError::Simulation(bioxen_engine::sim::SimError::ScriptDue {
                tick,
                name: script.name.clone(),
            }));
        }
        let mut events = std::mem::take(&mut c.commands);
        let mut changes = Vec::new();
        // Only then: the lifecycles and allocations are shared with ticks in flight, and
        // making them mutable copies them.
        if scenario.events.get(c.next_event).is_some_and(|e| e.tick <= tick) {
            let applied = guard::catch(|| {
                sabotage.strike(Failure::Caught);
                let mut cells = Mirror {
                    lifecycles: Arc::make_mut(&mut c.lifecycles).as_mut_slice(),
                    units: units.as_mut_slice(),
                    installed: installed.as_mut_slice(),
                    changes: &mut changes,
                };
                apply_due_events(
                    scenario,
                    &mut c.next_event,
                    tick,
                    &mut cells,
                    Arc::make_mut(&mut c.allocations).as_mut_slice(),
                    &mut events,
                )
            });
            match applied {
                Ok(result) => result?,
                Err(message) => {
                    self.broken = Some((tick, message));
                    return Err(self.broken_error().expect("just set"));
                }
            }
        }
        let start = StartTick {
            tick,
            events,
            lifecycles: c.lifecycles.clone(),
            allocations: c.allocations.clone(),
            changes,
            spare: std::mem::take(&mut self.spare),
        };
        let scheduler = self.scheduler.as_ref().ok_or_else(|| ActorError::Protocol("no scheduler".into()))?;
        scheduler.do_send(start);
        self.next_start += 1;
        Ok(())
    }

    /// Keeps the run's pipeline full: starts ticks while fewer than [`AHEAD`] are in
    /// flight and the run wants more; ends the run when nothing is left in flight.
    fn top_up(&mut self) {
        loop {
            let Some(run) = self.run.as_mut() else { return };
            let wanted = run.failure.is_none()
                && run.to_start > 0
                && !run.stop.load(Ordering::Acquire)
                && self.next_start < self.scenario.ticks;
            if !wanted || run.in_flight >= AHEAD {
                break;
            }
            run.to_start -= 1;
            match self.start_tick() {
                Ok(()) => self.run.as_mut().expect("checked above").in_flight += 1,
                Err(e) => self.run.as_mut().expect("checked above").failure = Some(e),
            }
        }
        if self.run.as_ref().is_some_and(|r| r.in_flight == 0) {
            // Dropping the channel tells the handle that no tick is in flight.
            let run = self.run.take().expect("checked above");
            if let Some(e) = run.failure {
                let _ = run.reply.send(Err(e));
            }
        }
    }

    /// Sends a record to the run's handle. A handle that is gone wants no more ticks.
    fn send(&mut self, result: StepResult) {
        if let Some(run) = self.run.as_mut()
            && run.reply.send(result).is_err()
        {
            run.to_start = 0;
        }
    }

    /// Phase 4 ([`tick::finish`]): chains the tick into the digest from the head and the
    /// blocks, in relay (hence VM) order, and assembles the record.
    fn complete(&mut self, head: TickHead, mut blocks: Vec<Block>) -> (TickRecord, [u8; 32]) {
        self.sabotage.strike(Failure::Caught);
        let vms = self.run.as_ref().and_then(|r| r.recycled.try_recv().ok()).unwrap_or_default();
        let mut record = TickRecord { vms, ..TickRecord::default() };
        tick::finish(&mut self.clock.digest, head, &blocks, &mut self.head_bytes, &mut record);
        blocks.iter_mut().for_each(Block::clear);
        self.spare = blocks;
        (record, self.clock.digest)
    }

    /// The id of VM `index`, for errors.
    fn vm_name(&self, index: u32) -> String {
        self.scenario.vms.get(index as usize).map_or_else(|| format!("#{index}"), |v| v.id.clone())
    }

    /// The error a tick's fault becomes, naming the actor by its VM's id where it is one.
    fn fault_error(&self, fault: Fault) -> ActorError {
        match fault {
            Fault::Panicked(f) => match f.site {
                Site::Vm(vm) => ActorError::VmPanicked { vm: self.vm_name(vm), tick: f.tick, message: f.message },
                site => ActorError::Panicked {
                    actor: actor_name(site, |vm| self.vm_name(vm)),
                    tick: f.tick,
                    message: f.message,
                },
            },
            Fault::Lost { tick, host, message, .. } => ActorError::HostLost { host, tick, message },
            Fault::Silent { tick, vm } => {
                ActorError::Protocol(format!("tick {tick}: no report from VM `{}`", self.vm_name(vm)))
            }
        }
    }
}

impl Actor for Coordinator {
    type Context = Context<Self>;
}

/// Handle → coordinator: run up to `ticks` ticks, sending each record as it completes. The
/// coordinator drops `reply` when the run is over (all ticks run, stopped, or failed), so
/// the handle knows no tick is left in flight.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Run {
    /// How many ticks.
    pub ticks: u64,
    /// Where each record and the digest after it go.
    pub reply: Sender<StepResult>,
    /// Set by the handle to stop after the tick in flight.
    pub stop: Arc<AtomicBool>,
    /// Records' VM lists the handle is done with, to fill again.
    pub recycled: Receiver<Vec<VmRecord>>,
}

impl Handler<Run> for Coordinator {
    type Result = ();

    fn handle(&mut self, m: Run, _: &mut Context<Self>) {
        self.sabotage.strike(Failure::Fatal);
        if let Some(e) = self.broken_error() {
            let _ = m.reply.send(Err(e));
            return;
        }
        if self.clock.tick >= self.scenario.ticks {
            let _ = m.reply.send(Err(ActorError::Finished));
            return;
        }
        self.run = Some(Running {
            reply: m.reply,
            to_start: m.ticks,
            in_flight: 0,
            failure: None,
            stop: m.stop,
            recycled: m.recycled,
        });
        self.top_up();
    }
}

impl Handler<TickDone> for Coordinator {
    type Result = ();

    fn handle(&mut self, m: TickDone, _: &mut Context<Self>) {
        let Some(run) = self.run.as_mut() else {
            tracing::error!(tick = m.head.tick, "tick done outside a run ignored");
            return;
        };
        run.in_flight -= 1;
        let outcome = match m.blocks {
            Ok(blocks) if self.broken.is_none() => {
                let (this, tick) = (&mut *self, m.head.tick);
                guard::catch(|| this.complete(m.head, blocks)).map_err(|message| {
                    this.broken = Some((tick, message));
                    this.broken_error().expect("just set")
                })
            }
            Ok(_) => Err(self.broken_error().expect("checked by the arm above")),
            Err(fault) => Err(self.fault_error(fault)),
        };
        match outcome {
            Ok(done) => {
                self.clock.tick += 1;
                self.send(Ok(done));
            }
            // The first failure is the one to report (later ticks repeat it).
            Err(e) => {
                self.run.as_mut().expect("checked above").failure.get_or_insert(e);
            }
        }
        self.top_up();
    }
}

/// Handle → coordinator: send a copy of the clock.
#[derive(Message)]
#[rtype(result = "()")]
pub struct TakeClock {
    /// Where to send it.
    pub reply: Sender<Clock>,
}

impl Handler<TakeClock> for Coordinator {
    type Result = ();

    fn handle(&mut self, m: TakeClock, _: &mut Context<Self>) {
        let _ = m.reply.send(self.clock.clone());
    }
}

/// Handle → coordinator: a lifecycle command between ticks.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Command {
    /// VM index.
    pub vm: usize,
    /// What to do.
    pub transition: bioxen_engine::lifecycle::Transition,
    /// The outcome.
    pub reply: Sender<Result<(), ActorError>>,
}

impl Handler<Command> for Coordinator {
    type Result = ();

    fn handle(&mut self, m: Command, _: &mut Context<Self>) {
        let lifecycles = Arc::make_mut(&mut self.clock.lifecycles).as_mut_slice();
        let result = apply_transition(&self.scenario, lifecycles, m.vm, m.transition).map_err(ActorError::Lifecycle);
        if result.is_ok() {
            let action = bioxen_engine::scenario::Action::Lifecycle(m.transition);
            self.clock.commands.push(EventRecord { vm: m.vm as u32, action });
        }
        let _ = m.reply.send(result);
    }
}

/// Handle → coordinator: add events for the next tick to the timeline (between runs), all
/// or none, each checked where it lands ([`schedule::schedule_all`]).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Schedule {
    /// What to schedule, for which VM.
    pub items: Vec<(usize, Scheduled)>,
    /// Whether the items resolve the timeline script due at the next tick
    /// ([`schedule::resolve_script`]), which then leaves the timeline.
    pub resolves_script: bool,
    /// The actions added, and the packages added to the scenario for them.
    pub reply: Sender<Result<Added, ActorError>>,
}

/// What a [`Schedule`] added: the actions, and the packages new to the scenario.
pub type Added = (Vec<Action>, Vec<Package>);

impl Handler<Schedule> for Coordinator {
    type Result = ();

    fn handle(&mut self, m: Schedule, _: &mut Context<Self>) {
        let result = if self.run.is_some() {
            Err(ActorError::Protocol("an event scheduled while ticks are in flight".into()))
        } else {
            let c = &self.clock;
            let (units, installed) = (&self.units, &self.installed);
            let run = schedule::RunState {
                tick: c.tick,
                next_event: c.next_event,
                lifecycle: |i: usize| c.lifecycles.get(i).copied(),
                allocations: &c.allocations,
                units: &|vm| units.get(vm).copied().unwrap_or(0),
                installed: &|vm| installed.get(vm).cloned().unwrap_or_default(),
            };
            let scenario = Arc::make_mut(&mut self.scenario);
            let before = scenario.packages.len();
            let added = match m.resolves_script {
                true => schedule::resolve_script(scenario, &run, m.items),
                false => schedule::schedule_all(scenario, &run, m.items),
            };
            added.map(|actions| (actions, scenario.packages[before..].to_vec())).map_err(ActorError::Simulation)
        };
        let _ = m.reply.send(result);
    }
}

#[cfg(feature = "fault-injection")]
impl Handler<guard::Inject> for Coordinator {
    type Result = ();

    fn handle(&mut self, m: guard::Inject, _: &mut Context<Self>) {
        self.sabotage.arm(m.0);
    }
}
