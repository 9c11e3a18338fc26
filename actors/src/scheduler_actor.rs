//! The scheduler: owns the chassis' ATP store, the policy and the scheduler's stream (the
//! engine's [`Hypervisor`]), rations each tick and collects the VMs' reports.
//!
//! Grants go out and reports come back in one batch per arbiter (see [`crate::relay`]).
//! Why arrival order cannot matter: reports land in slots indexed by VM; demands are read
//! from those slots in VM order; a tick is rationed only after the previous tick's every
//! report is in (the coordinator starts tick t+1 only on `TickDone` for t), and its records
//! leave in VM order.

use crate::messages::{Failed, Grant, StartTick, TickDone};
use crate::relay::{GrantBatch, Relay, ReportBatch};
use crate::vm_actor::VmActor;
use actix::{Actor, Addr, Context, Handler, Recipient};
use bioxen_engine::hypervisor::Hypervisor;
use bioxen_engine::record::{TickRecord, VmRecord};
use bioxen_engine::resources::Resources;
use bioxen_engine::scenario::Scenario;
use std::sync::Arc;

/// A tick in progress.
struct Pending {
    head: TickRecord,
    /// Relays that were sent grants and have not yet reported.
    batches_left: usize,
    records: Vec<Option<VmRecord>>,
    failure: Option<Failed>,
}

/// The scheduler actor.
pub struct SchedulerActor {
    scenario: Arc<Scenario>,
    hypervisor: Hypervisor,
    /// Each VM's demand for its next running tick (from its last report or its creation).
    demands: Vec<Resources>,
    /// VM actors, by index.
    pub(crate) vms: Vec<Addr<VmActor>>,
    /// The relay of each arbiter, and which relay serves each VM.
    pub(crate) relays: Vec<Addr<Relay>>,
    pub(crate) relay_of: Vec<usize>,
    coordinator: Recipient<TickDone>,
    pending: Option<Pending>,
}

impl SchedulerActor {
    /// A scheduler for `scenario` in `hypervisor`'s state; `demands` are the VMs' next demands.
    pub fn new(
        scenario: Arc<Scenario>,
        hypervisor: Hypervisor,
        demands: Vec<Resources>,
        coordinator: Recipient<TickDone>,
    ) -> SchedulerActor {
        SchedulerActor {
            scenario,
            hypervisor,
            demands,
            vms: Vec::new(),
            relays: Vec::new(),
            relay_of: Vec::new(),
            coordinator,
            pending: None,
        }
    }

    fn finish_if_complete(&mut self) {
        let Some(p) = &self.pending else { return };
        if p.batches_left > 0 {
            return;
        }
        let p = self.pending.take().expect("checked above");
        let records = match p.failure {
            Some(f) => Err(f),
            None => Ok(p.records.into_iter().flatten().collect()),
        };
        self.coordinator.do_send(TickDone { head: p.head, records });
    }
}

impl Actor for SchedulerActor {
    type Context = Context<Self>;
}

impl Handler<StartTick> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, m: StartTick, _: &mut Context<Self>) {
        let pool = self.hypervisor.offer(&self.scenario.chassis, self.scenario.tick_seconds);
        let demands: Vec<Option<Resources>> =
            m.running.iter().zip(&self.demands).map(|(&running, d)| running.then_some(*d)).collect();
        let granted = self.hypervisor.ration(m.tick, pool, &demands, &m.allocations);
        let head = TickRecord { tick: m.tick, pool, atp_store: self.hypervisor.atp_store, vms: Vec::new() };
        // One batch per relay, in VM order.
        let mut batches: Vec<Vec<(u32, Grant)>> = vec![Vec::new(); self.relays.len()];
        for (i, (demand, grant)) in demands.iter().zip(&granted).enumerate() {
            if let (Some(demand), Some(grant)) = (demand, grant) {
                batches[self.relay_of[i]].push((i as u32, Grant { tick: m.tick, demand: *demand, grant: *grant }));
            }
        }
        let batches_left = batches.iter().filter(|b| !b.is_empty()).count();
        self.pending = Some(Pending { head, batches_left, records: vec![None; self.vms.len()], failure: None });
        for (relay, grants) in self.relays.iter().zip(batches) {
            if !grants.is_empty() {
                relay.do_send(GrantBatch { tick: m.tick, grants });
            }
        }
        self.finish_if_complete();
    }
}

impl Handler<ReportBatch> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, m: ReportBatch, _: &mut Context<Self>) {
        let Some(p) = self.pending.as_mut().filter(|p| p.head.tick == m.tick && p.batches_left > 0) else {
            tracing::error!(tick = m.tick, "unexpected report batch ignored");
            return;
        };
        for r in m.reports {
            let vm = r.record.vm as usize;
            // Slots by VM: the order reports arrived in cannot matter.
            if let Some(slot) = p.records.get_mut(vm).filter(|s| s.is_none()) {
                *slot = Some(r.record);
                self.demands[vm] = r.next_demand;
            }
        }
        if let Some(f) = m.failure {
            p.failure.get_or_insert(f);
        }
        p.batches_left -= 1;
        self.finish_if_complete();
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
