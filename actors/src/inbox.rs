//! An arbiter's thread-local inbox of VM reports.
//!
//! VM actors and their relay share a thread, so a VM hands its report over without a
//! message: it files the report here, and the last VM of the batch sends the relay one
//! [`crate::messages::Collect`]. Measured reason: within an arbiter an actix message costs
//! ~1,500 instructions against ~4,000 for a VM's whole tick of biology.

use crate::messages::{Advanced, Failed, Fault};
use std::cell::RefCell;

/// One tick's reports on this arbiter.
pub(crate) struct Batch {
    /// The tick.
    pub tick: u64,
    /// Reports the relay waits for (its VMs that were granted).
    expected: usize,
    /// Reports filed so far.
    answered: usize,
    /// The reports, in the order the VMs ran.
    pub reports: Vec<Advanced>,
    /// The lowest VM's failure, if any failed.
    pub failure: Option<Fault>,
}

thread_local! {
    static INBOX: RefCell<Option<Batch>> = const { RefCell::new(None) };
}

/// Opens this thread's inbox for `expected` reports of `tick`, in `reports` (emptied,
/// reused).
pub(crate) fn open(tick: u64, expected: usize, mut reports: Vec<Advanced>) {
    reports.clear();
    reports.reserve(expected);
    INBOX.with(|inbox| *inbox.borrow_mut() = Some(Batch { tick, expected, answered: 0, reports, failure: None }));
}

/// Files a VM's report (or failure) in this thread's inbox; true when it was the last one
/// the relay waits for.
pub(crate) fn file(tick: u64, report: Result<Advanced, Failed>) -> bool {
    INBOX.with(|inbox| {
        let mut inbox = inbox.borrow_mut();
        let Some(b) = inbox.as_mut().filter(|b| b.tick == tick) else { return false };
        match report {
            Ok(a) => b.reports.push(a),
            Err(f) => Fault::keep_lowest(&mut b.failure, Fault::Panicked(f)),
        }
        b.answered += 1;
        b.answered == b.expected
    })
}

/// Takes the batch of `tick` if every report is in.
pub(crate) fn take_complete(tick: u64) -> Option<Batch> {
    INBOX.with(|inbox| {
        let mut inbox = inbox.borrow_mut();
        match inbox.as_ref() {
            Some(b) if b.tick == tick && b.answered == b.expected => inbox.take(),
            _ => None,
        }
    })
}
