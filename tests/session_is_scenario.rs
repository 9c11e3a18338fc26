//! A session is a scenario: whatever mix of timeline scripts and timeline events decides a
//! run, the scripted run (on the engine and on the actors), the scenario with every
//! decision written as an event, the replay of its trace, and the scenario a `bioxen script`
//! session saves of it give one digest.

mod common;

use common::{bioxen_in, stderr, stdout};
use proptest::prelude::*;
use std::fs;
use std::path::Path;

/// One decision: what it does, at which tick, and whether a timeline script makes it.
#[derive(Clone, Debug)]
struct Decision {
    tick: u64,
    scripted: bool,
    what: What,
}

#[derive(Clone, Debug)]
enum What {
    Install(&'static str),
    Inducer(&'static str, u32),
    Weight(u32),
}

impl What {
    /// As a timeline event's fields.
    fn event(&self) -> String {
        match self {
            What::Install(p) => format!("action = \"install\"\npackage = \"{p}\"\n"),
            What::Inducer(i, 0) => format!("action = \"remove_inducer\"\ninducer = \"{i}\"\n"),
            What::Inducer(i, um) => format!("action = \"add_inducer\"\ninducer = \"{i}\"\nmicromolar = {um}\n"),
            What::Weight(w) => format!("action = \"set\"\nweight = {w}\n"),
        }
    }

    /// As a script's call.
    fn call(&self) -> String {
        match self {
            What::Install(p) => format!("install_package(\\\"{p}\\\");"),
            What::Inducer(i, 0) => format!("remove_inducer(\\\"{i}\\\");"),
            What::Inducer(i, um) => format!("add_inducer(\\\"{i}\\\", {um});"),
            What::Weight(w) => format!("allocate_resources(#{{ weight: {w} }});"),
        }
    }
}

const BASE: &str = "format_version = 1\nname = \"mix\"\n[simulation]\nseed = 11\nticks = 48\npolicy = \"proportional\"\n\
                    [chassis]\nkind = \"ecoli\"\n[[vm]]\nid = \"a\"\norganism = \"syn3a\"\nmemory_kb = 700\n\
                    [[vm]]\nid = \"b\"\norganism = \"minimal_cell\"\n";

/// The scenario with each decision for VM `a`: scripted ones as script events (or, with
/// `written`, as the events they make). At one tick the timeline's events apply first,
/// then the scripts' changes, so both forms list a tick's events before its scripts.
fn scenario(decisions: &[Decision], written: bool) -> String {
    let mut sorted = decisions.to_vec();
    sorted.sort_by_key(|d| (d.tick, d.scripted));
    let mut text = BASE.to_string();
    for d in &sorted {
        let body = match (d.scripted, written) {
            (true, false) => format!("action = \"script\"\ncode = \"{}\"\n", d.what.call()),
            _ => d.what.event(),
        };
        text += &format!("[[event]]\ntick = {}\nvm = \"a\"\n{body}", d.tick);
    }
    text
}

fn decisions() -> impl Strategy<Value = Vec<Decision>> {
    let packages = Just(vec!["gfp", "toggle", "repressilator"]).prop_shuffle();
    let installs =
        (packages, 0usize..=3, proptest::collection::vec((1u64..40, any::<bool>()), 3)).prop_map(|(names, n, at)| {
            names[..n]
                .iter()
                .zip(at)
                .map(|(p, (tick, scripted))| Decision { tick, scripted, what: What::Install(p) })
                .collect::<Vec<_>>()
        });
    let other = (
        1u64..40,
        any::<bool>(),
        prop_oneof![
            (prop_oneof![Just("IPTG"), Just("aTc")], 0u32..200).prop_map(|(i, um)| What::Inducer(i, um)),
            (1u32..1000).prop_map(What::Weight),
        ],
    )
        .prop_map(|(tick, scripted, what)| Decision { tick, scripted, what });
    (installs, proptest::collection::vec(other, 0..5)).prop_map(|(mut a, b)| {
        a.extend(b);
        a
    })
}

fn digest(dir: &Path, args: &[&str]) -> String {
    let o = bioxen_in(dir, &[args, &["--json"]].concat());
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    json["digest"].as_str().unwrap().to_string()
}

/// Every way of running `decisions` gives the digest of the scenario with them written out.
fn one_digest(decisions: &[Decision]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("scripted.toml"), scenario(decisions, false)).unwrap();
    fs::write(d.join("written.toml"), scenario(decisions, true)).unwrap();
    let expected = digest(d, &["run", "written.toml"]);
    assert_eq!(digest(d, &["run", "scripted.toml", "--trace", "t.bxtr"]), expected, "engine");
    assert_eq!(digest(d, &["run", "scripted.toml", "--runtime", "actors", "--arbiters", "2"]), expected, "actors");
    let replay = bioxen_in(d, &["replay", "t.bxtr"]);
    assert!(replay.status.success(), "replay: {}", stderr(&replay));
    // The session over the scripted scenario (a script that changes nothing), saved.
    fs::write(d.join("nothing.rhai"), "tick()").unwrap();
    let o = bioxen_in(d, &["script", "scripted.toml", "nothing.rhai", "--vm", "a", "--save", "saved.toml", "--json"]);
    assert!(o.status.success(), "script: {}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["digest"].as_str().unwrap(), expected, "session");
    assert_eq!(digest(d, &["run", "saved.toml"]), expected, "saved session");
}

/// The case: a script installs gfp at tick 10 into a VM whose timeline installs the
/// repressilator at tick 30 (the script's package came second into the run's list, first
/// into the written scenario's).
#[test]
fn a_scripts_install_is_an_install_event() {
    one_digest(&[
        Decision { tick: 10, scripted: true, what: What::Install("gfp") },
        Decision { tick: 30, scripted: false, what: What::Install("repressilator") },
    ]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn scripts_and_events_in_any_mix_give_one_digest(decisions in decisions()) {
        one_digest(&decisions);
    }
}
