//! One relay per arbiter: batches the grant fan-out and the reports, so that a tick
//! crosses threads twice per arbiter instead of twice per VM, and assembles and encodes
//! its block of the tick's record on its own thread (phase 3 of [`bioxen_engine::tick`]).
//!
//! Measured reasons: with 10,000 VMs, one cross-thread message each way per VM spent more
//! time waking threads than advancing cells; and assembling and encoding every record on
//! the coordinator's thread was serial work the engine does in parallel. So each VM actor
//! takes its grant from the relay's board and leaves its report there ([`crate::board`]);
//! the last VM of the batch sends the relay one `Collect`; the relay reads its block's
//! records in VM order, encodes them and sends the scheduler one `ReportBatch`.

use crate::board::Board;
use crate::guard::{self, Alarm, Failure, Sabotage, Tripwire};
use crate::messages::{Block, Collect, Failed, Fault, Grant, GrantBatch, ReportBatch, Site};
use crate::vm_actor::VmActor;
use actix::dev::channel::AddressReceiver;
use actix::{Actor, Addr, AsyncContext, Context, Handler, Message, Recipient};
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::program::Program;
use bioxen_engine::record::VmRecord;
use bioxen_engine::resources::Resources;
use bioxen_engine::vm::Vm;
use std::rc::Rc;
use std::sync::Arc;

/// Relay ← system thread: the VMs this relay serves (indices `first..first+len`), for it
/// to start their actors on its arbiter: their cells, programs, mailboxes and addresses,
/// and each one's latest record, all in VM order.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetVms {
    /// Index of the first VM.
    pub first: u32,
    /// Their cells and compiled genomes.
    pub members: Vec<(Vm, Arc<Program>)>,
    /// Their actors' mailboxes.
    pub mailboxes: Vec<AddressReceiver<VmActor>>,
    /// Their actors' addresses (the other ends of `mailboxes`).
    pub vms: Vec<Addr<VmActor>>,
    /// Their latest records.
    pub latest: Vec<VmRecord>,
    /// Simulated seconds per tick.
    pub tick_seconds: f64,
}

/// The relay actor.
pub struct Relay {
    /// Rings the runtime's alarm if this actor dies (see [`crate::guard`]). The first
    /// field, so it is dropped — and rings — before anything the actor holds, such as a
    /// reply channel whose closing the handle would otherwise see first.
    _tripwire: Tripwire,
    index: u32,
    scheduler: Recipient<ReportBatch>,
    first: u32,
    vms: Vec<Addr<VmActor>>,
    /// Where this relay's VMs take their grants.
    board: Rc<Board>,
    /// Where the VM actors this relay starts ring if they die.
    alarm: Arc<Alarm>,
    /// Each VM's latest record: what a VM that does not run this tick reports (its cell
    /// cannot change while it does not run).
    latest: Vec<VmRecord>,
    /// The lifecycles of this relay's VMs in the tick in progress.
    lifecycles: Vec<Lifecycle>,
    /// Buffers of the tick in progress, reused.
    block: Block,
    demands: Vec<(u32, Resources)>,
    grants: Vec<(u32, Grant)>,
    /// Whether the block's records are encoded here (a local run's) or by the coordinator
    /// they are sent to (a worker's, whose encoding would be thrown away).
    encode: bool,
    sabotage: Sabotage,
}

impl Relay {
    /// Relay number `index`, reporting to `scheduler`; its VMs come with [`SetVms`]. With
    /// `encode` false its blocks carry records only (a worker's, encoded by the
    /// coordinator).
    pub fn new(index: u32, scheduler: Recipient<ReportBatch>, encode: bool, alarm: &Arc<Alarm>) -> Relay {
        Relay {
            index,
            scheduler,
            first: 0,
            vms: Vec::new(),
            board: Board::empty(),
            alarm: alarm.clone(),
            latest: Vec::new(),
            lifecycles: Vec::new(),
            block: Block::default(),
            demands: Vec::new(),
            grants: Vec::new(),
            encode,
            _tripwire: Tripwire::new(alarm, Site::Relay(index)),
            sabotage: Sabotage::default(),
        }
    }

    /// Sends the block to the scheduler once the board has every report of `tick`.
    fn collect(&mut self, tick: u64) {
        let Some(failure) = self.board.collect(tick) else { return };
        let fault = match failure {
            Some(f) => Some(f),
            None => {
                let this = &mut *self;
                guard::catch(|| this.assemble(tick)).unwrap_or_else(|message| {
                    Some(Fault::Panicked(Failed { tick, site: Site::Relay(this.index), message }))
                })
            }
        };
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
    fn assemble(&mut self, tick: u64) -> Option<Fault> {
        self.sabotage.strike(Failure::Caught);
        let (block, demands, encode, board, first) =
            (&mut self.block, &mut self.demands, self.encode, &self.board, self.first);
        // The seats are read in VM order, whatever order the VMs ran in.
        let ran = |vm: u32| {
            let (record, next_demand) = board.take_report(vm.wrapping_sub(first) as usize)?;
            demands.push((vm, next_demand));
            Some(record)
        };
        let push = |record| if encode { block.push(record) } else { block.push_unencoded(record) };
        assemble_records(self.first, &mut self.latest, &self.lifecycles, ran, push)
            .err()
            .map(|vm| Fault::Silent { tick, vm })
    }
}

/// Phase 3 for one block of VMs, wherever it ran: each VM's record in VM order, passed to
/// `push` — a running VM's from `ran` (its record this tick), an idle one's its `latest`
/// made idle ([`VmRecord::idle`]: the engine's record of an unchanged cell) — and
/// `latest` brought up to date. A running VM that `ran` has no record for is returned
/// (it was granted and never reported).
pub fn assemble_records(
    first: u32,
    latest: &mut [VmRecord],
    lifecycles: &[Lifecycle],
    mut ran: impl FnMut(u32) -> Option<VmRecord>,
    mut push: impl FnMut(VmRecord),
) -> Result<(), u32> {
    for (k, latest) in latest.iter_mut().enumerate() {
        let vm = first + k as u32;
        let state = lifecycles.get(k).copied().unwrap_or(Lifecycle::Destroyed);
        *latest = if state == Lifecycle::Running { ran(vm).ok_or(vm)? } else { latest.idle(state) };
        push(*latest);
    }
    Ok(())
}

impl Actor for Relay {
    type Context = Context<Self>;
}

impl Handler<SetVms> for Relay {
    type Result = ();

    /// Starts the VM actors here, in VM order, so that each actor's allocations lie in
    /// the order the arbiter serves them; each takes its grants from seat `k` of the board.
    fn handle(&mut self, m: SetVms, ctx: &mut Context<Self>) {
        let SetVms { first, members, mailboxes, vms, latest, tick_seconds } = m;
        let board = Board::new(members.len(), ctx.address().recipient());
        for (k, ((vm, program), mailbox)) in members.into_iter().zip(mailboxes).enumerate() {
            let (index, seat) = (first + k as u32, k as u32);
            let actor = VmActor::new(index, seat, vm, program, tick_seconds, board.clone(), &self.alarm);
            let mut context = Context::with_receiver(mailbox);
            context.add_stream(board.grants(k));
            context.run(actor);
        }
        (self.first, self.vms, self.latest, self.board) = (first, vms, latest, board);
    }
}

impl Handler<GrantBatch> for Relay {
    type Result = ();

    fn handle(&mut self, m: GrantBatch, _: &mut Context<Self>) {
        self.sabotage.strike(Failure::Fatal);
        let GrantBatch { tick, mut grants, lifecycles, changes, mut spare_block, mut spare_demands } = m;
        // Before any grant: a VM's mailbox is first in, first out, so its changes apply
        // before it advances, as phase 1 comes before phase 3.
        for s in changes {
            if let Some(a) = self.vms.get(s.vm.wrapping_sub(self.first) as usize) {
                a.do_send(s);
            }
        }
        self.lifecycles = lifecycles;
        spare_block.clear();
        spare_demands.clear();
        (self.block, self.demands) = (spare_block, spare_demands);
        self.board.open(tick, grants.len());
        for (vm, grant) in grants.drain(..) {
            if !self.board.post(vm.wrapping_sub(self.first) as usize, grant) {
                let message = "VM not on this relay".to_string();
                self.board.fail(tick, Failed { tick, site: Site::Vm(vm), message });
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

#[cfg(feature = "fault-injection")]
impl Handler<guard::Inject> for Relay {
    type Result = ();

    fn handle(&mut self, m: guard::Inject, _: &mut Context<Self>) {
        self.sabotage.arm(m.0);
    }
}
