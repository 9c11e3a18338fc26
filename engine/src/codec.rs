//! The one module that knows bincode: canonical encoding, and checksummed frames over any
//! reader or writer (the engine opens no files; `bioxen`'s `files` module does).
//!
//! bincode is unmaintained (RUSTSEC-2025-0141) and pinned at 2.0.1; keeping it behind this
//! module means replacing it touches one file. Every file format here is
//! `magic (8 bytes) · format version (u32 LE) · frames`, a frame being
//! `length (u32 LE) · payload · CRC-32 (u32 LE) of length and payload`, so every reader
//! detects damage anywhere in a file, not only the readers that re-run it. Decoding is
//! bounded: a frame longer than [`FRAME_BYTES_MAX`] is refused before anything is
//! allocated, bincode's own limit stops a payload from claiming more, and a truncated or
//! corrupt file is an error, never a panic.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::{self, Read, Write};

/// Largest frame accepted: a trace frame of a tick at most ~29 MB (its records split over
/// frames, `crate::trace::VMS_PER_FRAME`), a genome at most ~52 MB (genes and names
/// bounded by [`crate::scenario::limits`]).
pub const FRAME_BYTES_MAX: usize = 64 * 1024 * 1024;

type Config = bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<FRAME_BYTES_MAX>,
>;

const CONFIG: Config = bincode::config::standard().with_limit::<FRAME_BYTES_MAX>();

/// Bytes that do not decode to the value expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not a valid encoding (bincode's words).
    #[error("{0}")]
    Invalid(String),
    /// The value ended before the bytes did.
    #[error("{0} unexpected bytes after the value")]
    Trailing(usize),
}

/// What went wrong reading a file of one of our formats.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The OS failed us.
    #[error("{what}: {source}")]
    Io {
        /// The file.
        what: String,
        /// The OS error.
        source: io::Error,
    },
    /// The file is not of the expected kind at all.
    #[error("{what}: not a {kind} (bad magic bytes)")]
    BadMagic {
        /// The file.
        what: String,
        /// The expected kind.
        kind: &'static str,
    },
    /// The file is of a format version this build does not read.
    #[error("{what}: {kind} format version {found}, but this bioxen reads version {supported}; {}", version_advice(*found, *supported))]
    Version {
        /// The file.
        what: String,
        /// The kind of file.
        kind: &'static str,
        /// Version in the file.
        found: u32,
        /// Version we read.
        supported: u32,
    },
    /// The file ends in the middle of something.
    #[error("{what}: truncated {kind}: {detail}")]
    Truncated {
        /// The file.
        what: String,
        /// The kind of file.
        kind: &'static str,
        /// Where it ends.
        detail: String,
    },
    /// The bytes are present but wrong.
    #[error("{what}: corrupt {kind}: {detail}")]
    Corrupt {
        /// The file.
        what: String,
        /// The kind of file.
        kind: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The file is whole but the scenario it carries does not pass the gate.
    #[error("{what}: the {kind}'s scenario is not usable: {error}")]
    Invalid {
        /// The file.
        what: String,
        /// The kind of file.
        kind: &'static str,
        /// What the gate says.
        error: crate::diagnostic::CheckError,
    },
}

/// What to do with a file of another format version.
fn version_advice(found: u32, supported: u32) -> &'static str {
    if found < supported {
        "it was written by an older bioxen (0.1 wrote version 1), whose digests this one does not reproduce: \
         re-run its scenario with this bioxen, or read the file with the bioxen that wrote it"
    } else {
        "it was written by a newer bioxen: read it with that one"
    }
}

/// Canonical encoding of a value (the digest hashes exactly these bytes).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(value, &mut out);
    out
}

/// Appends the canonical encoding of `value` to `out`.
pub(crate) fn encode_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail, and our types have no fallible Serialize impls.
    bincode::serde::encode_into_std_write(value, out, CONFIG).expect("encoding to memory cannot fail");
}

/// Writes `value` at `out[at..]` as the canonical encoding writes an unsigned integer of
/// any width (bincode's variable-length integers: one byte below 251, otherwise a marker
/// byte and 2, 4 or 8 bytes, little-endian), returning the position after it. For the
/// hand-written encoder of the record written once per VM per tick
/// ([`crate::record::VmRecord::encode_into`]), which a proptest holds to [`encode_into`]'s
/// bytes. `out` must have 9 bytes from `at`.
#[inline]
pub(crate) fn put_varint(out: &mut [u8], at: usize, value: u64) -> usize {
    if value < 251 {
        out[at] = value as u8;
        return at + 1;
    }
    // Each width copied as a fixed-size array: a copy whose length is a variable is a call
    // to memcpy, ~90 instructions of a syn3A VM-tick's record.
    let bytes = value.to_le_bytes();
    if value <= u64::from(u16::MAX) {
        out[at] = 251;
        out[at + 1..at + 3].copy_from_slice(&bytes[..2]);
        at + 3
    } else if value <= u64::from(u32::MAX) {
        out[at] = 252;
        out[at + 1..at + 5].copy_from_slice(&bytes[..4]);
        at + 5
    } else {
        out[at] = 253;
        out[at + 1..at + 9].copy_from_slice(&bytes);
        at + 9
    }
}

/// Appends `value` to `out` as [`put_varint`] writes it, each width as a fixed-size copy
/// (for the trace's columns, where most values are below 251: one byte).
#[inline]
pub(crate) fn push_varint(out: &mut Vec<u8>, value: u64) {
    let b = value.to_le_bytes();
    if value < 251 {
        out.push(value as u8);
    } else if value <= u64::from(u16::MAX) {
        out.extend_from_slice(&[251, b[0], b[1]]);
    } else if value <= u64::from(u32::MAX) {
        out.extend_from_slice(&[252, b[0], b[1], b[2], b[3]]);
    } else {
        out.extend_from_slice(&[253, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    }
}

/// Reads an unsigned integer written by [`put_varint`] at `bytes[at..]`: the value and the
/// position after it, or `None` where the bytes end first or hold no such integer (a
/// marker for 16-byte integers, or a longer form than the value needs, which
/// [`put_varint`] never writes).
#[inline]
pub(crate) fn get_varint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let first = *bytes.get(at)?;
    let width = match first {
        0..=250 => return Some((u64::from(first), at + 1)),
        251 => 2,
        252 => 4,
        253 => 8,
        _ => return None,
    };
    let mut le = [0u8; 8];
    le[..width].copy_from_slice(bytes.get(at + 1..at + 1 + width)?);
    let value = u64::from_le_bytes(le);
    let shortest = put_varint(&mut [0u8; 9], 0, value);
    (shortest == 1 + width).then_some((value, at + 1 + width))
}

/// Decodes one value from the start of `bytes`: the value and the bytes it took.
pub(crate) fn decode_prefix<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, usize), DecodeError> {
    bincode::serde::decode_from_slice(bytes, CONFIG).map_err(|e| DecodeError::Invalid(e.to_string()))
}

/// Decodes exactly one value from `bytes`; trailing bytes are an error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let (value, used) =
        bincode::serde::decode_from_slice(bytes, CONFIG).map_err(|e| DecodeError::Invalid(e.to_string()))?;
    if used != bytes.len() {
        return Err(DecodeError::Trailing(bytes.len() - used));
    }
    Ok(value)
}

/// The checksum a frame ends with: CRC-32 (IEEE) over its length field and its payload.
fn checksum(length: [u8; 4], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&length);
    h.update(payload);
    h.finalize()
}

/// Writes a file of one of our formats: the preamble, then frames.
pub struct FrameWriter<W: Write> {
    inner: W,
    scratch: Vec<u8>,
}

impl<W: Write> FrameWriter<W> {
    /// Writes the magic and version that open the file.
    pub fn new(mut inner: W, magic: &[u8; 8], version: u32) -> io::Result<FrameWriter<W>> {
        inner.write_all(magic)?;
        inner.write_all(&version.to_le_bytes())?;
        Ok(FrameWriter { inner, scratch: Vec::new() })
    }

    /// Writes one frame; a payload over [`FRAME_BYTES_MAX`] is an error, so what is
    /// written can always be read back.
    pub fn frame(&mut self, payload: &[u8]) -> io::Result<()> {
        let length = u32::try_from(payload.len()).ok().filter(|&l| l as usize <= FRAME_BYTES_MAX).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a frame of {} bytes exceeds the {FRAME_BYTES_MAX} a reader accepts", payload.len()),
            )
        })?;
        let length = length.to_le_bytes();
        self.inner.write_all(&length)?;
        self.inner.write_all(payload)?;
        self.inner.write_all(&checksum(length, payload).to_le_bytes())
    }

    /// Encodes `value` and writes it as one frame.
    pub fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        encode_into(value, &mut scratch);
        let written = self.frame(&scratch);
        self.scratch = scratch;
        written
    }

    /// The writer underneath.
    pub(crate) fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Flushes the writer underneath (a stream whose reader waits for each frame).
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// Flushes and hands back the writer (for the caller to sync, rename…).
    pub fn finish(mut self) -> io::Result<W> {
        self.inner.flush()?;
        Ok(self.inner)
    }
}

/// Reads frames of one file kind, naming the file in every error.
pub struct FrameReader<R> {
    inner: R,
    what: String,
    kind: &'static str,
    version: u32,
    frames: u64,
}

impl<R: Read> FrameReader<R> {
    /// Checks the preamble and returns a reader positioned at the first frame.
    pub fn open(inner: R, what: &str, kind: &'static str, magic: &[u8; 8], version: u32) -> Result<Self, FormatError> {
        Self::open_versions(inner, what, kind, magic, version..=version)
    }

    /// [`FrameReader::open`] for a format whose readers take several versions (each a
    /// subset of the next, so one reader serves them all).
    pub fn open_versions(
        mut inner: R,
        what: &str,
        kind: &'static str,
        magic: &[u8; 8],
        versions: std::ops::RangeInclusive<u32>,
    ) -> Result<Self, FormatError> {
        let mut head = [0u8; 12];
        let got = read_up_to(&mut inner, &mut head).map_err(|source| FormatError::Io { what: what.into(), source })?;
        if got < 8 || &head[..8] != magic {
            return Err(FormatError::BadMagic { what: what.into(), kind });
        }
        if got < 12 {
            return Err(FormatError::Truncated { what: what.into(), kind, detail: "ends inside the header".into() });
        }
        let found = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
        if !versions.contains(&found) {
            return Err(FormatError::Version { what: what.into(), kind, found, supported: *versions.end() });
        }
        Ok(FrameReader { inner, what: what.into(), kind, version: found, frames: 0 })
    }

    /// The format version the file says it is in.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The next frame's payload, its checksum verified, or `None` at a clean end of file.
    pub fn next_payload(&mut self) -> Result<Option<Vec<u8>>, FormatError> {
        let mut length = [0u8; 4];
        let got = read_up_to(&mut self.inner, &mut length).map_err(|e| self.io(e))?;
        if got == 0 {
            return Ok(None);
        }
        if got < 4 {
            return Err(self.truncated(format!("ends inside the length of frame {}", self.frames)));
        }
        let len = u32::from_le_bytes(length) as usize;
        if len > FRAME_BYTES_MAX {
            return Err(self.corrupt(format!(
                "frame {} claims {len} bytes, more than the {FRAME_BYTES_MAX} allowed",
                self.frames
            )));
        }
        // `take` + `read_to_end` grows the buffer as bytes arrive, so a lying length on a
        // short file costs only what the file holds.
        let mut payload = Vec::new();
        (&mut self.inner).take(len as u64 + 4).read_to_end(&mut payload).map_err(|e| self.io(e))?;
        if payload.len() < len + 4 {
            return Err(self.truncated(format!(
                "frame {} has {} of its {} bytes",
                self.frames,
                payload.len(),
                len + 4
            )));
        }
        let stored = u32::from_le_bytes(payload[len..].try_into().expect("4 bytes"));
        payload.truncate(len);
        if stored != checksum(length, &payload) {
            return Err(self.corrupt(format!("frame {} fails its checksum", self.frames)));
        }
        self.frames += 1;
        Ok(Some(payload))
    }

    /// The next frame decoded as `T`; a missing frame is truncation.
    pub fn next<T: DeserializeOwned>(&mut self, expecting: &str) -> Result<T, FormatError> {
        match self.next_payload()? {
            None => Err(self.truncated(format!("ends where {expecting} should be (after {} frames)", self.frames))),
            Some(p) => self.decode(&p, expecting),
        }
    }

    /// Decodes a payload read from this file.
    pub(crate) fn decode<T: DeserializeOwned>(&self, payload: &[u8], expecting: &str) -> Result<T, FormatError> {
        decode(payload).map_err(|e| {
            self.corrupt(format!("frame {} is not a valid {expecting}: {e}", self.frames.saturating_sub(1)))
        })
    }

    /// The reader underneath.
    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }

    /// An error for this file: the bytes are wrong.
    pub fn corrupt(&self, detail: String) -> FormatError {
        FormatError::Corrupt { what: self.what.clone(), kind: self.kind, detail }
    }

    /// An error for this file: it ends too soon.
    pub(crate) fn truncated(&self, detail: String) -> FormatError {
        FormatError::Truncated { what: self.what.clone(), kind: self.kind, detail }
    }

    /// An error for this file: its scenario does not pass the gate.
    pub(crate) fn invalid(&self, error: crate::diagnostic::CheckError) -> FormatError {
        FormatError::Invalid { what: self.what.clone(), kind: self.kind, error }
    }

    /// An error for this file: it goes on after its closing frame.
    pub(crate) fn expect_end(&mut self) -> Result<(), FormatError> {
        match self.next_payload()? {
            None => Ok(()),
            Some(_) => Err(self.corrupt("frames after the closing frame".into())),
        }
    }

    fn io(&self, source: io::Error) -> FormatError {
        FormatError::Io { what: self.what.clone(), source }
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAGIC: &[u8; 8] = b"TESTFMT\0";

    fn file(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut w = FrameWriter::new(Vec::new(), MAGIC, 3).unwrap();
        for f in frames {
            w.frame(f).unwrap();
        }
        w.finish().unwrap()
    }

    proptest! {
        #[test]
        fn any_bytes_decode_to_an_error_or_a_value_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut with_preamble = file(&[]);
            with_preamble.extend_from_slice(&bytes);
            if let Ok(mut r) = FrameReader::open(&with_preamble[..], "x", "test file", MAGIC, 3) {
                for _ in 0..8 {
                    match r.next_payload() {
                        Ok(Some(p)) => { let _ = decode::<(u64, Vec<String>)>(&p); }
                        _ => break,
                    }
                }
            }
            let _ = decode::<(u64, Vec<String>)>(&bytes);
        }

        #[test]
        fn every_truncation_is_an_error(cut in 0usize..80) {
            let value = (7u64, vec!["alpha".to_string(), "beta".to_string()]);
            let bytes = file(&[encode(&value), encode(&value)]);
            let cut = cut.min(bytes.len() - 1);
            let mut r = match FrameReader::open(&bytes[..cut], "x", "test file", MAGIC, 3) {
                Ok(r) => r,
                Err(_) => return Ok(()),
            };
            let first = r.next::<(u64, Vec<String>)>("a value");
            let second = first.is_ok().then(|| r.next::<(u64, Vec<String>)>("a value"));
            prop_assert!(first.is_err() || second.is_some_and(|s| s.is_err()));
        }

        /// Every single-bit flip anywhere after the preamble is detected: the CRC covers the
        /// length and the payload, and a flip in the CRC itself no longer matches.
        #[test]
        fn every_bit_flip_in_a_frame_is_detected(at in 0usize..1000, bit in 0u8..8) {
            let value = (7u64, vec!["alpha".to_string(), "beta".to_string()]);
            let mut bytes = file(&[encode(&value), encode(&value)]);
            let at = 12 + at % (bytes.len() - 12);
            bytes[at] ^= 1 << bit;
            let mut r = FrameReader::open(&bytes[..], "x", "test file", MAGIC, 3).unwrap();
            let read = (|| -> Result<(), FormatError> {
                r.next::<(u64, Vec<String>)>("a value")?;
                r.next::<(u64, Vec<String>)>("a value")?;
                r.expect_end()
            })();
            prop_assert!(read.is_err(), "a flipped bit at {} went unnoticed", at);
        }
    }

    #[test]
    fn wrong_magic_version_and_huge_frame_are_refused() {
        assert!(matches!(
            FrameReader::open(&b"NOTMAGIC\x03\0\0\0"[..], "x", "test file", MAGIC, 3),
            Err(FormatError::BadMagic { .. })
        ));
        let old = file(&[]).iter().enumerate().map(|(i, &b)| if i == 8 { 2 } else { b }).collect::<Vec<u8>>();
        let e = FrameReader::open(&old[..], "x", "test file", MAGIC, 3).err().unwrap();
        assert!(matches!(e, FormatError::Version { found: 2, .. }));
        assert!(e.to_string().contains("re-run its scenario with this bioxen"), "{e}");
        let mut huge = file(&[]);
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut r = FrameReader::open(&huge[..], "x", "test file", MAGIC, 3).unwrap();
        assert!(matches!(r.next_payload(), Err(FormatError::Corrupt { .. })));
        let mut w = FrameWriter::new(Vec::new(), MAGIC, 3).unwrap();
        assert!(w.frame(&vec![0; FRAME_BYTES_MAX + 1]).is_err(), "a frame no reader accepts was written");
    }

    proptest! {
        #[test]
        fn varints_read_back(value: u64, small in 0u64..300, medium in 0u64..1 << 33, cut in 0usize..9) {
            for v in [value, small, medium] {
                let mut bytes = [0u8; 9];
                let end = put_varint(&mut bytes, 0, v);
                let mut pushed = vec![7];
                push_varint(&mut pushed, v);
                prop_assert_eq!(&pushed[1..], &bytes[..end]);
                prop_assert_eq!(get_varint(&bytes[..end], 0), Some((v, end)));
                prop_assert_eq!(&bytes[..end], &encode(&v)[..]);
                prop_assert_eq!(get_varint(&bytes[..cut.min(end - 1)], 0), None);
            }
        }
    }

    #[test]
    fn a_lying_string_length_is_an_error() {
        // A varint claiming a 60 MB string in a 10-byte payload.
        let bytes = [0xFC, 0x00, 0x00, 0x93, 0x03, 1, 2, 3, 4, 5];
        assert!(decode::<String>(&bytes).is_err());
    }
}
