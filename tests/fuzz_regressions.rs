//! Every input the fuzz targets ever crashed or hung on (`fuzz/regressions/<target>/`),
//! and their seed corpora (`fuzz/seeds/<target>/`), replayed through the same entry points
//! (`bioxen::untrusted`) as ordinary tests: a fixed crash stays fixed without nightly or
//! cargo fuzz. Each input must return normally (and quickly: the watchdog catches a hang).

mod common;
use common::*;
use std::fs;
use std::path::Path;

/// Runs `entry` on every file in `fuzz/<kind>/<target>/`; returns how many.
fn replay(kind: &str, target: &str, entry: fn(&[u8])) -> usize {
    let dir = root().join("fuzz").join(kind).join(target);
    let mut inputs: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    inputs.sort();
    for input in &inputs {
        let bytes = fs::read(input).unwrap();
        let name = input.strip_prefix(root()).unwrap_or(input).display().to_string();
        without_hanging(&name, move || entry(&bytes));
    }
    inputs.len()
}

/// A fuzz target's name and its entry point.
type Target = (&'static str, fn(&[u8]));

fn targets() -> [Target; 11] {
    [
        ("scenario", bioxen::untrusted::scenario_text),
        ("script", bioxen::untrusted::script_text),
        ("package", bioxen::untrusted::package_text),
        ("trace", bioxen::untrusted::trace_bytes),
        ("checkpoint", bioxen::untrusted::checkpoint_bytes),
        ("sweep_arguments", bioxen::untrusted::sweep_arguments),
        ("wire", bioxen::untrusted::wire_stream),
        ("hosts", bioxen::untrusted::hosts_text),
        ("xapi", bioxen::untrusted::xapi_answer),
        ("config", bioxen::untrusted::config_text),
        ("genome_files", bioxen::untrusted::genome_files),
    ]
}

#[test]
fn fixed_fuzz_findings_stay_fixed() {
    for (target, entry) in targets() {
        replay("regressions", target, entry);
    }
}

#[test]
fn the_seed_corpora_run_clean() {
    for (target, entry) in targets() {
        assert!(replay("seeds", target, entry) > 0, "no seeds for {target}");
    }
    assert!(Path::new(&root().join("fuzz/Cargo.toml")).exists());
}

/// The SDKs' recorded XAPI exchanges (`../shared`, read in place) go through the `xapi`
/// target's entry like its seeds.
#[test]
fn the_recorded_xapi_exchanges_run_clean() {
    let dir = root().join("../shared/data/xapi/spec-xapi-24");
    if !dir.is_dir() {
        eprintln!("skipped: ../shared/data/xapi is absent");
        return;
    }
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        without_hanging(&path.display().to_string(), move || bioxen::untrusted::xapi_answer(&bytes));
    }
}

/// The trace and checkpoint seeds are of the current format version (a stale seed would
/// only ever reach the version check, and fuzzing would explore nothing behind it).
#[test]
fn the_seed_files_are_of_this_format_version() {
    for path in seeds("fuzz/seeds/trace") {
        bioxen::files::open_trace(&path).unwrap_or_else(|e| panic!("{}: {e}; regenerate it", path.display()));
    }
    for entry in fs::read_dir(root().join("fuzz/seeds/checkpoint")).unwrap() {
        let path = entry.unwrap().path();
        bioxen::files::read_checkpoint(&path).unwrap_or_else(|e| panic!("{}: {e}; regenerate it", path.display()));
    }
}

/// The seed files in `dir` that are whole files (not the raw inside of a trace's block).
fn seeds(dir: &str) -> impl Iterator<Item = std::path::PathBuf> {
    let paths = fs::read_dir(root().join(dir)).unwrap().map(|e| e.unwrap().path());
    paths.filter(|p| p.extension().is_none_or(|e| e != "raw"))
}

#[test]
fn reframing_a_file_gives_its_own_bytes_back() {
    // The fuzz targets re-checksum mutated files; on an undamaged file that must be the
    // identity, or they would be exploring something the writer never makes.
    for (dir, checkpoint) in [("fuzz/seeds/trace", false), ("fuzz/seeds/checkpoint", true)] {
        for path in seeds(dir) {
            let bytes = fs::read(path).unwrap();
            assert_eq!(bioxen::untrusted::with_valid_checksums(&bytes, checkpoint).as_deref(), Some(&bytes[..]));
        }
    }
}

/// The raw block seed (`fuzz/seeds/trace/*.raw`: the inside of a compressed block of a
/// real run of `raw_block_scenario`) is a whole trace once compressed, so the fuzzer starts
/// from frames and columns that read, and goes from there.
#[test]
fn the_raw_block_seed_reads_whole() {
    let raw = fs::read(root().join("fuzz/seeds/trace/raw-block-3-vms-8-ticks.raw")).unwrap();
    let trace = bioxen::untrusted::trace_of_raw_block(&raw);
    let mut r = bioxen::engine::trace::TraceReader::new(trace.as_slice(), "t.bxtr").unwrap();
    let replayed = bioxen::replay::replay(&mut r, |_| {}).unwrap();
    assert!(matches!(replayed, bioxen::replay::Replay::Identical { ticks: 8, .. }), "{replayed:?}");
}

/// Writes the raw block seed. `cargo test --test fuzz_regressions -- --ignored
/// write_the_raw_block_seed` (fuzz/seeds/regenerate.sh runs it).
#[test]
#[ignore]
fn write_the_raw_block_seed() {
    let sim = bioxen::engine::sim::Simulation::new(bioxen::untrusted::raw_block_scenario()).unwrap();
    let mut runner = bioxen::driver::Runner::Engine(Box::new(sim));
    let mut w = bioxen::engine::trace::TraceWriter::new(Vec::new(), runner.scenario()).unwrap();
    let _ = runner.run_ticks(8, |r| w.write(r).is_ok());
    let trace = w.finish(runner.digest()).unwrap();
    // The last frame is the one block: its raw length, then zstd.
    let mut frames =
        bioxen::engine::codec::FrameReader::open(trace.as_slice(), "t", "BioXen trace", b"BIOXENTR", 8).unwrap();
    let mut last = None;
    while let Some(p) = frames.next_payload().unwrap() {
        last = Some(p);
    }
    let raw = zstd::decode_all(&last.unwrap()[4..]).unwrap();
    fs::write(root().join("fuzz/seeds/trace/raw-block-3-vms-8-ticks.raw"), raw).unwrap();
}
