//! One VM: its engine state, its program and its random stream, advanced on each grant.

use crate::board::Board;
use crate::guard::{self, Alarm, Failure, Sabotage, Tripwire};
use crate::messages::{Failed, Grant, Site, VmChange};
use actix::{Actor, Context, Handler, Message, StreamHandler};
use bioxen_engine::cell::Cell;
use bioxen_engine::program::Program;
use bioxen_engine::tick;
use bioxen_engine::vm::Vm;
use std::rc::Rc;
use std::sync::Arc;

/// The actor of one VM.
pub struct VmActor {
    /// Rings the runtime's alarm if this actor dies (see [`crate::guard`]). The first
    /// field, so it is dropped — and rings — before anything the actor holds, such as a
    /// reply channel whose closing the handle would otherwise see first.
    _tripwire: Tripwire,
    /// Index in the scenario.
    index: u32,
    /// Its seat on its relay's board.
    seat: u32,
    /// The cell (its stream inside), moved here from the engine's state: its gene vectors
    /// stay where the engine built them, VM after VM. Copying each cell on the arbiter's
    /// thread instead (the earlier design) measured ×0.71 at 10,000 VMs and ×0.74 at
    /// 100,000 against this, in 4 % more peak memory (a likely reason: a copy's mRNA list,
    /// cloned to its exact size, was reallocated at its first growth, away from the cell).
    vm: Box<Vm>,
    /// Its compiled genome.
    program: Arc<Program>,
    /// Simulated seconds per tick.
    tick_seconds: f64,
    /// Its relay's board, where its grants come and its reports go.
    board: Rc<Board>,
    /// A change refused by the gate's rules ([`tick::check_change`]; only a remote
    /// coordinator's can be): reported as this VM's failure at its next grant.
    refused: Option<Box<str>>,
    sabotage: Sabotage,
}

impl VmActor {
    /// The actor of VM `index`, its cell moved in (see the field's note), in seat `seat`
    /// of its relay's `board`.
    pub(crate) fn new(
        index: u32,
        seat: u32,
        vm: Vm,
        program: Arc<Program>,
        tick_seconds: f64,
        board: Rc<Board>,
        alarm: &Arc<Alarm>,
    ) -> VmActor {
        let vm = Box::new(vm);
        board.note_memory(seat as usize, vm.memory());
        let tripwire = Tripwire::new(alarm, Site::Vm(index));
        VmActor {
            index,
            seat,
            vm,
            program,
            tick_seconds,
            board,
            refused: None,
            _tripwire: tripwire,
            sabotage: Sabotage::default(),
        }
    }
}

impl Actor for VmActor {
    type Context = Context<Self>;
}

/// Grants come as the items of a stream from the relay's board ([`crate::board`]), not as
/// messages.
impl StreamHandler<Grant> for VmActor {
    fn handle(&mut self, g: Grant, _: &mut Context<Self>) {
        // The next VM on the board most likely runs next (the relay posts grants in VM order
        // and the arbiter runs the woken actors in that order): fetch its cell now, while
        // this one advances. Measured at 10,000 VMs on one arbiter: ×1.31.
        self.board.prefetch(self.seat as usize + 1);
        let (index, tick_seconds) = (self.index, self.tick_seconds);
        let (vm, program, sabotage) = (&mut self.vm, &self.program, &mut self.sabotage);
        sabotage.strike(Failure::Fatal);
        // A panic in the biology must become an error naming the VM and tick, not a hang
        // of the tick waiting for this VM's report.
        let outcome = guard::catch(|| {
            sabotage.strike(Failure::Caught);
            let record = tick::advance(index as usize, vm, program, g.demand, g.grant, tick_seconds);
            (record, vm.next_demand())
        });
        let report = match (self.refused.take(), outcome) {
            (Some(why), _) => {
                Err(Failed { tick: g.tick, site: Site::Vm(index), message: format!("a change refused: {why}") })
            }
            (None, Ok(report)) => Ok(report),
            (None, Err(message)) => Err(Failed { tick: g.tick, site: Site::Vm(index), message }),
        };
        self.board.note_memory(self.seat as usize, self.vm.memory());
        self.board.report(self.seat as usize, g.tick, report);
    }

    /// The stream never ends while the relay holds its board; when the arbiter stops, the
    /// actor goes with it.
    fn finished(&mut self, _: &mut Context<Self>) {}
}

impl Handler<VmChange> for VmActor {
    type Result = ();

    fn handle(&mut self, s: VmChange, _: &mut Context<Self>) {
        match tick::check_change(&self.vm, &self.program, &s.change) {
            Ok(()) => tick::change_cell(&mut self.vm, &mut self.program, &s.change),
            Err(why) => self.refused = Some(why.into()),
        }
    }
}

/// Ask a VM actor for a copy of its state (checkpoints, summaries); it answers on the
/// channel, so a synchronous caller can wait without an async runtime.
#[derive(Clone, Debug, Message)]
#[rtype(result = "()")]
pub struct TakeVm {
    /// Where to send `(index, state)`.
    pub reply: crossbeam_channel::Sender<(u32, Cell)>,
}

/// Asks each of `actors` for a copy of its cell: where the answers `(index, cell)` come,
/// and how many will.
pub(crate) fn ask_cells<'a>(
    actors: impl IntoIterator<Item = &'a actix::Addr<VmActor>>,
) -> (crossbeam_channel::Receiver<(u32, Cell)>, usize) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut asked = 0;
    for actor in actors {
        actor.do_send(TakeVm { reply: tx.clone() });
        asked += 1;
    }
    (rx, asked)
}

impl Handler<TakeVm> for VmActor {
    type Result = ();

    fn handle(&mut self, m: TakeVm, _: &mut Context<Self>) {
        // The caller may have given up (shutdown); nothing to do then.
        let _ = m.reply.send((self.index, self.vm.cell()));
    }
}

#[cfg(feature = "fault-injection")]
impl Handler<guard::Inject> for VmActor {
    type Result = ();

    fn handle(&mut self, m: guard::Inject, _: &mut Context<Self>) {
        self.sabotage.arm(m.0);
    }
}
