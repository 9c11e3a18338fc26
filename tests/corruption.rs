//! Invariant 5: damaged traces and checkpoints are always noticed, by every reader, and
//! never cause a panic. Real files' bytes, damaged at random places, read from memory.

mod common;
use bioxen::engine::checkpoint;
use bioxen::engine::trace::{TraceReader, TraceWriter};
use common::*;
use proptest::prelude::*;
use std::sync::OnceLock;

fn originals() -> &'static (Vec<u8>, Vec<u8>) {
    static FILES: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    FILES.get_or_init(|| {
        let s = parse(&format!(
            "{ROOMY}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[vm]]\nid = \"b\"\norganism = \"minimal_cell\"\n\
             [[event]]\ntick = 3\nvm = \"a\"\naction = \"pause\"\n"
        ));
        let mut sim = simulation(&s);
        let mut w = TraceWriter::new(Vec::new(), &s).unwrap();
        for _ in 0..8 {
            w.write(&sim.step().unwrap()).unwrap();
        }
        let trace = w.finish(sim.digest()).unwrap();
        let ckpt = checkpoint::write(Vec::new(), &sim).unwrap();
        (trace, ckpt)
    })
}

/// Applies `edits` (position, xor mask) and an optional cut to a copy of `bytes`.
fn damage(bytes: &[u8], edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for &(at, mask) in edits {
        let i = at % b.len();
        b[i] ^= mask.max(1);
    }
    if let Some(c) = cut {
        b.truncate(c % (b.len() + 1));
    }
    b
}

/// Reads a whole trace as `export` and `plot` do: header, every tick, the end.
fn read_whole_trace(bytes: &[u8]) -> Result<u64, String> {
    let mut r = TraceReader::new(bytes, "t.bxtr").map_err(|e| e.to_string())?;
    let mut ticks = 0;
    // Bounded: a valid trace has 8 ticks and an end.
    for _ in 0..20 {
        match r.next_tick().map_err(|e| e.to_string())? {
            Ok(_) => ticks += 1,
            Err(_) => return Ok(ticks),
        }
    }
    Err("no end".into())
}

#[test]
fn the_originals_read_whole() {
    assert_eq!(read_whole_trace(&originals().0), Ok(8));
    assert!(checkpoint::read(&originals().1[..], "c.bxck").is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_damaged_trace_is_refused_by_a_plain_reader(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4), cut in proptest::option::of(any::<usize>())) {
        let damaged = damage(&originals().0, &edits, cut);
        let read = read_whole_trace(&damaged);
        // Only bytes equal to the original's (edits may cancel out) read whole.
        prop_assert!(read.is_err() || damaged == originals().0, "a damaged trace read whole: {:?}", read);
    }

    #[test]
    fn every_damaged_checkpoint_is_refused(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4), cut in proptest::option::of(any::<usize>())) {
        let damaged = damage(&originals().1, &edits, cut);
        if let Ok(mut sim) = checkpoint::read(&damaged[..], "d.bxck") {
            prop_assert!(damaged == originals().1, "a damaged checkpoint was accepted");
            sim.run(|_, _| {}).unwrap();
        }
    }
}
