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
        let s = scenario::load(&root().join("scenarios").join(&name)).unwrap();
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

#[test]
fn digests_do_not_depend_on_where_the_scenario_is_loaded_from() {
    if !shared_present() {
        return;
    }
    // The same file reached by an absolute path and by a relative one from another
    // directory (the CLI resolves genome files against the scenario's directory).
    let absolute = scenario::load(&root().join("scenarios/syn3a-genbank.toml")).unwrap();
    let o = bioxen_in(&root().join("engine"), &["run", "../scenarios/syn3a-genbank.toml", "--ticks", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut short = absolute.clone();
    short.ticks = 5;
    let relative: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(relative["digest"].as_str().unwrap(), hex(&digest(&short, 1)));
}
