//! Golden digests of the shipped scenarios: any change to the model's numbers shows up
//! here, and must be made deliberately by re-blessing:
//! `BIOXEN_BLESS=1 cargo test --test golden` rewrites `scenarios/golden-digests.txt`.

mod common;
use bioxen::engine::record::hex;
use bioxen::engine::scenario;
use common::*;
use std::collections::BTreeMap;
use std::fs;

const GOLDEN: &str = "scenarios/golden-digests.txt";

fn shipped() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    names
}

#[test]
fn shipped_scenarios_match_their_golden_digests() {
    let golden: BTreeMap<String, String> = fs::read_to_string(root().join(GOLDEN))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, digest) = l.split_once(' ').expect("`name digest` lines");
            (name.to_string(), digest.trim().to_string())
        })
        .collect();
    let bless = std::env::var_os("BIOXEN_BLESS").is_some();
    let mut actual = BTreeMap::new();
    for name in shipped() {
        if name == "syn3a-genbank.toml" && !shared_present() {
            actual.insert(name.clone(), golden.get(&name).cloned().unwrap_or_default());
            continue;
        }
        let s = load(&name);
        actual.insert(name, hex(&digest(&s, 2)));
    }
    if bless {
        let mut text = String::from(
            "# Golden digests of the shipped scenarios (tests/golden.rs). Re-bless with BIOXEN_BLESS=1.\n",
        );
        for (name, d) in &actual {
            text.push_str(&format!("{name} {d}\n"));
        }
        fs::write(root().join(GOLDEN), text).unwrap();
        return;
    }
    for (name, d) in &actual {
        assert_eq!(golden.get(name), Some(d), "{name}: digest changed (re-bless deliberately if the model changed)");
    }
    assert_eq!(golden.len(), actual.len(), "golden file lists scenarios that are not shipped");
}

/// The golden digests printed by `bioxen-golden`, a workspace member that depends on the
/// engine alone, built on its own: so its dependency graph and features are the engine's,
/// not the union the tests build with. A digest that depended on some other crate's
/// features (as rand_distr's floats did through num-traits' `std`) would differ here.
#[test]
fn the_engine_built_alone_prints_the_golden_digests() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let o = std::process::Command::new(cargo)
        .args(["run", "--quiet", "--locked", "-p", "bioxen-golden", "--"])
        .arg(root().join("scenarios"))
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(o.status.success(), "bioxen-golden failed: {}", stderr(&o));
    let golden = fs::read_to_string(root().join(GOLDEN)).unwrap();
    let printed = stdout(&o);
    assert!(printed.lines().count() >= 5, "bioxen-golden printed too little:\n{printed}{}", stderr(&o));
    for line in printed.lines() {
        assert!(golden.lines().any(|g| g == line), "the engine alone gives `{line}`, which is not in {GOLDEN}");
    }
}

/// The digest covers what determines the run, nothing else: not the scenario's name, not
/// how many ticks it runs (the shorter run's digests are the longer one's, tick by tick).
#[test]
fn the_digest_ignores_the_name_and_the_length_of_the_run() {
    let text = fs::read_to_string(root().join("scenarios/contention.toml")).unwrap();
    let mut a = parse(&text.replace("name = \"contention\"", "name = \"first\""));
    let mut b = parse(&text.replace("name = \"contention\"", "name = \"second\""));
    assert_ne!(a.name, b.name);
    (a.ticks, b.ticks) = (100, 200);
    let trail = |s: &scenario::Scenario| {
        let mut sim = bioxen::engine::sim::Simulation::new(s.clone()).unwrap();
        let mut digests = Vec::new();
        sim.run(|sim, _| digests.push(sim.digest())).unwrap();
        digests
    };
    let (short, long) = (trail(&a), trail(&b));
    assert_eq!(short.len(), 100);
    assert_eq!(short[..], long[..100]);
}

#[test]
fn digests_do_not_depend_on_where_the_scenario_is_loaded_from() {
    if !shared_present() {
        return;
    }
    // The same file reached by an absolute path and by a relative one from another
    // directory (the CLI resolves genome files against the scenario's directory).
    let absolute = load("syn3a-genbank.toml");
    let o = bioxen_in(&root().join("engine"), &["run", "../scenarios/syn3a-genbank.toml", "--ticks", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut short = absolute.clone();
    short.ticks = 5;
    let relative: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(relative["digest"].as_str().unwrap(), hex(&digest(&short, 1)));
}
