//! `bioxen interactive` through a real terminal: tmux runs it in a pseudo-terminal, keys go
//! in with send-keys, and the screen is read back with capture-pane, polled up to a
//! deadline (never a fixed sleep). A session made in the menu saves as a scenario that
//! `bioxen run` replays to the digest the menu reported.
//!
//! Needs tmux (`.ci/run` installs it; set BIOXEN_REQUIRE_TMUX=1 to fail rather than skip).

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A terminal running one command, in a tmux session of its own.
struct Terminal {
    name: String,
    /// Main menus seen so far (each leaves its title on the screen once).
    menus: std::cell::Cell<usize>,
}

fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux").args(args).output().expect("tmux runs")
}

fn tmux_present() -> bool {
    let present = Command::new("tmux").arg("-V").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !present {
        assert!(std::env::var_os("BIOXEN_REQUIRE_TMUX").is_none(), "BIOXEN_REQUIRE_TMUX is set but tmux is absent");
        eprintln!("SKIPPED: needs tmux (apt-get install tmux)");
    }
    present
}

impl Terminal {
    /// `command` in a 120×45 terminal, with plain labels (NO_COLOR).
    fn start(command: &str, dir: &std::path::Path) -> Terminal {
        // tmux names may not hold `.` or `:`: the process id and a counter.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("bioxen-test-{}-{n}", std::process::id());
        let shell = format!("cd {} && NO_COLOR=1 {command}; echo \"exit status $?\"; sleep 30", dir.display());
        let out = tmux(&["new-session", "-d", "-s", &name, "-x", "120", "-y", "45", &shell]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Terminal { name, menus: std::cell::Cell::new(0) }
    }

    /// Everything the terminal has shown (the screen and its history).
    fn screen(&self) -> String {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-J", "-S", "-5000", "-t", &self.name]).stdout)
            .into_owned()
    }

    fn count(&self, text: &str) -> usize {
        self.screen().matches(text).count()
    }

    /// Sends `keys` (tmux key names, or text with a leading `=`), then waits until `text`
    /// appears once more than it did before.
    fn step(&self, keys: &[&str], text: &str) -> String {
        let before = self.count(text);
        for key in keys {
            match key.strip_prefix('=') {
                Some(literal) => tmux(&["send-keys", "-t", &self.name, "-l", literal]),
                None => tmux(&["send-keys", "-t", &self.name, key]),
            };
        }
        self.wait(text, before + 1)
    }

    /// Waits until `text` has appeared `times` times (20 s at most).
    fn wait(&self, text: &str, times: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= times {
                return screen;
            }
            assert!(Instant::now() < deadline, "waited 20 s for {text:?} (×{times}); the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the next main menu, picks its entry `index` (0-based), then waits for
    /// `text`.
    fn menu(&self, index: usize, text: &str) -> String {
        self.menus.set(self.menus.get() + 1);
        self.wait(MENU, self.menus.get());
        let mut keys = vec!["Down"; index];
        keys.push("Enter");
        self.step(&keys, text)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.name]);
    }
}

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
const MENU: &str = "BioXen · tick";

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
