//! Compressed blocks of frames (trace format 8): what a run writes every tick is gathered
//! into blocks of about [`BLOCK_TARGET`] bytes, and each block is one zstd frame inside one
//! checksummed frame of the file ([`crate::codec`]).
//!
//! A block's frame is `raw length (u32 LE) · zstd frame`; its raw bytes are the inner
//! frames, each `length (u32 LE) · payload`, whole (no inner frame spans two blocks). The
//! outer frame's CRC covers the compressed bytes, and zstd's own checksum the raw ones.
//! Reading is bounded before anything is inflated (invariant 5): a block claiming more
//! than [`FRAME_BYTES_MAX`] raw bytes is refused, the buffer grows only as bytes are
//! actually decompressed, a block that inflates past its claim is refused at the claim,
//! and the decoder refuses a zstd window past what a block can need.

use crate::codec::{FRAME_BYTES_MAX, FormatError, FrameReader, FrameWriter};
use std::io::{self, Read, Write};

/// A block is compressed once its raw bytes reach this: large enough that zstd finds the
/// repeats between ticks (a 10,000-VM syn3A tick is ~290 kB), small enough that a reader
/// holds little.
pub(crate) const BLOCK_TARGET: usize = 4 << 20;

/// zstd's level. On the blocks of a 10,000-VM, 300-tick syn3A trace (47 MB raw: the
/// records as columns, `trace_columns`), `zstd -b1 -e3 -B4M` on this project's machine:
/// level 1 makes 8.83 MB at 882 MB/s, level 2 8.51 at 618, level 3 8.21 at 417. The
/// fastest level: the trace's cost is what it takes from the run.
const LEVEL: i32 = 1;

/// The largest window a block can need: its raw bytes are at most [`FRAME_BYTES_MAX`].
const WINDOW_LOG_MAX: u32 = FRAME_BYTES_MAX.trailing_zeros();
const _: () = assert!(1 << WINDOW_LOG_MAX == FRAME_BYTES_MAX);

/// Most bytes an inner frame may hold, so that a block (less than [`BLOCK_TARGET`] before
/// its last frame) never passes [`FRAME_BYTES_MAX`] raw, nor compressed (zstd's bound on
/// incompressible bytes adds ~1/256).
pub(crate) const INNER_FRAME_BYTES_MAX: usize = FRAME_BYTES_MAX / 2;
const _: () = assert!(BLOCK_TARGET + 4 + INNER_FRAME_BYTES_MAX + INNER_FRAME_BYTES_MAX / 128 < FRAME_BYTES_MAX);

/// Gathers frames into compressed blocks.
pub(crate) struct BlockWriter {
    raw: Vec<u8>,
    compressor: zstd::bulk::Compressor<'static>,
}

impl BlockWriter {
    pub(crate) fn new() -> io::Result<BlockWriter> {
        let mut compressor = zstd::bulk::Compressor::new(LEVEL)?;
        compressor.include_checksum(true)?;
        // Room for a block and the frame that passes the target, so the bytes are not moved
        // as they grow.
        Ok(BlockWriter { raw: Vec::with_capacity(BLOCK_TARGET + BLOCK_TARGET / 2), compressor })
    }

    /// Appends one inner frame, its payload written by `encode` onto the block's bytes;
    /// a block past [`BLOCK_TARGET`] is then compressed and written to `out`.
    pub(crate) fn frame<W: Write>(
        &mut self,
        out: &mut FrameWriter<W>,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> io::Result<()> {
        let start = self.raw.len();
        self.raw.extend_from_slice(&[0; 4]);
        encode(&mut self.raw);
        let len = self.raw.len() - start - 4;
        if len > INNER_FRAME_BYTES_MAX {
            self.raw.truncate(start);
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a frame of {len} bytes exceeds the {INNER_FRAME_BYTES_MAX} a block holds"),
            ));
        }
        self.raw[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
        if self.raw.len() >= BLOCK_TARGET { self.flush(out) } else { Ok(()) }
    }

    /// Compresses and writes what is gathered, if anything.
    pub(crate) fn flush<W: Write>(&mut self, out: &mut FrameWriter<W>) -> io::Result<()> {
        if self.raw.is_empty() {
            return Ok(());
        }
        let mut payload = Vec::with_capacity(4 + zstd::zstd_safe::compress_bound(self.raw.len()));
        payload.extend_from_slice(&(self.raw.len() as u32).to_le_bytes());
        let compressed = self.compressor.compress(&self.raw)?;
        payload.extend_from_slice(&compressed);
        self.raw.clear();
        out.frame(&payload)
    }
}

/// Reads the inner frames of compressed blocks, one block in memory at a time.
#[derive(Default)]
pub(crate) struct BlockReader {
    raw: Vec<u8>,
    at: usize,
    blocks: u64,
}

impl BlockReader {
    /// The next inner frame's payload and the index of the block it is in (from 0),
    /// reading the next block from `frames` when this one is used up; a missing block is
    /// truncation.
    pub(crate) fn next<'a, R: Read>(
        &'a mut self,
        frames: &mut FrameReader<R>,
        expecting: &str,
    ) -> Result<(&'a [u8], u64), FormatError> {
        if self.at == self.raw.len() {
            self.load(frames, expecting)?;
        }
        let block = self.blocks - 1;
        let rest = &self.raw[self.at..];
        let len = match rest.get(..4) {
            Some(l) => u32::from_le_bytes(l.try_into().expect("4 bytes")) as usize,
            None => return Err(frames.corrupt(format!("block {block} ends inside a frame's length"))),
        };
        if rest.len() - 4 < len {
            return Err(frames.corrupt(format!("block {block} ends inside a frame of {len} bytes")));
        }
        let start = self.at + 4;
        self.at = start + len;
        Ok((&self.raw[start..start + len], block))
    }

    /// The first number of the next inner frame's payload (a frame's variant), without
    /// reading it: a reader decoding frames against what came before looks ahead without
    /// decoding too early. `None` where the payload does not start with one.
    pub(crate) fn peek<R: Read>(
        &mut self,
        frames: &mut FrameReader<R>,
        expecting: &str,
    ) -> Result<Option<u64>, FormatError> {
        if self.at == self.raw.len() {
            self.load(frames, expecting)?;
        }
        Ok(self.raw.get(self.at + 4..).and_then(|p| crate::codec::get_varint(p, 0)).map(|(v, _)| v))
    }

    /// Whether the block in memory is used up (nothing may follow the closing frame).
    pub(crate) fn is_used_up(&self) -> bool {
        self.at == self.raw.len()
    }

    fn load<R: Read>(&mut self, frames: &mut FrameReader<R>, expecting: &str) -> Result<(), FormatError> {
        let Some(payload) = frames.next_payload()? else {
            return Err(frames.truncated(format!("ends where a block holding {expecting} should be")));
        };
        let block = self.blocks;
        self.blocks += 1;
        let claimed = match payload.get(..4) {
            Some(l) => u32::from_le_bytes(l.try_into().expect("4 bytes")) as usize,
            None => return Err(frames.corrupt(format!("block {block} is too short to be one"))),
        };
        if claimed == 0 || claimed > FRAME_BYTES_MAX {
            return Err(frames.corrupt(format!(
                "block {block} claims {claimed} bytes uncompressed, outside 1 to {FRAME_BYTES_MAX}"
            )));
        }
        self.raw.clear();
        self.at = 0;
        inflate(&payload[4..], claimed, &mut self.raw)
            .map_err(|e| frames.corrupt(format!("block {block} does not decompress: {e}")))?;
        if self.raw.len() != claimed {
            return Err(frames.corrupt(format!(
                "block {block} decompresses to {}{} bytes, not the {claimed} it claims",
                if self.raw.len() > claimed { "more than " } else { "" },
                self.raw.len().min(claimed)
            )));
        }
        Ok(())
    }
}

/// Decompresses one zstd frame into `raw`, stopping one byte past `claimed` (so a block
/// that inflates further is caught without inflating it).
fn inflate(compressed: &[u8], claimed: usize, raw: &mut Vec<u8>) -> io::Result<()> {
    let mut decoder = zstd::stream::read::Decoder::with_buffer(compressed)?.single_frame();
    decoder.window_log_max(WINDOW_LOG_MAX)?;
    decoder.take(claimed as u64 + 1).read_to_end(raw)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: &[u8; 8] = b"TESTBLKS";

    fn written(values: &[(u64, String)]) -> Vec<u8> {
        let mut out = FrameWriter::new(Vec::new(), MAGIC, 1).unwrap();
        let mut blocks = BlockWriter::new().unwrap();
        for v in values {
            blocks.frame(&mut out, |raw| crate::codec::encode_into(v, raw)).unwrap();
        }
        blocks.flush(&mut out).unwrap();
        out.finish().unwrap()
    }

    fn read_all(bytes: &[u8], n: usize) -> Result<Vec<(u64, String)>, FormatError> {
        let mut frames = FrameReader::open(bytes, "x", "test file", MAGIC, 1)?;
        let mut blocks = BlockReader::default();
        (0..n)
            .map(|_| {
                let (payload, _) = blocks.next(&mut frames, "a value")?;
                crate::codec::decode(payload).map_err(|e| frames.corrupt(e.to_string()))
            })
            .collect()
    }

    #[test]
    fn frames_come_back_across_blocks() {
        // ~9 MB of frames: three blocks.
        let values: Vec<(u64, String)> = (0..3000).map(|i| (i, format!("{i:>3000}"))).collect();
        let bytes = written(&values);
        assert!(bytes.len() < 1 << 20, "{} bytes: not compressed", bytes.len());
        assert_eq!(read_all(&bytes, values.len()).unwrap(), values);
        assert!(read_all(&bytes, values.len() + 1).is_err(), "read past the last frame");
    }

    /// A block whose raw length lies (more, less, zero, past the bound) is refused before
    /// or while it is inflated, never by allocating what it claims.
    #[test]
    fn a_lying_raw_length_is_refused() {
        let bytes = written(&[(7, "alpha".into()), (8, "beta".into())]);
        for claim in [0u32, 1, 20, 22, 1 << 20, u32::MAX] {
            let mut out = FrameWriter::new(Vec::new(), MAGIC, 1).unwrap();
            let mut payload =
                FrameReader::open(&bytes[..], "x", "t", MAGIC, 1).unwrap().next_payload().unwrap().unwrap();
            payload[..4].copy_from_slice(&claim.to_le_bytes());
            out.frame(&payload).unwrap();
            let e = read_all(&out.finish().unwrap(), 2).unwrap_err();
            assert!(matches!(e, FormatError::Corrupt { .. }), "claim {claim}: {e}");
        }
    }

    #[test]
    fn garbage_in_a_block_is_an_error_not_a_panic() {
        for payload in [vec![], vec![1, 0, 0], vec![4, 0, 0, 0, 1, 2, 3, 4], vec![9, 0, 0, 0, 0x28, 0xb5, 0x2f, 0xfd]] {
            let mut out = FrameWriter::new(Vec::new(), MAGIC, 1).unwrap();
            out.frame(&payload).unwrap();
            assert!(read_all(&out.finish().unwrap(), 1).is_err());
        }
    }
}
