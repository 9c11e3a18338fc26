//! Process scripts on a scenario's timeline: a script runs at its event's tick boundary on
//! a snapshot of its VM, and the run is the run of the scenario with the events it made —
//! on every runtime, across checkpoints, and in the trace, which replays without scripts.

mod common;

use bioxen::api::BioVmManager;
use bioxen::engine::package::Inducer;
use bioxen::engine::scenario::Action;
use bioxen::engine::sim::{SimError, Simulation};
use common::{bioxen, bioxen_in, root, stderr, stdout};
use std::fs;
use std::path::Path;

const FEEDBACK: &str = "examples/timeline/lac-feedback.toml";

/// The digest `bioxen run` prints for `args`.
fn digest_of(dir: &Path, args: &[&str]) -> String {
    let o = bioxen_in(dir, &[args, &["--json"]].concat());
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    json["digest"].as_str().unwrap().to_string()
}

/// lac-feedback.toml with its scripts replaced by the events they make: IPTG on at the
/// first hour (LacZ low: the new plasmid's LacI still rising), off at the second (LacZ
/// high), on again at the fourth when growth has diluted LacZ, off at the fifth.
fn written_out() -> String {
    let text = fs::read_to_string(root().join(FEEDBACK)).unwrap();
    let head = &text[..text.find("[[event]]").unwrap()];
    let mut out = head.to_string();
    for (tick, on) in DECISIONS {
        let (action, amount) = if on > 0.0 { ("add_inducer", "\nmicromolar = 1000") } else { ("remove_inducer", "") };
        out.push_str(&format!(
            "[[event]]\ntick = {tick}\nvm = \"coli\"\naction = \"{action}\"\ninducer = \"IPTG\"{amount}\n\n"
        ));
    }
    out
}

/// The feedback's decisions: (tick, µM IPTG).
const DECISIONS: [(u64, f64); 4] = [(360, 1000.0), (720, 0.0), (1440, 1000.0), (1800, 0.0)];

/// The scripted scenario and the one with its decisions written as events give one
/// digest, on 1, 2 and 8 threads and on the actors.
#[test]
fn a_timeline_script_is_the_events_it_makes() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.toml");
    fs::write(&plain, written_out()).unwrap();
    let expected = digest_of(&root(), &["run", plain.to_str().unwrap()]);
    for runtime in [
        &["--threads", "1"][..],
        &["--threads", "2"],
        &["--threads", "8"],
        &["--runtime", "actors", "--arbiters", "1"],
        &["--runtime", "actors", "--arbiters", "3"],
    ] {
        let got = digest_of(&root(), &[&["run", FEEDBACK][..], runtime].concat());
        assert_eq!(got, expected, "{runtime:?}");
    }
}

/// The trace holds the events the scripts made and no script: replay (which runs no
/// script) reproduces it, and so does resuming from a checkpoint taken right before a
/// script's tick, on either runtime.
#[test]
fn traces_hold_the_events_and_checkpoints_the_scripts_to_come() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("run.bxtr");
    let checkpoints = dir.path().join("checkpoints");
    let whole = digest_of(
        &root(),
        &[
            "run",
            FEEDBACK,
            "--trace",
            trace.to_str().unwrap(),
            "--checkpoint-every",
            "360",
            "--checkpoint-dir",
            checkpoints.to_str().unwrap(),
        ],
    );
    let header = bioxen::files::open_trace(&trace).unwrap().scenario;
    assert!(header.scripts.is_empty(), "the trace's scenario still holds scripts");
    let inducers: Vec<(u64, f64)> = header
        .events
        .iter()
        .filter_map(|e| match e.action {
            Action::Inducer { inducer: Inducer::Iptg, micromolar } => Some((e.tick, micromolar)),
            _ => None,
        })
        .collect();
    assert_eq!(inducers, DECISIONS);
    let o = bioxen(&["replay", trace.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&whole), "{}", stdout(&o));

    let mut files: Vec<_> = fs::read_dir(&checkpoints).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 6, "{files:?}"); // ticks 360, 720, … 2160: each before a script
    let first = bioxen::files::read_checkpoint(&files[0]).unwrap();
    assert_eq!(first.scenario().scripts.len(), 6, "the checkpoint at 360 holds every script still to run");
    for f in &files {
        for runtime in [&["--threads", "2"][..], &["--runtime", "actors"]] {
            let resumed = digest_of(&root(), &[&["resume", f.to_str().unwrap()][..], runtime].concat());
            assert_eq!(resumed, whole, "{} {runtime:?}", f.display());
        }
    }
}

/// The engine runs no scripts: stepping into a script's tick is refused, not skipped.
#[test]
fn the_engine_refuses_to_pass_an_unresolved_script() {
    let s = bioxen::files::load_scenario(&root().join(FEEDBACK)).unwrap();
    let mut sim = Simulation::new(s).unwrap();
    for _ in 0..360 {
        sim.step().unwrap();
    }
    let e = sim.step().unwrap_err();
    assert!(matches!(e, SimError::ScriptDue { tick: 360, .. }), "{e}");
    assert_eq!(sim.tick(), 360, "the refused tick ran");
}

/// Bad timeline scripts and script events: each exit status 2 with the script's (or the
/// scenario's) name and line:column, and no trace left behind.
#[test]
fn bad_timeline_scripts_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ok.rhai"), "protein(\"lac/lacZ\")").unwrap();
    let scenario = |event: &str| {
        format!(
            "format_version = 1\n[simulation]\nseed = 1\nticks = 20\npolicy = \"fair\"\n[chassis]\nkind = \"ecoli\"\n\
             [[vm]]\nid = \"coli\"\norganism = \"ecoli\"\nautostart = true\npackages = [\"lac\"]\nmemory_kb = 4700\n\
             [[event]]\ntick = 5\nvm = \"coli\"\naction = \"script\"\n{event}\n"
        )
    };
    let cases: &[(&str, &str, &str, &str)] = &[
        ("run in a timeline", "code = \"run(5)\"", "t.toml:17:10 (inline script):1:1", "cannot run ticks"),
        ("syntax error", "code = \"let x = ;\"", ":1:9", "Syntax error"),
        ("unknown gene", "code = \"\\n\\nprotein(\\\"lacQ\\\")\"", ":3:", "no gene `lacQ`"),
        ("loops forever", "code = \"loop { }\"", ":1:", "limit of 3906 operations"),
        ("sleeps", "code = \"sleep(100000)\"", ":1:1", "no function sleep"),
        ("no file", "file = \"missing.rhai\"", "t.toml:18:8", "cannot read script file `missing.rhai`"),
        ("file and code", "file = \"ok.rhai\"\ncode = \"1\"", "t.toml:17:10", "one of them"),
        ("neither", "", "t.toml:17:10", "gives its script as `file`"),
        (
            "a gene too",
            "file = \"ok.rhai\"\ngene = \"lacZ\"",
            "t.toml:17:10",
            "takes `file` or `code`, and nothing else",
        ),
        ("refused where it lands", "code = \"install_package(\\\"lac\\\")\"", ":1:1", "already installed"),
        ("wrong concentration", "code = \"add_inducer(\\\"IPTG\\\", -1.0)\"", ":1:", "not within"),
    ];
    for &(name, event, place, message) in cases {
        let path = dir.path().join("t.toml");
        fs::write(&path, scenario(event)).unwrap();
        let trace = dir.path().join("t.bxtr");
        let o = bioxen_in(dir.path(), &["run", "t.toml", "--trace", "t.bxtr"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(place) && err.contains(message), "{name}: expected `{place}` and `{message}` in {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(!trace.exists(), "{name}: a trace was left behind");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 2, "{name}: {left:?}"); // ok.rhai, t.toml and nothing else
    }
}

/// A session over a scenario with timeline scripts: the host's view follows what they
/// install (a script installs GFP at tick 5, and the session reads its protein), and the
/// saved session holds the install, not the script, and replays to the same digest.
#[test]
fn sessions_follow_what_timeline_scripts_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    fs::write(
        &path,
        "format_version = 1\n[simulation]\nseed = 3\nticks = 600\npolicy = \"fair\"\n[chassis]\nkind = \"ecoli\"\n\
         [[vm]]\nid = \"cell\"\norganism = \"syn3a\"\nautostart = true\nmemory_kb = 600\n\
         [[event]]\ntick = 5\nvm = \"cell\"\naction = \"script\"\ncode = \"if status() == \\\"running\\\" { install_package(\\\"gfp\\\") }\"\n",
    )
    .unwrap();
    let scenario = bioxen::files::load_scenario(&path).unwrap();
    let manager = BioVmManager::from_scenario(scenario, dir.path()).unwrap();
    manager.run_ticks(300).unwrap();
    let vm = manager.get_vm("cell").unwrap();
    assert_eq!(vm.get_installed_packages(), ["gfp"]);
    assert!(vm.get_protein_count("gfp").unwrap() > 0);
    let outcome = vm.execute_biological_process("protein(\"gfp\")").unwrap();
    assert!(outcome.value.as_i64().unwrap() > 0, "{outcome:?}");
    manager.run_ticks(manager.remaining_ticks()).unwrap();
    let saved = dir.path().join("saved.toml");
    manager.save_scenario(&saved).unwrap();
    let text = fs::read_to_string(&saved).unwrap();
    assert!(text.contains("action = \"install\"") && !text.contains("\"script\""), "{text}");
    let replayed = digest_of(dir.path(), &["run", "saved.toml"]);
    assert_eq!(replayed, manager.digest());
}

/// A sweep runs the scripts of every run.
#[test]
fn sweeps_run_timeline_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = bioxen(&["sweep", FEEDBACK, "--seeds", "7", "--policies", "fair", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = fs::read_to_string(out.join("results.jsonl")).unwrap();
    let whole = digest_of(&root(), &["run", FEEDBACK]);
    assert!(rows.contains(&whole), "{rows}");
}

/// A timeline script's file lies inside the scenario's directory tree: an absolute path, a
/// path up and a link out are refused, naming the path and quoting nothing of the file.
#[test]
fn script_files_are_confined_to_the_scenarios_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("sub")).unwrap();
    fs::write(d.join("secret.txt"), "the-secret-content\n").unwrap();
    fs::write(d.join("sub/ok.rhai"), "metrics()").unwrap();
    std::os::unix::fs::symlink(d.join("secret.txt"), d.join("sub/link.rhai")).unwrap();
    let secret = d.join("secret.txt");
    for (file, why) in [
        (secret.to_str().unwrap(), "a relative path without `..`"),
        ("../secret.txt", "a relative path without `..`"),
        ("link.rhai", "it links out of it"),
    ] {
        let text = format!(
            "format_version = 1\n[simulation]\nseed = 1\nticks = 10\npolicy = \"fair\"\n[chassis]\nkind = \"ecoli\"\n\
             [[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[event]]\ntick = 2\nvm = \"a\"\naction = \"script\"\nfile = \"{file}\"\n"
        );
        fs::write(d.join("sub/s.toml"), text).unwrap();
        let o = bioxen_in(&d.join("sub"), &["validate", "s.toml"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains("must be inside the scenario's directory") && err.contains(why), "{file}: {err}");
        assert!(!err.contains("the-secret-content"), "{file}: the file's content was echoed: {err}");
    }
    let ok = "format_version = 1\n[simulation]\nseed = 1\nticks = 10\npolicy = \"fair\"\n[chassis]\nkind = \"ecoli\"\n\
              [[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[event]]\ntick = 2\nvm = \"a\"\naction = \"script\"\nfile = \"ok.rhai\"\n";
    fs::write(d.join("sub/s.toml"), ok).unwrap();
    assert!(bioxen_in(&d.join("sub"), &["validate", "s.toml"]).status.success());
}
