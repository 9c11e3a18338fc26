//! The wire: `BIOXENWR · protocol version (u32 LE) · frames`, each frame the engine's
//! codec frame (`length · payload · CRC-32`), its payload one value. A frame longer than
//! [`bioxen_engine::codec::FRAME_BYTES_MAX`] is refused before anything is allocated, a
//! damaged frame fails its checksum, and a stream that ends inside a frame is truncated:
//! each an error, never a panic.

use bioxen_engine::codec::{FormatError, FrameReader, FrameWriter};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::{self, Read, Write};

/// The wire protocol's version: raised whenever a message changes shape or meaning.
pub const WIRE_PROTOCOL_VERSION: u32 = 2;
const MAGIC: &[u8; 8] = b"BIOXENWR";
const KIND: &str = "BioXen wire stream";

/// The sending half of a wire: one value per frame.
pub struct WireWriter<W: Write> {
    frames: FrameWriter<W>,
}

impl<W: Write> WireWriter<W> {
    /// Opens the stream: writes its preamble (magic and protocol version).
    pub fn new(inner: W) -> io::Result<WireWriter<W>> {
        Ok(WireWriter { frames: FrameWriter::new(inner, MAGIC, WIRE_PROTOCOL_VERSION)? })
    }

    /// Sends `value` as one frame and flushes it, so that the peer, which waits for it,
    /// gets it now.
    pub fn send<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        self.frames.value(value)?;
        self.frames.flush()
    }

    /// The frames underneath, for values written as several frames (a scenario).
    pub fn frames(&mut self) -> &mut FrameWriter<W> {
        &mut self.frames
    }
}

/// The receiving half of a wire.
pub struct WireReader<R: Read> {
    frames: FrameReader<R>,
}

impl<R: Read> WireReader<R> {
    /// Reads and checks the peer's preamble; `peer` names it in every error.
    pub fn open(inner: R, peer: &str) -> Result<WireReader<R>, FormatError> {
        Ok(WireReader { frames: FrameReader::open(inner, peer, KIND, MAGIC, WIRE_PROTOCOL_VERSION)? })
    }

    /// The next value; `expecting` names it in errors. A stream that ends here is an
    /// error too: the peer always says what comes next, so an end is a lost peer.
    pub fn receive<T: DeserializeOwned>(&mut self, expecting: &str) -> Result<T, FormatError> {
        self.frames.next(expecting)
    }

    /// The frames underneath, for values read as several frames (a scenario).
    pub fn frames(&mut self) -> &mut FrameReader<R> {
        &mut self.frames
    }
}
