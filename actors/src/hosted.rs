//! A block of a run's VMs hosted for a coordinator elsewhere (a `bioxen worker`): the VM
//! actors and relays a local run has, on this machine's arbiters, behind one actor that
//! stands where the scheduler would — it splits each grant batch of the block over its
//! relays and merges their reports into one, in VM order.
//!
//! ```text
//!  grant batch ──▶ Fanout ──GrantBatch──▶ Relay × arbiters ──Grant──▶ VmActor × N
//!  report ◀─────── (merge in ◀─ReportBatch──┘
//!                   relay order)
//! ```

use crate::ActorError;
use crate::guard::Alarm;
use crate::messages::{Block, Fault, GrantBatch, ReportBatch, Site};
use crate::placement::block_ranges;
use crate::relay::Relay;
use crate::runtime::{LocalBlock, split_by, start_vm_actors};
use crate::system::SystemThread;
use crate::vm_actor::{VmActor, ask_cells};
use actix::{Actor, Addr, Arbiter, Context, Handler};
use bioxen_engine::cell::Cell;
use bioxen_engine::record::VmRecord;
use bioxen_engine::resources::Resources;
use bioxen_engine::restore::Part;
use crossbeam_channel::{Receiver, Sender, select, unbounded};
use std::ops::Range;
use std::sync::Arc;

/// A hosted block: start it with [`HostedBlock::start`], hand it each tick's grant batch,
/// take its report.
pub struct HostedBlock {
    fanout: Addr<Fanout>,
    vms: Vec<Addr<VmActor>>,
    first: u32,
    reports: Receiver<ReportBatch>,
    system: SystemThread,
    rings: Receiver<Site>,
}

impl HostedBlock {
    /// Hosts `part`'s VMs as relay `relay` of the coordinator's run, over `arbiters`
    /// threads.
    pub fn start(part: Part, relay: u32, tick_seconds: f64, arbiters: usize) -> Result<HostedBlock, ActorError> {
        let first = part.first as u32;
        let arbiters = arbiters.clamp(1, part.vms.len().max(1));
        let (alarm, rings) = Alarm::new();
        let (reports_tx, reports) = unbounded();
        let alarm2 = alarm.clone();
        let (system, (fanout, vms)) = SystemThread::start("bioxen-hosted", arbiters, alarm, move |workers| {
            build(part, relay, tick_seconds, workers, reports_tx, &alarm2)
        })?;
        Ok(HostedBlock { fanout, vms, first, reports, system, rings })
    }

    /// The VMs hosted.
    pub fn vms(&self) -> Range<u32> {
        self.first..self.first + self.vms.len() as u32
    }

    /// Runs a tick: `batch` (this block's grants, lifecycles and changes) in, the block's
    /// report out, or the error of an actor's death.
    pub fn tick(&mut self, batch: GrantBatch) -> Result<ReportBatch, ActorError> {
        self.fanout.do_send(batch);
        self.wait(&self.reports.clone())
    }

    /// A copy of every hosted VM's cell, in VM order (taken between ticks).
    pub fn cells(&mut self) -> Result<Vec<Cell>, ActorError> {
        let (rx, asked) = ask_cells(&self.vms);
        let mut cells: Vec<Option<Cell>> = vec![None; self.vms.len()];
        for _ in 0..asked {
            let (i, cell) = self.wait(&rx)?;
            if let Some(slot) = cells.get_mut(i.wrapping_sub(self.first) as usize) {
                *slot = Some(cell);
            }
        }
        cells
            .into_iter()
            .collect::<Option<Vec<Cell>>>()
            .ok_or_else(|| ActorError::Protocol("a VM did not report".into()))
    }

    fn wait<T>(&mut self, rx: &Receiver<T>) -> Result<T, ActorError> {
        select! {
            recv(rx) -> m => m.map_err(|_| ActorError::Protocol("the hosted actors stopped".into())),
            recv(self.rings) -> site => {
                let site = site.unwrap_or(Site::Coordinator);
                Err(ActorError::Stopped { actor: crate::error::actor_name(site, |vm| format!("#{vm}")) })
            }
        }
    }

    /// Stops every actor and joins every thread.
    pub fn stop(mut self) {
        self.system.shutdown();
    }
}

/// Starts the relays (one per arbiter, over contiguous sub-blocks) and the VM actors.
fn build(
    part: Part,
    relay: u32,
    tick_seconds: f64,
    workers: &[Arbiter],
    out: Sender<ReportBatch>,
    alarm: &Arc<Alarm>,
) -> (Addr<Fanout>, Vec<Addr<VmActor>>) {
    let Part { first, programs, vms: cells } = part;
    let latest: Vec<VmRecord> =
        cells.iter().enumerate().map(|(k, vm)| VmRecord::of(first + k, vm, None, None)).collect();
    let (_, blocks) = block_ranges(cells.len(), workers.len());
    let members = split_by(cells.into_iter().zip(programs).collect(), &blocks);
    // The fan-out lives on the first arbiter, beside its first relay: with one arbiter a
    // tick crosses threads only between the worker's reader and that arbiter.
    let (sender, mailbox) = actix::dev::channel::channel::<Fanout>(16);
    let fanout = Addr::new(sender);
    let mut relays = Vec::new();
    let mut local: Vec<LocalBlock> = Vec::new();
    let parts = workers.iter().zip(&blocks).zip(members).zip(split_by(latest, &blocks));
    for (r, (((w, block), members), latest)) in parts.enumerate() {
        let to_fanout = fanout.clone().recipient();
        let alarm = alarm.clone();
        let relay = Relay::start_in_arbiter(&w.handle(), move |_| Relay::new(r as u32, to_fanout, false, &alarm));
        local.push((relay.clone(), first + block.start, members, latest));
        relays.push(relay);
    }
    let addresses = start_vm_actors(tick_seconds, local).into_iter().map(|(_, a)| a).collect();
    let actor = Fanout { relay, first: first as u32, relays, blocks, out, pending: None };
    if let Some(w) = workers.first() {
        w.spawn_fn(move || {
            Context::with_receiver(mailbox).run(actor);
        });
    }
    (fanout, addresses)
}

/// Stands where the scheduler would for the hosted relays.
struct Fanout {
    /// The coordinator's number for this block.
    relay: u32,
    first: u32,
    relays: Vec<Addr<Relay>>,
    /// Each relay's sub-block, as offsets from `first`.
    blocks: Vec<Range<usize>>,
    out: Sender<ReportBatch>,
    pending: Option<Merge>,
}

/// A relay's block and its VMs' next demands.
type Reported = (Block, Vec<(u32, Resources)>);

/// A tick's reports being merged.
struct Merge {
    tick: u64,
    left: usize,
    blocks: Vec<Option<Reported>>,
    fault: Option<Fault>,
}

impl Actor for Fanout {
    type Context = Context<Self>;
}

impl Handler<GrantBatch> for Fanout {
    type Result = ();

    fn handle(&mut self, m: GrantBatch, _: &mut Context<Self>) {
        let n = self.relays.len();
        self.pending = Some(Merge { tick: m.tick, left: n, blocks: vec![None; n], fault: None });
        for (relay, block) in self.relays.iter().zip(&self.blocks) {
            let vms = (self.first + block.start as u32)..(self.first + block.end as u32);
            relay.do_send(GrantBatch {
                tick: m.tick,
                grants: m.grants.iter().filter(|(vm, _)| vms.contains(vm)).copied().collect(),
                lifecycles: m.lifecycles.get(block.clone()).unwrap_or_default().to_vec(),
                changes: m.changes.iter().filter(|c| vms.contains(&c.vm)).cloned().collect(),
                spare_block: Block::default(),
                spare_demands: Vec::new(),
            });
        }
    }
}

impl Handler<ReportBatch> for Fanout {
    type Result = ();

    fn handle(&mut self, m: ReportBatch, _: &mut Context<Self>) {
        let Some(p) = self.pending.as_mut().filter(|p| p.tick == m.tick) else { return };
        let Some(slot @ None) = p.blocks.get_mut(m.relay as usize) else { return };
        *slot = Some((m.block, m.demands));
        if let Some(f) = m.fault {
            Fault::keep_lowest(&mut p.fault, f);
        }
        p.left -= 1;
        if p.left > 0 {
            return;
        }
        let p = self.pending.take().expect("checked above");
        let (mut block, mut demands) = (Block::default(), Vec::new());
        for (b, d) in p.blocks.into_iter().flatten() {
            block.append(&b);
            demands.extend(d);
        }
        let report =
            ReportBatch { tick: p.tick, relay: self.relay, block, demands, fault: p.fault, spent_grants: Vec::new() };
        let _ = self.out.send(report);
    }
}
