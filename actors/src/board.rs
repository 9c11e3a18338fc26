//! A relay's board: where the relay posts each of its VM actors' grants for the tick and
//! each actor leaves its report, without an actix message per VM either way.
//!
//! The relay and its VM actors share an arbiter's thread. The relay posts each grant in its
//! VM's seat and wakes that actor; the actor takes it as the next item of a stream
//! ([`Grants`], added to its context with [`actix::AsyncContext::add_stream`]), advances in
//! its `StreamHandler`, and leaves its record and next demand in the same seat. The last
//! report of the tick sends the relay one [`Collect`], and the relay reads the seats in VM
//! order, so the order the actors ran in cannot reach the record.
//!
//! Measured reason (`docs/perf.md`): an actix message is two allocations (its envelope and
//! its queue node), a lock-free queue's push and pop and an atomic waker per VM and tick;
//! a seat is a slot in one vector, reused every tick. Posting grants here instead of sending
//! them made 10,000 VMs ×1.44 faster on 2 arbiters, 100,000 ×1.56.
//!
//! A VM's cell changes still come as messages, and a context polls its mailbox before its
//! streams, so the changes of a tick apply before the tick's grant, as phase 1 comes before
//! phase 3.

use crate::messages::{Collect, Failed, Fault, Grant};
use actix::Recipient;
use actix::prelude::Stream;
use bioxen_engine::record::VmRecord;
use bioxen_engine::resources::Resources;
use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// What a seat holds.
#[derive(Default)]
enum Post {
    /// Nothing (between ticks, or a VM that does not run this tick).
    #[default]
    Empty,
    /// The tick's grant, not yet taken.
    Granted(Grant),
    /// The VM advanced: its record and its next demand.
    Reported(VmRecord, Resources),
}

/// One VM's seat, and how to wake its actor.
#[derive(Default)]
struct Seat {
    post: Post,
    waker: Option<Waker>,
    /// Where its cell lies ([`bioxen_engine::vm::Vm::memory`]), as of its last advance.
    memory: [(usize, usize); 3],
}

/// The tick in progress on a board.
#[derive(Default)]
struct Tally {
    tick: u64,
    /// Reports the relay waits for (its VMs that were granted).
    expected: usize,
    /// Reports left so far, failures included.
    answered: usize,
    /// Whether the relay has collected the tick.
    collected: bool,
    /// The lowest VM's failure, if any failed.
    failure: Option<Fault>,
}

/// The seats of a relay's VMs, its first VM's first, and the tick's tally.
pub(crate) struct Board {
    seats: RefCell<Vec<Seat>>,
    tally: RefCell<Tally>,
    /// The relay, told once when the tick's last report is in (none for a board without
    /// seats, which no report can reach).
    relay: Option<Recipient<Collect>>,
}

impl Board {
    /// A board of `vms` empty seats whose relay is `relay`.
    pub(crate) fn new(vms: usize, relay: Recipient<Collect>) -> Rc<Board> {
        let seats = (0..vms).map(|_| Seat::default()).collect();
        Rc::new(Board { seats: RefCell::new(seats), tally: RefCell::default(), relay: Some(relay) })
    }

    /// A board without seats: a relay's before it is given its VMs.
    pub(crate) fn empty() -> Rc<Board> {
        Rc::new(Board { seats: RefCell::default(), tally: RefCell::default(), relay: None })
    }

    /// Opens tick `tick`, for which `expected` grants will be posted.
    pub(crate) fn open(&self, tick: u64, expected: usize) {
        *self.tally.borrow_mut() = Tally { tick, expected, answered: 0, collected: false, failure: None };
    }

    /// Posts `grant` in seat `seat` and wakes its actor; false if there is no such seat.
    pub(crate) fn post(&self, seat: usize, grant: Grant) -> bool {
        let mut seats = self.seats.borrow_mut();
        let Some(s) = seats.get_mut(seat) else { return false };
        s.post = Post::Granted(grant);
        // Waking an arbiter's task only queues it (it runs after the relay's handler
        // returns), so the seat stays borrowed only here.
        if let Some(w) = &s.waker {
            w.wake_by_ref();
        }
        true
    }

    /// Takes seat `seat`'s grant, or leaves `waker` to be woken by the next one.
    fn take_grant(&self, seat: usize, waker: &Waker) -> Option<Grant> {
        let mut seats = self.seats.borrow_mut();
        let s = seats.get_mut(seat)?;
        if let Post::Granted(grant) = s.post {
            s.post = Post::Empty;
            return Some(grant);
        }
        if !s.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            s.waker = Some(waker.clone());
        }
        None
    }

    /// Leaves seat `seat`'s report of `tick` (or its failure); the last one the relay waits
    /// for tells it.
    pub(crate) fn report(&self, seat: usize, tick: u64, report: Result<(VmRecord, Resources), Failed>) {
        let mut tally = self.tally.borrow_mut();
        if tally.tick != tick {
            return;
        }
        match report {
            Ok((record, next_demand)) => {
                if let Some(s) = self.seats.borrow_mut().get_mut(seat) {
                    s.post = Post::Reported(record, next_demand);
                }
            }
            Err(f) => Fault::keep_lowest(&mut tally.failure, Fault::Panicked(f)),
        }
        tally.answered += 1;
        if tally.answered == tally.expected
            && let Some(relay) = &self.relay
        {
            relay.do_send(Collect { tick });
        }
    }

    /// Records a failure of `tick` that is no VM's report (a grant for a VM not on this
    /// board), counted as an answer.
    pub(crate) fn fail(&self, tick: u64, failed: Failed) {
        let mut tally = self.tally.borrow_mut();
        if tally.tick == tick {
            Fault::keep_lowest(&mut tally.failure, Fault::Panicked(failed));
            tally.answered += 1;
        }
    }

    /// Once every report of `tick` is in, and only the first time it is asked: `Some` of
    /// the tick's failure, if any (the reports stay in their seats for
    /// [`Board::take_report`]).
    pub(crate) fn collect(&self, tick: u64) -> Option<Option<Fault>> {
        let mut tally = self.tally.borrow_mut();
        if tally.tick != tick || tally.answered != tally.expected || tally.collected {
            return None;
        }
        tally.collected = true;
        Some(tally.failure.take())
    }

    /// Takes seat `seat`'s report: its record and next demand, if it reported this tick.
    pub(crate) fn take_report(&self, seat: usize) -> Option<(VmRecord, Resources)> {
        let mut seats = self.seats.borrow_mut();
        let s = seats.get_mut(seat)?;
        match std::mem::take(&mut s.post) {
            Post::Reported(record, next_demand) => Some((record, next_demand)),
            other => {
                s.post = other;
                None
            }
        }
    }

    /// Notes where seat `seat`'s cell lies now.
    pub(crate) fn note_memory(&self, seat: usize, memory: [(usize, usize); 3]) {
        if let Some(s) = self.seats.borrow_mut().get_mut(seat) {
            s.memory = memory;
        }
    }

    /// Asks the processor to fetch seat `seat`'s cell into cache, ahead of its advance.
    pub(crate) fn prefetch(&self, seat: usize) {
        if let Some(memory) = self.seats.borrow().get(seat).map(|s| s.memory) {
            bioxen_engine::prefetch::spans(&memory);
        }
    }

    /// The stream of seat `seat`'s grants.
    pub(crate) fn grants(self: &Rc<Board>, seat: usize) -> Grants {
        Grants { board: self.clone(), seat }
    }
}

/// A VM actor's grants, one a tick; it never ends.
pub(crate) struct Grants {
    board: Rc<Board>,
    seat: usize,
}

impl Stream for Grants {
    type Item = Grant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Grant>> {
        match self.board.take_grant(self.seat, cx.waker()) {
            Some(grant) => Poll::Ready(Some(grant)),
            None => Poll::Pending,
        }
    }
}
