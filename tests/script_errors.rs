//! Script errors as a user reads them: placed where the fault is, in words and numbers a
//! person writes, escaped, and found before the run where they can be.

mod common;

use common::{bioxen_in, stderr, stdout};
use std::fs;
use std::path::Path;

const SCENARIO: &str = "format_version = 1\nname = \"errors\"\n[simulation]\nseed = 1\nticks = 30\npolicy = \"fair\"\n\
                        [chassis]\nkind = \"ecoli\"\n[[vm]]\nid = \"a\"\norganism = \"syn3a\"\nmemory_kb = 700\n";

/// (what, scenario's extra events, script, the place and words the error must have).
const SESSION: &[(&str, &str, &str, &str, &str)] = &[
    (
        "an error inside a function is placed there, with its call",
        "",
        "fn f(x) {\n    let y = x + 1;\n    throw \"bad \" + y;\n}\nf(1)",
        "s.rhai:3:5:",
        "bad 2 (in `f`, called at 5:1)",
    ),
    (
        "a refused change is placed at its call, not at `run`",
        "",
        "add_inducer(\"IPTG\", 5.0);\nlet x = 2;\nadd_inducer(\"aTc\", 1e300);\nrun(2);",
        "s.rhai:3:1:",
        "inducer concentration 1e300 µM is not within",
    ),
    (
        "a change that makes a later event impossible says which, by tick and action",
        "[[event]]\ntick = 10\nvm = \"a\"\naction = \"install\"\npackage = \"gfp\"\n",
        "add_inducer(\"IPTG\", 1.0);\ninstall_package(\"gfp\");\nrun(1);",
        "s.rhai:2:1:",
        "the timeline's `install` event at tick 10 would then be impossible",
    ),
    (
        "a package twice in one batch is installed twice, not short of DNA space",
        "",
        "install_package(\"gfp\");\ninstall_package(\"gfp\");",
        "s.rhai:2:1:",
        "already installed",
    ),
    (
        "a gene of a package not installed yet",
        "[[event]]\ntick = 20\nvm = \"a\"\naction = \"install\"\npackage = \"gfp\"\n",
        "run(5);\nprotein(\"gfp\")",
        "s.rhai:2:1:",
        "is installed at a later tick",
    ),
    ("a thrown text is escaped", "", "throw \"x\\ndigest: 0000\\x1b[2J\"", "s.rhai:1:1:", "x\\ndigest: 0000\\u{1b}[2J"),
];

#[test]
fn session_script_errors_are_placed_and_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for &(what, events, code, place, words) in SESSION {
        fs::write(d.join("s.toml"), format!("{SCENARIO}{events}")).unwrap();
        fs::write(d.join("s.rhai"), code).unwrap();
        let o = bioxen_in(d, &["script", "s.toml", "s.rhai"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(place) && err.contains(words), "{what}: expected `{place}` and `{words}` in {err}");
        // One line: nothing the script wrote can start a line of its own.
        assert_eq!(err.trim_end().lines().count(), 2, "{what}: {err}"); // the VM notice, the error
        assert!(!err.contains('\u{1b}'), "{what}: a raw escape reached the terminal");
    }
}

#[test]
fn a_scripts_log_is_escaped_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("s.toml"), SCENARIO).unwrap();
    fs::write(d.join("s.rhai"), "print(\"a\\x1b[31mred\\nvalue: forged\");\n1").unwrap();
    let o = bioxen_in(d, &["script", "s.toml", "s.rhai", "--vm", "a"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("log: a\\u{1b}[31mred\\nvalue: forged\n"), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("value:")).count(), 1, "a forged value line: {out}");
}

/// A scenario whose timeline script calls a function scripts do not have.
fn bad_timeline(d: &Path) {
    let event = "[[event]]\ntick = 25\nvm = \"a\"\naction = \"script\"\ncode = \"let x = 1;\\nfrobnicate(x)\"\n";
    fs::write(d.join("bad.toml"), format!("{SCENARIO}{event}")).unwrap();
}

#[test]
fn a_bad_timeline_script_is_found_before_tick_0_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    bad_timeline(d);
    for args in [
        &["validate", "bad.toml"][..],
        &["run", "bad.toml"],
        &["run", "bad.toml", "--runtime", "actors"],
        &["sweep", "bad.toml", "--seeds", "0..2", "--policies", "fair", "--out", "sweep"],
        &["compare", "bad.toml", "--seeds", "0..2", "--policies", "fair,drf"],
    ] {
        let o = bioxen_in(d, args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("(inline script):2:1: no function frobnicate") && err.contains("checked before the run"),
            "{args:?}: {err}"
        );
    }
    assert!(!d.join("sweep/manifest.json").exists(), "the sweep wrote its manifest before refusing");
    // A checkpoint holding the script (written by a program that skipped the check) is
    // refused by resume before it runs a tick.
    let scenario = bioxen::files::load_scenario(&d.join("bad.toml")).unwrap();
    let mut sim = bioxen::engine::sim::Simulation::new(scenario).unwrap();
    for _ in 0..5 {
        sim.step().unwrap();
    }
    let checkpoint = common::write_checkpoint(d, &sim);
    let o = bioxen_in(d, &["resume", checkpoint.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no function frobnicate"), "{err}");
}

#[test]
fn numbers_in_messages_are_written_as_a_person_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = fs::read_to_string(common::root().join("scenarios/packages/gfp.toml")).unwrap();
    fs::create_dir(d.join("packages")).unwrap();
    let bad = text.replace("per_copy_per_s = 0.125", "per_copy_per_s = 1e300");
    assert_ne!(bad, text);
    fs::write(d.join("packages/gfp.toml"), bad).unwrap();
    let o = bioxen_in(d, &["packages", "--dir", "."]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("1e300 is not within"), "{err}");
    assert!(err.len() < 400, "a number written out in full: {err}");
}
