//! The clock: applies the timeline at tick boundaries, starts each tick at the scheduler,
//! and turns the scheduler's reports into the engine's tick record and digest.

use crate::ActorError;
use crate::messages::{StartTick, TickDone};
use crate::scheduler_actor::SchedulerActor;
use actix::{Actor, Addr, Context, Handler, Message};
use bioxen_engine::codec;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::record::{TickRecord, VmRecord, digest_chain};
use bioxen_engine::resources::Resources;
use bioxen_engine::scenario::{Allocation, Scenario};
use bioxen_engine::sim::{apply_due_events, apply_transition};
use crossbeam_channel::Sender;
use std::sync::Arc;

/// A tick's record and the digest after it, or why the tick failed.
pub type StepResult = Result<(TickRecord, [u8; 32]), ActorError>;

/// What the coordinator keeps of a run (and gives back for checkpoints).
#[derive(Clone, Debug)]
pub struct Clock {
    /// Next tick to run.
    pub tick: u64,
    /// Each VM's lifecycle: the authoritative copy (VM actors only advance when granted).
    pub lifecycles: Vec<Lifecycle>,
    /// Each VM's allocation.
    pub allocations: Arc<Vec<Allocation>>,
    /// Next timeline event.
    pub next_event: usize,
    /// Digest so far.
    pub digest: [u8; 32],
}

/// The coordinator actor.
pub struct Coordinator {
    scenario: Arc<Scenario>,
    clock: Clock,
    running: Arc<Vec<bool>>,
    /// Each VM's latest record: what a VM that does not run this tick reports (its cell
    /// cannot change while it does not run).
    latest: Vec<VmRecord>,
    scheduler: Option<Addr<SchedulerActor>>,
    reply: Option<Sender<StepResult>>,
    /// Reused encoding buffer for the digest.
    bytes: Vec<u8>,
}

impl Coordinator {
    /// A coordinator at `clock`, with each VM's current record.
    pub fn new(scenario: Arc<Scenario>, clock: Clock, latest: Vec<VmRecord>) -> Coordinator {
        let running = running_of(&clock.lifecycles);
        Coordinator { scenario, clock, running, latest, scheduler: None, reply: None, bytes: Vec::new() }
    }

    /// Connects the scheduler (created after the coordinator, which it reports to).
    pub fn set_scheduler(&mut self, scheduler: Addr<SchedulerActor>) {
        self.scheduler = Some(scheduler);
    }

    fn reply(&mut self, result: StepResult) {
        if let Some(r) = self.reply.take() {
            let _ = r.send(result);
        }
    }

    fn assemble(&mut self, head: TickRecord, records: Vec<VmRecord>) -> Result<TickRecord, ActorError> {
        let mut reported = records.into_iter();
        let mut vms = Vec::with_capacity(self.latest.len());
        for (i, &state) in self.clock.lifecycles.iter().enumerate() {
            if state == Lifecycle::Destroyed {
                continue;
            }
            if self.running[i] {
                let mut r = reported.next().filter(|r| r.vm as usize == i).ok_or_else(|| {
                    ActorError::Protocol(format!("tick {}: no report from VM `{}`", head.tick, self.scenario.vms[i].id))
                })?;
                // The lifecycle mirror is authoritative: VM actors are never told of
                // transitions, they only advance when granted.
                r.state = state;
                self.latest[i] = r;
                vms.push(r);
            } else {
                let r = &mut self.latest[i];
                (r.state, r.demand, r.grant) = (state, Resources::ZERO, Resources::ZERO);
                vms.push(*r);
            }
        }
        Ok(TickRecord { vms, ..head })
    }
}

impl Actor for Coordinator {
    type Context = Context<Self>;
}

/// Handle → coordinator: run one tick and send its record.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Step {
    /// Where the record and the digest after it go.
    pub reply: Sender<StepResult>,
}

impl Handler<Step> for Coordinator {
    type Result = ();

    fn handle(&mut self, m: Step, _: &mut Context<Self>) {
        self.reply = Some(m.reply);
        let tick = self.clock.tick;
        if tick >= self.scenario.ticks {
            return self.reply(Err(ActorError::Finished));
        }
        if self.scenario.events.get(self.clock.next_event).is_some_and(|e| e.tick <= tick) {
            let c = &mut self.clock;
            let applied = apply_due_events(
                &self.scenario,
                &mut c.next_event,
                tick,
                c.lifecycles.as_mut_slice(),
                Arc::make_mut(&mut c.allocations).as_mut_slice(),
            );
            if let Err(e) = applied {
                return self.reply(Err(ActorError::Simulation(e)));
            }
            self.running = running_of(&c.lifecycles);
        }
        let start = StartTick { tick, running: self.running.clone(), allocations: self.clock.allocations.clone() };
        match &self.scheduler {
            Some(s) => s.do_send(start),
            None => self.reply(Err(ActorError::Protocol("no scheduler".into()))),
        }
    }
}

impl Handler<TickDone> for Coordinator {
    type Result = ();

    fn handle(&mut self, m: TickDone, _: &mut Context<Self>) {
        let result = match m.records {
            Err(f) => Err(ActorError::VmPanicked {
                vm: self.scenario.vms.get(f.vm as usize).map_or_else(|| f.vm.to_string(), |v| v.id.clone()),
                tick: f.tick,
                message: f.message,
            }),
            Ok(records) => self.assemble(m.head, records),
        };
        let result = result.map(|record| {
            self.bytes.clear();
            codec::encode_into(&record, &mut self.bytes);
            self.clock.digest = digest_chain(&self.clock.digest, &self.bytes);
            self.clock.tick += 1;
            (record, self.clock.digest)
        });
        self.reply(result);
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
        let result = if m.vm >= self.clock.lifecycles.len() {
            Err(ActorError::Protocol(format!("no VM with index {}", m.vm)))
        } else {
            apply_transition(&self.scenario, self.clock.lifecycles.as_mut_slice(), m.vm, m.transition)
                .map(|()| self.running = running_of(&self.clock.lifecycles))
                .map_err(ActorError::Lifecycle)
        };
        let _ = m.reply.send(result);
    }
}

/// Which VMs run, by index: what the scheduler is told each tick.
fn running_of(lifecycles: &[Lifecycle]) -> Arc<Vec<bool>> {
    Arc::new(lifecycles.iter().map(|&l| l == Lifecycle::Running).collect())
}
