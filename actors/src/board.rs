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
    /// board), counted as an answer like a VM's failure. (If it is the tick's last answer
    /// the relay is told as well as checking itself; collecting twice is a no-op.)
    pub(crate) fn fail(&self, tick: u64, failed: Failed) {
        self.report(usize::MAX, tick, Err(failed));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Site;
    use actix::{Actor, Context, Handler, Message};

    /// Stands for the relay: keeps the ticks of the `Collect`s it is sent.
    #[derive(Default)]
    struct Relay(Vec<u64>);

    impl Actor for Relay {
        type Context = Context<Self>;
    }

    impl Handler<Collect> for Relay {
        type Result = ();

        fn handle(&mut self, m: Collect, _: &mut Context<Self>) {
            self.0.push(m.tick);
        }
    }

    /// Asks the stand-in relay what it was sent (after everything sent before: one mailbox,
    /// first in, first out).
    #[derive(Message)]
    #[rtype(result = "Vec<u64>")]
    struct Seen;

    impl Handler<Seen> for Relay {
        type Result = Vec<u64>;

        fn handle(&mut self, _: Seen, _: &mut Context<Self>) -> Vec<u64> {
            self.0.clone()
        }
    }

    fn record(vm: u32) -> VmRecord {
        VmRecord { vm, mrna: vm * 10, ..VmRecord::default() }
    }

    fn grant(tick: u64) -> Grant {
        Grant { tick, demand: Resources::new(3, 2, 1), grant: Resources::new(2, 1, 1) }
    }

    /// Reports left in any order are read back by seat; the relay is told exactly once,
    /// when the last of the tick is in; a tick's failure is the lowest VM's.
    #[test]
    fn reports_are_read_by_seat_whatever_order_they_came_in() {
        let collected = actix::System::new().block_on(async {
            let relay = Relay::default().start();
            let board = Board::new(4, relay.clone().recipient());
            board.open(7, 3);
            for seat in [0, 2, 3] {
                assert!(board.post(seat, grant(7)));
            }
            assert!(!board.post(4, grant(7)), "no such seat");
            for seat in [3, 0] {
                board.report(seat, 7, Ok((record(seat as u32), Resources::new(seat as u64, 0, 0))));
            }
            assert_eq!(board.collect(7), None, "one report still out");
            board.report(2, 6, Ok((record(2), Resources::new(0, 0, 0))));
            assert_eq!(board.collect(7), None, "a report of another tick does not count");
            board.report(2, 7, Ok((record(2), Resources::new(2, 0, 0))));
            assert_eq!(board.collect(7), Some(None));
            assert_eq!(board.collect(7), None, "collected once");
            let read: Vec<_> = (0..4).map(|seat| board.take_report(seat).map(|(r, d)| (r.vm, d.atp))).collect();
            assert_eq!(read, [Some((0, 0)), None, Some((2, 2)), Some((3, 3))]);

            board.open(8, 2);
            let failed = |vm| Failed { tick: 8, site: Site::Vm(vm), message: format!("vm {vm}") };
            // As the relay does: a grant with no seat fails while the grants are posted,
            // before any report; the last report then tells the relay.
            board.fail(8, failed(1));
            board.report(3, 8, Err(failed(3)));
            let Some(Some(Fault::Panicked(f))) = board.collect(8) else { panic!("the tick failed") };
            assert_eq!(f.site, Site::Vm(1));
            relay.send(Seen).await.expect("the relay answers")
        });
        assert_eq!(collected, [7, 8]);
    }
}
