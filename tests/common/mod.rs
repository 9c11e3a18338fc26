//! Helpers shared by the integration tests.
#![allow(dead_code)]

use bioxen::engine::scenario::{self, Scenario};
use bioxen::engine::sim::Simulation;
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

/// Parses scenario text.
pub fn parse(text: &str) -> Scenario {
    scenario::parse(text, "test.toml", &root().join("scenarios")).unwrap()
}

/// The digest of a whole run on a pool of `threads` threads.
pub fn digest(s: &Scenario, threads: usize) -> [u8; 32] {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| Simulation::new(s.clone()).run(|_, _| {}).unwrap())
}

/// Whether `../shared` is present (tests that read it skip with a reason otherwise).
pub fn shared_present() -> bool {
    let present = root().join("../shared/data/syn3a/syn3A.gb").exists();
    if !present {
        eprintln!("skipped: ../shared/data/syn3a/syn3A.gb is absent");
    }
    present
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
