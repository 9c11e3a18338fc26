//! One relay per arbiter: batches the grant fan-out and the reports, so that a tick
//! crosses threads twice per arbiter instead of twice per VM.
//!
//! Measured reasons: with 10,000 VMs, one cross-thread message each way per VM spent more
//! time waking threads than advancing cells; and within an arbiter, an actix message
//! costs ~1,500 instructions against ~4,000 for a VM's whole tick of biology. So each VM
//! actor receives its own grant as a message, and files its report in the arbiter's
//! thread-local inbox; the last VM of the batch sends the relay one `Collect`.

use crate::messages::{Advanced, Failed, Grant};
use crate::vm_actor::VmActor;
use actix::{Actor, Addr, Context, Handler, Message, Recipient};
use std::cell::RefCell;

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
            Err(f) => {
                p.failure.get_or_insert(f);
            }
        }
        p.answered += 1;
        p.answered == p.expected
    })
}

/// VM → relay: the batch of this tick is complete in the inbox.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Collect {
    /// The tick.
    pub tick: u64,
}

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
}

impl Relay {
    /// A relay reporting to `scheduler`; its VMs come with [`SetVms`].
    pub fn new(scheduler: Recipient<ReportBatch>) -> Relay {
        Relay { scheduler, first: 0, vms: Vec::new() }
    }

    /// Sends the inbox's batch to the scheduler if it is complete for `tick`.
    fn collect(&self, tick: u64) {
        let done = INBOX.with(|inbox| {
            let mut inbox = inbox.borrow_mut();
            match inbox.as_ref() {
                Some(p) if p.tick == tick && p.answered == p.expected => inbox.take(),
                _ => None,
            }
        });
        if let Some(p) = done {
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
        INBOX.with(|inbox| {
            *inbox.borrow_mut() = Some(Pending {
                tick: m.tick,
                expected,
                reports: Vec::with_capacity(expected),
                failure: None,
                answered: 0,
            })
        });
        for (vm, grant) in m.grants {
            match self.vms.get(vm.wrapping_sub(self.first) as usize) {
                Some(a) => a.do_send(grant),
                None => {
                    file_report(m.tick, Err(Failed { tick: m.tick, vm, message: "VM not on this relay".into() }));
                }
            }
        }
        // Complete already if every grant failed to find its VM (or there were none).
        self.collect(m.tick);
    }
}

impl Handler<Collect> for Relay {
    type Result = ();

    fn handle(&mut self, m: Collect, _: &mut Context<Self>) {
        self.collect(m.tick);
    }
}
