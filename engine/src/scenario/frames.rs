//! A scenario as a run of frames, as traces and checkpoints embed it: a head frame with
//! the settings and the counts, one frame per genome and per package, then the VMs and the
//! events in chunks, then one frame per timeline script. No frame grows with the number of
//! VMs or events, so whatever scenario the gate accepts, a writer can write and a reader
//! read back. Reading ends with the gate.

use super::limits::{EVENTS_MAX, SCRIPTS_MAX, SCRIPTS_TOTAL_BYTES_MAX, VMS_MAX};
use super::{Event, Scenario, TimelineScript, VmSpec};
use crate::chassis::Chassis;
use crate::codec::{FormatError, FrameReader, FrameWriter};
use crate::genome::Genome;
use crate::package::Package;
use crate::policy::{PolicyKind, PolicyParams};
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// VMs or events per frame: a VM spec is at most ~400 bytes (an id of at most 256), an
/// event ~60, so a chunk stays far below a frame's limit.
const CHUNK: usize = 4096;

/// Everything but the lists, and how long the lists are.
#[derive(Serialize, Deserialize)]
struct Head {
    format_version: u32,
    name: String,
    seed: u64,
    ticks: u64,
    tick_seconds: f64,
    policy: PolicyKind,
    policy_params: PolicyParams,
    chassis: Chassis,
    genomes: u32,
    packages: u32,
    vms: u32,
    events: u32,
    scripts: u32,
}

/// Writes `s` as frames.
pub fn write<W: Write>(out: &mut FrameWriter<W>, s: &Scenario) -> io::Result<()> {
    let count = |n: usize| u32::try_from(n).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "list too long"));
    out.value(&Head {
        format_version: s.format_version,
        name: s.name.clone(),
        seed: s.seed,
        ticks: s.ticks,
        tick_seconds: s.tick_seconds,
        policy: s.policy,
        policy_params: s.policy_params,
        chassis: s.chassis,
        genomes: count(s.genomes.len())?,
        packages: count(s.packages.len())?,
        vms: count(s.vms.len())?,
        events: count(s.events.len())?,
        scripts: count(s.scripts.len())?,
    })?;
    for g in &s.genomes {
        out.value(g)?;
    }
    for p in &s.packages {
        out.value(p)?;
    }
    for chunk in s.vms.chunks(CHUNK) {
        out.value(chunk)?;
    }
    for chunk in s.events.chunks(CHUNK) {
        out.value(chunk)?;
    }
    for script in &s.scripts {
        out.value(script)?;
    }
    Ok(())
}

/// Reads a scenario written by [`write()`], each count bounded before anything is
/// allocated for it, and passes it through the gate ([`Scenario::check`]).
pub fn read<R: Read>(frames: &mut FrameReader<R>) -> Result<Scenario, FormatError> {
    let head: Head = frames.next("the scenario")?;
    if head.vms > VMS_MAX
        || head.genomes > VMS_MAX
        || head.events as usize > EVENTS_MAX
        || head.packages as usize > EVENTS_MAX
        || head.scripts as usize > SCRIPTS_MAX
    {
        return Err(frames.corrupt(format!(
            "the scenario claims {} VMs, {} genomes, {} packages, {} events and {} scripts (at most {VMS_MAX}, \
             {VMS_MAX}, {EVENTS_MAX}, {EVENTS_MAX}, {SCRIPTS_MAX})",
            head.vms, head.genomes, head.packages, head.events, head.scripts
        )));
    }
    let mut genomes: Vec<Genome> = Vec::with_capacity(head.genomes as usize);
    for _ in 0..head.genomes {
        genomes.push(frames.next("a genome")?);
    }
    let mut packages: Vec<Package> = Vec::with_capacity((head.packages as usize).min(CHUNK));
    for _ in 0..head.packages {
        packages.push(frames.next("a package")?);
    }
    let vms: Vec<VmSpec> = chunks(frames, head.vms as usize, "the scenario's VMs")?;
    let events: Vec<Event> = chunks(frames, head.events as usize, "the scenario's events")?;
    // Scripts are read until their bytes together pass the gate's bound, not all first.
    let (mut scripts, mut total) = (Vec::with_capacity((head.scripts as usize).min(CHUNK)), 0usize);
    for _ in 0..head.scripts {
        let script: TimelineScript = frames.next("a timeline script")?;
        total = total.saturating_add(script.code.len());
        if total > SCRIPTS_TOTAL_BYTES_MAX {
            return Err(frames.corrupt(format!("the scripts hold more than {SCRIPTS_TOTAL_BYTES_MAX} bytes together")));
        }
        scripts.push(script);
    }
    let s = Scenario {
        format_version: head.format_version,
        name: head.name,
        seed: head.seed,
        ticks: head.ticks,
        tick_seconds: head.tick_seconds,
        policy: head.policy,
        policy_params: head.policy_params,
        chassis: head.chassis,
        vms,
        events,
        genomes,
        packages,
        scripts,
    };
    s.check().map_err(|e| frames.invalid(e))?;
    Ok(s)
}

/// Reads `count` items in frames of [`CHUNK`], each frame exactly as long as it must be.
fn chunks<R: Read, T: serde::de::DeserializeOwned>(
    frames: &mut FrameReader<R>,
    count: usize,
    what: &str,
) -> Result<Vec<T>, FormatError> {
    let mut items = Vec::with_capacity(count.min(CHUNK));
    while items.len() < count {
        let chunk: Vec<T> = frames.next(what)?;
        let expected = (count - items.len()).min(CHUNK);
        if chunk.len() != expected {
            return Err(frames.corrupt(format!("{what}: a frame of {} where {expected} were due", chunk.len())));
        }
        items.extend(chunk);
    }
    Ok(items)
}
