//! Real SSH hosts: Debian's OpenSSH `sshd` in network namespaces joined to this one by
//! veth pairs, on private addresses that exist only there. A run split over this machine
//! and two hosts gives the engine's digest; so does one whose host is cut off mid-run
//! (`ip link set … down`) and comes back; each refusal names its cause and leaves nothing
//! running.
//!
//! Needs root, iproute2 and openssh-server (`.ci/run` installs it). Where sshd is absent
//! the tests say so and pass, unless `BIOXEN_REQUIRE_SSHD` is set (CI sets it); where
//! namespaces cannot be made, the hosts listen on 127.0.0.x instead, and the test that
//! cuts a link says it cannot run.

mod common;
#[path = "common/ssh_host.rs"]
mod ssh_host;
use bioxen::engine::record::hex;
use bioxen::engine::scenario::Scenario;
use bioxen::engine::sim::Simulation;
use bioxen_actors::placement::{Placement, RemoteBlock};
use bioxen_actors::{ActorConfig, ActorRuntime};
use bioxen_remote::hosts::{self, Host};
use bioxen_remote::link::{ConnectError, Connector, Link};
use bioxen_remote::proxy::{ProxyOptions, RemoteProxy};
use bioxen_remote::ssh::{SshConnector, WorkerBinary};
use common::*;
use ssh_host::*;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn hosts_file(dir: &Path, entries: &[String]) -> PathBuf {
    let path = dir.join("hosts.toml");
    std::fs::write(&path, format!("format_version = 1\n{}", entries.join("\n"))).unwrap();
    path
}

fn run_json(args: &[&str]) -> (bool, String, String) {
    let o = bioxen(args);
    (o.status.success(), stdout(&o), stderr(&o))
}

fn digest_of(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    v["digest"].as_str().unwrap().to_string()
}

/// `bioxen run --hosts`: this machine and two hosts, each with its own block, give the
/// local digest; the worker binary is uploaded over SFTP the first time.
#[test]
fn a_run_split_over_here_and_two_ssh_hosts_gives_the_local_digest() {
    if !sshd_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = client_key(dir.path());
    let (h1, h2) = (TestHost::start(&key), TestHost::start(&key));
    let entries = [
        h1.entry("lab1", &key, &format!("known_hosts = \"{}\"\n", h1.known_hosts().display())),
        h2.entry("lab2", &key, &format!("known_hosts = \"{}\"\n", h2.known_hosts().display())),
    ];
    let hosts = hosts_file(dir.path(), &entries);
    let base = ["run", "scenarios/contention.toml", "--ticks", "200", "--json"];
    let (ok, local, err) = run_json(&base);
    assert!(ok, "{err}");
    let mut args = base.to_vec();
    args.extend(["--hosts", hosts.to_str().unwrap()]);
    let (ok, remote, err) = run_json(&args);
    assert!(ok, "{err}");
    assert_eq!(digest_of(&remote), digest_of(&local));
    args.push("--remote-only");
    let (ok, remote, err) = run_json(&args);
    assert!(ok, "{err}");
    assert_eq!(digest_of(&remote), digest_of(&local), "over the two hosts alone");
    h1.assert_idle();
    h2.assert_idle();
}

/// Each refusal: exit status 1, the host and the cause named, no worker left running.
#[test]
fn wrong_and_unknown_host_keys_and_a_wrong_user_key_are_refused_by_name() {
    if !sshd_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = client_key(dir.path());
    let h = TestHost::start(&key);
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let stranger = client_key(&other);
    let wrong_known = dir.path().join("wrong_known_hosts");
    let impostor = std::fs::read_to_string(stranger.with_extension("pub")).unwrap();
    std::fs::write(&wrong_known, format!("{} {impostor}", h.address)).unwrap();
    let empty_known = dir.path().join("empty_known_hosts");
    std::fs::write(&empty_known, "").unwrap();
    let good_known = format!("known_hosts = \"{}\"\n", h.known_hosts().display());
    let cases = [
        (
            "a wrong host key",
            h.entry("lab", &key, &format!("known_hosts = \"{}\"\n", wrong_known.display())),
            "host key",
        ),
        (
            "an unknown host key",
            h.entry("lab", &key, &format!("known_hosts = \"{}\"\n", empty_known.display())),
            "host key",
        ),
        ("a wrong user key", h.entry("lab", &stranger, &good_known), "login refused"),
    ];
    for (what, entry, cause) in cases {
        let hosts = hosts_file(dir.path(), &[entry]);
        let o = bioxen(&["run", "scenarios/quickstart.toml", "--ticks", "20", "--hosts", hosts.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{what}: {err}");
        assert!(err.contains("host `lab`") && err.contains(cause), "{what}: {err}");
    }
    h.assert_idle();
}

/// A connector that takes its host off the network (`ip link set … down`) once a number
/// of bytes have come back over its first link, and brings it back three seconds later.
struct Cutter {
    inner: SshConnector,
    veth: String,
    cuts: AtomicUsize,
    /// When the link was cut, and when a new one was open again.
    cut_at: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    back_at: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Connector for Cutter {
    fn host(&self) -> &str {
        self.inner.host()
    }
    fn connect(&self, timeout: Duration) -> Result<Link, ConnectError> {
        let Link { reader, writer, cut } = self.inner.connect(timeout)?;
        if self.cuts.fetch_add(1, Ordering::AcqRel) > 0 {
            self.back_at.lock().unwrap().get_or_insert_with(std::time::Instant::now);
            return Ok(Link { reader, writer, cut });
        }
        let (veth, cut_at) = (self.veth.clone(), self.cut_at.clone());
        let cut_off = move || {
            assert!(sh(&["ip", "link", "set", &veth, "down"]));
            *cut_at.lock().unwrap() = Some(std::time::Instant::now());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(3));
                assert!(sh(&["ip", "link", "set", &veth, "up"]));
            });
        };
        let reader = Watch { inner: reader, left: 60_000, then: Some(Box::new(cut_off)) };
        Ok(Link { reader: Box::new(reader), writer, cut })
    }
}

fn placed(s: &Scenario, remote: Vec<(Range<usize>, Box<dyn RemoteBlock>)>) -> Result<[u8; 32], String> {
    let sim = Simulation::new(s.clone()).unwrap();
    let mut rt = ActorRuntime::start_placed(sim, ActorConfig { arbiters: 2 }, Placement { remote }).unwrap();
    rt.run_ticks(u64::MAX, |_| {}).map_err(|e| e.to_string())?;
    Ok(rt.digest())
}

fn host_of(text: &str) -> Host {
    hosts::parse(text, "hosts.toml").unwrap().remove(0)
}

/// The worker to upload: the `bioxen` under test.
fn this_worker() -> WorkerBinary {
    WorkerBinary::Upload(PathBuf::from(env!("CARGO_BIN_EXE_bioxen")))
}

/// One host and how to reach it (as `name`, its key in known_hosts): the test's
/// directory, the client key, the host, and its hosts-file entry parsed.
fn one_host(name: &str) -> (tempfile::TempDir, PathBuf, TestHost, Host) {
    let dir = tempfile::tempdir().unwrap();
    let key = client_key(dir.path());
    let h = TestHost::start(&key);
    let entry = h.entry(name, &key, &format!("known_hosts = \"{}\"\n", h.known_hosts().display()));
    let host = host_of(&format!("format_version = 1\n{entry}"));
    (dir, key, h, host)
}

/// A host cut off mid-run and back three seconds later: the proxy times the tick out,
/// reconnects once the link is up, restores its block from its checkpoint, replays, and
/// the digest is the engine's.
#[test]
fn a_host_cut_off_mid_run_comes_back_and_the_digest_holds() {
    if !sshd_present() {
        return;
    }
    let (_dir, _key, h, host) = one_host("lab");
    let Some(veth) = h.veth.clone() else {
        eprintln!("SKIPPED: no network namespace, so no link to cut");
        return;
    };
    let mut s = load("contention.toml");
    s.ticks = 300;
    let n = s.vms.len();
    let inner = SshConnector::new(host, this_worker(), Some(1)).unwrap();
    let cutter = Cutter { inner, veth, cuts: AtomicUsize::new(0), cut_at: Arc::default(), back_at: Default::default() };
    let cutter = Arc::new(cutter);
    let options = ProxyOptions {
        tick_timeout: Duration::from_secs(2),
        // The first link uploads the worker binary.
        connect_timeout: Duration::from_secs(30),
        backoff: Duration::from_millis(250),
        retries: 8,
        checkpoint_every: 25,
        ..ProxyOptions::default()
    };
    let block: Box<dyn RemoteBlock> = Box::new(RemoteProxy::new(cutter.clone(), options));
    let d = placed(&s, vec![(n / 2..n, block)]).unwrap();
    assert_eq!(hex(&d), hex(&digest(&s, 1)));
    assert!(cutter.cuts.load(Ordering::Acquire) >= 2, "the link was cut and opened again");
    let (cut, back) = (cutter.cut_at.lock().unwrap().unwrap(), cutter.back_at.lock().unwrap().unwrap());
    // A figure, not an assertion: the link is down 3 s, a tick waits 2 s for its report.
    eprintln!("link cut for 3 s: a new link was open {:.2} s after the cut", (back - cut).as_secs_f64());
}

/// One host, reached with an encrypted key whose passphrase comes from the environment:
/// a run with a trace, checkpoints and a placement table gives the local digest; its
/// checkpoint resumes on the host to the same digest; and the passphrase appears in no
/// output — not standard output or error (at the most verbose logging), the trace, a
/// checkpoint, a sweep's manifest and rows, nor a scenario saved from a session.
#[test]
fn placement_resume_and_no_secret_in_any_output() {
    if !sshd_present() {
        return;
    }
    const SECRET: &str = "pass-7f3a9c-NEVER-PRINTED";
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_locked");
    assert!(sh(&["ssh-keygen", "-q", "-t", "ed25519", "-N", SECRET, "-f", key.to_str().unwrap()]));
    let h = TestHost::start(&key);
    let extra =
        format!("known_hosts = \"{}\"\nkey_passphrase_env = \"BIOXEN_TEST_KEY_PASS\"\n", h.known_hosts().display());
    let hosts = hosts_file(dir.path(), &[h.entry("lab", &key, &extra)]);
    // The quickstart with a placement table: its second VM on the host, the others here.
    let text = std::fs::read_to_string(root().join("scenarios/quickstart.toml")).unwrap();
    let placed = dir.path().join("placed.toml");
    std::fs::write(&placed, format!("{text}\n[placement]\n\"syn3a-2\" = \"lab\"\n")).unwrap();
    let (trace, ckpt) = (dir.path().join("run.bxtr"), dir.path().join("ckpt"));
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_bioxen"))
            .args(args)
            .current_dir(root())
            .env("BIOXEN_TEST_KEY_PASS", SECRET)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        let (out, err) =
            (String::from_utf8_lossy(&o.stdout).to_string(), String::from_utf8_lossy(&o.stderr).to_string());
        assert!(!out.contains(SECRET) && !err.contains(SECRET), "the secret was printed");
        out
    };
    let local = digest_of(&run(&["run", placed.to_str().unwrap(), "--ticks", "120", "--json"]));
    let hosts_arg = hosts.to_str().unwrap();
    let (t, c) = (trace.to_str().unwrap(), ckpt.to_str().unwrap());
    let remote = run(&[
        "run",
        placed.to_str().unwrap(),
        "--ticks",
        "120",
        "--json",
        "--hosts",
        hosts_arg,
        "--trace",
        t,
        "--checkpoint-every",
        "50",
        "--checkpoint-dir",
        c,
    ]);
    assert_eq!(digest_of(&remote), local, "with a placement table");
    let checkpoint = std::fs::read_dir(&ckpt).unwrap().map(|e| e.unwrap().path()).min().unwrap();
    let resumed = run(&["resume", checkpoint.to_str().unwrap(), "--json", "--hosts", hosts_arg]);
    assert_eq!(digest_of(&resumed), local, "resumed on the host");
    // A session saved as a scenario (through a script run, which records it).
    let saved = dir.path().join("saved.toml");
    let script = dir.path().join("noop.rhai");
    std::fs::write(&script, "let x = 1;\nx").unwrap();
    run(&["script", placed.to_str().unwrap(), script.to_str().unwrap(), "--save", saved.to_str().unwrap()]);
    // A sweep on the host: its manifest and rows.
    let sweep = dir.path().join("sweep");
    let sw = sweep.to_str().unwrap();
    run(&["sweep", placed.to_str().unwrap(), "--seeds", "0..2", "--policies", "fair"]
        .into_iter()
        .chain(["--hosts", hosts_arg, "--out", sw])
        .collect::<Vec<_>>());
    let mut files = vec![trace.clone(), saved.clone(), hosts.clone()];
    files.extend(std::fs::read_dir(&sweep).unwrap().map(|e| e.unwrap().path()));
    files.extend(std::fs::read_dir(&ckpt).unwrap().map(|e| e.unwrap().path()));
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()), "{} holds the secret", f.display());
    }
    let saved_text = std::fs::read_to_string(&saved).unwrap();
    assert!(!saved_text.contains(&h.address) && !saved_text.contains("placement"), "a saved session names no host");
    h.assert_idle();
}

/// The rows of a sweep's results.csv without the timing column.
fn rows_without_timing(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let timing = header.iter().position(|h| *h == "elapsed_seconds").unwrap();
    lines
        .map(|l| l.split(',').enumerate().filter(|(i, _)| *i != timing).map(|(_, f)| f).collect::<Vec<_>>().join(","))
        .collect()
}

/// `bioxen sweep --hosts` farms whole runs out: the rows are a local sweep's, also when
/// one of the hosts is refused (its runs go to the other).
#[test]
fn a_sweep_over_two_hosts_gives_a_local_sweeps_rows() {
    if !sshd_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = client_key(dir.path());
    let (h1, h2) = (TestHost::start(&key), TestHost::start(&key));
    let good =
        |h: &TestHost, name: &str| h.entry(name, &key, &format!("known_hosts = \"{}\"\n", h.known_hosts().display()));
    let empty = dir.path().join("empty_known_hosts");
    std::fs::write(&empty, "").unwrap();
    let refused = h2.entry("lab2", &key, &format!("known_hosts = \"{}\"\n", empty.display()));
    let sweep = |out: &str, hosts: Option<&Path>| {
        let out = dir.path().join(out);
        let mut args =
            vec!["sweep", "scenarios/contention.toml", "--seeds", "0..6", "--policies", "fair,lottery", "--out"];
        args.push(out.to_str().unwrap());
        let hosts_arg;
        if let Some(h) = hosts {
            hosts_arg = h.display().to_string();
            args.extend(["--hosts", &hosts_arg]);
        }
        let o = bioxen(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        rows_without_timing(&out)
    };
    let local = sweep("local", None);
    assert_eq!(local.len(), 12);
    let both = hosts_file(dir.path(), &[good(&h1, "lab1"), good(&h2, "lab2")]);
    assert_eq!(sweep("two", Some(&both)), local, "over two hosts");
    let one_refused = dir.path().join("one_refused");
    std::fs::create_dir(&one_refused).unwrap();
    let hosts = hosts_file(&one_refused, &[good(&h1, "lab1"), refused]);
    assert_eq!(sweep("requeued", Some(&hosts)), local, "with lab2 refused, its runs on lab1");
    h1.assert_idle();
    h2.assert_idle();
}

/// Kills (SIGKILL) every worker serving a session of the sshd `sshd_pid`: its
/// descendants whose command line runs `worker --stdio`.
fn kill_workers(sshd_pid: u32) -> usize {
    let parent_of = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse().ok()
    };
    let mut killed = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains("worker\0--stdio") {
            continue;
        }
        let mut p = pid;
        while let Some(parent) = parent_of(p).filter(|&q| q > 1) {
            if parent == sshd_pid {
                killed += usize::from(sh(&["kill", "-KILL", &pid.to_string()]));
                break;
            }
            p = parent;
        }
    }
    killed
}

/// A worker on an SSH host killed mid-run (SIGKILL, by the test, once some ticks have
/// come back): the proxy reconnects, restores, replays, and the digest is the engine's.
#[test]
fn a_worker_killed_on_its_host_is_replaced_and_the_digest_holds() {
    if !sshd_present() {
        return;
    }
    let (_dir, _key, h, host) = one_host("lab");
    let mut s = load("contention.toml");
    s.ticks = 300;
    let n = s.vms.len();
    let worker = this_worker();
    let sshd = h.sshd.id();
    let killer =
        Arc::new(Killer { inner: SshConnector::new(host, worker, Some(1)).unwrap(), sshd, killed: Arc::default() });
    let options = ProxyOptions { backoff: Duration::from_millis(100), checkpoint_every: 40, ..ProxyOptions::default() };
    let block: Box<dyn RemoteBlock> = Box::new(RemoteProxy::new(killer.clone(), options));
    assert_eq!(hex(&placed(&s, vec![(n / 2..n, block)]).unwrap()), hex(&digest(&s, 1)));
    assert_eq!(killer.killed.load(Ordering::Acquire), 1, "one worker was killed");
    h.assert_idle();
}

/// Kills its first link's worker on the host once 50,000 bytes have come back.
struct Killer {
    inner: SshConnector,
    sshd: u32,
    killed: Arc<AtomicUsize>,
}

impl Connector for Killer {
    fn host(&self) -> &str {
        self.inner.host()
    }
    fn connect(&self, timeout: Duration) -> Result<Link, ConnectError> {
        let Link { reader, writer, cut } = self.inner.connect(timeout)?;
        if self.killed.load(Ordering::Acquire) > 0 {
            return Ok(Link { reader, writer, cut });
        }
        let (sshd, killed) = (self.sshd, self.killed.clone());
        let reader = Watch {
            inner: reader,
            left: 50_000,
            then: Some(Box::new(move || {
                killed.fetch_add(kill_workers(sshd), Ordering::AcqRel);
            })),
        };
        Ok(Link { reader: Box::new(reader), writer, cut })
    }
}

/// Runs `then` once `left` bytes have been read through it.
struct Watch {
    inner: Box<dyn std::io::Read + Send>,
    left: usize,
    then: Option<Box<dyn FnOnce() + Send>>,
}

impl std::io::Read for Watch {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.saturating_sub(n);
        if self.left == 0
            && let Some(then) = self.then.take()
        {
            then();
        }
        Ok(n)
    }
}

/// A host that never answers (its link down for good): each attempt times out, and after
/// the retries the run ends naming the host, the tick and the timeout.
#[test]
fn a_host_that_never_answers_is_lost_by_name() {
    if !sshd_present() {
        return;
    }
    let (_dir, _key, h, host) = one_host("silent");
    let Some(veth) = h.veth.clone() else {
        eprintln!("SKIPPED: no network namespace, so no link to take down");
        return;
    };
    // Its address gone but the link up: nothing answers for it (not even a refusal).
    let ns = h.namespace.clone().unwrap();
    let there = format!("{}t", veth.strip_suffix('h').unwrap());
    assert!(sh(&["ip", "netns", "exec", &ns, "ip", "addr", "flush", "dev", &there]));
    let connector = Arc::new(SshConnector::new(host, this_worker(), Some(1)).unwrap());
    let options = ProxyOptions {
        connect_timeout: Duration::from_secs(1),
        retries: 1,
        backoff: Duration::from_millis(100),
        ..ProxyOptions::default()
    };
    let s = load("quickstart.toml");
    let n = s.vms.len();
    let e =
        placed(&s, vec![(0..n, Box::new(RemoteProxy::new(connector, options)) as Box<dyn RemoteBlock>)]).unwrap_err();
    assert!(
        e.contains("host `silent` was lost at tick 0") && e.contains("no SSH connection") && e.contains("within 1 s"),
        "{e}"
    );
    assert!(sh(&["ip", "link", "set", &veth, "up"]));
}

/// A host lost for good mid-run (its sshd and worker killed after the first checkpoint):
/// the run ends with status 1 naming the host and tick; the trace of the ticks that ran is
/// kept and replays; the run goes on from its last checkpoint, here, to the digest an
/// uninterrupted run gives.
#[test]
fn a_host_lost_for_good_leaves_a_trace_and_a_checkpoint_to_go_on_from() {
    if !sshd_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = client_key(dir.path());
    let h = TestHost::start(&key);
    let hosts =
        hosts_file(dir.path(), &[h.entry("lab", &key, &format!("known_hosts = \"{}\"\n", h.known_hosts().display()))]);
    let (trace, ckpt) = (dir.path().join("run.bxtr"), dir.path().join("ckpt"));
    let args = ["run", "scenarios/contention.toml", "--ticks", "3000", "--json"];
    let (ok, whole, err) = run_json(&args);
    assert!(ok, "{err}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bioxen"))
        .args(args)
        .args(["--hosts", hosts.to_str().unwrap(), "--trace", trace.to_str().unwrap()])
        .args(["--checkpoint-every", "50", "--checkpoint-dir", ckpt.to_str().unwrap()])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the first checkpoint is written, the host goes away for good.
    while std::fs::read_dir(&ckpt).map_or(0, |d| d.count()) == 0 {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before its first checkpoint");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The worker first, while it is still the listener's descendant (an orphan is not),
    // then the listener, well before the proxy's first reconnect (0.5 s later).
    let sshd = h.sshd.id();
    assert_eq!(kill_workers(sshd), 1, "the run's worker was found on the host");
    assert!(sh(&["kill", "-KILL", &sshd.to_string()]));
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("host `lab` was lost at tick") && err.contains("ticks that ran is kept"), "{err}");
    assert!(err.contains("bioxen resume"), "{err}");
    let replay = bioxen(&["replay", trace.to_str().unwrap()]);
    assert!(replay.status.success(), "the kept trace replays: {}", stderr(&replay));
    let last = std::fs::read_dir(&ckpt).unwrap().map(|e| e.unwrap().path()).max().unwrap();
    let (ok, resumed, err) = run_json(&["resume", last.to_str().unwrap(), "--json"]);
    assert!(ok, "{err}");
    assert_eq!(digest_of(&resumed), digest_of(&whole));
}
