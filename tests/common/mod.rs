//! Helpers shared by the integration tests.
#![allow(dead_code)]

use bioxen::engine::scenario::{self, Scenario};
use bioxen::engine::sim::Simulation;
use bioxen::files::{self, GenomeDir};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `bioxen` binary with `args` in `dir`.
pub fn bioxen_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bioxen")).args(args).current_dir(dir).output().expect("bioxen runs")
}

/// Runs the `bioxen` binary from the repository root.
pub fn bioxen(args: &[&str]) -> Output {
    bioxen_in(&root(), args)
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parses scenario text (genome files relative to `scenarios/`).
pub fn parse(text: &str) -> Scenario {
    scenario::parse(text, "test.toml", &mut GenomeDir::new(&root().join("scenarios"))).unwrap()
}

/// Loads a shipped scenario by file name.
pub fn load(name: &str) -> Scenario {
    files::load_scenario(&root().join("scenarios").join(name)).unwrap()
}

/// A fresh simulation of a scenario the gate accepts.
pub fn simulation(s: &Scenario) -> Simulation {
    Simulation::new(s.clone()).unwrap()
}

/// The digest of a whole run on a pool of `threads` threads.
pub fn digest(s: &Scenario, threads: usize) -> [u8; 32] {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| simulation(s).run(|_, _| {}).unwrap())
}

/// Writes a checkpoint of `sim` into `dir` as `bioxen run` names it; returns its path.
pub fn write_checkpoint(dir: &Path, sim: &Simulation) -> PathBuf {
    let path = dir.join(bioxen::driver::checkpoint_name(sim.scenario(), &sim.host().origin, sim.tick()));
    files::write_file(&path, |w| {
        bioxen::engine::checkpoint::write(w, sim).map(drop).map_err(|e| bioxen::Error::io("checkpoint", e))
    })
    .unwrap();
    path
}

/// Reads the checkpoint at `path`.
pub fn read_checkpoint(path: &Path) -> Result<Simulation, bioxen::engine::checkpoint::CheckpointError> {
    files::read_checkpoint(path)
}

/// Runs `ticks` ticks of `sim`, writing them as a trace at `path` (closed with the digest).
pub fn write_trace(
    path: &Path,
    sim: &mut Simulation,
    ticks: u64,
    mut edit: impl FnMut(&mut bioxen::engine::record::TickRecord),
) {
    let out = std::fs::File::create(path).unwrap();
    let mut w = bioxen::engine::trace::TraceWriter::new(std::io::BufWriter::new(out), sim.scenario()).unwrap();
    for _ in 0..ticks {
        let mut record = sim.step().unwrap();
        edit(&mut record);
        w.write(&record).unwrap();
    }
    w.finish(sim.digest()).unwrap();
}

/// Whether `../shared` is present (tests that read it skip with a reason otherwise).
pub fn shared_present() -> bool {
    let present = root().join("../shared/data/syn3a/syn3A.gb").exists();
    if !present {
        eprintln!("skipped: ../shared/data/syn3a/syn3A.gb is absent");
    }
    present
}

/// Runs `f` on a thread of its own and fails the test if it has not returned within two
/// minutes: a watchdog for code that must never hang, so that a hang fails the test instead
/// of stalling CI. A generous bound on a liveness property, not a speed assertion.
pub fn without_hanging<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(120)) {
        Ok(v) => v,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("{what}: hung"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}

/// A copy of `bytes` with byte `at` (counted from the end when negative) XORed with
/// `mask`, or cut to `at` bytes when `mask` is 0.
pub fn damaged(bytes: &[u8], at: isize, mask: u8) -> Vec<u8> {
    let at = if at < 0 { bytes.len() - at.unsigned_abs() } else { at as usize };
    let mut b = bytes.to_vec();
    if mask == 0 {
        b.truncate(at);
    } else {
        b[at] ^= mask;
    }
    b
}

/// A small scenario with plenty of everything: no VM limits another.
pub const ROOMY: &str = r#"
format_version = 1
[simulation]
seed = 11
ticks = 120
policy = "fair"
[chassis]
kind = "yeast"
"#;

/// A random small scenario: organisms, policies, caps, reservations, and a timeline that
/// plays only legal transitions.
pub fn scenario_strategy() -> impl Strategy<Value = String> {
    let vm = (
        0usize..3,
        1u32..1000,
        -2i32..3,
        proptest::option::of(1u32..100),
        proptest::option::of(0u64..3000),
        any::<bool>(),
    );
    (
        any::<u64>(),
        0usize..8,
        0usize..3,
        proptest::collection::vec(vm, 1..5),
        proptest::collection::vec((0u64..40, 0usize..5, 0usize..6), 0..10),
    )
        .prop_map(|(seed, policy, chassis, vms, events)| {
            let policy = bioxen::engine::policy::PolicyKind::ALL[policy].name();
            let chassis = ["ecoli", "yeast", "orthogonal"][chassis];
            let mut text = format!(
                "format_version = 1\n[simulation]\nseed = {seed}\nticks = 40\npolicy = \"{policy}\"\n[simulation.policy_params]\nquantum_ticks = 3\ncredit_period_ticks = 7\n[chassis]\nkind = \"{chassis}\"\n"
            );
            let organisms = ["syn3a", "ecoli", "minimal_cell"];
            let mut states = Vec::new();
            for (i, (o, w, p, cap, ribocap, autostart)) in vms.iter().enumerate() {
                text.push_str(&format!("[[vm]]\nid = \"vm{i}\"\norganism = \"{}\"\nweight = {w}\npriority = {p}\nautostart = {autostart}\n", organisms[*o]));
                if let Some(c) = cap {
                    text.push_str(&format!("atp_cap_percent = {c}\n"));
                }
                if let Some(r) = ribocap {
                    text.push_str(&format!("ribosome_cap = {r}\n"));
                }
                states.push(if *autostart { "running" } else { "created" });
            }
            let mut events = events;
            events.sort_by_key(|e| e.0);
            for (tick, vm, action) in events {
                let vm = vm % vms.len();
                let (action, next) = match (states[vm], action) {
                    ("created", 0..=2) => ("start", "running"),
                    ("running", 0 | 1) => ("pause", "paused"),
                    ("running", 2) => ("stop", "stopped"),
                    ("paused", 0 | 1) => ("resume", "running"),
                    ("paused", 2) => ("stop", "stopped"),
                    ("stopped" | "created", 3) => ("destroy", "destroyed"),
                    (s, 4 | 5) if s != "destroyed" => {
                        text.push_str(&format!("[[event]]\ntick = {tick}\nvm = \"vm{vm}\"\naction = \"set\"\nweight = {}\npriority = {}\n", 1 + tick, action));
                        continue;
                    }
                    _ => continue,
                };
                states[vm] = next;
                text.push_str(&format!("[[event]]\ntick = {tick}\nvm = \"vm{vm}\"\naction = \"{action}\"\n"));
            }
            text
        })
}
