//! `bioxen run --tui` through a real terminal (tmux: `common/terminal.rs`): the dashboard
//! opens paused, steps, sorts, survives a resize to 80×24, runs at a slower pace, and
//! quits mid-run at a whole tick — its trace replays, its digest is the one `--ticks N`
//! gives, and `bioxen resume` from the checkpoint it wrote reaches the uninterrupted
//! run's digest.

mod common;
#[path = "common/terminal.rs"]
mod terminal;

use common::*;
use terminal::*;

/// The digest in `bioxen ... --json`'s output.
fn digest_of(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", stderr(out));
    let v: serde_json::Value = serde_json::from_str(&stdout(out)).unwrap();
    v["digest"].as_str().unwrap().to_string()
}

/// The tick the dashboard's header shows (`tick N/600`).
fn tick_shown(screen: &str) -> Option<u64> {
    let after = screen.split("tick ").nth(1)?;
    after.split('/').next()?.parse().ok()
}

#[test]
fn the_dashboard_steps_sorts_resizes_and_quits_at_a_whole_tick() {
    if !tmux_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = root().join("scenarios/contention.toml");
    let bin = env!("CARGO_BIN_EXE_bioxen");
    let command = format!(
        "{bin} run {} --tui --trace run.bxtr --checkpoint-every 100000 --checkpoint-dir ck",
        scenario.display()
    );
    let t = Terminal::start(&command, dir.path());
    t.wait("PAUSED: space to run", 1);
    assert_eq!(tick_shown(&t.visible()), Some(0));
    t.step(&["n"], "tick 1/600");
    t.step(&["n"], "tick 2/600");
    t.step(&["s"], "sort: proteins");
    t.step(&["s"], "sort: id");
    t.step(&["n"], "tick 3/600");
    t.capture("dashboard");
    t.resize(80, 24);
    let small = t.until("the header at 80×24", |s| s.contains("tick 3/600") && s.contains("coli-big"));
    t.capture("dashboard-80x24");
    assert!(small.lines().all(|l| l.chars().count() <= 80), "{small}");
    // Slower (10, 20, 40 ms a tick), run, and quit once a few ticks have run.
    t.step(&["-", "-", "-"], "(40 ms/tick)");
    t.step(&["Space"], "running");
    t.until("a few ticks", |s| tick_shown(s).is_some_and(|n| n >= 6));
    let end = t.step(&["q"], "exit status 0");
    let line = end.lines().find(|l| l.contains("stopped at tick")).expect("the stop is reported");
    let reached: u64 =
        line.split("stopped at tick ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!((6..600).contains(&reached), "{line}");
    let checkpoint = line.split("bioxen resume ").nth(1).unwrap().trim().to_string();
    let shown = end.lines().find_map(|l| l.strip_prefix("digest ")).unwrap().trim().to_string();

    // The digest is the run's to that tick, and the trace replays to it.
    let to_there =
        bioxen_in(dir.path(), &["run", scenario.to_str().unwrap(), "--ticks", &reached.to_string(), "--json"]);
    assert_eq!(digest_of(&to_there), shown);
    let replay = bioxen_in(dir.path(), &["replay", "run.bxtr"]);
    assert!(replay.status.success(), "{}", stderr(&replay));
    // Resumed from the checkpoint it wrote: the uninterrupted run's digest.
    let whole = bioxen(&["run", scenario.to_str().unwrap(), "--json"]);
    let resumed = bioxen_in(dir.path(), &["resume", &checkpoint, "--json"]);
    assert_eq!(digest_of(&resumed), digest_of(&whole));
}

#[test]
fn the_dashboard_needs_a_terminal() {
    let out = bioxen(&["run", root().join("scenarios/contention.toml").to_str().unwrap(), "--tui"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--tui: needs a terminal"), "{}", stderr(&out));
    let out = bioxen(&["run", root().join("scenarios/contention.toml").to_str().unwrap(), "--tui", "--json"]);
    assert_eq!(out.status.code(), Some(2));
}
