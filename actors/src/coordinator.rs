//! The clock: applies the timeline at tick boundaries, starts each tick at the scheduler,
//! and turns the scheduler's reports into the engine's tick record and digest.

use crate::ActorError;
use crate::messages::{Block, Fault, StartTick, TickDone};
use crate::scheduler_actor::SchedulerActor;
use actix::{Actor, Addr, Context, Handler, Message};
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::record::{TickRecord, digest_chain_pieces};
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
    /// The lifecycles as the actors see them this tick (a copy of the clock's, shared).
    lifecycles: Arc<Vec<Lifecycle>>,
    scheduler: Option<Addr<SchedulerActor>>,
    reply: Option<Sender<StepResult>>,
    /// Reused encoding buffer for the record's head.
    head_bytes: Vec<u8>,
}

impl Coordinator {
    /// A coordinator at `clock`.
    pub fn new(scenario: Arc<Scenario>, clock: Clock) -> Coordinator {
        let lifecycles = Arc::new(clock.lifecycles.clone());
        Coordinator { scenario, clock, lifecycles, scheduler: None, reply: None, head_bytes: Vec::new() }
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

    /// Chains the tick into the digest from its pieces — the head, then each block's
    /// encoded records in VM order: the same bytes as the whole record's encoding — and
    /// assembles the record.
    fn complete(&mut self, head: TickRecord, blocks: Vec<Block>) -> (TickRecord, [u8; 32]) {
        let vm_count = blocks.iter().map(|b| b.records.len()).sum();
        self.head_bytes.clear();
        TickRecord::encode_head_into(head.tick, head.pool, head.atp_store, vm_count, &mut self.head_bytes);
        let mut vms = Vec::with_capacity(vm_count);
        for b in &blocks {
            vms.extend_from_slice(&b.records);
        }
        let pieces = std::iter::once(self.head_bytes.as_slice()).chain(blocks.iter().map(|b| b.bytes.as_slice()));
        self.clock.digest = digest_chain_pieces(&self.clock.digest, pieces);
        self.clock.tick += 1;
        (TickRecord { vms, ..head }, self.clock.digest)
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
            self.lifecycles = Arc::new(c.lifecycles.clone());
        }
        let start =
            StartTick { tick, lifecycles: self.lifecycles.clone(), allocations: self.clock.allocations.clone() };
        match &self.scheduler {
            Some(s) => s.do_send(start),
            None => self.reply(Err(ActorError::Protocol("no scheduler".into()))),
        }
    }
}

impl Handler<TickDone> for Coordinator {
    type Result = ();

    fn handle(&mut self, m: TickDone, _: &mut Context<Self>) {
        let result = match m.blocks {
            Err(Fault::Panicked(f)) => {
                Err(ActorError::VmPanicked { vm: self.vm_name(f.vm), tick: f.tick, message: f.message })
            }
            Err(Fault::Silent { tick, vm }) => {
                Err(ActorError::Protocol(format!("tick {tick}: no report from VM `{}`", self.vm_name(vm))))
            }
            Ok(blocks) => Ok(self.complete(m.head, blocks)),
        };
        self.reply(result);
    }
}

impl Coordinator {
    /// The id of VM `index`, for errors.
    fn vm_name(&self, index: u32) -> String {
        self.scenario.vms.get(index as usize).map_or_else(|| index.to_string(), |v| v.id.clone())
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
                .map(|()| self.lifecycles = Arc::new(self.clock.lifecycles.clone()))
                .map_err(ActorError::Lifecycle)
        };
        let _ = m.reply.send(result);
    }
}
