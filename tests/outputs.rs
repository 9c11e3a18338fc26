//! The one output rule, for every writer, command and library alike: a regular file is
//! replaced whole, a symlink is followed (it stays a link), a device or a FIFO is written
//! straight through (it stays what it was), a directory or a missing directory is refused
//! before anything is written, and nothing is left behind.

mod common;

use bioxen::api::{BioVmManager, ConfigManager};
use common::{bioxen_in, stderr};
use std::ffi::CString;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// A writer under test: writes to the path it is given; `Err` carries its message.
type Writer = fn(&Path, &Fixture) -> Result<(), String>;

/// What the writers read: a short scenario, a script, and a trace of the scenario.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let scenario = "format_version = 1\nname = \"outputs\"\n[simulation]\nseed = 1\nticks = 20\npolicy = \"fair\"\n\
                        [chassis]\nkind = \"ecoli\"\n[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n";
        std::fs::write(dir.path().join("s.toml"), scenario).unwrap();
        std::fs::write(dir.path().join("x.rhai"), "run(3);\nmetrics()\n").unwrap();
        let f = Fixture { dir };
        f.cli(&["run", "s.toml", "--trace", "s.bxtr"]).unwrap();
        f
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `bioxen args` in the fixture's directory; a failure must be exit 2.
    fn cli(&self, args: &[&str]) -> Result<(), String> {
        let out = bioxen_in(self.dir.path(), args);
        match out.status.code() {
            Some(0) => Ok(()),
            Some(2) => Err(stderr(&out)),
            other => panic!("bioxen {args:?} exited {other:?}: {}", stderr(&out)),
        }
    }
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

const WRITERS: &[(&str, &str, Writer)] = &[
    ("run --trace", "out.bxtr", |p, f| f.cli(&["run", "s.toml", "--trace", arg(p)])),
    ("script --save", "out.toml", |p, f| f.cli(&["script", "s.toml", "x.rhai", "--save", arg(p)])),
    ("export --out", "out.csv", |p, f| f.cli(&["export", "s.bxtr", "--format", "csv", "--out", arg(p)])),
    ("plot --out", "out.svg", |p, f| f.cli(&["plot", "s.bxtr", "--format", "svg", "--out", arg(p)])),
    ("bench --save-scenario", "out.toml", |p, f| f.cli(&["bench", "--vms", "3", "--save-scenario", arg(p)])),
    ("BioVmManager::save_scenario", "out.toml", |p, f| {
        let scenario = bioxen::files::load_scenario(&f.path("s.toml")).map_err(|e| e.to_string())?;
        let manager = BioVmManager::from_scenario(scenario, f.dir.path()).map_err(|e| e.to_string())?;
        manager.run_ticks(2).map_err(|e| e.to_string())?;
        manager.save_scenario(p).map_err(|e| e.to_string())
    }),
    ("BioVmManager::finish_trace", "out.bxtr", |p, _| {
        let manager = BioVmManager::new().map_err(|e| e.to_string())?;
        manager.record_trace(p).map_err(|e| e.to_string())?;
        manager.create_vm("a", "syn3a", "basic", None).map_err(|e| e.to_string())?;
        manager.run_ticks(2).map_err(|e| e.to_string())?;
        manager.finish_trace().map(drop).map_err(|e| e.to_string())
    }),
    ("ConfigManager::save_to_file", "out.json", |p, _| {
        let configs = ConfigManager::new();
        let config = configs.load_defaults("syn3a").map_err(|e| e.to_string())?;
        configs.save_to_file(&config, p).map_err(|e| e.to_string())
    }),
    ("ConfigManager::create_config_template", "out.toml", |p, _| {
        ConfigManager::new().create_config_template("ecoli", p).map_err(|e| e.to_string())
    }),
];

/// The kinds of destination, each set up in `dir` under `name`: the path to give the
/// writer, and what must hold afterwards (given the writer's result).
#[derive(Clone, Copy, Debug)]
enum Kind {
    Regular,
    Symlink,
    Device,
    Fifo,
    Directory,
    MissingDirectory,
}

const KINDS: [Kind; 6] =
    [Kind::Regular, Kind::Symlink, Kind::Device, Kind::Fifo, Kind::Directory, Kind::MissingDirectory];

fn mknod(path: &Path, mode: libc::mode_t, dev: libc::dev_t) {
    let c = CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mknod has no other preconditions.
    let rc = unsafe { libc::mknod(c.as_ptr(), mode, dev) };
    assert_eq!(rc, 0, "mknod {}: {}", path.display(), std::io::Error::last_os_error());
}

/// Runs `write` against one `kind` of destination and checks the rule.
fn check(writer: &str, name: &str, write: Writer, kind: Kind, f: &Fixture) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let target = d.join(name);
    let label = format!("{writer} into a {kind:?}");
    match kind {
        Kind::Regular => {
            std::fs::write(&target, "old").unwrap();
            write(&target, f).unwrap_or_else(|e| panic!("{label}: {e}"));
            let meta = std::fs::symlink_metadata(&target).unwrap();
            assert!(meta.is_file() && meta.len() > 3, "{label}: not replaced whole");
        }
        Kind::Symlink => {
            let real = d.join(format!("real-{name}"));
            std::fs::write(&real, "old").unwrap();
            std::os::unix::fs::symlink(&real, &target).unwrap();
            write(&target, f).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert!(std::fs::symlink_metadata(&target).unwrap().file_type().is_symlink(), "{label}: link replaced");
            assert!(std::fs::metadata(&real).unwrap().len() > 3, "{label}: the link's target was not written");
        }
        Kind::Device => {
            // A private /dev/null (character device 1:3) in a temporary directory.
            mknod(&target, libc::S_IFCHR | 0o666, libc::makedev(1, 3));
            write(&target, f).unwrap_or_else(|e| panic!("{label}: {e}"));
            let t = std::fs::symlink_metadata(&target).unwrap().file_type();
            assert!(t.is_char_device(), "{label}: the device was replaced by a {t:?}");
        }
        Kind::Fifo => {
            mknod(&target, libc::S_IFIFO | 0o666, 0);
            let reader = {
                let target = target.clone();
                std::thread::spawn(move || std::fs::read(&target).unwrap())
            };
            let result = write(&target, f);
            // Release the reader if the writer never opened the FIFO (without blocking: if
            // the reader is gone already, this open fails at once).
            use std::os::unix::fs::OpenOptionsExt;
            drop(std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&target));
            let read = reader.join().unwrap();
            result.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert!(!read.is_empty(), "{label}: nothing came through the FIFO");
            assert!(std::fs::symlink_metadata(&target).unwrap().file_type().is_fifo(), "{label}: FIFO replaced");
        }
        Kind::Directory => {
            std::fs::create_dir(&target).unwrap();
            let e = write(&target, f).expect_err(&label);
            assert!(e.contains("is a directory"), "{label}: {e}");
            assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0, "{label}: wrote into it");
        }
        Kind::MissingDirectory => {
            let e = write(&d.join("no-such-dir").join(name), f).expect_err(&label);
            assert!(e.contains("no-such-dir"), "{label}: the message does not name the directory: {e}");
            assert!(!d.join("no-such-dir").exists(), "{label}: made the directory");
        }
    }
    // Nothing left behind: no temporary, no spool.
    let left: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".bioxen-tmp"))
        .collect();
    assert!(left.is_empty(), "{label}: left {left:?}");
}

#[test]
fn every_writer_follows_the_one_output_rule() {
    let f = Fixture::new();
    for &(writer, name, write) in WRITERS {
        for kind in KINDS {
            check(writer, name, write, kind, &f);
        }
    }
}

#[test]
fn script_save_is_checked_before_the_script_runs() {
    let f = Fixture::new();
    // A script that would fail after a long run if it ran: the bad --save must be said first.
    std::fs::write(f.path("slow.rhai"), "run(15);\nthrow \"ran\"").unwrap();
    let e = f.cli(&["script", "s.toml", "slow.rhai", "--save", "no-such-dir/out.toml"]).unwrap_err();
    assert!(e.contains("--save") && e.contains("no-such-dir"), "{e}");
    assert!(!e.contains("ran"), "the script ran before --save was checked: {e}");
    let e = f.cli(&["script", "s.toml", "slow.rhai", "--save", "s.toml"]).unwrap_err();
    assert!(e.contains("refusing to overwrite"), "{e}");
}

#[test]
fn a_dead_runs_spool_is_removed_by_the_next_run() {
    let f = Fixture::new();
    let scripted = std::fs::read_to_string(f.path("s.toml")).unwrap()
        + "[[event]]\ntick = 5\nvm = \"a\"\naction = \"script\"\ncode = \"metrics()\"\n";
    std::fs::write(f.path("scripted.toml"), scripted).unwrap();
    // What `kill -9` of a scripted run with --trace leaves: its spool, under a pid that is
    // gone (0 never names a user process).
    let stale = f.path(".t.bxtr.spool.0.bioxen-tmp");
    std::fs::write(&stale, "records").unwrap();
    f.cli(&["run", "scripted.toml", "--trace", "t.bxtr"]).unwrap();
    assert!(!stale.exists(), "the dead run's spool is still there");
    assert!(f.path("t.bxtr").exists());
}
