//! Files and streams as users use them: devices and pipes written straight through,
//! symlinks followed, inputs never overwritten, a closed standard output is no failure,
//! and no temporary survives an error, a signal or (after the next run) a `kill -9`.

mod common;
use common::*;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A 20-tick trace of the quickstart in `dir`.
fn trace_in(dir: &Path) -> std::path::PathBuf {
    let trace = dir.join("q.bxtr");
    let o = bioxen(&["run", "scenarios/quickstart.toml", "--ticks", "20", "--trace", trace.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    trace
}

/// Starts a run that writes a trace to `trace` for longer than any test waits, and returns
/// once it is writing (its temporary exists; bounded wait).
fn start_long_run(trace: &Path) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_bioxen"))
        .args(["run", "scenarios/contention.toml", "--ticks", "100000000", "--trace"])
        .arg(trace)
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dir = trace.parent().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while temporaries(dir).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(temporaries(dir).len(), 1, "no trace being written");
    child
}

/// The temporaries in `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".bioxen-tmp"))
        .collect()
}

#[test]
fn devices_and_stdout_are_written_straight_through() {
    let dir = tempfile::tempdir().unwrap();
    let trace = trace_in(dir.path());
    let t = trace.to_str().unwrap();
    // /dev/null stays a device (a rename would have made it a regular file, as root).
    let o = bioxen(&["export", t, "--format", "csv", "--out", "/dev/null"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(fs::metadata("/dev/null").unwrap().file_type().is_char_device_like());
    // /dev/stdout reaches the pipe, and `-` is standard output.
    for out in ["/dev/stdout", "-"] {
        let o = bioxen(&["export", t, "--format", "csv", "--out", out]);
        assert!(o.status.success(), "{out}: {}", stderr(&o));
        assert_eq!(stdout(&o).lines().count(), 1 + 20 * 3, "{out}");
    }
    // Appending through /dev/stdout appends: the export writes where stdout is, not from
    // the start of the file stdout happens to be.
    let log = dir.path().join("log.csv");
    fs::write(&log, "already here\n").unwrap();
    let appended = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' export '{t}' --format csv --out /dev/stdout >> '{}'",
            env!("CARGO_BIN_EXE_bioxen"),
            log.display()
        ))
        .status()
        .unwrap();
    assert!(appended.success());
    let text = fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("already here\ntick,vm,"), "{}", &text[..40]);
    let o = bioxen(&["plot", t, "--out", "-", "--format", "svg"]);
    assert!(o.status.success() && stdout(&o).starts_with("<svg"), "{}", stderr(&o));
    let o = bioxen(&["plot", t, "--out", "-"]);
    assert_eq!(o.status.code(), Some(2), "a chart on stdout needs its format named");
}

#[test]
fn a_full_device_is_named_in_the_error_whatever_wrote_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let trace = trace_in(dir.path());
    let t = trace.to_str().unwrap();
    // Each encoder (CSV lines, JSON through serde, a chart, a trace's frames) fails on the
    // output it was given, and the error names that output, not `standard output`.
    let cases: [&[&str]; 4] = [
        &["export", t, "--format", "csv", "--out", "/dev/full"],
        &["export", t, "--format", "jsonl", "--out", "/dev/full"],
        &["plot", t, "--out", "/dev/full", "--format", "svg"],
        &["run", "scenarios/quickstart.toml", "--ticks", "20", "--trace", "/dev/full"],
    ];
    for args in cases {
        let o = bioxen(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "error: /dev/full: No space left on device (os error 28)\n", "{args:?}");
    }
    // Standard output that is full is named as such.
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' export '{t}' --format jsonl > /dev/full", env!("CARGO_BIN_EXE_bioxen")))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "error: standard output: No space left on device (os error 28)\n");
}

trait CharDevice {
    fn is_char_device_like(&self) -> bool;
}

impl CharDevice for fs::FileType {
    fn is_char_device_like(&self) -> bool {
        std::os::unix::fs::FileTypeExt::is_char_device(self)
    }
}

#[test]
fn a_symlink_is_followed_and_inputs_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let trace = trace_in(dir.path());
    let (real, link) = (dir.path().join("real.csv"), dir.path().join("link.csv"));
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = bioxen(&["export", trace.to_str().unwrap(), "--format", "csv", "--out", link.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
    assert_eq!(fs::read_to_string(&real).unwrap().lines().count(), 61);
    // Writing over an input, directly or through a link, is refused and changes nothing.
    let before = fs::read(&trace).unwrap();
    let alias = dir.path().join("alias.bxtr");
    std::os::unix::fs::symlink(&trace, &alias).unwrap();
    for out in [&trace, &alias] {
        let o = bioxen(&["export", trace.to_str().unwrap(), "--format", "csv", "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("is the input"), "{}", stderr(&o));
        let o = bioxen(&["plot", trace.to_str().unwrap(), "--out", out.to_str().unwrap(), "--format", "svg"]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    }
    assert_eq!(fs::read(&trace).unwrap(), before);
}

#[test]
fn a_closed_stdout_is_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let trace = trace_in(dir.path());
    let t = trace.to_str().unwrap();
    let shard = dir.path().join("shard");
    assert!(
        bioxen(&[
            "sweep",
            "scenarios/quickstart.toml",
            "--seeds",
            "0..2",
            "--policies",
            "fair",
            "--out",
            shard.to_str().unwrap()
        ])
        .status
        .success()
    );
    let merged = dir.path().join("merged");
    let chart = dir.path().join("c.svg");
    let commands: [&[&str]; 9] = [
        &["policies"],
        &["validate", "scenarios/quickstart.toml"],
        &["run", "scenarios/quickstart.toml", "--ticks", "5"],
        &["replay", t],
        &["export", t, "--format", "jsonl"],
        &["plot", t, "--out", chart.to_str().unwrap()],
        &["bench", "--vms", "10", "--ticks", "3"],
        &["sweep-merge", shard.to_str().unwrap(), "--out", merged.to_str().unwrap()],
        &["compare", "scenarios/quickstart.toml", "--seeds", "0..2", "--policies", "fair"],
    ];
    for args in commands {
        // Standard output is a pipe whose reader is already gone.
        let mut child = Command::new(env!("CARGO_BIN_EXE_bioxen"))
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked") && !stderr(&o).contains("error"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_signal_removes_the_runs_temporaries_and_the_status_names_it() {
    for (signal, status) in [("TERM", 143), ("INT", 130)] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = start_long_run(&dir.path().join("long.bxtr"));
        let number = if signal == "TERM" { libc::SIGTERM } else { libc::SIGINT };
        // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, number) }, 0);
        let exit = child.wait().unwrap();
        assert_eq!(std::os::unix::process::ExitStatusExt::signal(&exit).map(|s| 128 + s).or(exit.code()), Some(status));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "SIG{signal} left {:?}", temporaries(dir.path()));
    }
}

#[test]
fn a_killed_runs_temporary_is_removed_by_the_next_run_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.bxtr");
    let mut child = start_long_run(&trace);
    child.kill().unwrap(); // SIGKILL: no handler runs
    child.wait().unwrap();
    assert_eq!(temporaries(dir.path()).len(), 1);
    let o = bioxen(&["run", "scenarios/quickstart.toml", "--ticks", "5", "--trace", trace.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(temporaries(dir.path()).is_empty(), "{:?}", temporaries(dir.path()));
    assert!(trace.exists());
}

#[test]
fn a_failed_run_leaves_nothing_but_whole_checkpoints() {
    // The timeline pauses VM `a` at tick 5; a hand command pauses it first, so the run
    // resumed from that checkpoint fails at tick 5, after writing checkpoints.
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{ROOMY}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[event]]\ntick = 5\nvm = \"a\"\naction = \"pause\"\n"
    );
    fs::write(dir.path().join("s.toml"), &text).unwrap();
    let mut sim = simulation(&parse(&text));
    for _ in 0..3 {
        sim.step().unwrap();
    }
    // A hand command makes the timeline's pause impossible: resuming from this checkpoint
    // fails at tick 5.
    sim.transition(0, bioxen::engine::lifecycle::Transition::Pause).unwrap();
    let ck = write_checkpoint(dir.path(), &sim);
    let out = dir.path().join("ck");
    let o =
        bioxen(&["resume", ck.to_str().unwrap(), "--checkpoint-every", "1", "--checkpoint-dir", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("at tick 5: cannot pause VM `a`: it is paused"), "{}", stderr(&o));
    let mut left: Vec<String> =
        fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    // The checkpoints after ticks 4 and 5, whole; no temporary.
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left[0].ends_with("-t000000000004.bxck") && left[1].ends_with("-t000000000005.bxck"), "{left:?}");
    for name in &left {
        assert!(read_checkpoint(&out.join(name)).is_ok(), "{name}");
    }
}

#[test]
fn checkpoints_are_kept_as_asked_and_never_mix_runs() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck");
    for seed in ["1", "2"] {
        let o = bioxen(&[
            "run",
            "scenarios/quickstart.toml",
            "--ticks",
            "60",
            "--seed",
            seed,
            "--checkpoint-every",
            "10",
            "--checkpoint-keep",
            "2",
            "--checkpoint-dir",
            ck.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let mut names: Vec<String> =
        fs::read_dir(&ck).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    // Two runs (different seeds, different digests), each keeping its newest two.
    assert_eq!(names.len(), 4, "{names:?}");
    let prefixes: std::collections::BTreeSet<&str> =
        names.iter().map(|n| &n[..n.len() - "-t000000000040.bxck".len()]).collect();
    assert_eq!(prefixes.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| n.ends_with("t000000000040.bxck") || n.ends_with("t000000000050.bxck")), "{names:?}");
}

#[test]
fn sweep_merge_never_overwrites_a_sweep_and_resume_keeps_only_the_plans_rows() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let args = |out: &Path, seeds: &str| -> Vec<String> {
        ["sweep", "scenarios/quickstart.toml", "--seeds", seeds, "--policies", "fair", "--out", out.to_str().unwrap()]
            .map(String::from)
            .to_vec()
    };
    let run = |args: &[String]| bioxen(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run(&args(&a, "0..3")).status.success());
    let rows = fs::read_to_string(a.join("results.csv")).unwrap();
    // Merging a shard onto itself, or onto any directory holding a sweep, is refused.
    for out in [&a, &a] {
        let o = bioxen(&["sweep-merge", a.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    }
    assert_eq!(fs::read_to_string(a.join("results.csv")).unwrap(), rows);
    // A row that is not in the plan (a run number past it, or a different seed under a
    // planned number) is dropped on --resume, not kept.
    let jsonl = a.join("results.jsonl");
    let text = fs::read_to_string(&jsonl).unwrap();
    let first = text.lines().next().unwrap();
    let foreign = first.replacen("\"run\":0", "\"run\":7", 1);
    let wrong_seed = first.replacen("\"seed\":0", "\"seed\":99", 1);
    fs::write(&jsonl, format!("{wrong_seed}\n{foreign}\n")).unwrap();
    let mut again = args(&a, "0..3");
    again.push("--resume".into());
    let o = run(&again);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(a.join("results.csv")).unwrap().lines().count(), 1 + 3);
    let seeds: Vec<String> = fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seed"].to_string())
        .collect();
    assert_eq!(seeds, ["0", "1", "2"]);
}

#[test]
fn compare_keeps_set_values_apart() {
    let o = bioxen(&[
        "compare",
        "scenarios/quickstart.toml",
        "--seeds",
        "0..3",
        "--policies",
        "fair,proportional",
        "--set",
        "vm.syn3a-2.weight=1,4000",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    // Two policies × two weights, three runs each; never pooled.
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r["runs"] == 3 && r["set"]["vm.syn3a-2.weight"].is_string()));
    // Under proportional share the weight matters; under fair share it does not.
    let mean = |p: &str, w: &str| {
        rows.iter().find(|r| r["policy"] == p && r["set"]["vm.syn3a-2.weight"] == w).unwrap()["worst_demand_met"]["mean"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(mean("fair", "1"), mean("fair", "4000"));
    assert_ne!(mean("proportional", "1"), mean("proportional", "4000"));
}

/// `bioxen COMMAND INPUT --checkpoint-every EVERY --checkpoint-keep 2 --checkpoint-dir CK`,
/// which must succeed; then the names in `ck`, sorted.
fn checkpointed(command: &str, input: &Path, every: &str, ck: &Path) -> Vec<String> {
    let (input, ck_arg) = (input.to_str().unwrap(), ck.to_str().unwrap());
    let o =
        bioxen(&[command, input, "--checkpoint-every", every, "--checkpoint-keep", "2", "--checkpoint-dir", ck_arg]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut names: Vec<String> =
        fs::read_dir(ck).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn runs_differing_only_in_a_later_event_or_a_script_keep_their_own_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck");
    let base = "format_version = 1\nname = \"same\"\n[simulation]\nseed = 3\nticks = 60\npolicy = \"fair\"\n\
                [chassis]\nkind = \"ecoli\"\n[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n";
    let later = |tick: u32| format!("[[event]]\ntick = {tick}\nvm = \"a\"\naction = \"pause\"\n");
    let script = "[[event]]\ntick = 45\nvm = \"a\"\naction = \"script\"\ncode = \"metrics()\"\n";
    let variants = [format!("{base}{}", later(50)), format!("{base}{}", later(55)), format!("{base}{script}")];
    let mut names = Vec::new();
    for (k, text) in variants.iter().enumerate() {
        let path = dir.path().join(format!("s{k}.toml"));
        fs::write(&path, text).unwrap();
        names = checkpointed("run", &path, "10", &ck);
        // Each run added its own two and deleted none of the others'.
        assert_eq!(names.len(), 2 * (k + 1), "after run {k}: {names:?}");
    }
    // A resumed run names (and prunes) its checkpoints as the run it continues.
    let first = ck.join(names.iter().find(|n| n.ends_with("t000000000040.bxck")).unwrap());
    let prefix = first.file_name().unwrap().to_str().unwrap().trim_end_matches("-t000000000040.bxck").to_string();
    let after = checkpointed("resume", &first, "5", &ck);
    assert_eq!(after.len(), 6, "{after:?}");
    assert!(after.contains(&format!("{prefix}-t000000000055.bxck")), "{after:?}");
}
