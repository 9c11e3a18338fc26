//! One relay per arbiter: batches the grant fan-out and the reports, so that a tick
//! crosses threads twice per arbiter instead of twice per VM, and assembles and encodes
//! its block of the tick's record on its own thread.
//!
//! Measured reasons: with 10,000 VMs, one cross-thread message each way per VM spent more
//! time waking threads than advancing cells; within an arbiter, an actix message costs
//! ~1,500 instructions against ~4,000 for a VM's whole tick of biology; and assembling and
//! encoding every record on the coordinator's thread was serial work the engine does in
//! parallel. So each VM actor receives its own grant as a message and files its report in
//! the arbiter's thread-local inbox; the last VM of the batch sends the relay one
//! `Collect`; the relay puts its block's records in VM order, encodes them and sends the
//! scheduler one `ReportBatch`.

use crate::messages::{Advanced, Block, Failed, Fault, Grant};
use crate::vm_actor::VmActor;
use actix::{Actor, Addr, Context, Handler, Message, Recipient};
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::record::VmRecord;
use bioxen_engine::resources::Resources;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// This arbiter's reports for the tick in progress. VM actors and their relay share a
    /// thread, so a VM can hand its report over without a message: the relay drains the
    /// inbox when the last VM of the batch tells it to (one message per batch, not per VM).
    static INBOX: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// Files a VM's report (or failure) in this thread's inbox; true when it was the last one
/// the relay waits for.
pub(crate) fn file_report(tick: u64, report: Result<Advanced, Failed>) -> bool {
    INBOX.with(|inbox| {
        let mut inbox = inbox.borrow_mut();
        let Some(p) = inbox.as_mut().filter(|p| p.tick == tick) else { return false };
        match report {
            Ok(a) => p.reports.push(a),
            Err(f) => Fault::keep_lowest(&mut p.failure, Fault::Panicked(f)),
        }
        p.answered += 1;
        p.answered == p.expected
    })
}

/// VM → relay: the batch of this tick is complete in the inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct Collect {
    /// The tick.
    pub tick: u64,
}

/// Scheduler → relay: this tick's grants for the relay's VMs, in VM order. Every relay gets
/// one each tick, with or without grants, because it also reports its idle VMs' records.
/// Plain serde data, like every message that could cross a wire to a remote arbiter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct GrantBatch {
    /// The tick.
    pub tick: u64,
    /// `(VM index, grant)` pairs.
    pub grants: Vec<(u32, Grant)>,
    /// Every VM's lifecycle this tick: the coordinator's authoritative mirror (VM actors
    /// are never told of transitions, they only advance when granted).
    pub lifecycles: Arc<Vec<Lifecycle>>,
    /// An emptied block to fill (reused allocations).
    pub spare_block: Block,
    /// An emptied demands list to fill (reused allocation).
    pub spare_demands: Vec<(u32, Resources)>,
}

/// Relay → scheduler: the relay's block of the tick, complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct ReportBatch {
    /// The tick.
    pub tick: u64,
    /// Which relay (its VMs are the `relay`-th contiguous block).
    pub relay: usize,
    /// The block's records and their encoding.
    pub block: Block,
    /// `(VM index, next demand)` of each VM that ran, in VM order.
    pub demands: Vec<(u32, Resources)>,
    /// The first fault, if the block could not be completed.
    pub fault: Option<Fault>,
    /// The grants list, emptied, for the scheduler to fill again.
    pub spent_grants: Vec<(u32, Grant)>,
}

/// Relay ← system thread: the VM actors this relay serves (indices `first..first+len`)
/// and each one's latest record.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetVms {
    /// Index of the first VM.
    pub first: u32,
    /// Their actors.
    pub vms: Vec<Addr<VmActor>>,
    /// Their latest records, in the same order.
    pub latest: Vec<VmRecord>,
}

struct Pending {
    tick: u64,
    expected: usize,
    reports: Vec<Advanced>,
    failure: Option<Fault>,
    answered: usize,
}

/// The relay actor.
pub struct Relay {
    index: usize,
    scheduler: Recipient<ReportBatch>,
    first: u32,
    vms: Vec<Addr<VmActor>>,
    /// Each VM's latest record: what a VM that does not run this tick reports (its cell
    /// cannot change while it does not run).
    latest: Vec<VmRecord>,
    /// The lifecycles of the tick in progress.
    lifecycles: Arc<Vec<Lifecycle>>,
    /// Buffers of the tick in progress, and the reports list between ticks, reused.
    block: Block,
    demands: Vec<(u32, Resources)>,
    grants: Vec<(u32, Grant)>,
    reports: Vec<Advanced>,
}

impl Relay {
    /// Relay number `index`, reporting to `scheduler`; its VMs come with [`SetVms`].
    pub fn new(index: usize, scheduler: Recipient<ReportBatch>) -> Relay {
        Relay {
            index,
            scheduler,
            first: 0,
            vms: Vec::new(),
            latest: Vec::new(),
            lifecycles: Arc::default(),
            block: Block::default(),
            demands: Vec::new(),
            grants: Vec::new(),
            reports: Vec::new(),
        }
    }

    /// Sends the block to the scheduler if the inbox is complete for `tick`.
    fn collect(&mut self, tick: u64) {
        let done = INBOX.with(|inbox| {
            let mut inbox = inbox.borrow_mut();
            match inbox.as_ref() {
                Some(p) if p.tick == tick && p.answered == p.expected => inbox.take(),
                _ => None,
            }
        });
        let Some(mut p) = done else { return };
        let fault = if p.failure.is_some() { p.failure.take() } else { self.assemble(tick, &mut p.reports) };
        p.reports.clear();
        self.reports = p.reports;
        let (mut block, mut demands) = (std::mem::take(&mut self.block), std::mem::take(&mut self.demands));
        if fault.is_some() {
            block.clear();
            demands.clear();
        }
        let spent_grants = std::mem::take(&mut self.grants);
        self.scheduler.do_send(ReportBatch { tick, relay: self.index, block, demands, fault, spent_grants });
    }

    /// Fills `self.block` with the block's records in VM order — each running VM's report,
    /// each idle VM's latest record made idle ([`VmRecord::idle`]: the engine's record of
    /// an unchanged cell) — through the engine's [`Block::push`], and `self.demands` with
    /// the running VMs' next demands.
    fn assemble(&mut self, tick: u64, reports: &mut [Advanced]) -> Option<Fault> {
        // Reports arrive in the order the arbiter ran the VMs; the record is in VM order.
        reports.sort_unstable_by_key(|a| a.record.vm);
        let mut reports = reports.iter().peekable();
        let (block, demands) = (&mut self.block, &mut self.demands);
        for (k, latest) in self.latest.iter_mut().enumerate() {
            let vm = self.first + k as u32;
            let state = self.lifecycles.get(vm as usize).copied().unwrap_or(Lifecycle::Destroyed);
            if state == Lifecycle::Running {
                let Some(report) = reports.next_if(|a| a.record.vm == vm) else {
                    return Some(Fault::Silent { tick, vm });
                };
                *latest = report.record;
                demands.push((vm, report.next_demand));
            } else {
                *latest = latest.idle(state);
            }
            block.push(*latest);
        }
        None
    }
}

impl Actor for Relay {
    type Context = Context<Self>;
}

impl Handler<SetVms> for Relay {
    type Result = ();

    fn handle(&mut self, m: SetVms, _: &mut Context<Self>) {
        (self.first, self.vms, self.latest) = (m.first, m.vms, m.latest);
    }
}

impl Handler<GrantBatch> for Relay {
    type Result = ();

    fn handle(&mut self, m: GrantBatch, _: &mut Context<Self>) {
        let GrantBatch { tick, mut grants, lifecycles, mut spare_block, mut spare_demands } = m;
        let expected = grants.len();
        self.lifecycles = lifecycles;
        spare_block.clear();
        spare_demands.clear();
        (self.block, self.demands) = (spare_block, spare_demands);
        let mut reports = std::mem::take(&mut self.reports);
        reports.reserve(expected);
        INBOX.with(|inbox| *inbox.borrow_mut() = Some(Pending { tick, expected, reports, failure: None, answered: 0 }));
        for (vm, grant) in grants.drain(..) {
            match self.vms.get(vm.wrapping_sub(self.first) as usize) {
                Some(a) => a.do_send(grant),
                None => {
                    file_report(tick, Err(Failed { tick, vm, message: "VM not on this relay".into() }));
                }
            }
        }
        self.grants = grants;
        // Complete already if every grant failed to find its VM (or there were none).
        self.collect(tick);
    }
}

impl Handler<Collect> for Relay {
    type Result = ();

    fn handle(&mut self, m: Collect, _: &mut Context<Self>) {
        self.collect(m.tick);
    }
}
