//! One relay per arbiter: batches the grant fan-out and the reports, so that a tick
//! crosses threads twice per arbiter instead of twice per VM.
//!
//! Measured reason: with 10,000 VMs, one cross-thread message each way per VM spent more
//! time waking threads than advancing cells. VM actors still receive their own grant and
//! send their own report; the relay only changes how those travel between threads.

use crate::messages::{Advanced, Failed, Grant};
use crate::vm_actor::VmActor;
use actix::{Actor, Addr, Context, Handler, Message, Recipient};

/// Scheduler → relay: this tick's grants for the relay's VMs, in VM order.
#[derive(Message)]
#[rtype(result = "()")]
pub struct GrantBatch {
    /// The tick.
    pub tick: u64,
    /// `(VM index, grant)` pairs.
    pub grants: Vec<(u32, Grant)>,
}

/// Relay → scheduler: every granted VM on this arbiter has reported.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReportBatch {
    /// The tick.
    pub tick: u64,
    /// The reports, in arrival order (the scheduler slots them by VM).
    pub reports: Vec<Advanced>,
    /// The first failure, if any VM failed.
    pub failure: Option<Failed>,
}

/// Relay ← system thread: the VM actors this relay serves (indices `first..first+len`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetVms {
    /// Index of the first VM.
    pub first: u32,
    /// Their actors.
    pub vms: Vec<Addr<VmActor>>,
}

struct Pending {
    tick: u64,
    expected: usize,
    reports: Vec<Advanced>,
    failure: Option<Failed>,
    answered: usize,
}

/// The relay actor.
pub struct Relay {
    scheduler: Recipient<ReportBatch>,
    first: u32,
    vms: Vec<Addr<VmActor>>,
    pending: Option<Pending>,
}

impl Relay {
    /// A relay reporting to `scheduler`; its VMs come with [`SetVms`].
    pub fn new(scheduler: Recipient<ReportBatch>) -> Relay {
        Relay { scheduler, first: 0, vms: Vec::new(), pending: None }
    }

    fn finish_if_complete(&mut self) {
        if self.pending.as_ref().is_some_and(|p| p.answered == p.expected) {
            let p = self.pending.take().expect("checked");
            self.scheduler.do_send(ReportBatch { tick: p.tick, reports: p.reports, failure: p.failure });
        }
    }
}

impl Actor for Relay {
    type Context = Context<Self>;
}

impl Handler<SetVms> for Relay {
    type Result = ();

    fn handle(&mut self, m: SetVms, _: &mut Context<Self>) {
        (self.first, self.vms) = (m.first, m.vms);
    }
}

impl Handler<GrantBatch> for Relay {
    type Result = ();

    fn handle(&mut self, m: GrantBatch, _: &mut Context<Self>) {
        let expected = m.grants.len();
        self.pending =
            Some(Pending { tick: m.tick, expected, reports: Vec::with_capacity(expected), failure: None, answered: 0 });
        for (vm, grant) in m.grants {
            match self.vms.get(vm.wrapping_sub(self.first) as usize) {
                Some(a) => a.do_send(grant),
                None => {
                    let failure = Failed { tick: m.tick, vm, message: "VM not on this relay".into() };
                    self.handle_failure(failure);
                }
            }
        }
        self.finish_if_complete();
    }
}

impl Relay {
    fn handle_failure(&mut self, f: Failed) {
        if let Some(p) = self.pending.as_mut().filter(|p| p.tick == f.tick) {
            p.failure.get_or_insert(f);
            p.answered += 1;
        }
    }
}

impl Handler<Advanced> for Relay {
    type Result = ();

    fn handle(&mut self, m: Advanced, _: &mut Context<Self>) {
        if let Some(p) = self.pending.as_mut().filter(|p| p.tick == m.tick) {
            p.reports.push(m);
            p.answered += 1;
        }
        self.finish_if_complete();
    }
}

impl Handler<Failed> for Relay {
    type Result = ();

    fn handle(&mut self, m: Failed, _: &mut Context<Self>) {
        self.handle_failure(m);
        self.finish_if_complete();
    }
}
