//! Traces: a versioned header, the scenario, one frame per tick, and a closing frame.
//!
//! Layout: `BIOXENTR · version · header · scenario frames · tick… · end`, each frame
//! checksummed ([`crate::codec`]). A tick is one frame, or, past [`VMS_PER_FRAME`] VM
//! records, a frame with the first of them and continuation frames with the rest (version
//! 7; version 6, which had no continuations, reads the same). From version 8 the frames
//! after the scenario are gathered into zstd-compressed blocks (`blocks.rs`): a
//! syn3A trace shrinks from ~29 to ~7.5 bytes a VM-tick. Readers take 6, 7 and 8. The
//! scenario is embedded, so a trace can be replayed on its own. Reading checks the scenario with the gate and each record's shape (ticks in
//! order from 0, VMs that exist, in order), so what a reader hands on can be indexed
//! without further checks. The engine writes to and reads from any `Write`/`Read`; where
//! the bytes live (and writing under a temporary name) is the caller's business.

use crate::blocks::{BlockReader, BlockWriter, INNER_FRAME_BYTES_MAX};
use crate::codec::{FormatError, FrameReader, FrameWriter};
use crate::record::{EventRecord, TickRecord, VmRecord, digest_start, tick_record_bytes_max};
use crate::resources::Resources;
use crate::scenario::limits::VMS_MAX;
use crate::scenario::{Scenario, frames};
use crate::trace_columns;
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// Trace format version: 8 compresses the ticks' frames in blocks; 7 split a tick's
/// records over frames.
pub const TRACE_FORMAT_VERSION: u32 = 8;
/// The first version whose ticks are in compressed blocks.
const BLOCKS_SINCE: u32 = 8;
/// The oldest version readers take: 6 is 7 without continuation frames.
pub const TRACE_FORMAT_OLDEST: u32 = 6;

/// Most VM records in one frame: 2¹⁸ records of at most 97 bytes, with the most events a
/// tick can hold, is ~29 MB, within a frame's 64 MiB. A tick of more VMs (up to
/// [`VMS_MAX`], 2²⁰) continues in further frames.
pub const VMS_PER_FRAME: usize = 1 << 18;
const _: () = assert!(tick_record_bytes_max(VMS_PER_FRAME) + 8 <= INNER_FRAME_BYTES_MAX);
const MAGIC: &[u8; 8] = b"BIOXENTR";
const KIND: &str = "BioXen trace";

/// What a trace says about the run that made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceHeader {
    /// Version of the engine that wrote it.
    pub engine_version: String,
    /// The digest before the first tick: a check that the scenario is the one run.
    pub digest_start: [u8; 32],
}

/// A frame after the scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum TraceFrame {
    /// One tick.
    Tick(TickRecord),
    /// The last frame: the run's length and digest.
    End {
        /// Ticks recorded.
        ticks: u64,
        /// Digest after the last tick.
        digest: [u8; 32],
    },
    /// More VM records of the tick before (version 7).
    More(Vec<VmRecord>),
}

/// Writes a trace as the run goes.
pub struct TraceWriter<W: Write> {
    out: FrameWriter<W>,
    blocks: BlockWriter,
    ticks: u64,
    /// The tick before's VM records, against which this tick's are written
    /// ([`crate::trace_columns`]), across blocks: at 100,000 VMs a 4 MB block holds ~2.5
    /// ticks, and starting each block afresh made the trace 40 % larger.
    previous: Vec<VmRecord>,
}

impl<W: Write> TraceWriter<W> {
    /// Starts a trace of `scenario` in `out`: the header and the scenario.
    pub fn new(out: W, scenario: &Scenario) -> io::Result<TraceWriter<W>> {
        let mut out = FrameWriter::new(out, MAGIC, TRACE_FORMAT_VERSION)?;
        out.value(&TraceHeader {
            engine_version: crate::ENGINE_VERSION.to_string(),
            digest_start: digest_start(scenario),
        })?;
        frames::write(&mut out, scenario)?;
        Ok(TraceWriter { out, blocks: BlockWriter::new()?, ticks: 0, previous: Vec::new() })
    }

    /// Appends one tick: one frame, and a continuation frame per further
    /// [`VMS_PER_FRAME`] VM records.
    pub fn write(&mut self, record: &TickRecord) -> io::Result<()> {
        self.ticks += 1;
        let mut chunks = record.vms.chunks(VMS_PER_FRAME);
        let first = chunks.next().unwrap_or(&[]);
        let base = &self.previous;
        let head = (TICK, record.tick, record.pool, record.atp_store, &record.events, first.len() as u64);
        self.blocks.frame(&mut self.out, |raw| {
            crate::codec::encode_into(&head, raw);
            trace_columns::encode(first, base, raw);
        })?;
        for more in chunks {
            let base = &self.previous;
            self.blocks.frame(&mut self.out, |raw| {
                crate::codec::encode_into(&(MORE, more.len() as u64), raw);
                trace_columns::encode(more, base, raw);
            })?;
        }
        self.previous.clone_from(&record.vms);
        Ok(())
    }

    /// Writes the closing frame and hands back the writer, flushed.
    pub fn finish(mut self, digest: [u8; 32]) -> io::Result<W> {
        let end = TraceFrame::End { ticks: self.ticks, digest };
        self.blocks.frame(&mut self.out, |raw| crate::codec::encode_into(&end, raw))?;
        self.blocks.flush(&mut self.out)?;
        self.out.finish()
    }
}

/// The variant indices of [`TraceFrame::Tick`] and [`TraceFrame::More`], as serde encodes
/// them.
const TICK: u32 = 0;
const MORE: u32 = 2;

/// Reads a frame of version 8 (a tick's head as serde encodes it, then its records in
/// columns against `base`), or says what is wrong with it.
fn decode_frame(payload: &[u8], base: &[VmRecord]) -> Result<TraceFrame, String> {
    let variant = crate::codec::get_varint(payload, 0).map(|(v, _)| v);
    let (n, used, head) = match variant {
        Some(v) if v == u64::from(TICK) => {
            type Head = (u32, u64, Resources, u64, Vec<EventRecord>, u64);
            let ((_, tick, pool, atp_store, events, n), used): (Head, usize) =
                crate::codec::decode_prefix(payload).map_err(|e| e.to_string())?;
            (n, used, Some((tick, pool, atp_store, events)))
        }
        Some(v) if v == u64::from(MORE) => {
            let ((_, n), used): ((u32, u64), usize) =
                crate::codec::decode_prefix(payload).map_err(|e| e.to_string())?;
            (n, used, None)
        }
        _ => return crate::codec::decode(payload).map_err(|e| e.to_string()),
    };
    if n > VMS_PER_FRAME as u64 {
        return Err(format!("{n} VM records in one frame, past the {VMS_PER_FRAME} a frame holds"));
    }
    let vms = trace_columns::decode(&payload[used..], n as usize, base)?;
    Ok(match head {
        Some((tick, pool, atp_store, events)) => TraceFrame::Tick(TickRecord { tick, pool, atp_store, events, vms }),
        None => TraceFrame::More(vms),
    })
}

/// Reads a trace frame by frame.
pub struct TraceReader<R> {
    frames: FrameReader<R>,
    /// The header.
    pub header: TraceHeader,
    /// The scenario run (checked by the gate).
    pub scenario: Scenario,
    next_tick: u64,
    ended: bool,
    /// The frame read after a tick's last, to see that it was its last.
    ahead: Option<TraceFrame>,
    /// The blocks the ticks are in (version 8 on).
    blocks: Option<BlockReader>,
    /// The tick before's VM records, as [`TraceWriter`] keeps them (version 8 on).
    previous: Vec<VmRecord>,
}

/// The end of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEnd {
    /// Ticks recorded.
    pub ticks: u64,
    /// Digest recorded.
    pub digest: [u8; 32],
}

impl<R: Read> TraceReader<R> {
    /// Reads a trace's header and scenario from `input`; `what` names it in errors.
    pub fn new(input: R, what: &str) -> Result<TraceReader<R>, FormatError> {
        let mut frames =
            FrameReader::open_versions(input, what, KIND, MAGIC, TRACE_FORMAT_OLDEST..=TRACE_FORMAT_VERSION)?;
        let header: TraceHeader = frames.next("the trace header")?;
        let scenario = frames::read(&mut frames)?;
        if digest_start(&scenario) != header.digest_start {
            return Err(frames.corrupt("the embedded scenario is not the one the run started from".into()));
        }
        let blocks = (frames.version() >= BLOCKS_SINCE).then(BlockReader::default);
        Ok(TraceReader {
            frames,
            header,
            scenario,
            next_tick: 0,
            ended: false,
            ahead: None,
            blocks,
            previous: Vec::new(),
        })
    }

    /// The next frame after the scenario, from a block or on its own.
    fn frame(&mut self) -> Result<TraceFrame, FormatError> {
        let Some(blocks) = &mut self.blocks else { return self.frames.next("a tick record") };
        let (payload, block) = blocks.next(&mut self.frames, "a tick record")?;
        match decode_frame(payload, &self.previous) {
            Ok(frame) => Ok(frame),
            Err(e) => {
                Err(self.frames.corrupt(format!("block {block} holds no valid tick record where one should be: {e}")))
            }
        }
    }

    /// The next tick, or `Ok(Err(end))` at the closing frame. A file that stops without
    /// its closing frame is truncated; a record out of order or naming a VM that does not
    /// exist is corrupt.
    pub fn next_tick(&mut self) -> Result<Result<TickRecord, TraceEnd>, FormatError> {
        if self.ended {
            return Err(self.frames.corrupt("read past the closing frame".into()));
        }
        let frame = match self.ahead.take() {
            Some(frame) => frame,
            None => self.frame()?,
        };
        match frame {
            TraceFrame::Tick(mut t) => {
                self.read_continuations(&mut t)?;
                self.check_record(&t)?;
                self.next_tick += 1;
                if self.blocks.is_some() {
                    self.previous.clone_from(&t.vms);
                }
                Ok(Ok(t))
            }
            TraceFrame::More(_) => Err(self
                .frames
                .corrupt(format!("VM records continuing a tick, where tick record {} should start", self.next_tick))),
            TraceFrame::End { ticks, digest } => {
                self.ended = true;
                if ticks != self.next_tick {
                    return Err(self.frames.corrupt(format!(
                        "the closing frame counts {ticks} ticks, but the trace holds {}",
                        self.next_tick
                    )));
                }
                if !self.blocks.as_ref().is_none_or(BlockReader::is_used_up) {
                    return Err(self.frames.corrupt("frames after the closing frame".into()));
                }
                self.frames.expect_end()?;
                Ok(Err(TraceEnd { ticks, digest }))
            }
        }
    }

    /// Appends the continuation frames of tick `t` to it: they follow a full frame of
    /// records, each of at most [`VMS_PER_FRAME`], the last one not full, none past
    /// [`VMS_MAX`] in all. Where the last is full, the frame after it is kept for the next
    /// call.
    fn read_continuations(&mut self, t: &mut TickRecord) -> Result<(), FormatError> {
        if t.vms.len() < VMS_PER_FRAME {
            return Ok(());
        }
        loop {
            // In blocks, a frame is decoded against the tick before this one: look at what
            // the next frame is before decoding it.
            if let Some(blocks) = &mut self.blocks
                && blocks.peek(&mut self.frames, "a tick record")? != Some(u64::from(MORE))
            {
                break;
            }
            match self.frame()? {
                TraceFrame::More(more) => {
                    if more.is_empty() || more.len() > VMS_PER_FRAME || t.vms.len() + more.len() > VMS_MAX as usize {
                        return Err(self.frames.corrupt(format!(
                            "tick record {}: a continuation of {} VM records, past the {VMS_PER_FRAME} a frame \
                             holds or the {VMS_MAX} a run may have",
                            self.next_tick,
                            more.len()
                        )));
                    }
                    let whole = more.len() == VMS_PER_FRAME;
                    t.vms.extend(more);
                    if !whole {
                        break;
                    }
                }
                // A tick whose records fill their frames exactly: the frame after them
                // says so, and is the next call's.
                other => {
                    self.ahead = Some(other);
                    break;
                }
            }
        }
        Ok(())
    }

    /// The shape later readers rely on: ticks in order from 0, within the run; VM records
    /// in strictly increasing VM order, each an existing VM; events for existing VMs.
    fn check_record(&self, t: &TickRecord) -> Result<(), FormatError> {
        let n = self.scenario.vms.len() as u64;
        let wrong = |detail: String| Err(self.frames.corrupt(format!("tick record {}: {detail}", self.next_tick)));
        if t.tick != self.next_tick || t.tick >= self.scenario.ticks {
            return wrong(format!("it says tick {}", t.tick));
        }
        if let Some(e) = t.events.iter().find(|e| u64::from(e.vm) >= n) {
            return wrong(format!("an event for VM #{}, but there are {n}", e.vm));
        }
        if t.vms.windows(2).any(|w| w[0].vm >= w[1].vm) || t.vms.last().is_some_and(|v| u64::from(v.vm) >= n) {
            return wrong(format!("its VM records are out of order or name VMs past the {n} there are"));
        }
        Ok(())
    }
}
