//! The one module that knows bincode: canonical encoding and length-prefixed frames.
//!
//! bincode is unmaintained (RUSTSEC-2025-0141) and pinned at 2.0.1; keeping it behind this
//! module means replacing it touches one file. Every file format here is
//! `magic (8 bytes) · format version (u32 LE) · frames`, a frame being
//! `length (u32 LE) · payload`. Decoding is bounded: a frame longer than
//! [`FRAME_BYTES_MAX`] is refused before anything is allocated, bincode's own limit stops
//! a payload from claiming more, and a truncated or corrupt file is an error, never a panic.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::{self, Read, Write};

/// Largest frame accepted: one tick of 100,000 VMs is ~5 MB, a VM's checkpoint state a few
/// kB per gene set, a genome embedded in a scenario well under 1 MB.
pub const FRAME_BYTES_MAX: usize = 64 * 1024 * 1024;

type Config = bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<FRAME_BYTES_MAX>,
>;

const CONFIG: Config = bincode::config::standard().with_limit::<FRAME_BYTES_MAX>();

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
    #[error("{what}: {kind} format version {found}, but this bioxen reads version {supported}")]
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
}

/// Canonical encoding of a value (the digest hashes exactly these bytes).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(value, &mut out);
    out
}

/// Appends the canonical encoding of `value` to `out`.
pub fn encode_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail, and our types have no fallible Serialize impls.
    bincode::serde::encode_into_std_write(value, out, CONFIG).expect("encoding to memory cannot fail");
}

/// Decodes exactly one value from `bytes`; trailing bytes are an error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let (value, used) = bincode::serde::decode_from_slice(bytes, CONFIG).map_err(|e| e.to_string())?;
    if used != bytes.len() {
        return Err(format!("{} unexpected bytes after the value", bytes.len() - used));
    }
    Ok(value)
}

/// Writes the magic and version that open every file.
pub fn write_preamble(w: &mut (impl Write + ?Sized), magic: &[u8; 8], version: u32) -> io::Result<()> {
    w.write_all(magic)?;
    w.write_all(&version.to_le_bytes())
}

/// Writes one frame.
pub fn write_frame(w: &mut (impl Write + ?Sized), payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len()).ok().filter(|&l| l as usize <= FRAME_BYTES_MAX).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {} bytes exceeds {FRAME_BYTES_MAX}", payload.len()),
        )
    })?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(payload)
}

/// Reads frames of one file kind, naming the file in every error.
pub struct FrameReader<R> {
    inner: R,
    what: String,
    kind: &'static str,
    frames: u64,
}

impl<R: Read> FrameReader<R> {
    /// Checks the preamble and returns a reader positioned at the first frame.
    pub fn open(
        mut inner: R,
        what: &str,
        kind: &'static str,
        magic: &[u8; 8],
        version: u32,
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
        if found != version {
            return Err(FormatError::Version { what: what.into(), kind, found, supported: version });
        }
        Ok(FrameReader { inner, what: what.into(), kind, frames: 0 })
    }

    /// The next frame's payload, or `None` at a clean end of file.
    pub fn next_payload(&mut self) -> Result<Option<Vec<u8>>, FormatError> {
        let mut len = [0u8; 4];
        let got = read_up_to(&mut self.inner, &mut len).map_err(|e| self.io(e))?;
        if got == 0 {
            return Ok(None);
        }
        if got < 4 {
            return Err(self.truncated(format!("ends inside the length of frame {}", self.frames)));
        }
        let len = u32::from_le_bytes(len) as usize;
        if len > FRAME_BYTES_MAX {
            return Err(self.corrupt(format!(
                "frame {} claims {len} bytes, more than the {FRAME_BYTES_MAX} allowed",
                self.frames
            )));
        }
        // `take` + `read_to_end` grows the buffer as bytes arrive, so a lying length on a
        // short file costs only what the file holds.
        let mut payload = Vec::new();
        (&mut self.inner).take(len as u64).read_to_end(&mut payload).map_err(|e| self.io(e))?;
        if payload.len() < len {
            return Err(self.truncated(format!("frame {} has {} of its {len} bytes", self.frames, payload.len())));
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
    pub fn decode<T: DeserializeOwned>(&self, payload: &[u8], expecting: &str) -> Result<T, FormatError> {
        decode(payload).map_err(|e| {
            self.corrupt(format!("frame {} is not a valid {expecting}: {e}", self.frames.saturating_sub(1)))
        })
    }

    /// An error for this file: the bytes are wrong.
    pub fn corrupt(&self, detail: String) -> FormatError {
        FormatError::Corrupt { what: self.what.clone(), kind: self.kind, detail }
    }

    /// An error for this file: it ends too soon.
    pub fn truncated(&self, detail: String) -> FormatError {
        FormatError::Truncated { what: self.what.clone(), kind: self.kind, detail }
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

/// Writes `path` atomically: to a temporary name beside it, synced, then renamed, so a
/// crash leaves either the old file or the whole new one, never half of one.
pub fn write_atomically(path: &std::path::Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let tmp = temporary_path(path);
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = io::BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The temporary name a file is written under before it is renamed into place.
pub fn temporary_path(path: &std::path::Path) -> std::path::PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAGIC: &[u8; 8] = b"TESTFMT\0";

    fn file(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        write_preamble(&mut out, MAGIC, 3).unwrap();
        for f in frames {
            write_frame(&mut out, f).unwrap();
        }
        out
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
        fn every_truncation_is_an_error(cut in 0usize..60) {
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
    }

    #[test]
    fn wrong_magic_version_and_huge_frame_are_refused() {
        assert!(matches!(
            FrameReader::open(&b"NOTMAGIC\x03\0\0\0"[..], "x", "test file", MAGIC, 3),
            Err(FormatError::BadMagic { .. })
        ));
        let mut other = Vec::new();
        write_preamble(&mut other, MAGIC, 4).unwrap();
        assert!(matches!(
            FrameReader::open(&other[..], "x", "test file", MAGIC, 3),
            Err(FormatError::Version { found: 4, .. })
        ));
        let mut huge = file(&[]);
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut r = FrameReader::open(&huge[..], "x", "test file", MAGIC, 3).unwrap();
        assert!(matches!(r.next_payload(), Err(FormatError::Corrupt { .. })));
    }

    #[test]
    fn a_lying_string_length_is_an_error() {
        // A varint claiming a 60 MB string in a 10-byte payload.
        let bytes = [0xFC, 0x00, 0x00, 0x93, 0x03, 1, 2, 3, 4, 5];
        assert!(decode::<String>(&bytes).is_err());
    }
}
