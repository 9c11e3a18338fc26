//! Where each VM runs: on this machine's arbiters, or in a block served elsewhere (a
//! remote host's worker) behind a proxy that the scheduler addresses exactly as it does a
//! local relay — a recipient of [`GrantBatch`]es that answers with [`ReportBatch`]es. The
//! scheduler cannot tell the two apart, so where a VM runs cannot reach the digest.

use crate::messages::{GrantBatch, ReportBatch};
use actix::{Message, Recipient};
use bioxen_engine::cell::Cell;
use bioxen_engine::record::VmRecord;
use bioxen_engine::scenario::Scenario;
use std::ops::Range;
use std::sync::Arc;

/// Proxy ← handle: a copy of the block's cells, in VM order (taken between ticks).
#[derive(Message)]
#[rtype(result = "()")]
pub struct TakeCells {
    /// Where to send them, or why they could not be had.
    pub reply: crossbeam_channel::Sender<Result<Vec<Cell>, String>>,
}

/// What a remote block is given when the run starts.
pub struct BlockSetup {
    /// The relay number the scheduler knows it by (its [`ReportBatch::relay`]).
    pub relay: u32,
    /// Its VMs' indices.
    pub vms: Range<u32>,
    /// The tick the run is at.
    pub tick: u64,
    /// The scenario (its VMs' genomes and packages).
    pub scenario: Arc<Scenario>,
    /// Its VMs' cells, in VM order.
    pub cells: Vec<Cell>,
    /// Its VMs' latest records, in VM order: what an idle VM's record is made from.
    pub latest: Vec<VmRecord>,
    /// Where its reports go: the scheduler.
    pub reports: Recipient<ReportBatch>,
}

/// The proxy's two faces: the scheduler's and the handle's.
pub struct Proxy {
    /// Takes the tick's grant batches.
    pub grants: Recipient<GrantBatch>,
    /// Takes requests for the block's cells.
    pub cells: Recipient<TakeCells>,
}

/// A block of VMs served elsewhere.
pub trait RemoteBlock: Send + 'static {
    /// Starts serving the block. Called inside the actor system, on its thread, before
    /// any tick: it may start actors there.
    fn serve(self: Box<Self>, setup: BlockSetup) -> Proxy;
}

/// The blocks served elsewhere, each a contiguous range of VM indices, in VM order and
/// not overlapping; every other VM runs on this machine's arbiters.
#[derive(Default)]
pub struct Placement {
    /// The remote blocks.
    pub remote: Vec<(Range<usize>, Box<dyn RemoteBlock>)>,
}

/// Where a contiguous run of VMs is served.
pub(crate) enum Slot {
    /// On this arbiter.
    Local { arbiter: usize, vms: Range<usize> },
    /// Elsewhere.
    Remote { vms: Range<usize>, block: Box<dyn RemoteBlock> },
}

impl Slot {
    pub(crate) fn vms(&self) -> Range<usize> {
        match self {
            Slot::Local { vms, .. } | Slot::Remote { vms, .. } => vms.clone(),
        }
    }
}

/// The relays of a run of `count` VMs over `arbiters` arbiters and the remote blocks of
/// `placement`, in VM order: each stretch of local VMs is cut into `arbiters` contiguous
/// parts, part k on arbiter k (all local: the layout a run without hosts always had).
pub(crate) fn layout(count: usize, arbiters: usize, placement: Placement) -> Result<Vec<Slot>, String> {
    let mut slots = Vec::new();
    let mut next = 0;
    let all_local = placement.remote.is_empty();
    let local = |slots: &mut Vec<Slot>, vms: Range<usize>| {
        if vms.is_empty() && !all_local {
            return;
        }
        let (_, parts) = block_ranges(vms.len(), arbiters);
        for (arbiter, part) in parts.into_iter().enumerate() {
            let vms = vms.start + part.start..vms.start + part.end;
            slots.push(Slot::Local { arbiter, vms });
        }
    };
    for (vms, block) in placement.remote {
        if vms.start < next || vms.end > count || vms.is_empty() {
            return Err(format!("remote block {vms:?} is empty, overlaps another or lies past the {count} VMs"));
        }
        local(&mut slots, next..vms.start);
        next = vms.end;
        slots.push(Slot::Remote { vms, block });
    }
    local(&mut slots, next..count);
    Ok(slots)
}

/// `count` VMs cut into `parts` contiguous blocks in VM order: each VM's block, and each
/// block's range (some empty when there are fewer VMs than parts).
pub(crate) fn block_ranges(count: usize, parts: usize) -> (Vec<usize>, Vec<Range<usize>>) {
    let relay_of: Vec<usize> = (0..count).map(|i| i * parts / count.max(1)).collect();
    let blocks =
        (0..parts).map(|r| relay_of.partition_point(|&x| x < r)..relay_of.partition_point(|&x| x <= r)).collect();
    (relay_of, blocks)
}
