//! Checkpoint and resume: the same digest as an uninterrupted run, from any tick.

mod common;
use bioxen::engine::record::hex;
use common::*;
use std::fs;

#[test]
fn resuming_from_several_ticks_gives_the_uninterrupted_digest() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = load("contention.toml");
    s.ticks = 240;
    // Every policy with state (stride passes, credit balances, lottery draws) must survive.
    for policy in [
        bioxen::engine::policy::PolicyKind::Credit,
        bioxen::engine::policy::PolicyKind::Stride,
        bioxen::engine::policy::PolicyKind::Lottery,
    ] {
        s.policy = policy;
        let whole = digest(&s, 1);
        let mut sim = simulation(&s);
        let mut written = Vec::new();
        while !sim.finished() {
            sim.step().unwrap();
            // Before, between and after the timeline's events (100, 200).
            if [1, 99, 100, 150, 239].contains(&sim.tick()) {
                written.push(write_checkpoint(dir.path(), &sim));
            }
        }
        assert_eq!(sim.digest(), whole);
        for path in &written {
            let mut resumed = read_checkpoint(path).unwrap();
            let d = resumed.run(|_, _| {}).unwrap();
            assert_eq!(hex(&d), hex(&whole), "{}: resume from {} diverged", policy.name(), path.display());
        }
    }
}

#[test]
fn cli_resume_matches_cli_run() {
    let dir = tempfile::tempdir().unwrap();
    let cdir = dir.path().join("ckpt");
    let o = bioxen(&[
        "run",
        "scenarios/quickstart.toml",
        "--ticks",
        "120",
        "--checkpoint-every",
        "50",
        "--checkpoint-dir",
        cdir.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let whole: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut files: Vec<_> = fs::read_dir(&cdir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let names: Vec<_> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    // Named by scenario and the hash of the scenario as run (120 ticks), so runs never mix;
    // by tick, so they sort in order.
    let mut run = load("quickstart.toml");
    run.ticks = 120;
    let prefix = format!("quickstart-{}", &hex(&run.origin())[..16]);
    assert_eq!(names, [format!("{prefix}-t000000000050.bxck"), format!("{prefix}-t000000000100.bxck")]);
    for f in &files {
        let r = bioxen(&["resume", f.to_str().unwrap(), "--json", "--threads", "2"]);
        assert!(r.status.success(), "{}", stderr(&r));
        let resumed: serde_json::Value = serde_json::from_str(&stdout(&r)).unwrap();
        assert_eq!(resumed["digest"], whole["digest"]);
        assert_eq!(resumed["ticks"], 120);
        assert_eq!(resumed["vms"][0]["proteins"], whole["vms"][0]["proteins"]);
    }
}

#[test]
fn damaged_checkpoints_are_refused_not_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let s = parse(&format!("{ROOMY}[[vm]]\nid = \"m\"\norganism = \"syn3a\"\n"));
    let mut sim = simulation(&s);
    for _ in 0..10 {
        sim.step().unwrap();
    }
    let path = write_checkpoint(dir.path(), &sim);
    let bytes = fs::read(&path).unwrap();
    let other_version = format!("format version {}", bioxen::engine::checkpoint::CHECKPOINT_FORMAT_VERSION ^ 0x0b);
    let damaged = [
        ("truncated", damaged(&bytes, bytes.len() as isize / 2, 0), "truncated BioXen checkpoint"),
        ("flipped", damaged(&bytes, -100, 0x55), "corrupt BioXen checkpoint"),
        ("version", damaged(&bytes, 8, 0x0b), other_version.as_str()),
        ("a trace", b"BIOXENTR\x02\0\0\0".to_vec(), "not a BioXen checkpoint"),
    ];
    for (name, content, message) in damaged {
        let p = dir.path().join(format!("{name}.bxck"));
        fs::write(&p, content).unwrap();
        let o = bioxen(&["resume", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{name}: expected `{message}` in {}", stderr(&o));
    }
}

/// A VM that arrives by a `create` event, and transcription switched on and off: resuming
/// before, at and after each, on the engine or the actors, gives the uninterrupted digest.
#[test]
fn resuming_across_creations_and_switches_gives_the_uninterrupted_digest() {
    let dir = tempfile::tempdir().unwrap();
    let s = load("late-arrivals.toml");
    let whole = digest(&s, 1);
    let mut sim = simulation(&s);
    let mut written = Vec::new();
    while !sim.finished() {
        sim.step().unwrap();
        // The timeline: `late` created and started at 30, lac induced at 60, a `set` at
        // 120, lac repressed at 240.
        if [29, 30, 31, 60, 200, 241].contains(&sim.tick()) {
            written.push(write_checkpoint(dir.path(), &sim));
        }
    }
    assert_eq!(sim.digest(), whole);
    for path in &written {
        let mut resumed = read_checkpoint(path).unwrap();
        assert_eq!(hex(&resumed.run(|_, _| {}).unwrap()), hex(&whole), "engine resume from {}", path.display());
        let mut actors = bioxen_actors::ActorRuntime::start(
            read_checkpoint(path).unwrap(),
            bioxen_actors::ActorConfig { arbiters: 2 },
        )
        .unwrap();
        actors.run_ticks(u64::MAX, |_| {}).unwrap();
        assert_eq!(hex(&actors.digest()), hex(&whole), "actors resume from {}", path.display());
        actors.stop();
    }
}

/// The checkpoint format is pinned: a VM is written as its value type (`Cell`), not as it
/// lies in memory, so a change of the in-memory layout cannot move these bytes. A change
/// here is a change of the format, which must raise `CHECKPOINT_FORMAT_VERSION`, or of the
/// engine's version, which the header carries. (Re-pinned once, for engine 0.3.0, whose
/// narrow mRNA picks changed both runs — `docs/perf.md`, issue 23's sixth pass; a run the
/// picks leave alone writes the same bytes as before, its version aside.)
#[test]
fn checkpoint_bytes_are_pinned() {
    let cases = [
        ("quickstart.toml", 7, "ae7cb0c6f1465ccd9e0023db0746471930827ef4851bd79330ac6bd582bac582"),
        // A package installed at tick 360 and IPTG added at 720: a cell with every field in use.
        ("circuits.toml", 742, "4d1414e04decbe6d9ea6c2a1a1af74d6545ea1c4972a918cace9b5d5f2b442bf"),
    ];
    for (name, ticks, expected) in cases {
        let mut sim = simulation(&load(name));
        for _ in 0..ticks {
            sim.step().unwrap();
        }
        let bytes = bioxen::engine::checkpoint::write(Vec::new(), &sim).unwrap();
        assert_eq!(blake3::hash(&bytes).to_hex().as_str(), expected, "{name} at tick {ticks}");
        // Each cell survives the round trip through its value unchanged.
        let restored = bioxen::engine::checkpoint::read(&bytes[..], name).unwrap();
        let cells = |s: &bioxen::engine::sim::Simulation| s.vms().iter().map(|v| v.cell()).collect::<Vec<_>>();
        assert_eq!(cells(&restored), cells(&sim), "{name}");
        assert_eq!(restored.host().digest, sim.host().digest);
    }
}
