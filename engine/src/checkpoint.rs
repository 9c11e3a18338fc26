//! Checkpoints: a whole run's state, enough to finish it with the same digest.
//!
//! Layout: `BIOXENCK · version · header · scenario frames · one frame per VM · end`. VMs
//! get a frame each so that no frame grows with the number of VMs. Frames are checksummed
//! ([`crate::codec`]), and the end frame carries a BLAKE3 of every payload before it, in
//! order, so a damaged or reassembled checkpoint is refused rather than resumed from.
//! Reading restores each VM as its frame is read ([`Restorer`]), through the gate that
//! checks the state against its scenario.
//! The engine writes to and reads from any `Write`/`Read`; naming and placing the file is
//! the caller's business.

use crate::cell::Cell;
use crate::codec::{FormatError, FrameReader, FrameWriter};
use crate::hypervisor::Hypervisor;
use crate::record::EventRecord;
use crate::restore::Restorer;
use crate::scenario::{Allocation, Scenario, frames};
use crate::sim::{HostState, SimError, Simulation};
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// Checkpoint format version.
pub const CHECKPOINT_FORMAT_VERSION: u32 = 6;
const MAGIC: &[u8; 8] = b"BIOXENCK";
const KIND: &str = "BioXen checkpoint";

#[derive(Serialize, Deserialize)]
struct Header {
    engine_version: String,
    tick: u64,
    digest: [u8; 32],
    next_event: u64,
    commands: Vec<EventRecord>,
    hypervisor: Hypervisor,
    origin: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct End {
    checksum: [u8; 32],
}

/// Passes bytes through, hashing them: the checksum covers every byte of the file before
/// the closing frame, preamble included.
struct Hashing<T> {
    inner: T,
    hash: blake3::Hasher,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Writes the simulation's state to `out` and hands it back, flushed.
pub fn write<W: Write>(out: W, sim: &Simulation) -> io::Result<W> {
    let mut w = Writer::start(out, sim.scenario(), sim.host())?;
    for (allocation, vm) in sim.host().allocations.iter().zip(sim.vms()) {
        w.vm(allocation, &vm.cell())?;
    }
    w.finish()
}

/// A checkpoint written a VM at a time, as a runtime hands its cells over, so that no
/// runtime needs every cell at once to write one: [`Writer::start`] with the scenario
/// and the host's side, [`Writer::vm`] for each VM in order, then [`Writer::finish`].
pub struct Writer<W: Write> {
    frames: FrameWriter<Hashing<W>>,
}

impl<W: Write> Writer<W> {
    /// Writes the preamble, the host's side (`host`'s allocations come with each VM) and
    /// the scenario.
    pub fn start(out: W, scenario: &Scenario, host: &HostState) -> io::Result<Writer<W>> {
        let hashing = Hashing { inner: out, hash: blake3::Hasher::new() };
        let mut frames = FrameWriter::new(hashing, MAGIC, CHECKPOINT_FORMAT_VERSION)?;
        frames.value(&Header {
            engine_version: crate::ENGINE_VERSION.to_string(),
            tick: host.tick,
            digest: host.digest,
            next_event: host.next_event as u64,
            commands: host.commands.clone(),
            hypervisor: host.hypervisor.clone(),
            origin: host.origin,
        })?;
        frames::write(&mut frames, scenario)?;
        Ok(Writer { frames })
    }

    /// Writes the next VM's allocation and cell. Each VM is a value (its `Cell`), so that
    /// the format does not follow the in-memory layout.
    pub fn vm(&mut self, allocation: &Allocation, cell: &Cell) -> io::Result<()> {
        self.frames.value(&(allocation, cell))
    }

    /// Writes the closing frame and hands the output back, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        let checksum = *self.frames.get_ref().hash.finalize().as_bytes();
        self.frames.value(&End { checksum })?;
        Ok(self.frames.finish()?.inner)
    }
}

/// Why a checkpoint cannot be resumed.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file is unreadable, of another format, truncated or corrupt.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// The state does not fit its own scenario.
    #[error("{path}: {source}")]
    State {
        /// The file.
        path: String,
        /// What does not fit.
        source: SimError,
    },
}

/// Reads a checkpoint from `input` (`what` names it in errors) and rebuilds the simulation
/// at its tick.
pub fn read<R: Read>(input: R, what: &str) -> Result<Simulation, CheckpointError> {
    let input = Hashing { inner: input, hash: blake3::Hasher::new() };
    let mut frames = FrameReader::open(input, what, KIND, MAGIC, CHECKPOINT_FORMAT_VERSION)?;
    let header: Header = frames.next("the checkpoint header")?;
    let scenario = frames::read(&mut frames)?;
    let host = HostState {
        tick: header.tick,
        allocations: Vec::new(),
        hypervisor: header.hypervisor,
        digest: header.digest,
        next_event: usize::try_from(header.next_event).unwrap_or(usize::MAX),
        commands: header.commands,
        origin: header.origin,
    };
    // The VM count comes from the scenario (bounded by the gate); each VM is read from
    // its own bounded frame and becomes a VM as it is read, so that the cells (a plain
    // vector per gene) are never all held beside the VMs.
    let mut restorer = Restorer::new(scenario, host);
    for vm in 0..restorer.scenario().vms.len() {
        let what = format!("the state of VM `{}`", restorer.scenario().vms[vm].id);
        let (allocation, cell): (Allocation, Cell) = frames.next(&what)?;
        restorer.push(allocation, cell);
    }
    let expected = *frames.get_ref().hash.finalize().as_bytes();
    let end: End = frames.next("the closing frame")?;
    if end.checksum != expected {
        return Err(frames.corrupt("the checksum over its frames does not match".into()).into());
    }
    frames.expect_end()?;
    restorer.finish().map_err(|source| CheckpointError::State { path: what.to_string(), source })
}
