//! `xcpng` VMs end to end: the test XAPI pool (real HTTPS on loopback) hands out a
//! namespace SSH host's address as the new VM's, the VM's cell runs on the `bioxen
//! worker` there, competing in this host's rationing, and the session's digest is the
//! one its saved scenario gives when run here; destroying the VM leaves nothing in the
//! pool, and the saved scenario holds no secret and no address.
//!
//! Needs root, openssh-server and `../shared/data/xapi` (see `ssh_hosts.rs`).

mod common;
#[path = "common/ssh_host.rs"]
mod ssh_host;

use bioxen::api::{BioVmManager, ConfigManager, HostConfig, VmConfig, XcpngConfig};
use bioxen_xcpng::test_server::{Faults, TestXapi};
use common::*;
use ssh_host::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

const PASSWORD: &str = "xapi-Secret-7f3a";

fn pool_data() -> Option<PathBuf> {
    let path = root().join("../shared/data/xapi/xenapi.json");
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("SKIPPED: ../shared/data/xapi is absent");
        None
    }
}

/// A test's directory, client key, SSH host and test pool (with the template), or `None`
/// where the tests cannot run here (said so).
fn setting() -> Option<(tempfile::TempDir, PathBuf, TestHost, TestXapi)> {
    let xenapi = pool_data()?;
    if !sshd_present() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = client_key(dir.path());
    let host = TestHost::start(&key);
    let pool = TestXapi::start(&xenapi, "root", PASSWORD);
    pool.add_template("bioxen-bio-template");
    Some((dir, key, host, pool))
}

fn xcpng_config(pool: &TestXapi, host: &TestHost, key: &Path) -> VmConfig {
    let mut config = ConfigManager::new().load_defaults("syn3a").unwrap();
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("BIOXEN_TEST_XAPI_PASSWORD", PASSWORD) };
    config.xcpng_config = Some(XcpngConfig {
        xapi_url: pool.url.clone(),
        username: "root".into(),
        password_env: Some("BIOXEN_TEST_XAPI_PASSWORD".into()),
        ssh_user: "root".into(),
        template_name: Some("bioxen-bio-template".into()),
        ssh_key_path: Some(key.to_path_buf()),
        ssh_known_hosts: Some(host.known_hosts()),
        tls_fingerprint_sha256: Some(pool.fingerprint.clone()),
        worker_binary: Some(env!("CARGO_BIN_EXE_bioxen").into()),
        vm_memory: Some("4GB".into()),
        vm_vcpus: Some(2),
        ip_timeout_seconds: Some(20),
        ..XcpngConfig::default()
    });
    config
}

#[test]
fn an_xcpng_vm_runs_on_its_provisioned_vm_and_the_session_replays_here() {
    let Some((dir, key, host, pool)) = setting() else { return };
    pool.set_faults(Faults { ip: Some(host.address.clone()), polls_before_ip: 3, ..Faults::default() });

    let manager = BioVmManager::with_config(HostConfig { seed: 11, ..HostConfig::default() }).unwrap();
    let local = manager.create_vm("local", "syn3a", "basic", None).unwrap();
    let remote = manager.create_vm("isolated", "syn3a", "xcpng", Some(xcpng_config(&pool, &host, &key))).unwrap();
    assert_eq!(remote.get_vm_type(), "xcpng");
    local.start().unwrap();
    let clock = Instant::now();
    remote.start().unwrap();
    manager.run_ticks(1).unwrap();
    eprintln!("start() to the first tick's end on the test pool: {:.2} s", clock.elapsed().as_secs_f64());
    manager.run_ticks(59).unwrap();

    let vms = pool.vms();
    assert_eq!(vms.len(), 1, "one XCP-ng VM made");
    assert_eq!((vms[0].power_state.as_str(), vms[0].memory, vms[0].vcpus), ("Running", 4 << 30, 2));
    assert_eq!(vms[0].other_config.get("bioxen_run").map(String::as_str), Some(bioxen::xcpng::run_id()));
    assert!(host.has_session(), "the VM's cell runs on the worker there");
    let usage = remote.get_resource_usage();
    assert!(usage.ribosomes_granted > 0, "the remote VM competes in this host's rationing");

    remote.destroy().unwrap();
    manager.run_ticks(5).unwrap();
    assert_eq!(pool.vms(), vec![], "destroyed with its VM");
    let disks: Vec<String> = pool.vdis().into_iter().map(|(name, _)| name).collect();
    assert_eq!(disks, vec!["tools.iso"], "its disk went too");
    host.assert_idle();

    let saved = dir.path().join("session.toml");
    manager.save_scenario(&saved).unwrap();
    let text = std::fs::read_to_string(&saved).unwrap();
    for secret in [PASSWORD, &host.address, &pool.url, "xcpng", "BIOXEN_TEST_XAPI_PASSWORD"] {
        assert!(!text.contains(secret), "the saved scenario holds `{secret}`:\n{text}");
    }
    let scenario = bioxen::files::load_scenario(&saved).unwrap();
    let mut sim = bioxen::engine::sim::Simulation::new(scenario).unwrap();
    let here = bioxen::engine::record::hex(&sim.run(|_, _| {}).unwrap());
    assert_eq!(here, manager.digest(), "the session replays here to its digest");
}

/// What fails, how the pool misbehaves, what the configuration changes, what is said.
type Case = (&'static str, Faults, fn(&mut XcpngConfig), &'static str);

#[test]
fn an_xcpng_vm_that_cannot_start_leaves_nothing_and_says_why() {
    let Some((_dir, key, host, pool)) = setting() else { return };
    let reachable = Faults { ip: Some(host.address.clone()), ..Faults::default() };
    let cases: [Case; 5] = [
        (
            "the VM's SSH host key is not known",
            reachable,
            |x| x.ssh_known_hosts = Some("/dev/null".into()),
            "its worker cannot be used over SSH",
        ),
        (
            "no host can run it",
            Faults { start_error: Some(("NO_HOSTS_AVAILABLE".into(), vec![])), ..Faults::default() },
            |_| {},
            "NO_HOSTS_AVAILABLE",
        ),
        ("no address in time", Faults::default(), |x| x.ip_timeout_seconds = Some(1), "IP not available"),
        (
            "a wrong password",
            Faults::default(),
            |x| x.password_env = Some("BIOXEN_TEST_WRONG".into()),
            "SESSION_AUTHENTICATION_FAILED",
        ),
        (
            "a template that is not there",
            Faults::default(),
            |x| x.template_name = Some("nope".into()),
            "no template `nope`",
        ),
    ];
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("BIOXEN_TEST_WRONG", "guess") };
    for (what, faults, edit, says) in cases {
        pool.set_faults(faults);
        let manager = BioVmManager::new().unwrap();
        let mut config = xcpng_config(&pool, &host, &key);
        edit(config.xcpng_config.as_mut().unwrap());
        let vm = manager.create_vm("x", "syn3a", "xcpng", Some(config)).unwrap();
        let e = vm.start().unwrap_err().to_string();
        assert!(e.contains(says), "{what}: {e}");
        eprintln!("{what}: {e}");
        assert!(!e.contains(PASSWORD) && !e.contains("guess"), "{what}: a password in {e}");
        assert_eq!(pool.vms(), vec![], "{what}: a VM left");
        assert_eq!(vm.get_status().state, bioxen::engine::lifecycle::Lifecycle::Created, "{what}");
    }
}

/// A VM configuration file holding `pool`'s xcpng_config (the password in an environment
/// variable the command is given).
fn config_file(dir: &Path, pool: &TestXapi, host: &TestHost, key: &Path, ip_timeout: u64) -> PathBuf {
    let mut config = xcpng_config(pool, host, key);
    config.xcpng_config.as_mut().unwrap().ip_timeout_seconds = Some(ip_timeout);
    let path = dir.join("xcpng.toml");
    ConfigManager::new().save_to_file(&config, &path).unwrap();
    assert!(!std::fs::read_to_string(&path).unwrap().contains(PASSWORD));
    path
}

fn bioxen_cmd(args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_bioxen"));
    c.args(args).env("BIOXEN_TEST_XAPI_PASSWORD", PASSWORD);
    c
}

fn out(args: &[&str]) -> (i32, String, String) {
    let o = bioxen_cmd(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

#[test]
fn the_xcpng_commands_list_make_and_destroy_and_clear_what_crashed_runs_left() {
    let Some((dir, key, host, pool)) = setting() else { return };
    pool.set_faults(Faults { ip: Some(host.address.clone()), ..Faults::default() });
    let file = config_file(dir.path(), &pool, &host, &key, 20);
    let f = file.to_str().unwrap();

    let (code, stdout, stderr) = out(&["xcpng", "templates", "--config", f]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("bioxen-bio-template\tOpaqueRef:"), "{stdout}");

    let (code, stdout, stderr) = out(&["xcpng", "provision", "--config", f, "--name", "kept-1"]);
    assert_eq!(code, 0, "{stderr}");
    let kept = stdout.split('\t').next().unwrap().to_string();
    assert!(stdout.contains(&host.address) && stdout.contains("[[host]]"), "{stdout}");

    // A run that crashed: its process is gone, its VM and disk stay, tagged.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    let crashed = format!("{}:{}:0", std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim(), gone.id());
    let x = xcpng_config(&pool, &host, &key).xcpng_config.unwrap();
    let mut xapi = bioxen_xcpng::Xapi::login(&bioxen::xcpng::endpoint(&x).unwrap()).unwrap();
    let spec = bioxen::xcpng::vm_spec(&x, "crashed", &crashed).unwrap();
    bioxen_xcpng::provision::provision(&mut xapi, &spec, &|| false).unwrap();
    assert_eq!(pool.vms().len(), 2);

    let (code, stdout, stderr) = out(&["xcpng", "destroy", "--config", f, "--orphans"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("destroyed 1 orphaned VMs and 0 orphaned disks"), "{stdout}");
    let left: Vec<String> = pool.vms().into_iter().map(|v| v.reference).collect();
    assert_eq!(left, vec![kept.clone()], "a kept VM is no orphan");

    let (code, _, stderr) = out(&["xcpng", "destroy", "--config", f, "--vm", &kept]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(pool.vms(), vec![]);
    assert_eq!(pool.vdis().len(), 1, "only the ISO");

    // A pool's words are shown, never acted on: a template whose name would retitle the
    // terminal and ring its bell is listed with those characters escaped.
    pool.add_template("evil\u{1b}]0;owned\u{7}\r");
    let (code, stdout, stderr) = out(&["xcpng", "templates", "--config", f]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("evil\\u{1b}]0;owned\\u{7}\\r\tOpaqueRef:"), "{stdout}");
    assert!(!stdout.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{stdout:?}");

    // A configuration that cannot be used: exit 2, naming the key; a pool that refuses: 1.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&file).unwrap().replace("vm_memory = \"4GB\"", "vm_memory = \"4 parsecs\""),
    )
    .unwrap();
    let (code, _, stderr) = out(&["xcpng", "templates", "--config", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("xcpng_config.vm_memory"), "{stderr}");
    let (code, _, stderr) = out(&["xcpng", "destroy", "--config", f, "--vm", "OpaqueRef:nope"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("HANDLE_INVALID"), "{stderr}");
}

/// Ctrl-C while `xcpng provision` waits for the address: the VM it made goes before it
/// dies of the signal.
#[test]
fn an_interrupted_provision_tears_down_what_it_made() {
    let Some((dir, key, host, pool)) = setting() else { return };
    pool.set_faults(Faults::default()); // no address, ever
    let file = config_file(dir.path(), &pool, &host, &key, 120);
    let mut child = bioxen_cmd(&["xcpng", "provision", "--config", file.to_str().unwrap(), "--name", "half"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !pool.vms().iter().any(|v| v.power_state == "Running") {
        assert!(started.elapsed().as_secs() < 30, "the VM never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(pool.vms(), vec![], "a VM left after Ctrl-C");
    assert_eq!(pool.vdis().len(), 1, "a disk left after Ctrl-C");
}

#[test]
fn hosts_check_says_which_hosts_serve() {
    if !sshd_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = client_key(dir.path());
    let good = TestHost::start(&key);
    let bad = TestHost::start(&key);
    let worker = format!("worker_binary = \"{}\"\n", env!("CARGO_BIN_EXE_bioxen"));
    let good_entry = good.entry("good", &key, &format!("known_hosts = \"{}\"\n{worker}", good.known_hosts().display()));
    // The other host's key is not the one known for it.
    let bad_entry =
        bad.entry("bad", &key, &format!("known_hosts = \"{}\"\n{worker}", dir.path().join("none").display()));
    std::fs::write(dir.path().join("none"), "").unwrap();
    let file = dir.path().join("hosts.toml");
    std::fs::write(&file, format!("format_version = 1\n{good_entry}\n{bad_entry}")).unwrap();
    let (code, stdout, stderr) = out(&["hosts", "check", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("good: ok"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("bad: ") && l.to_lowercase().contains("key")), "{stdout}");
    good.assert_idle();
}

/// Ctrl-C in a library program while an `xcpng` VM's `start()` waits for the address:
/// the program (this test binary, run again as a child) dies of the signal, and what it
/// made in the pool goes first (`bioxen::files::install_cleanup`, as the CLI installs).
#[test]
fn an_interrupted_api_start_tears_down_what_it_made() {
    let Some((dir, key, host, pool)) = setting() else { return };
    pool.set_faults(Faults::default()); // no address, ever
    let file = config_file(dir.path(), &pool, &host, &key, 120);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_api_start_waiting_for_an_address", "--nocapture"])
        .env("BIOXEN_TEST_CHILD_CONFIG", &file)
        .env("BIOXEN_TEST_XAPI_PASSWORD", PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !pool.vms().iter().any(|v| v.power_state == "Running") {
        assert!(started.elapsed().as_secs() < 60, "the child never started its VM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child dies of the signal");
    assert_eq!(pool.vms(), vec![], "a VM left after Ctrl-C");
    assert_eq!(pool.vdis().len(), 1, "a disk left after Ctrl-C");
}

/// The child of [`an_interrupted_api_start_tears_down_what_it_made`]; does nothing alone.
#[test]
#[ignore = "run as a child process by an_interrupted_api_start_tears_down_what_it_made"]
fn child_api_start_waiting_for_an_address() {
    let Some(file) = std::env::var_os("BIOXEN_TEST_CHILD_CONFIG") else { return };
    bioxen::files::install_cleanup();
    let config = ConfigManager::new().load_from_file(PathBuf::from(file)).unwrap();
    let manager = BioVmManager::new().unwrap();
    let vm = manager.create_vm("child", "syn3a", "xcpng", Some(config)).unwrap();
    let _ = vm.start(); // waits for an address that never comes, until interrupted
}
