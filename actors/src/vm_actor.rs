//! One VM: its engine state, its program and its random stream, advanced on each grant.

use crate::guard::{self, Alarm, Failure, Sabotage, Tripwire};
use crate::inbox;
use crate::messages::{Advanced, Collect, Failed, Grant, Site, VmChange};
use actix::{Actor, Context, Handler, Message, Recipient};
use bioxen_engine::cell::Cell;
use bioxen_engine::program::Program;
use bioxen_engine::tick;
use bioxen_engine::vm::Vm;
use std::sync::Arc;

/// The actor of one VM.
pub struct VmActor {
    /// Rings the runtime's alarm if this actor dies (see [`crate::guard`]). The first
    /// field, so it is dropped — and rings — before anything the actor holds, such as a
    /// reply channel whose closing the handle would otherwise see first.
    _tripwire: Tripwire,
    /// Index in the scenario.
    index: u32,
    /// The cell (its stream inside). Copied on the arbiter's thread when the actor starts,
    /// VM after VM, so that each cell — its struct, its gene vectors and then its actor —
    /// lies in one stretch of memory, the stretches in the order the arbiter advances the
    /// VMs. Measured at 10,000 VMs: +6 % median VM-ticks/s (+17 % on the slowest runs) over
    /// cells left where the engine built them, and +24 % at 100,000, for ~45 % more peak
    /// memory there (the engine's copies are freed but stay with its allocator).
    vm: Box<Vm>,
    /// Its compiled genome.
    program: Arc<Program>,
    /// Simulated seconds per tick.
    tick_seconds: f64,
    /// This arbiter's relay: reports go to the inbox, and the last one of a batch tells it.
    collect: Recipient<Collect>,
    /// A change refused by the gate's rules ([`tick::check_change`]; only a remote
    /// coordinator's can be): reported as this VM's failure at its next grant.
    refused: Option<Box<str>>,
    sabotage: Sabotage,
}

impl VmActor {
    /// The actor of VM `index`, its cell copied here (see the field's note), reporting to
    /// the relay behind `collect`.
    pub fn new(
        index: u32,
        vm: &Vm,
        program: Arc<Program>,
        tick_seconds: f64,
        collect: Recipient<Collect>,
        alarm: &Arc<Alarm>,
    ) -> VmActor {
        let vm = Box::new(vm.clone());
        let tripwire = Tripwire::new(alarm, Site::Vm(index));
        VmActor {
            index,
            vm,
            program,
            tick_seconds,
            collect,
            refused: None,
            _tripwire: tripwire,
            sabotage: Sabotage::default(),
        }
    }
}

impl Actor for VmActor {
    type Context = Context<Self>;
}

impl Handler<Grant> for VmActor {
    type Result = ();

    fn handle(&mut self, g: Grant, _: &mut Context<Self>) {
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
            (None, Ok((record, next_demand))) => Ok(Advanced { tick: g.tick, record, next_demand }),
            (None, Err(message)) => Err(Failed { tick: g.tick, site: Site::Vm(index), message }),
        };
        if inbox::file(g.tick, report) {
            self.collect.do_send(Collect { tick: g.tick });
        }
    }
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
