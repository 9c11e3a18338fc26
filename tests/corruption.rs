//! Invariant 5: decoding damaged traces and checkpoints is an error or a clean read,
//! never a panic. Real files, damaged at random places.

mod common;
use bioxen::engine::checkpoint;
use bioxen::engine::sim::Simulation;
use bioxen::engine::trace::{TraceReader, TraceWriter};
use common::*;
use proptest::prelude::*;
use std::sync::OnceLock;

fn originals() -> &'static (Vec<u8>, Vec<u8>) {
    static FILES: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let s = parse(&format!(
            "{ROOMY}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[vm]]\nid = \"b\"\norganism = \"minimal_cell\"\n"
        ));
        let trace = dir.path().join("t.bxtr");
        let mut sim = Simulation::new(s.clone());
        let mut w = TraceWriter::create(&trace, &s).unwrap();
        for _ in 0..8 {
            w.write(&sim.step().unwrap()).unwrap();
        }
        w.finish(sim.digest()).unwrap();
        let ckpt = checkpoint::write(dir.path(), &sim).unwrap();
        (std::fs::read(trace).unwrap(), std::fs::read(ckpt).unwrap())
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn damaged_traces_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4), cut in proptest::option::of(any::<usize>())) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.bxtr");
        std::fs::write(&path, damage(&originals().0, &edits, cut)).unwrap();
        if let Ok(mut r) = TraceReader::open(&path) {
            // Bounded: a valid trace has 8 ticks and an end.
            for _ in 0..20 {
                match r.next_tick() {
                    Ok(Ok(_)) => {}
                    Ok(Err(_)) | Err(_) => break,
                }
            }
        }
    }

    #[test]
    fn damaged_checkpoints_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4), cut in proptest::option::of(any::<usize>())) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.bxck");
        let damaged = damage(&originals().1, &edits, cut);
        std::fs::write(&path, &damaged).unwrap();
        if let Ok(mut sim) = checkpoint::read(&path) {
            // Only an unchanged file can pass the checksum (edits may cancel out); it must
            // then run.
            prop_assert!(damaged == originals().1, "a damaged checkpoint was accepted");
            sim.run(|_, _| {}).unwrap();
        }
    }
}
