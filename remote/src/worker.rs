//! The worker's side (`bioxen worker --stdio`): after the handshake, host the block the
//! coordinator sends in VM actors ([`bioxen_actors::hosted`]) and answer each tick. It
//! reads nothing but its input and writes nothing but its output: no shell, no files.

use crate::handshake::{HandshakeError, Hello, handshake};
use crate::protocol::{CELLS_PER_FRAME, FromWorker, Ran, Report, Setup, TickOrder, ToWorker, chunk_fits};
use crate::wire::{WireReader, WireWriter};
use bioxen_actors::hosted::HostedBlock;
use bioxen_actors::messages::{Block, GrantBatch};
use bioxen_engine::cell::Cell;
use bioxen_engine::codec::FormatError;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::restore::Part;
use bioxen_engine::scenario::frames;
use std::io::{self, Read, Write};

/// Why a worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The handshake failed (the coordinator was refused, or refused us).
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// The coordinator's stream broke or was not ours.
    #[error(transparent)]
    Wire(#[from] FormatError),
    /// Writing to the coordinator failed.
    #[error("cannot write to the coordinator: {0}")]
    Send(#[from] io::Error),
    /// The coordinator broke the protocol, or the hosted actors stopped.
    #[error("{0}")]
    Protocol(String),
}

/// Serves one coordinator on `input` and `output` until it says goodbye, with the hosted
/// VMs spread over `arbiters` threads.
pub fn serve<R: Read, W: Write>(input: R, output: W, arbiters: usize) -> Result<(), WorkerError> {
    serve_within(input, output, arbiters, u64::MAX)
}

/// [`serve`], refusing whole runs of more than `run_vm_ticks` VM-ticks (the fuzz
/// target's bound on its work).
pub fn serve_within<R: Read, W: Write>(
    input: R,
    output: W,
    arbiters: usize,
    run_vm_ticks: u64,
) -> Result<(), WorkerError> {
    let (mut rx, mut tx) = handshake(input, output, &Hello::ours(), "the coordinator")?;
    let mut block: Option<HostedBlock> = None;
    loop {
        match rx.receive::<ToWorker>("a request")? {
            ToWorker::Setup(setup) => {
                if let Some(old) = block.take() {
                    old.stop();
                }
                match host(&mut rx, &setup, arbiters) {
                    Ok(hosted) => {
                        block = Some(hosted);
                        tx.send(&FromWorker::Ready)?;
                    }
                    Err(SetupError::Refused(why)) => tx.send(&FromWorker::Refused(why))?,
                    Err(SetupError::Wire(e)) => return Err(e.into()),
                }
            }
            ToWorker::Tick(order) => {
                let hosted = block.as_mut().ok_or_else(|| protocol("a tick before any setup"))?;
                let report = tick(hosted, order)?;
                tx.send(&FromWorker::Report(report))?;
            }
            ToWorker::TakeCells => {
                let hosted = block.as_mut().ok_or_else(|| protocol("cells asked before any setup"))?;
                let cells = hosted.cells().map_err(|e| WorkerError::Protocol(e.to_string()))?;
                send_cells(&mut tx, &cells)?;
            }
            ToWorker::Cells(_) => return Err(protocol("cells outside a setup")),
            ToWorker::Run => {
                let scenario = frames::read(rx.frames())?;
                let work = (scenario.vms.len() as u64).saturating_mul(scenario.ticks);
                let answer = if work > run_vm_ticks {
                    FromWorker::Refused(format!("a run of {work} VM-ticks, more than the {run_vm_ticks} allowed"))
                } else {
                    run_whole(scenario, arbiters)
                };
                tx.send(&answer)?;
            }
            ToWorker::Bye => {
                if let Some(b) = block.take() {
                    b.stop();
                }
                return Ok(());
            }
        }
    }
}

fn protocol(what: &str) -> WorkerError {
    WorkerError::Protocol(format!("the coordinator broke the protocol: {what}"))
}

enum SetupError {
    /// The block cannot be hosted (it fails the gate): said to the coordinator.
    Refused(String),
    /// The stream broke.
    Wire(FormatError),
}

/// Reads the block's scenario and cells and starts its actors. The scenario passes the
/// gate as it is read, and the cells as they are restored.
fn host<R: Read>(rx: &mut WireReader<R>, setup: &Setup, arbiters: usize) -> Result<HostedBlock, SetupError> {
    let scenario = frames::read(rx.frames()).map_err(SetupError::Wire)?;
    let count = setup.count as usize;
    if setup.first as usize + count > scenario.vms.len() {
        return Err(SetupError::Refused(format!(
            "a block of {count} VMs from #{} in a scenario of {}",
            setup.first,
            scenario.vms.len()
        )));
    }
    let cells = receive_cells(rx, count).map_err(SetupError::Wire)?;
    let part = Part::restore(&scenario, setup.first as usize, cells, setup.tick)
        .map_err(|e| SetupError::Refused(e.to_string()))?;
    HostedBlock::start(part, setup.relay, scenario.tick_seconds, arbiters)
        .map_err(|e| SetupError::Refused(e.to_string()))
}

/// Reads `count` cells sent in frames of at most [`CELLS_PER_FRAME`]: a peer that sends
/// more in a frame, or frames of anything else, is refused.
fn receive_cells<R: Read>(rx: &mut WireReader<R>, count: usize) -> Result<Vec<Cell>, FormatError> {
    let mut cells = Vec::with_capacity(count.min(CELLS_PER_FRAME));
    while cells.len() < count {
        match rx.receive::<ToWorker>("a frame of cells")? {
            ToWorker::Cells(chunk) if chunk_fits(chunk.len(), cells.len(), count) => cells.extend(chunk),
            _ => return Err(rx.frames().corrupt("a frame of cells of the wrong size or kind".into())),
        }
    }
    Ok(cells)
}

/// Sends `cells` in frames of at most [`CELLS_PER_FRAME`].
pub(crate) fn send_cells<W: Write>(tx: &mut WireWriter<W>, cells: &[Cell]) -> io::Result<()> {
    for chunk in cells.chunks(CELLS_PER_FRAME) {
        tx.send(&FromWorker::Cells(chunk.to_vec()))?;
    }
    Ok(())
}

/// Runs one tick of the hosted block. The order must be one a scheduler sends: a
/// lifecycle for each hosted VM, one grant of this tick to each running VM in VM order
/// and to no other, changes only for hosted VMs. (The relays count on it: a grant for
/// another tick, or two for one VM, would leave a tick waiting for ever.)
fn tick(hosted: &mut HostedBlock, order: TickOrder) -> Result<Report, WorkerError> {
    let TickOrder { tick, grants, lifecycles, changes } = order;
    let vms = hosted.vms();
    let running = lifecycles.iter().zip(vms.clone()).filter(|(l, _)| **l == Lifecycle::Running).map(|(_, vm)| vm);
    let fits = lifecycles.len() == vms.len()
        && grants.iter().all(|(_, g)| g.tick == tick)
        && grants.iter().map(|(vm, _)| *vm).eq(running)
        && changes.iter().all(|c| vms.contains(&c.vm));
    if !fits {
        return Err(protocol(
            "a tick order no scheduler sends (its grants are not this tick's, one to each running VM)",
        ));
    }
    let batch =
        GrantBatch { tick, grants, lifecycles, changes, spare_block: Block::default(), spare_demands: Vec::new() };
    let report = hosted.tick(batch).map_err(|e| WorkerError::Protocol(e.to_string()))?;
    // The demands are the running VMs', in VM order; so are their records among all.
    let mut records = report.block.records().iter();
    let ran = report
        .demands
        .iter()
        .filter_map(|&(vm, next)| records.find(|r| r.vm == vm).map(|r| Ran::of(r, next)))
        .collect();
    Ok(Report { tick, ran, fault: report.fault })
}

/// Runs a whole run on the engine with `threads` threads; its checkpoint, or why not.
fn run_whole(scenario: bioxen_engine::scenario::Scenario, threads: usize) -> FromWorker {
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(e) => return FromWorker::Refused(format!("cannot start {threads} threads: {e}")),
    };
    let finished = pool.install(|| -> Result<Vec<u8>, String> {
        let mut sim = bioxen_engine::sim::Simulation::new(scenario).map_err(|e| e.to_string())?;
        sim.run(|_, _| {}).map_err(|e| e.to_string())?;
        bioxen_engine::checkpoint::write(Vec::new(), &sim).map_err(|e| e.to_string())
    });
    match finished {
        Ok(bytes) if bytes.len() < bioxen_engine::codec::FRAME_BYTES_MAX - 1024 => FromWorker::Finished(bytes),
        Ok(bytes) => FromWorker::Refused(format!("the finished run ({} bytes) is larger than a frame", bytes.len())),
        Err(e) => FromWorker::Refused(e),
    }
}
