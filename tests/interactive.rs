//! `bioxen interactive` through a real terminal (tmux: `common/terminal.rs`). A session made in the menu saves as a scenario that
//! `bioxen run` replays to the digest the menu reported.
//!
//! Needs tmux (`.ci/run` installs it; set BIOXEN_REQUIRE_TMUX=1 to fail rather than skip).

mod common;
#[path = "common/terminal.rs"]
mod terminal;

use common::*;
use std::process::{Command, Stdio};
use terminal::*;

// The main menu's order (menu.rs): the original's entries, then ours, then Exit.
const CREATE: usize = 0;
const LIST: usize = 1;
const START: usize = 2;
const DELETE: usize = 5;
const STATUS: usize = 6;
const RESOURCES: usize = 7;
const CLOCK: usize = 10;
const RUN: usize = 11;
const PACKAGES: usize = 13;
const TIMELINE: usize = 15;
const SAVE: usize = 16;
const EXIT: usize = 18;

#[test]
fn a_menu_session_saves_as_a_scenario_that_replays_to_its_digest() {
    if !tmux_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_bioxen");
    let t = Terminal::start(&format!("{bin} interactive --seed 5"), dir.path());
    t.wait(MENU, 1);
    assert!(t.screen().contains("Create Biological VM") && !t.screen().contains("🏭"), "plain labels");
    t.capture("menu");

    // Two VMs, each started.
    for (organism_keys, id) in [(vec!["Enter"], "syn3a-1"), (vec!["Down", "Enter"], "ecoli-2")] {
        t.menu(CREATE, "Organism type?");
        t.step(&organism_keys, "VM type?");
        t.step(&["Enter"], "Configuration?");
        t.step(&["Enter"], "VM id?");
        t.step(&["Enter"], &format!("ok: created {id}"));
    }
    for (vm_keys, id) in [(vec!["Enter"], "syn3a-1"), (vec!["Down", "Enter"], "ecoli-2")] {
        t.menu(START, "Which VM to start?");
        t.step(&vm_keys, &format!("ok: {id} will start"));
    }
    // An allocation, ticks, the live clock, a status, a package.
    t.menu(RESOURCES, "Which VM to manage?");
    t.step(&["Enter"], "Resource management");
    t.step(&["Down", "Enter"], "ATP %?");
    t.step(&["=30", "Enter"], "ok: reserved from the next tick");
    t.menu(RUN, "Run for?");
    t.step(&["Enter"], "Ticks?");
    t.step(&["=50", "Enter"], "ok: ran 50 ticks");
    t.menu(CLOCK, "Pace?");
    t.step(&["Down", "Down", "Enter"], "ok: the clock runs");
    t.menu(LIST, "(simulated");
    t.menu(CLOCK, "ok: the clock is paused at tick");
    t.menu(STATUS, "Which VM to show?");
    t.step(&["Enter"], "ATP level");
    t.menu(PACKAGES, "Which VM for packages and inducers?");
    t.step(&["Down", "Enter"], "Packages and inducers");
    t.step(&["Enter"], "Package?");
    t.step(&["=gfp", "Enter"], "ok: gfp goes into ecoli-2");
    t.menu(RUN, "Run for?");
    t.step(&["Enter"], "Ticks?");
    t.step(&["=10", "Enter"], "ok: ran 10 ticks");
    t.menu(TIMELINE, "[[event]]");
    // Saved: the digest the menu reports is the one `bioxen run` gives.
    t.menu(SAVE, "Save the session as");
    let screen = t.step(&["=menu.toml", "Enter"], "ok: saved menu.toml");
    let line = screen.lines().find(|l| l.contains("ok: saved menu.toml")).unwrap();
    let digest = line.split("replays it to ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let run = bioxen_in(dir.path(), &["run", "menu.toml", "--json"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stdout(&run).contains(&format!("\"digest\":\"{digest}\"")), "{}", stdout(&run));
    // Deleted after asking; then Exit offers to save what changed since.
    t.menu(DELETE, "Which VM to delete?");
    t.step(&["Enter"], "Delete syn3a-1?");
    t.step(&["=y", "Enter"], "ok: syn3a-1 will delete");
    t.menu(EXIT, "Save it as a scenario first?");
    t.step(&["=n", "Enter"], "exit status 0");
}

#[test]
fn without_a_terminal_it_says_so_and_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_bioxen")).arg("interactive").stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("needs a terminal"), "{}", stderr(&out));
    let out = bioxen(&["interactive", "--chassis", "mars"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--chassis: unknown chassis `mars`"), "{}", stderr(&out));
}

/// Bad input at the prompts (empty, letters for numbers, huge numbers, unknown names, paths
/// that cannot be) is a message or a question asked again, and the menu goes on.
#[test]
fn bad_input_at_every_prompt_leaves_the_menu_running() {
    if !tmux_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = Terminal::start(&format!("{} interactive", env!("CARGO_BIN_EXE_bioxen")), dir.path());
    t.menu(CREATE, "Organism type?");
    t.step(&["Enter"], "VM type?");
    t.step(&["Enter"], "Configuration?");
    t.step(&["Enter"], "VM id?");
    t.step(&["Enter"], "ok: created syn3a-1");
    // (the menu entry, the keys answering each of its prompts in turn — the last answer is
    // the bad one — and what the screen then shows)
    let cases: Vec<(usize, Vec<Vec<&str>>, &str)> = vec![
        (CREATE, vec![vec!["Enter"], vec!["Enter"], vec!["Enter"], vec!["=syn3a-1", "Enter"]], "already exists"),
        (
            CREATE,
            vec![vec!["Enter"], vec!["Enter"], vec!["Down", "Enter"], vec!["=nope.json", "Enter"]],
            "Configuration file not found: nope.json",
        ),
        (RESOURCES, vec![vec!["Enter"], vec!["Down", "Enter"], vec!["=abc", "Enter"]], "that is not a number"),
        (RESOURCES, vec![vec!["Enter"], vec!["Down", "Enter"], vec!["=1e400", "Enter"]], "error:"),
        (RESOURCES, vec![vec!["Enter"], vec!["Down", "Down", "Enter"], vec!["=-3", "Enter"]], "error:"),
        (RUN, vec![vec!["Enter"], vec!["=99999999999999999999999", "Enter"]], "that is not a number"),
        (RUN, vec![vec!["Enter"], vec!["=100000000000000", "Enter"]], "would pass the run's last tick"),
        (12, vec![vec!["Enter"], vec!["Enter"], vec!["=nosuchgene", "Enter"]], "has no gene `nosuchgene`"),
        (12, vec![vec!["Enter"], vec!["Enter"], vec!["Enter"]], "no name given"),
        (PACKAGES, vec![vec!["Enter"], vec!["Down", "Enter"], vec!["Enter"], vec!["=-5", "Enter"]], "error:"),
        (14, vec![vec!["Enter"], vec!["Enter"], vec!["=let x = ;", "Enter"]], "error:"),
        (SAVE, vec![vec!["=/nonexistent-dir/s.toml", "Enter"]], "error:"),
        (CLOCK, vec![vec!["Down", "Down", "Down", "Enter"], vec!["=0", "Enter"]], "pace: simulated seconds"),
        (8, vec![], "the chassis is chosen before the first VM"),
    ];
    for (entry, answers, shown) in cases {
        let Some((bad, first)) = answers.split_last() else {
            t.menu(entry, shown);
            continue;
        };
        t.menu(entry, "?");
        for answer in first {
            t.step(answer, "?");
        }
        t.step(bad, shown);
        if shown == "that is not a number" {
            // Asked again; Esc backs out to the menu (the next `menu` waits for it).
            t.keys(&["Escape"]);
        }
    }
    t.menu(EXIT, "Save it as a scenario first?");
    t.step(&["=n", "Enter"], "exit status 0");
}

/// Two Ctrl-Cs at the menu ask to save an unsaved session; a scenario's VMs and timeline
/// are there from the start; labels carry the original's emoji on a capable terminal.
#[test]
fn ctrl_c_twice_offers_to_save_and_a_scenario_starts_the_session() {
    if !tmux_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = root().join("scenarios/contention.toml");
    let command =
        format!("TERM=xterm-256color {} interactive --scenario {}", env!("CARGO_BIN_EXE_bioxen"), scenario.display());
    let t = Terminal::start_with(&command, dir.path());
    t.wait(MENU, 1);
    assert!(t.screen().contains("🏭 Create Biological VM"), "{}", t.screen());
    t.menu(LIST, "coli-big");
    t.menu(RUN, "Run for?");
    t.step(&["Enter"], "Ticks?");
    t.step(&["=120", "Enter"], "ran 120 ticks");
    t.next_menu();
    t.step(&["C-c"], "(Ctrl-C again to exit)");
    t.step(&["C-c"], "Save it as a scenario first?");
    t.step(&["=y", "Enter"], "Save the session as");
    let screen = t.step(&["Enter"], "saved session.toml");
    t.wait("exit status 0", 1);
    let line = screen.lines().find(|l| l.contains("saved session.toml")).unwrap();
    let digest = line.split("replays it to ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let run = bioxen_in(dir.path(), &["run", "session.toml", "--json"]);
    assert!(stdout(&run).contains(&format!("\"digest\":\"{digest}\"")), "{}{}", stdout(&run), stderr(&run));
    // The scenario's own run to tick 120 is the session's: nothing was changed in it.
    let own = bioxen(&["run", scenario.to_str().unwrap(), "--ticks", "120", "--json"]);
    assert!(stdout(&own).contains(&format!("\"digest\":\"{digest}\"")), "{}", stdout(&own));
}
