//! Prints `name digest` for every scenario in a directory (default `scenarios/`), sorted
//! by name: the format of `scenarios/golden-digests.txt` without its comment line.
//!
//! It depends on the engine alone, so `cargo run -p bioxen-golden` builds the engine with
//! nothing else's features unified in; `tests/golden.rs` runs it that way and compares its
//! output with the golden file. A scenario that cannot be loaded (a genome file outside
//! the repository that is absent) is reported on standard error and skipped.
//!
//! Usage: `cargo run -p bioxen-golden [-- DIR]`

use bioxen_engine::record::hex;
use bioxen_engine::scenario;
use bioxen_engine::sim::Simulation;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os().nth(1).map_or_else(|| PathBuf::from("scenarios"), PathBuf::from);
    let mut names: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    names.sort();
    for path in names {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match scenario::load(&path) {
            Ok(s) => match Simulation::new(s).run(|_, _| {}) {
                Ok(digest) => println!("{name} {}", hex(&digest)),
                Err(e) => {
                    eprintln!("{name}: {e}");
                    return ExitCode::FAILURE;
                }
            },
            Err(e) => eprintln!("{name} skipped: {e}"),
        }
    }
    ExitCode::SUCCESS
}
