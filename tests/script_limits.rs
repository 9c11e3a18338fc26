//! Adversarial scripts: each is run by the `bioxen` binary as a child process under an
//! address space of 1 GiB (`RLIMIT_AS`) and a 30-second guard against hanging, both as a
//! session script (`bioxen script`) and as a timeline script (`bioxen run`), and each must
//! end with exit status 2 and a message naming the limit it passed — never a panic, an
//! abort, a kill or a hang. (The guard is not a timing assertion: a script that took it
//! would be one that the counted limits failed to stop.)

mod common;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCENARIO: &str = "format_version = 1\nname = \"adversary\"\n[simulation]\nseed = 1\nticks = 20\n\
                        policy = \"fair\"\n[chassis]\nkind = \"ecoli\"\n[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n";

/// (what it tries, the script, what the session script's error must say, what the
/// timeline script's must say).
const ADVERSARIES: &[(&str, &str, &str, &str)] = &[
    ("sleep for ever", "sleep(100000)", "no function sleep", "no function sleep"),
    ("sleep past a float's range", "sleep(1e300)", "no function sleep", "no function sleep"),
    ("a call outside the sandbox", "run(1);\nfrobnicate()", "no function frobnicate", "no function frobnicate"),
    (
        "a string doubled for ever",
        "let s = \"x\"; loop { s += s; }",
        "a string passed its limit of 16384 bytes",
        "a string passed its limit of 16384 bytes",
    ),
    (
        "a log of 16 KiB lines",
        "let s = \"x\"; while s.len() < 16000 { s += \"x\"; } loop { print(s); }",
        "limit of 1000000 operations",
        "the script ran past its limit of",
    ),
    (
        "a map of copies of a large array",
        "let a = []; while a.len() < 16000 { a.push(1); }\nlet m = #{}; let i = 0; loop { m[\"k\" + i] = a; i += 1; }",
        "limit of 128 MiB of memory",
        "the script ran past its limit of",
    ),
    (
        "an array of copies of a large array",
        "let a = []; while a.len() < 16000 { a.push(1); }\nlet b = []; loop { b.push(a); }",
        "an array passed its limit of 16384 elements",
        "the script ran past its limit of",
    ),
    (
        "split a long string into characters, again and again",
        "let s = \"x\"; while s.len() < 8000 { s += s; } loop { s.split(\"\"); }",
        "units of work",
        "the script ran past its limit of",
    ),
    (
        "sort a long array with a comparator, again and again",
        "let a = []; let i = 0; while a.len() < 16000 { a.push(16000 - i); i += 1; } loop { a.sort(|x, y| y - x); }",
        "units of work",
        "the script ran past its limit of",
    ),
    (
        "sort copies of a long array",
        "let a = []; let i = 0; while a.len() < 16000 { a.push((i * 7919) % 16001); i += 1; } loop { let b = a; b.sort(); }",
        "units of work",
        "the script ran past its limit of",
    ),
    (
        "search a long string for a long needle",
        "let s = \"x\"; while s.len() < 8000 { s += s; } let t = s.sub_string(0, 4000) + \"y\"; loop { s.index_of(t); }",
        "limit of 1000000 operations",
        "the script ran past its limit of",
    ),
    (
        "recursion without end",
        "fn f(n) { f(n + 1) } f(0)",
        "calls nested deeper than the limit of 32",
        "calls nested deeper than the limit of 32",
    ),
    (
        "many empty runs",
        "let i = 0; while i < 65536 { run(0); i += 1; } throw \"ran them all\"",
        "ran them all",
        "cannot run ticks",
    ),
];

/// Runs `bioxen args` in `dir` under 1 GiB of address space, failing the test if it is
/// still running after 30 s; returns its exit code and standard error.
fn confined(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bioxen"));
    command.args(args).current_dir(dir).stdout(Stdio::null()).stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 1 << 30, rlim_max: 1 << 30 };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
        });
    }
    let mut child = command.spawn().expect("bioxen starts");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("bioxen {args:?} was still running after 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code(), reader.join().unwrap())
}

#[test]
fn adversarial_scripts_stop_at_a_named_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), SCENARIO).unwrap();
    for (k, &(what, code, session, timeline)) in ADVERSARIES.iter().enumerate() {
        let file = format!("adversary-{k}.rhai");
        std::fs::write(d.join(&file), code).unwrap();
        let (status, stderr) = confined(d, &["script", "s.toml", &file]);
        assert_eq!(status, Some(2), "{what} (session): {stderr}");
        assert!(stderr.contains(session), "{what} (session): expected `{session}` in {stderr}");
        assert!(stderr.contains(&file), "{what} (session): the error does not name the script: {stderr}");

        let scenario = format!("t{k}.toml");
        let event = format!("[[event]]\ntick = 3\nvm = \"a\"\naction = \"script\"\nfile = \"{file}\"\n");
        std::fs::write(d.join(&scenario), format!("{SCENARIO}{event}")).unwrap();
        let (status, stderr) = confined(d, &["run", &scenario, "--trace", "t.bxtr"]);
        assert_eq!(status, Some(2), "{what} (timeline): {stderr}");
        assert!(stderr.contains(timeline), "{what} (timeline): expected `{timeline}` in {stderr}");
        assert!(!d.join("t.bxtr").exists(), "{what} (timeline): a trace was left");
        let left: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".bioxen-tmp"))
            .collect();
        assert!(left.is_empty(), "{what} (timeline): left {left:?}");
    }
}

#[test]
fn a_loop_of_tiny_batches_is_charged_for_checking_the_timeline() {
    // Each batch is checked against the whole timeline (circuits.toml has later events, so
    // against the scenario): the script pays for it, and stops at its limit of work.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("batches.rhai");
    std::fs::write(&script, "let i = 0; loop { add_inducer(\"IPTG\", 1.0 + i); run(0); i += 1; }").unwrap();
    let scenario = common::root().join("scenarios/circuits.toml");
    let (status, stderr) =
        confined(dir.path(), &["script", scenario.to_str().unwrap(), "batches.rhai", "--vm", "coli"]);
    assert_eq!(status, Some(2), "{stderr}");
    assert!(stderr.contains("units of work"), "{stderr}");
}
