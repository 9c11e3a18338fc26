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
