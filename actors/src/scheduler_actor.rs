//! The scheduler: owns the chassis' ATP store, the policy and the scheduler's stream (the
//! engine's [`Hypervisor`]), rations each tick and collects the VMs' reports.
//!
//! Grants go out and reports come back in one batch per arbiter (see [`crate::relay`]).
//! Why arrival order cannot matter: each relay puts its block of VMs in VM order, blocks
//! land in slots indexed by relay, and next demands in slots indexed by VM; demands are
//! read in VM order; a tick is rationed only after every report of the previous tick is in
//! (the coordinator may send tick t+1 early, but it waits in a queue until tick t is done).

use crate::guard::{self, Alarm, Failure, Sabotage, Tripwire};
use crate::messages::{Block, Failed, Fault, Grant, GrantBatch, ReportBatch, Site, StartTick, TickDone};
use actix::{Actor, Context, Handler, Recipient};
use bioxen_engine::hypervisor::Hypervisor;
use bioxen_engine::resources::Resources;
use bioxen_engine::scenario::Scenario;
use bioxen_engine::tick::{self, TickHead};
use std::collections::VecDeque;
use std::sync::Arc;

/// A tick in progress.
struct Pending {
    head: TickHead,
    /// Relays that have not yet reported.
    batches_left: usize,
    /// Each relay's block, by relay.
    blocks: Vec<Option<Block>>,
    fault: Option<Fault>,
}

/// The scheduler actor.
pub struct SchedulerActor {
    /// Rings the runtime's alarm if this actor dies (see [`crate::guard`]). The first
    /// field, so it is dropped — and rings — before anything the actor holds, such as a
    /// reply channel whose closing the handle would otherwise see first.
    _tripwire: Tripwire,
    scenario: Arc<Scenario>,
    hypervisor: Hypervisor,
    /// Each VM's demand for its next running tick (from its last report or its creation).
    demands: Vec<Resources>,
    /// The relays, each behind a recipient (a local relay, or a proxy for a remote
    /// one: the scheduler cannot tell), which relay serves each VM, and each relay's
    /// contiguous block of VMs.
    relays: Vec<Recipient<GrantBatch>>,
    relay_of: Vec<usize>,
    blocks: Vec<std::ops::Range<usize>>,
    coordinator: Recipient<TickDone>,
    pending: Option<Pending>,
    /// Ticks the coordinator sent ahead, started the moment the one in progress is done,
    /// so that no round trip to the coordinator sits between two ticks.
    queued: VecDeque<StartTick>,
    /// The fault that broke the run: every later tick is answered with it, so that each
    /// `StartTick` gets exactly one `TickDone`.
    broken: Option<Fault>,
    /// Per relay, the grants and demands lists it sent back, emptied, to fill again.
    spare_grants: Vec<Vec<(u32, Grant)>>,
    spare_demands: Vec<Vec<(u32, Resources)>>,
    /// Phase 2's slots, one per VM (its demand, then its grant), reused tick after tick.
    slots: Vec<Option<Resources>>,
    sabotage: Sabotage,
}

impl SchedulerActor {
    /// A scheduler for `scenario` in `hypervisor`'s state; `demands` are the VMs' next demands.
    pub fn new(
        scenario: Arc<Scenario>,
        hypervisor: Hypervisor,
        demands: Vec<Resources>,
        coordinator: Recipient<TickDone>,
        alarm: &Arc<Alarm>,
    ) -> SchedulerActor {
        SchedulerActor {
            scenario,
            hypervisor,
            demands,
            relays: Vec::new(),
            relay_of: Vec::new(),
            blocks: Vec::new(),
            coordinator,
            pending: None,
            queued: VecDeque::new(),
            broken: None,
            spare_grants: Vec::new(),
            spare_demands: Vec::new(),
            slots: Vec::new(),
            _tripwire: Tripwire::new(alarm, Site::Scheduler),
            sabotage: Sabotage::default(),
        }
    }

    fn finish_if_complete(&mut self) {
        let Some(p) = &self.pending else { return };
        if p.batches_left > 0 {
            return;
        }
        let p = self.pending.take().expect("checked above");
        let blocks = match p.fault {
            Some(f) => {
                self.broken = Some(f.clone());
                Err(f)
            }
            None => Ok(p.blocks.into_iter().map(Option::unwrap_or_default).collect()),
        };
        self.coordinator.do_send(TickDone { head: p.head, blocks });
    }

    /// Starts queued ticks while none is in progress. Once rationing has panicked, every
    /// tick is answered with that fault, so each `StartTick` gets exactly one `TickDone`.
    fn start_queued(&mut self) {
        while self.pending.is_none() {
            let Some(m) = self.queued.pop_front() else { return };
            let tick = m.tick;
            if self.broken.is_none() {
                let this = &mut *self;
                if let Err(message) = guard::catch(|| this.start(m)) {
                    self.pending = None;
                    self.broken = Some(Fault::Panicked(Failed { tick, site: Site::Scheduler, message }));
                }
            }
            if let Some(f) = &self.broken
                && self.pending.is_none()
            {
                let head = TickHead { tick, ..TickHead::default() };
                self.coordinator.do_send(TickDone { head, blocks: Err(f.clone()) });
            }
        }
    }

    /// Rations tick `m` (phase 2 of [`bioxen_engine::tick`]) and sends every relay its
    /// grants.
    fn start(&mut self, m: StartTick) {
        self.sabotage.strike(Failure::Caught);
        self.slots.clear();
        self.slots.extend(m.lifecycles.iter().zip(&self.demands).map(|(&state, &d)| tick::demand(state, d)));
        let head =
            tick::ration(&self.scenario, &mut self.hypervisor, m.tick, m.events, &mut self.slots, &m.allocations);
        // One batch per relay, in VM order; every relay gets one, since it also records
        // its idle VMs. (There is always at least one relay, so the tick completes when
        // they have all reported.)
        let relays = self.relays.len();
        self.spare_grants.resize_with(relays, Vec::new);
        self.spare_demands.resize_with(relays, Vec::new);
        let mut batches: Vec<Vec<(u32, Grant)>> = self.spare_grants.iter_mut().map(std::mem::take).collect();
        // A VM that runs has a grant in its slot, for the demand it made.
        for (i, (grant, demand)) in self.slots.iter().zip(&self.demands).enumerate() {
            if let Some(grant) = grant {
                batches[self.relay_of[i]].push((i as u32, Grant { tick: m.tick, demand: *demand, grant: *grant }));
            }
        }
        self.pending = Some(Pending { head, batches_left: relays, blocks: vec![None; relays], fault: None });
        let mut spare = m.spare;
        for (r, ((relay, grants), demands)) in self.relays.iter().zip(batches).zip(&mut self.spare_demands).enumerate()
        {
            // Each relay learns its own VMs' lifecycles only: what crosses to a remote
            // relay grows with its VMs, not with the run's.
            let lifecycles = self.blocks.get(r).and_then(|b| m.lifecycles.get(b.clone())).unwrap_or_default().to_vec();
            // Switches are rare: a relay's are picked out only when there are any (an empty
            // collect allocates nothing).
            let relay_of = &self.relay_of;
            let changes = m.changes.iter().filter(|s| relay_of.get(s.vm as usize) == Some(&r)).cloned().collect();
            relay.do_send(GrantBatch {
                tick: m.tick,
                grants,
                lifecycles,
                changes,
                spare_block: spare.pop().unwrap_or_default(),
                spare_demands: std::mem::take(demands),
            });
        }
    }
}

impl Actor for SchedulerActor {
    type Context = Context<Self>;
}

impl Handler<StartTick> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, m: StartTick, _: &mut Context<Self>) {
        self.sabotage.strike(Failure::Fatal);
        self.queued.push_back(m);
        self.start_queued();
    }
}

impl Handler<ReportBatch> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, m: ReportBatch, _: &mut Context<Self>) {
        let relay = m.relay as usize;
        let Some(p) = self.pending.as_mut().filter(|p| p.head.tick == m.tick && p.blocks.get(relay) == Some(&None))
        else {
            tracing::error!(tick = m.tick, relay = m.relay, "unexpected report batch ignored");
            return;
        };
        let mut demands = m.demands;
        for (vm, demand) in demands.drain(..) {
            if let Some(d) = self.demands.get_mut(vm as usize) {
                *d = demand;
            }
        }
        if let (Some(g), Some(d)) = (self.spare_grants.get_mut(relay), self.spare_demands.get_mut(relay)) {
            (*g, *d) = (m.spent_grants, demands);
        }
        if let Some(f) = m.fault {
            Fault::keep_lowest(&mut p.fault, f);
        }
        p.blocks[relay] = Some(m.block);
        p.batches_left -= 1;
        self.finish_if_complete();
        self.start_queued();
    }
}

/// Builder → scheduler: the relays, and which serves each VM.
#[derive(actix::Message)]
#[rtype(result = "()")]
pub struct SetRelays {
    /// The relays, in block order (their blocks are in VM order): local relays, or proxies
    /// of remote ones.
    pub relays: Vec<Recipient<GrantBatch>>,
    /// The relay of each VM: non-decreasing, so that each relay serves a contiguous
    /// block.
    pub relay_of: Vec<usize>,
}

impl Handler<SetRelays> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, m: SetRelays, _: &mut Context<Self>) {
        let of = &m.relay_of;
        self.blocks =
            (0..m.relays.len()).map(|r| of.partition_point(|&x| x < r)..of.partition_point(|&x| x <= r)).collect();
        (self.relays, self.relay_of) = (m.relays, m.relay_of);
    }
}

/// Ask the scheduler for its state (checkpoints); it answers on the channel.
#[derive(actix::Message)]
#[rtype(result = "()")]
pub struct TakeHypervisor {
    /// Where to send it.
    pub reply: crossbeam_channel::Sender<Hypervisor>,
}

impl Handler<TakeHypervisor> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, m: TakeHypervisor, _: &mut Context<Self>) {
        let _ = m.reply.send(self.hypervisor.clone());
    }
}

#[cfg(feature = "fault-injection")]
impl Handler<guard::Inject> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, m: guard::Inject, _: &mut Context<Self>) {
        self.sabotage.arm(m.0);
    }
}
