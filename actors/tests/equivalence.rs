//! The actor runtime reproduces the engine's digest exactly.

use bioxen_actors::{ActorConfig, ActorRuntime};
use bioxen_engine::genome::Genome;
use bioxen_engine::record::{TickRecord, hex};
use bioxen_engine::scenario::{self, GenomeFileError, GenomeFiles, Scenario};
use bioxen_engine::sim::Simulation;
use std::path::PathBuf;

fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

/// Genome files beside the shipped scenarios (this crate sits below `bioxen`, whose
/// `files` module does this for the CLI).
struct Beside;

impl GenomeFiles for Beside {
    fn genome(&mut self, path: &str) -> Result<Genome, GenomeFileError> {
        let bytes = std::fs::read(scenarios_dir().join(path))
            .map_err(|e| GenomeFileError { kind: Some(e.kind()), message: format!("{path}: {e}") })?;
        Ok(bioxen_engine::genbank::parse(&bytes, path).map_err(|e| e.to_string())?)
    }

    fn expression(&mut self, path: &str) -> Result<String, GenomeFileError> {
        std::fs::read_to_string(scenarios_dir().join(path))
            .map_err(|e| GenomeFileError { kind: Some(e.kind()), message: format!("{path}: {e}") })
    }
}

fn load(name: &str) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(scenarios_dir().join(name)).map_err(|e| e.to_string())?;
    scenario::parse(&text, name, &mut Beside).map_err(|e| e.to_string())
}

fn shipped() -> Vec<(String, Scenario)> {
    let mut names: Vec<String> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|n| match load(&n) {
            Ok(s) => Some((n, s)),
            Err(e) => {
                eprintln!("skipped {n}: {e}");
                None
            }
        })
        .collect()
}

fn sequential(s: &Scenario) -> (Vec<TickRecord>, [u8; 32]) {
    let mut sim = Simulation::new(s.clone()).unwrap();
    let mut records = Vec::new();
    let d = sim.run(|_, r| records.push(r.clone())).unwrap();
    (records, d)
}

fn actors(s: &Scenario, arbiters: usize) -> (Vec<TickRecord>, [u8; 32]) {
    let mut rt = ActorRuntime::start(Simulation::new(s.clone()).unwrap(), ActorConfig { arbiters }).unwrap();
    let mut records = Vec::new();
    rt.run_ticks(u64::MAX, |r| records.push(r.clone())).unwrap();
    let d = rt.digest();
    rt.stop();
    (records, d)
}

#[test]
fn every_shipped_scenario_gives_the_engine_digest_on_1_2_and_4_arbiters() {
    for (name, s) in shipped() {
        let (expected_records, expected) = sequential(&s);
        for arbiters in [1, 2, 4] {
            let (records, digest) = actors(&s, arbiters);
            for (a, b) in expected_records.iter().zip(&records) {
                assert_eq!(a.first_difference(b), None, "{name} on {arbiters} arbiters");
            }
            assert_eq!(hex(&digest), hex(&expected), "{name} on {arbiters} arbiters");
        }
    }
}
