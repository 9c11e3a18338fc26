//! The wire and its handshake: two real processes' worth of streams (Unix socket pairs,
//! each side on its own thread), and every damage to the bytes refused.

use bioxen_remote::handshake::{HandshakeError, Hello, canary_digest, handshake};
use bioxen_remote::wire::{WIRE_PROTOCOL_VERSION, WireReader, WireWriter};
use proptest::prelude::*;
use std::os::unix::net::UnixStream;
use std::thread;

/// Runs a handshake between `a` and `b`, each on its own end of a socket pair, and returns
/// each side's outcome as text (or "ok").
fn shake(a: Hello, b: Hello) -> (String, String) {
    let (left, right) = UnixStream::pair().unwrap();
    let other = thread::spawn(move || {
        let input = right.try_clone().unwrap();
        outcome(handshake(input, right, &b, "the coordinator").map(|(mut r, mut w)| {
            // After the handshake the wire carries values both ways.
            let n: u64 = r.receive("a number").unwrap();
            w.send(&(n + 1)).unwrap();
        }))
    });
    let input = left.try_clone().unwrap();
    let here = outcome(handshake(input, left, &a, "worker `w1`").map(|(mut r, mut w)| {
        w.send(&41u64).unwrap();
        assert_eq!(r.receive::<u64>("a number").unwrap(), 42);
    }));
    (here, other.join().unwrap())
}

fn outcome(r: Result<(), HandshakeError>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn builds_that_agree_shake_hands_and_then_talk() {
    assert_eq!(shake(Hello::ours(), Hello::ours()), ("ok".to_string(), "ok".to_string()));
}

#[test]
fn the_canary_is_a_real_run_and_the_same_every_time() {
    let d = canary_digest();
    assert_eq!(d, canary_digest());
    assert_ne!(d, [0; 32]);
}

/// Each mismatch is refused by both sides, each naming the other and both values.
#[test]
fn a_peer_that_computes_or_reads_differently_is_refused_by_name() {
    let ours = Hello::ours();
    let mut other_canary = ours.clone();
    other_canary.canary[0] ^= 1;
    let mut other_engine = ours.clone();
    other_engine.engine_version = "0.1.9".into();
    let mut other_formats = ours.clone();
    other_formats.formats.trace += 1;
    let trace = bioxen_engine::trace::TRACE_FORMAT_VERSION;
    let cases = [
        (
            other_canary,
            "digest of the canary run (it was built differently and would not reproduce runs): ".to_string(),
        ),
        (other_engine, format!("engine version: 0.1.9 there, {} here", bioxen_engine::ENGINE_VERSION)),
        (other_formats, format!("format versions: scenario 1, trace {}, checkpoint", trace + 1)),
    ];
    for (theirs, message) in cases {
        let (here, there) = shake(ours.clone(), theirs);
        assert!(here.starts_with("worker `w1` is refused: ") && here.contains(&message), "{here}");
        assert!(there.starts_with("the coordinator is refused: "), "{there}");
    }
}

/// A peer that is not a BioXen wire at all (a shell's banner), or of another protocol
/// version, is refused at its first bytes.
#[test]
fn a_peer_speaking_something_else_is_refused() {
    let garbage: &[u8] = b"SSH-2.0-OpenSSH_9.2p1 Debian\r\nbash: bioxen: command not found\n";
    let e = WireReader::open(garbage, "host `h`").err().unwrap().to_string();
    assert!(e.contains("host `h`") && e.contains("not a BioXen wire stream"), "{e}");
    let mut older = b"BIOXENWR".to_vec();
    older.extend((WIRE_PROTOCOL_VERSION + 1).to_le_bytes());
    let e = WireReader::open(&older[..], "host `h`").err().unwrap().to_string();
    assert!(e.contains(&format!("version {}", WIRE_PROTOCOL_VERSION + 1)), "{e}");
}

/// A valid stream as a coordinator would send it: the preamble, a hello and one value
/// (made once: the hello runs the canary).
fn valid_stream() -> Vec<u8> {
    static STREAM: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    STREAM
        .get_or_init(|| {
            let mut bytes = Vec::new();
            let mut w = WireWriter::new(&mut bytes).unwrap();
            w.send(&Hello::ours()).unwrap();
            w.send(&(7u64, "a value".to_string())).unwrap();
            bytes
        })
        .clone()
}

/// Reads the stream as a worker would; an error is a refusal.
fn read(bytes: &[u8]) -> Result<(Hello, (u64, String)), String> {
    let mut r = WireReader::open(bytes, "the peer").map_err(|e| e.to_string())?;
    let hello: Hello = r.receive("its hello").map_err(|e| e.to_string())?;
    let value = r.receive("a value").map_err(|e| e.to_string())?;
    Ok((hello, value))
}

#[test]
fn the_valid_stream_reads() {
    let (hello, value) = read(&valid_stream()).unwrap();
    assert_eq!(hello, Hello::ours());
    assert_eq!(value, (7, "a value".to_string()));
}

/// Every truncation of a valid stream is refused (a cut link), never read as something
/// else and never a panic; and every single bit flipped anywhere in it is refused — the
/// preamble by its magic or version, a frame by its length or its checksum. Exhaustive:
/// every cut and every bit.
#[test]
fn every_truncation_and_every_bit_flip_is_refused() {
    let bytes = valid_stream();
    for cut in 0..bytes.len() {
        assert!(read(&bytes[..cut]).is_err(), "cut at {cut} read");
    }
    for at in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.clone();
            flipped[at] ^= 1 << bit;
            assert!(read(&flipped).is_err(), "flip at byte {at} bit {bit} read");
        }
    }
}

proptest! {
    /// Several bytes overwritten at random places are refused whenever they change
    /// anything.
    #[test]
    fn random_damage_is_refused(damage in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let bytes = valid_stream();
        let mut damaged = bytes.clone();
        for (at, value) in damage {
            let at = at % damaged.len();
            damaged[at] = value;
        }
        prop_assert!(damaged == bytes || read(&damaged).is_err());
    }
}

/// Writes the wire fuzz target's seed, a valid stream (`fuzz/seeds/regenerate.sh` runs it).
#[test]
#[ignore]
fn write_the_fuzz_seed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/wire");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.bin"), valid_stream()).unwrap();
}
