//! The handshake: each side sends a [`Hello`] first — its protocol, format and engine
//! versions, and the digest it computes for a fixed canary run — and checks the peer's
//! against its own before any real work. A worker built differently (another platform,
//! another dependency set) that would compute other digests is refused here, by what it
//! computes rather than by what it says it is; each mismatch is named.

use crate::wire::{WireReader, WireWriter};
use bioxen_engine::codec::FormatError;
use bioxen_engine::record::hex;
use bioxen_engine::scenario::{self, NoGenomeFiles};
use bioxen_engine::sim::Simulation;
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// The canary: 3 VMs (one of each organism, so every part of the biology runs, E. coli's
/// regulated lac operon included) for 50 ticks under the lottery policy (so the
/// scheduler's stream is drawn from too).
const CANARY: &str = r#"
format_version = 1
[simulation]
seed = 20261206
ticks = 50
policy = "lottery"
[chassis]
kind = "ecoli"
[[vm]]
id = "canary-syn3a"
organism = "syn3a"
[[vm]]
id = "canary-ecoli"
organism = "ecoli"
[[vm]]
id = "canary-minimal"
organism = "minimal_cell"
"#;

/// The digest this build computes for the canary run.
pub fn canary_digest() -> [u8; 32] {
    let scenario =
        scenario::parse(CANARY, "the canary scenario", &mut NoGenomeFiles).expect("the canary passes the gate");
    let mut sim = Simulation::new(scenario).expect("the canary passes the gate");
    sim.run(|_, _| {}).expect("the canary runs")
}

/// What each side says first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The engine's version ([`bioxen_engine::ENGINE_VERSION`]).
    pub engine_version: String,
    /// The scenario, trace and checkpoint format versions it reads and writes.
    pub formats: Formats,
    /// The digest it computes for the canary run ([`canary_digest`]).
    pub canary: [u8; 32],
}

/// The format versions a side reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Formats {
    /// [`bioxen_engine::scenario::SCENARIO_FORMAT_VERSION`].
    pub scenario: u32,
    /// [`bioxen_engine::trace::TRACE_FORMAT_VERSION`].
    pub trace: u32,
    /// [`bioxen_engine::checkpoint::CHECKPOINT_FORMAT_VERSION`].
    pub checkpoint: u32,
}

impl Formats {
    /// This build's format versions.
    pub fn ours() -> Formats {
        Formats {
            scenario: bioxen_engine::scenario::SCENARIO_FORMAT_VERSION,
            trace: bioxen_engine::trace::TRACE_FORMAT_VERSION,
            checkpoint: bioxen_engine::checkpoint::CHECKPOINT_FORMAT_VERSION,
        }
    }
}

impl Hello {
    /// This build's hello. The canary runs once per process (it compiles an E. coli
    /// genome: tens of milliseconds), and every later hello reuses its digest.
    pub fn ours() -> Hello {
        static OURS: std::sync::OnceLock<Hello> = std::sync::OnceLock::new();
        OURS.get_or_init(|| Hello {
            engine_version: bioxen_engine::ENGINE_VERSION.to_string(),
            formats: Formats::ours(),
            canary: canary_digest(),
        })
        .clone()
    }

    /// Checks the peer's hello against this one; the error names the peer, what differs
    /// and both values.
    pub fn check(&self, theirs: &Hello, peer: &str) -> Result<(), HandshakeError> {
        let mismatch = |what: &str, ours: String, theirs: String| HandshakeError::Mismatch {
            peer: peer.to_string(),
            what: what.to_string(),
            ours,
            theirs,
        };
        if theirs.engine_version != self.engine_version {
            return Err(mismatch("engine version", self.engine_version.clone(), theirs.engine_version.clone()));
        }
        if theirs.formats != self.formats {
            let f = |f: &Formats| format!("scenario {}, trace {}, checkpoint {}", f.scenario, f.trace, f.checkpoint);
            return Err(mismatch("format versions", f(&self.formats), f(&theirs.formats)));
        }
        if theirs.canary != self.canary {
            return Err(mismatch(
                "digest of the canary run (it was built differently and would not reproduce runs)",
                hex(&self.canary),
                hex(&theirs.canary),
            ));
        }
        Ok(())
    }
}

/// Why a peer was refused.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// Its stream is not ours, is of another protocol version, or is damaged or cut.
    #[error(transparent)]
    Wire(#[from] FormatError),
    /// Sending to it failed.
    #[error("cannot send to {peer}: {source}")]
    Send {
        /// The peer.
        peer: String,
        /// The failure.
        source: io::Error,
    },
    /// It computes or reads differently.
    #[error("{peer} is refused: {what}: {theirs} there, {ours} here")]
    Mismatch {
        /// The peer.
        peer: String,
        /// What differs.
        what: String,
        /// This side's value.
        ours: String,
        /// The peer's value.
        theirs: String,
    },
}

/// Runs the handshake on a stream: sends `ours` (preamble, then hello), reads the peer's
/// and checks it. Both sides send before they read, so neither waits on the other.
/// Returns the open wire.
pub fn handshake<R: Read, W: Write>(
    input: R,
    output: W,
    ours: &Hello,
    peer: &str,
) -> Result<(WireReader<R>, WireWriter<W>), HandshakeError> {
    let writer = say_hello(output, ours, peer)?;
    let reader = hear_hello(input, ours, peer)?;
    Ok((reader, writer))
}

/// The sending half of the handshake: opens the stream and sends `ours`.
pub fn say_hello<W: Write>(output: W, ours: &Hello, peer: &str) -> Result<WireWriter<W>, HandshakeError> {
    let send_error = |source| HandshakeError::Send { peer: peer.to_string(), source };
    let mut writer = WireWriter::new(output).map_err(send_error)?;
    writer.send(ours).map_err(send_error)?;
    Ok(writer)
}

/// The receiving half: reads the peer's preamble and hello and checks it against `ours`
/// (a reader thread runs it, so that the wait for it can be bounded).
pub fn hear_hello<R: Read>(input: R, ours: &Hello, peer: &str) -> Result<WireReader<R>, HandshakeError> {
    let mut reader = WireReader::open(input, peer)?;
    let theirs: Hello = reader.receive("its hello")?;
    ours.check(&theirs, peer)?;
    Ok(reader)
}
