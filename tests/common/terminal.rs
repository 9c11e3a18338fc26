//! A real terminal for the tests of full-screen commands: tmux runs the command in a
//! pseudo-terminal, keys go in with send-keys, and the screen is read back with
//! capture-pane, polled up to a deadline (never a fixed sleep). Included by the tests that
//! need one (`#[path] mod terminal;`).
#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A terminal running one command, in a tmux session of its own.
pub struct Terminal {
    name: String,
    /// Main menus seen so far (each leaves its title on the screen once).
    menus: std::cell::Cell<usize>,
}

pub fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux").args(args).output().expect("tmux runs")
}

pub fn tmux_present() -> bool {
    let present = Command::new("tmux").arg("-V").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !present {
        assert!(std::env::var_os("BIOXEN_REQUIRE_TMUX").is_none(), "BIOXEN_REQUIRE_TMUX is set but tmux is absent");
        eprintln!("SKIPPED: needs tmux (apt-get install tmux)");
    }
    present
}

impl Terminal {
    /// `command` in a 120×45 terminal, with plain labels (`NO_COLOR`).
    pub fn start(command: &str, dir: &std::path::Path) -> Terminal {
        Terminal::start_with(&format!("NO_COLOR=1 {command}"), dir)
    }

    /// `command` in a 120×45 terminal, as it is (colour and emoji where the terminal has
    /// them).
    pub fn start_with(command: &str, dir: &std::path::Path) -> Terminal {
        // tmux names may not hold `.` or `:`: the process id and a counter.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("bioxen-test-{}-{n}", std::process::id());
        let shell = format!("cd {} && {command}; echo \"exit status $?\"; sleep 30", dir.display());
        let out = tmux(&["new-session", "-d", "-s", &name, "-x", "120", "-y", "45", &shell]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Terminal { name, menus: std::cell::Cell::new(0) }
    }

    /// Everything the terminal has shown (the screen and its history).
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-J", "-S", "-5000", "-t", &self.name]).stdout)
            .into_owned()
    }

    pub fn count(&self, text: &str) -> usize {
        self.screen().matches(text).count()
    }

    /// Sends `keys` (tmux key names, or text with a leading `=`), then waits until `text`
    /// appears once more than it did before.
    pub fn step(&self, keys: &[&str], text: &str) -> String {
        let before = self.count(text);
        for key in keys {
            match key.strip_prefix('=') {
                Some(literal) => tmux(&["send-keys", "-t", &self.name, "-l", "--", literal]),
                None => tmux(&["send-keys", "-t", &self.name, key]),
            };
        }
        self.wait(text, before + 1)
    }

    /// Waits until `text` has appeared `times` times (20 s at most).
    pub fn wait(&self, text: &str, times: usize) -> String {
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

    /// Sends `keys` without waiting for anything.
    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            tmux(&["send-keys", "-t", &self.name, key]);
        }
    }

    /// Waits for the next main menu.
    pub fn next_menu(&self) {
        self.menus.set(self.menus.get() + 1);
        self.wait(MENU, self.menus.get());
    }

    /// Waits for the next main menu, picks its entry `index` (0-based), then waits for
    /// `text`.
    pub fn menu(&self, index: usize, text: &str) -> String {
        self.next_menu();
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

/// The title every main menu of `bioxen interactive` shows once.
pub const MENU: &str = "BioXen · tick";

impl Terminal {
    /// What the screen shows now (no history).
    pub fn visible(&self) -> String {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-J", "-t", &self.name]).stdout).into_owned()
    }

    /// Waits until the screen now shows something `test` accepts (20 s at most).
    pub fn until(&self, what: &str, test: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.visible();
            if test(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "waited 20 s for {what}; the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// With `BIOXEN_WRITE_CAPTURES=1`, writes what the screen shows now to
    /// `docs/captures/<name>.txt` (the README's captures come from here, never by hand).
    pub fn capture(&self, name: &str) {
        if std::env::var_os("BIOXEN_WRITE_CAPTURES").is_none() {
            return;
        }
        let screen = self.visible();
        // Trailing spaces and runs of empty lines (a tall screen's unused rows) dropped.
        let mut text: Vec<&str> = screen.lines().map(str::trim_end).collect();
        text.dedup_by(|b, a| a.is_empty() && b.is_empty());
        let end = text.iter().rposition(|l| !l.is_empty()).map_or(0, |i| i + 1);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/captures");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.txt")), text[..end].join("\n") + "\n").unwrap();
    }

    /// Resizes the terminal.
    pub fn resize(&self, columns: u16, rows: u16) {
        tmux(&["resize-window", "-t", &self.name, "-x", &columns.to_string(), "-y", &rows.to_string()]);
    }
}
