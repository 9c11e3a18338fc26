//! A trace whose header is known only at the end: a session's (its scenario grows with
//! every call) or a run with timeline scripts (each becomes events when it runs). Its
//! records are spooled to a scratch file, and the trace — the scenario as it ran, then the
//! records and the digest — is written when the run ends, atomically; replaying it needs
//! no script engine.

use crate::error::{Error, Result};
use crate::files::{self, Destination, Scratch};
use bioxen_engine::codec::{FrameReader, FrameWriter};
use bioxen_engine::record::TickRecord;
use bioxen_engine::scenario::Scenario;
use bioxen_engine::trace::TraceWriter;
use std::path::Path;

const SPOOL_MAGIC: &[u8; 8] = b"BIOXENSP";

/// The records of a run so far, spooled until its trace is written.
pub struct TraceSpool {
    destination: Destination,
    what: String,
    frames: FrameWriter<Scratch>,
    ticks: u64,
}

impl TraceSpool {
    /// Spools a trace bound for `destination`: beside it if it is a file, else in the
    /// system's temporary directory.
    pub fn new(destination: Destination) -> Result<TraceSpool> {
        let what = destination.name();
        let scratch = match &destination {
            Destination::Replace(p) => Scratch::beside(p)?,
            _ => Scratch::beside(&std::env::temp_dir().join("bioxen-trace"))?,
        };
        let frames = FrameWriter::new(scratch, SPOOL_MAGIC, 1).map_err(|e| Error::io(&what, e))?;
        Ok(TraceSpool { destination, what, frames, ticks: 0 })
    }

    /// Where the trace goes.
    pub fn destination(&self) -> Option<&Path> {
        self.destination.path()
    }

    /// Adds a tick's record.
    pub fn record(&mut self, record: &TickRecord) -> Result<()> {
        self.frames.value(record).map_err(|e| Error::io(&self.what, e))?;
        self.ticks += 1;
        Ok(())
    }

    /// Writes the trace: `scenario` (the run's, as it ran), every record spooled and
    /// `digest`. Nothing is left under the trace's name if this fails.
    pub fn finish(self, scenario: &Scenario, digest: [u8; 32]) -> Result<()> {
        let what = self.what;
        let scratch = self.frames.finish().map_err(|e| Error::io(&what, e))?;
        let mut frames = FrameReader::open(scratch.reader()?, &what, "spool", SPOOL_MAGIC, 1)?;
        files::write_output(&self.destination, |out| {
            let mut w = TraceWriter::new(out, scenario).map_err(|e| Error::io(&what, e))?;
            for _ in 0..self.ticks {
                let record: TickRecord = frames.next("a spooled tick")?;
                w.write(&record).map_err(|e| Error::io(&what, e))?;
            }
            w.finish(digest).map_err(|e| Error::io(&what, e))?;
            Ok(())
        })
    }
}
