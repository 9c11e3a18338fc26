//! The scheduler: owns the chassis' ATP store, the policy and the scheduler's stream (the
//! engine's [`Hypervisor`]), rations each tick and collects the VMs' reports.
//!
//! Why arrival order cannot matter: reports land in slots indexed by VM; demands are read
//! from those slots in VM order; a tick is rationed only after the previous tick's every
//! report is in (the coordinator starts tick t+1 only on `TickDone` for t), and its records
//! leave in VM order.

use crate::messages::{Advanced, Failed, Grant, StartTick, TickDone};
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
    expected: usize,
    received: usize,
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
        SchedulerActor { scenario, hypervisor, demands, vms: Vec::new(), coordinator, pending: None }
    }

    fn finish_if_complete(&mut self) {
        let Some(p) = &self.pending else { return };
        if p.received < p.expected && p.failure.is_none() {
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
        let expected = granted.iter().filter(|g| g.is_some()).count();
        self.pending =
            Some(Pending { head, expected, received: 0, records: vec![None; self.vms.len()], failure: None });
        for (i, (demand, grant)) in demands.iter().zip(&granted).enumerate() {
            if let (Some(demand), Some(grant)) = (demand, grant) {
                self.vms[i].do_send(Grant { tick: m.tick, demand: *demand, grant: *grant });
            }
        }
        self.finish_if_complete();
    }
}

impl Handler<Advanced> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, m: Advanced, _: &mut Context<Self>) {
        let vm = m.record.vm as usize;
        let Some(p) = self.pending.as_mut().filter(|p| p.head.tick == m.tick && p.records[vm].is_none()) else {
            tracing::error!(tick = m.tick, vm, "unexpected report ignored");
            return;
        };
        p.records[vm] = Some(m.record);
        p.received += 1;
        self.demands[vm] = m.next_demand;
        self.finish_if_complete();
    }
}

impl Handler<Failed> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, m: Failed, _: &mut Context<Self>) {
        if let Some(p) = self.pending.as_mut().filter(|p| p.head.tick == m.tick) {
            p.failure.get_or_insert(m);
        }
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
