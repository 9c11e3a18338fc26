//! Prints `name digest` for every scenario in a directory (default `scenarios/`), sorted
//! by name: the format of `scenarios/golden-digests.txt` without its comment line.
//!
//! It depends on the engine alone, so `cargo run -p bioxen-golden` builds the engine with
//! nothing else's features unified in; `tests/golden.rs` runs it that way and compares its
//! output with the golden file. The engine reads no files, so this reads them itself: the
//! shipped scenarios and the genome files they name, beside them. A scenario that cannot
//! be loaded (a genome file outside the repository that is absent) is reported on standard
//! error and skipped.
//!
//! Usage: `cargo run -p bioxen-golden [-- DIR]`

use bioxen_engine::genome::Genome;
use bioxen_engine::record::hex;
use bioxen_engine::scenario::{self, GenomeFileError, GenomeFiles};
use bioxen_engine::sim::Simulation;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Genome files relative to the scenarios' directory.
struct Beside<'a>(&'a Path);

impl GenomeFiles for Beside<'_> {
    fn genome(&mut self, path: &str) -> Result<Genome, GenomeFileError> {
        let unreadable = |e: std::io::Error| GenomeFileError {
            kind: Some(e.kind()),
            message: format!("cannot read genome file `{path}`: {e}"),
        };
        let bytes = std::fs::read(self.0.join(path)).map_err(unreadable)?;
        Ok(bioxen_engine::genbank::parse(&bytes, path).map_err(|e| e.to_string())?)
    }

    fn expression(&mut self, path: &str) -> Result<String, GenomeFileError> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| GenomeFileError {
            kind: Some(e.kind()),
            message: format!("cannot read expression file `{path}`: {e}"),
        })
    }
}

/// The digest of the scenario file `path`, run to its end.
fn digest(dir: &Path, path: &Path) -> Result<[u8; 32], String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let s = scenario::parse(&text, &path.display().to_string(), &mut Beside(dir)).map_err(|e| e.to_string())?;
    Simulation::new(s).and_then(|mut sim| sim.run(|_, _| {})).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let dir = std::env::args_os().nth(1).map_or_else(|| PathBuf::from("scenarios"), PathBuf::from);
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    paths.sort();
    let mut out = std::io::stdout().lock();
    for path in paths {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match digest(&dir, &path) {
            Ok(d) => {
                if writeln!(out, "{name} {}", hex(&d)).is_err() {
                    return ExitCode::SUCCESS; // standard output closed: nothing left to say
                }
            }
            Err(e) => eprintln!("{name} skipped: {e}"),
        }
    }
    ExitCode::SUCCESS
}
