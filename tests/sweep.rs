//! `bioxen sweep`: the same rows for any --jobs and any sharding, survival of kill -9,
//! and clear errors for bad axes.

mod common;
use common::*;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// results.csv without its last column (elapsed_seconds, the one that may differ).
fn rows_without_timing(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join("results.csv"))
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect()
}

const AXES: [&str; 8] = [
    "--seeds",
    "0..6",
    "--policies",
    "fair,drf,lottery",
    "--set",
    "vm.syn3a-2.weight=100,400",
    "--set",
    "chassis.ribosomes=30000",
];

fn sweep(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["sweep", "scenarios/quickstart.toml", "--out", out.to_str().unwrap()];
    args.extend_from_slice(&AXES);
    args.extend_from_slice(extra);
    bioxen(&args)
}

#[test]
fn jobs_and_shards_give_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    let o = sweep(&one, &["--jobs", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = rows_without_timing(&one);
    assert_eq!(rows.len(), 1 + 6 * 3 * 2);
    assert!(rows[0].starts_with("run,seed,policy,vm.syn3a-2.weight,chassis.ribosomes,digest,"), "{}", rows[0]);
    let two = dir.path().join("two");
    assert!(sweep(&two, &["--jobs", "2"]).status.success());
    assert_eq!(rows_without_timing(&two), rows);

    let shards: Vec<_> = (1..=3).map(|k| dir.path().join(format!("shard{k}"))).collect();
    for (k, s) in shards.iter().enumerate() {
        let o = sweep(s, &["--shard", &format!("{}/3", k + 1)]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(rows_without_timing(s).len(), 1 + 12);
    }
    let merged = dir.path().join("merged");
    let mut args = vec!["sweep-merge"];
    args.extend(shards.iter().map(|s| s.to_str().unwrap()));
    args.extend(["--out", merged.to_str().unwrap()]);
    let o = bioxen(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(rows_without_timing(&merged), rows);
    // An incomplete set of shards is refused.
    let o = bioxen(&["sweep-merge", shards[0].to_str().unwrap(), "--out", dir.path().join("x").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("24 missing"), "{}", stderr(&o));
}

#[test]
fn a_killed_sweep_resumes_with_no_missing_and_no_duplicated_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let args = [
        "sweep",
        "scenarios/contention.toml",
        "--seeds",
        "0..24",
        "--policies",
        "fair,credit",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_bioxen"))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) until some rows are written, then kill -9 mid-sweep.
    let jsonl = out.join("results.jsonl");
    let deadline = Instant::now() + Duration::from_secs(120);
    while fs::read_to_string(&jsonl).map_or(0, |t| t.lines().count()) < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = fs::read_to_string(&jsonl).unwrap().lines().count();
    assert!(before >= 5, "the sweep wrote {before} rows before being killed");
    assert!(!out.join("results.csv").exists() || before == 48, "results.csv appears only at the end");

    // Without --resume the directory is refused; with it, the sweep finishes.
    let mut again: Vec<&str> = args.to_vec();
    let o = bioxen(&again);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pass --resume"), "{}", stderr(&o));
    again.push("--resume");
    let o = bioxen(&again);
    assert!(o.status.success(), "{}", stderr(&o));

    let resumed = rows_without_timing(&out);
    assert_eq!(resumed.len(), 1 + 48);
    let mut runs: Vec<&str> = resumed[1..].iter().map(|r| r.split(',').next().unwrap()).collect();
    runs.dedup();
    assert_eq!(runs.len(), 48, "missing or duplicated runs");
    // And the rows are those of an uninterrupted sweep.
    let clean = dir.path().join("clean");
    let mut fresh = args.to_vec();
    let clean_arg = clean.to_str().unwrap();
    *fresh.last_mut().unwrap() = clean_arg;
    assert!(bioxen(&fresh).status.success());
    assert_eq!(rows_without_timing(&clean), resumed);
}

#[test]
fn bad_axes_are_clear_errors_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let cases: [(&[&str], &str); 13] = [
        (&["--seeds", "0..2", "--set", "simulation.seed=5"], "use --seeds and --policies"),
        (&["--seeds", "5..5"], "--seeds 5..5: the range is empty"),
        (&["--seeds", "1,x"], "--seeds: `x` is not a non-negative integer"),
        (&["--seeds", "0..2", "--policies", "fair,best"], "--policies: unknown policy `best`"),
        (&["--seeds", "0..2", "--set", "weight=1"], "the key must be vm.<id>.<field>"),
        (&["--seeds", "0..2", "--set", "vm.ghost.weight=1"], "the scenario has no VM `ghost`"),
        (&["--seeds", "0..2", "--set", "vm.syn3a-1.weight=0"], "weight must be in 1..=65535"),
        (&["--seeds", "0..2", "--set", "vm.syn3a-1.weight=4294967295"], "weight must be in 1..=65535"),
        (
            &["--seeds", "0..2", "--set", "vm.syn3a-1.weight=1", "--set", "vm.syn3a-1.weight=2"],
            "--set vm.syn3a-1.weight: the key is given twice",
        ),
        (
            &["--seeds", "0..2", "--set", "simulation.policy_params.quanta_per_vm=100000"],
            "simulation.policy_params.quanta_per_vm: must be in 1..=1024",
        ),
        (&["--seeds", "0..2", "--set", "vm.syn3a-1.atp_cap_percent=150"], "atp_cap_percent must be a percentage"),
        (&["--seeds", "0..2", "--set", "vm.syn3a-1.colour=blue"], "unknown field `colour`"),
        (&["--seeds", "0..2", "--shard", "3/2"], "--shard 3/2: expected K/N"),
    ];
    for (extra, message) in cases {
        let mut args = vec!["sweep", "scenarios/quickstart.toml", "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = bioxen(&args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{extra:?}: expected `{message}` in {}", stderr(&o));
        assert!(!out.exists(), "{extra:?}: wrote {}", out.display());
    }
}
