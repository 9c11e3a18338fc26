//! Checkpoints: a whole run's state, enough to finish it with the same digest.
//!
//! Layout: `BIOXENCK · version · header · one frame per VM · end`. VMs get a frame each
//! so that no frame grows with the number of VMs; the end frame carries a BLAKE3 of every
//! payload before it, so a corrupt checkpoint is refused rather than resumed from.

use crate::codec::{self, FormatError, FrameReader};
use crate::hypervisor::Hypervisor;
use crate::scenario::{Allocation, Scenario};
use crate::sim::{SimError, SimState, Simulation};
use crate::vm::Vm;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

/// Checkpoint format version.
pub const CHECKPOINT_FORMAT_VERSION: u32 = 2;
const MAGIC: &[u8; 8] = b"BIOXENCK";
const KIND: &str = "BioXen checkpoint";

#[derive(Serialize, Deserialize)]
struct Header {
    engine_version: String,
    scenario_hash: [u8; 32],
    scenario: Scenario,
    tick: u64,
    allocations: Vec<Allocation>,
    hypervisor: Hypervisor,
    digest: [u8; 32],
    next_event: usize,
    commands: Vec<crate::record::EventRecord>,
}

#[derive(Serialize, Deserialize)]
struct End {
    checksum: [u8; 32],
}

/// The file name of the checkpoint taken after `tick` ticks: sortable by name.
pub fn file_name(tick: u64) -> String {
    format!("checkpoint-{tick:012}.bxck")
}

/// Writes the simulation's state to `dir`, atomically; returns the file written.
pub fn write(dir: &Path, sim: &Simulation) -> io::Result<PathBuf> {
    let path = dir.join(file_name(sim.tick()));
    let s = sim.state();
    let header = Header {
        engine_version: crate::ENGINE_VERSION.to_string(),
        scenario_hash: sim.scenario().hash(),
        scenario: sim.scenario().clone(),
        tick: s.tick,
        allocations: s.allocations.clone(),
        hypervisor: s.hypervisor.clone(),
        digest: s.digest,
        next_event: s.next_event,
        commands: s.commands.clone(),
    };
    codec::write_atomically(&path, |w| {
        codec::write_preamble(w, MAGIC, CHECKPOINT_FORMAT_VERSION)?;
        let mut checksum = blake3::Hasher::new();
        let mut frame = |w: &mut dyn Write, payload: Vec<u8>| {
            checksum.update(&payload);
            codec::write_frame(w, &payload)
        };
        frame(w, codec::encode(&header))?;
        for vm in &s.vms {
            frame(w, codec::encode(vm))?;
        }
        let end = End { checksum: *checksum.finalize().as_bytes() };
        codec::write_frame(w, &codec::encode(&end))
    })?;
    Ok(path)
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

/// Reads a checkpoint and rebuilds the simulation at its tick.
pub fn read(path: &Path) -> Result<Simulation, CheckpointError> {
    let what = path.display().to_string();
    let file = File::open(path).map_err(|source| FormatError::Io { what: what.clone(), source })?;
    let mut frames = FrameReader::open(BufReader::new(file), &what, KIND, MAGIC, CHECKPOINT_FORMAT_VERSION)?;
    let mut checksum = blake3::Hasher::new();
    let mut payload = |frames: &mut FrameReader<_>, expecting: &str| -> Result<Vec<u8>, FormatError> {
        let p = frames.next_payload()?.ok_or_else(|| frames.truncated(format!("ends where {expecting} should be")))?;
        checksum.update(&p);
        Ok(p)
    };
    let header: Header = {
        let p = payload(&mut frames, "the header")?;
        frames.decode(&p, "checkpoint header")?
    };
    if header.scenario.hash() != header.scenario_hash {
        return Err(frames.corrupt("scenario does not match its hash".into()).into());
    }
    // The VM count comes from the scenario, itself bounded by the chassis' VM limit; each
    // VM is read from its own bounded frame.
    let mut vms: Vec<Vm> = Vec::with_capacity(header.scenario.vms.len().min(1 << 16));
    for spec in &header.scenario.vms {
        let p = payload(&mut frames, &format!("the state of VM `{}`", spec.id))?;
        vms.push(frames.decode(&p, "VM state")?);
    }
    let expected = *checksum.finalize().as_bytes();
    let end: End = frames.next("the closing frame")?;
    if end.checksum != expected {
        return Err(frames.corrupt("checksum mismatch".into()).into());
    }
    if frames.next_payload()?.is_some() {
        return Err(frames.corrupt("frames after the closing frame".into()).into());
    }
    let state = SimState {
        tick: header.tick,
        vms,
        allocations: header.allocations,
        hypervisor: header.hypervisor,
        digest: header.digest,
        next_event: header.next_event,
        commands: header.commands,
    };
    Simulation::restore(header.scenario, state).map_err(|source| CheckpointError::State { path: what, source })
}
