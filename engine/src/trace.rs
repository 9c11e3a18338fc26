//! Trace files: a versioned header, one frame per tick, and a closing frame.
//!
//! Layout: `BIOXENTR · version · header · tick… · end`. The header embeds the resolved
//! scenario, so a trace can be replayed on its own. The file is written under a temporary
//! name and renamed when the closing frame is in, so a trace under its final name is
//! always whole.

use crate::codec::{self, FormatError, FrameReader};
use crate::record::TickRecord;
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Trace format version.
pub const TRACE_FORMAT_VERSION: u32 = 2;
const MAGIC: &[u8; 8] = b"BIOXENTR";
const KIND: &str = "BioXen trace";

/// What a trace says about the run that made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceHeader {
    /// Trace format version (also in the preamble).
    pub format_version: u32,
    /// Version of the engine that wrote it.
    pub engine_version: String,
    /// BLAKE3 of the scenario's canonical encoding.
    pub scenario_hash: [u8; 32],
    /// Seed of the run.
    pub seed: u64,
    /// The scenario, as run (overrides applied).
    pub scenario: Scenario,
}

/// A frame after the header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TraceFrame {
    /// One tick.
    Tick(TickRecord),
    /// The last frame: the run's length and digest.
    End {
        /// Ticks recorded.
        ticks: u64,
        /// Digest after the last tick.
        digest: [u8; 32],
    },
}

/// Writes a trace as the run goes.
pub struct TraceWriter {
    out: BufWriter<File>,
    tmp: PathBuf,
    path: PathBuf,
    ticks: u64,
    buffer: Vec<u8>,
}

impl TraceWriter {
    /// Starts a trace at `path` (written under a temporary name until [`Self::finish`]).
    pub fn create(path: &Path, scenario: &Scenario) -> io::Result<TraceWriter> {
        let tmp = codec::temporary_path(path);
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        codec::write_preamble(&mut out, MAGIC, TRACE_FORMAT_VERSION)?;
        let header = TraceHeader {
            format_version: TRACE_FORMAT_VERSION,
            engine_version: crate::ENGINE_VERSION.to_string(),
            scenario_hash: scenario.hash(),
            seed: scenario.seed,
            scenario: scenario.clone(),
        };
        codec::write_frame(&mut out, &codec::encode(&header))?;
        Ok(TraceWriter { out, tmp, path: path.to_path_buf(), ticks: 0, buffer: Vec::new() })
    }

    /// Appends one tick.
    pub fn write(&mut self, record: &TickRecord) -> io::Result<()> {
        self.buffer.clear();
        codec::encode_into(&TraceFrameRef::Tick(record), &mut self.buffer);
        self.ticks += 1;
        codec::write_frame(&mut self.out, &self.buffer)
    }

    /// Writes the closing frame, syncs and moves the trace to its final name.
    pub fn finish(mut self, digest: [u8; 32]) -> io::Result<()> {
        let end = TraceFrame::End { ticks: self.ticks, digest };
        codec::write_frame(&mut self.out, &codec::encode(&end))?;
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        std::fs::rename(&self.tmp, &self.path)
    }

    /// Drops an unfinished trace, removing its temporary file.
    pub fn abandon(self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Borrowing twin of [`TraceFrame`], so writing a tick does not clone it. Encodes to the
/// same bytes (serde enums encode by variant index).
#[derive(Serialize)]
enum TraceFrameRef<'a> {
    Tick(&'a TickRecord),
}

/// Reads a trace frame by frame.
pub struct TraceReader {
    frames: FrameReader<BufReader<File>>,
    /// The header.
    pub header: TraceHeader,
    ended: bool,
}

/// The end of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEnd {
    /// Ticks recorded.
    pub ticks: u64,
    /// Digest recorded.
    pub digest: [u8; 32],
}

impl TraceReader {
    /// Opens a trace and reads its header.
    pub fn open(path: &Path) -> Result<TraceReader, FormatError> {
        let what = path.display().to_string();
        let file = File::open(path).map_err(|source| FormatError::Io { what: what.clone(), source })?;
        let mut frames = FrameReader::open(BufReader::new(file), &what, KIND, MAGIC, TRACE_FORMAT_VERSION)?;
        let header: TraceHeader = frames.next("the trace header")?;
        if header.scenario.hash() != header.scenario_hash {
            return Err(frames.corrupt("the embedded scenario does not match its hash".into()));
        }
        Ok(TraceReader { frames, header, ended: false })
    }

    /// The next tick, or `Ok(Err(end))` at the closing frame. A file that stops without
    /// its closing frame is truncated.
    pub fn next_tick(&mut self) -> Result<Result<TickRecord, TraceEnd>, FormatError> {
        if self.ended {
            return Err(self.frames.corrupt("read past the closing frame".into()));
        }
        match self.frames.next::<TraceFrame>("a tick record")? {
            TraceFrame::Tick(t) => Ok(Ok(t)),
            TraceFrame::End { ticks, digest } => {
                self.ended = true;
                if self.frames.next_payload()?.is_some() {
                    return Err(self.frames.corrupt("frames after the closing frame".into()));
                }
                Ok(Err(TraceEnd { ticks, digest }))
            }
        }
    }
}
