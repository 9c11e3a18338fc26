//! The XAPI client and provisioning against a test pool: real HTTPS on loopback with its
//! own self-signed certificate, serving only what XAPI's data model (`xenapi.json`) has.
//! Needs `../shared/data/xapi` (skipped, saying so, where it is absent).

use bioxen_xcpng::client::{Endpoint, METHODS, Xapi};
use bioxen_xcpng::provision::{self, RUN_TAG, VmSpec};
use bioxen_xcpng::test_server::{Faults, Replay, TestXapi};
use bioxen_xcpng::tls::TlsCheck;
use bioxen_xcpng::{XapiError, json};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

fn xapi_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/xapi");
    if dir.join("xenapi.json").is_file() {
        Some(dir)
    } else {
        eprintln!("skipped: ../shared/data/xapi is absent");
        None
    }
}

fn pool() -> Option<TestXapi> {
    let pool = TestXapi::start(&xapi_data()?.join("xenapi.json"), "root", "s3cret");
    pool.add_template("bioxen-bio-template");
    pool.set_faults(Faults { ip: Some("10.0.0.7".into()), ..Faults::default() });
    Some(pool)
}

fn endpoint(pool: &TestXapi) -> Endpoint {
    Endpoint {
        url: pool.url.clone(),
        username: "root".into(),
        password: "s3cret".into(),
        tls: TlsCheck::pinned(&pool.fingerprint).unwrap(),
        timeout: Duration::from_secs(10),
    }
}

fn spec(run: &str) -> VmSpec {
    VmSpec {
        template_name: "bioxen-bio-template".into(),
        name: "bioxen-vm1".into(),
        memory_bytes: Some(4 << 30),
        vcpus: Some(4),
        network_uuid: None,
        storage_repository: None,
        run_id: run.into(),
        ip_timeout: Duration::from_secs(5),
        shutdown_timeout: Duration::from_secs(1),
        poll: Duration::from_millis(10),
    }
}

const NEVER: &dyn Fn() -> bool = &|| false;

/// Only the template's tools ISO is left: no VM, no disk of ours.
fn assert_clean(pool: &TestXapi, what: &str) {
    assert_eq!(pool.vms(), vec![], "{what}: a VM left");
    let names: Vec<String> = pool.vdis().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["tools.iso"], "{what}: disks left");
}

#[test]
fn every_method_called_exists_in_xapis_data_model_with_its_parameter_count() {
    let Some(dir) = xapi_data() else { return };
    let model: Vec<Value> = serde_json::from_slice(&std::fs::read(dir.join("xenapi.json")).unwrap()).unwrap();
    for (method, count) in METHODS {
        let (class, name) = method.split_once('.').unwrap();
        let found = model
            .iter()
            .filter(|c| c["name"] == *class)
            .flat_map(|c| c["messages"].as_array().unwrap())
            .find(|m| m["name"] == *name)
            .unwrap_or_else(|| panic!("{method} is not in xenapi.json"));
        assert_eq!(found["params"].as_array().unwrap().len(), *count, "{method}");
    }
}

/// `"expected_result": {…}`'s members as recorded, each answer's text without its braces
/// (bare `Infinity` kept): the fixtures are not quite JSON.
fn recorded_answers(text: &str) -> Vec<(String, String)> {
    let start = text.find("\"expected_result\"").unwrap();
    let open = start + text[start..].find('{').unwrap();
    let mut out = Vec::new();
    let (mut depth, mut in_string, mut escaped) = (0, false, false);
    let (mut key, mut value_start) = (String::new(), 0);
    for (i, c) in text[open..].char_indices().map(|(i, c)| (i + open, c)) {
        if in_string {
            (in_string, escaped) = (escaped || c != '"', !escaped && c == '\\');
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                if depth == 1 {
                    let end = i + 1 + text[i + 1..].find('"').unwrap();
                    key = text[i + 1..end].to_string();
                }
            }
            '{' => {
                depth += 1;
                if depth == 2 {
                    value_start = i + 1;
                }
            }
            '}' => {
                if depth == 2 {
                    out.push((key.clone(), text[value_start..i].trim().to_string()));
                }
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    out
}

/// The SDKs' recorded exchanges whose methods this client calls, replayed byte for byte:
/// what the client sends is what was recorded, and it reads every answer (errors as typed
/// errors, `Infinity` and numbers in strings included).
#[test]
fn the_sdks_recorded_exchanges_replay_against_the_client() {
    let Some(dir) = xapi_data() else { return };
    let pool = TestXapi::start(&dir.join("xenapi.json"), "root", "s3cret");
    let mut replayed = Vec::new();
    for entry in std::fs::read_dir(dir.join("spec-xapi-24")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let fixture: Value = serde_json::from_str(&json::quote_special_floats(&text)).unwrap();
        let (_, case) = fixture.as_object().unwrap().iter().next().unwrap();
        let methods: Vec<String> = case["method"].as_array().unwrap().iter().map(json::text).collect();
        if !methods.iter().all(|m| METHODS.iter().any(|(ours, _)| ours == m)) {
            continue;
        }
        let answers = recorded_answers(&text);
        let exchanges = methods
            .iter()
            .map(|m| {
                let answer = answers.iter().find(|(k, _)| k == m).unwrap().1.clone();
                (m.clone(), case["params"][m].clone(), answer)
            })
            .collect();
        pool.set_replay(Replay { exchanges, mismatches: Vec::new() });
        let mut xapi = replay_client(&pool);
        for m in &methods {
            let params: Vec<Value> = case["params"][m].as_array().unwrap().clone();
            let got = xapi.request(m, &params, None);
            check_answer(&path, m, &case["expected_result"][m], got);
        }
        let left = pool.replay().unwrap();
        assert_eq!(left.mismatches, Vec::<String>::new(), "{}", path.display());
        assert!(left.exchanges.is_empty(), "{}: not all asked", path.display());
        replayed.push(path.file_stem().unwrap().to_string_lossy().into_owned());
    }
    replayed.sort();
    let expected = ["http_error", "rpc_error", "session_login", "vm_get_all_records", "vm_special_value", "xapi_error"];
    assert_eq!(replayed, expected);
}

/// A client on the replaying pool: logged in by a first recorded login, so that its own
/// login is not among the exchanges (the replay answers the login itself).
fn replay_client(pool: &TestXapi) -> Xapi {
    let replay = pool.replay().unwrap();
    let mut with_login = replay.clone();
    with_login.exchanges.insert(
        0,
        (
            "session.login_with_password".into(),
            json!(["root", "s3cret", "1.0", "bioxen"]),
            r#""result": "OpaqueRef:s""#.into(),
        ),
    );
    pool.set_replay(with_login);
    Xapi::login(&endpoint(pool)).unwrap()
}

fn check_answer(path: &Path, method: &str, expected: &Value, got: Result<Value, XapiError>) {
    let what = format!("{}: {method}", path.display());
    match expected.get("error") {
        Some(error) => {
            let Err(XapiError::Refused { code, params, .. }) = got else { panic!("{what}: {got:?}") };
            assert_eq!(code, json::text(&error["message"]), "{what}");
            assert_eq!(params, json::params(error.get("data")), "{what}");
        }
        None => {
            let got = got.unwrap_or_else(|e| panic!("{what}: {e}"));
            if method == "VM.get_all_records" {
                for (_, vm) in got.as_object().unwrap() {
                    if let Some(m) = vm.get("HVM_shadow_multiplier") {
                        let f = json::float(m).unwrap_or_else(|| panic!("{what}: {m}"));
                        assert!(f.is_infinite() || f.is_finite(), "{what}");
                    }
                }
            }
            assert_eq!(got, expected["result"], "{what}");
        }
    }
}

#[test]
fn a_vm_is_made_tagged_sized_started_and_torn_down_to_nothing() {
    let Some(pool) = pool() else { return };
    let net = pool.add_network("net-uuid-1");
    let sr = pool.add_sr("sr-uuid-9");
    let mut xapi = Xapi::login(&endpoint(&pool)).unwrap();
    let before = xapi.calls();
    let spec = VmSpec {
        network_uuid: Some("net-uuid-1".into()),
        storage_repository: Some("sr-uuid-9".into()),
        ..spec("run-1")
    };
    let made = provision::provision(&mut xapi, &spec, NEVER).unwrap();
    let made_calls = xapi.calls() - before;
    assert_eq!(made.ip, "10.0.0.7");
    let vms = pool.vms();
    assert_eq!(vms.len(), 1);
    let vm = &vms[0];
    assert_eq!((vm.power_state.as_str(), vm.memory, vm.vcpus), ("Running", 4 << 30, 4));
    assert_eq!(vm.other_config.get(RUN_TAG).map(String::as_str), Some("run-1"));
    assert_eq!(vm.networks, vec![net]);
    let tagged: Vec<_> = pool.vdis().into_iter().filter(|(_, o)| o.get(RUN_TAG).is_some()).collect();
    assert_eq!(tagged.len(), 1, "its one disk is tagged, the ISO is not");
    let _ = sr;
    let before = xapi.calls();
    provision::teardown(&mut xapi, &made.vm, Duration::from_secs(5)).unwrap();
    let gone_calls = xapi.calls() - before;
    assert_clean(&pool, "after teardown");
    eprintln!("XAPI calls: {made_calls} to make a VM, {gone_calls} to destroy it");
    assert!(pool.calls().contains(&"VM.clean_shutdown".to_string()));
    assert!(!pool.calls().contains(&"VM.hard_shutdown".to_string()), "a clean shutdown sufficed");
}

#[test]
fn failures_half_way_leave_nothing_behind_and_say_what_failed() {
    let Some(dir) = xapi_data() else { return };
    let cases: Vec<(&str, Faults, VmSpec, &str)> = vec![
        (
            "VM_BAD_POWER_STATE",
            Faults {
                start_error: Some(("VM_BAD_POWER_STATE".into(), vec!["ref".into(), "halted".into(), "running".into()])),
                ..Faults::default()
            },
            spec("r"),
            "VM_BAD_POWER_STATE",
        ),
        (
            "NO_HOSTS_AVAILABLE",
            Faults { start_error: Some(("NO_HOSTS_AVAILABLE".into(), vec![])), ..Faults::default() },
            spec("r"),
            "NO_HOSTS_AVAILABLE",
        ),
        (
            "no address ever",
            Faults::default(),
            VmSpec { ip_timeout: Duration::from_millis(300), ..spec("r") },
            "IP not available",
        ),
        (
            "only a link-local address",
            Faults { ip: Some("169.254.9.9".into()), ..Faults::default() },
            VmSpec { ip_timeout: Duration::from_millis(300), ..spec("r") },
            "IP not available",
        ),
        (
            "a network that does not exist",
            Faults { ip: Some("10.0.0.7".into()), ..Faults::default() },
            VmSpec { network_uuid: Some("nope".into()), ..spec("r") },
            "network_uuid",
        ),
        (
            "a template that does not exist",
            Faults { ip: Some("10.0.0.7".into()), ..Faults::default() },
            VmSpec { template_name: "missing".into(), ..spec("r") },
            "no template `missing`",
        ),
    ];
    for (what, faults, spec, says) in cases {
        let pool = TestXapi::start(&dir.join("xenapi.json"), "root", "s3cret");
        pool.add_template("bioxen-bio-template");
        pool.set_faults(faults);
        let mut xapi = Xapi::login(&endpoint(&pool)).unwrap();
        let e = provision::provision(&mut xapi, &spec, NEVER).unwrap_err();
        assert!(e.to_string().contains(says), "{what}: {e}");
        assert_clean(&pool, what);
    }
}

#[test]
fn an_interruption_half_way_tears_down_what_was_made() {
    let Some(pool) = pool() else { return };
    pool.set_faults(Faults { ip: Some("10.0.0.7".into()), polls_before_ip: 1000, ..Faults::default() });
    let mut xapi = Xapi::login(&endpoint(&pool)).unwrap();
    let asked = AtomicU32::new(0);
    // Interrupted while it waits for the address (after 12 checks: the VM is running).
    let cancelled = || asked.fetch_add(1, Ordering::SeqCst) > 12;
    let e = provision::provision(&mut xapi, &spec("r"), &cancelled).unwrap_err();
    assert_eq!(e, XapiError::Cancelled);
    assert!(pool.calls().contains(&"VM.start".to_string()), "interrupted after the start");
    assert_clean(&pool, "after Ctrl-C");
}

#[test]
fn a_guest_that_ignores_a_clean_shutdown_is_shut_down_hard() {
    let Some(pool) = pool() else { return };
    let mut xapi = Xapi::login(&endpoint(&pool)).unwrap();
    let made = provision::provision(&mut xapi, &spec("r"), NEVER).unwrap();
    pool.set_faults(Faults { clean_shutdown_hangs: Some(Duration::from_secs(3)), ..Faults::default() });
    provision::teardown(&mut xapi, &made.vm, Duration::from_millis(500)).unwrap();
    assert!(pool.calls().contains(&"VM.hard_shutdown".to_string()));
    assert_clean(&pool, "after a hard shutdown");
}

#[test]
fn logins_that_fail_expire_or_land_on_a_slave() {
    let Some(dir) = xapi_data() else { return };
    let Some(pool) = pool() else { return };
    let wrong = Endpoint { password: "guess".into(), ..endpoint(&pool) };
    let e = Xapi::login(&wrong).err().unwrap();
    assert_eq!(e.code(), Some("SESSION_AUTHENTICATION_FAILED"), "{e}");
    assert!(!e.to_string().contains("guess"), "the password is never in an error: {e}");

    // A session that expires every 5 calls: provisioning logs in again and goes on.
    pool.set_faults(Faults { ip: Some("10.0.0.7".into()), session_calls_max: Some(5), ..Faults::default() });
    let mut xapi = Xapi::login(&endpoint(&pool)).unwrap();
    let made = provision::provision(&mut xapi, &spec("r"), NEVER).unwrap();
    provision::teardown(&mut xapi, &made.vm, Duration::from_secs(5)).unwrap();
    let logins = pool.calls().iter().filter(|m| *m == "session.login_with_password").count();
    assert!(logins > 3, "{logins} logins");

    // A slave on 127.0.0.1 sends the client to its master on 127.0.0.2, same port; both
    // certificates are trusted through a CA file.
    let master = TestXapi::start_on("127.0.0.2:0", &dir.join("xenapi.json"), "root", "s3cret");
    let port = master.url.rsplit_once(':').unwrap().1.to_string();
    let slave = TestXapi::start_on(&format!("127.0.0.1:{port}"), &dir.join("xenapi.json"), "root", "s3cret");
    slave.set_faults(Faults { slave_of: Some("127.0.0.2".into()), ..Faults::default() });
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), format!("{}{}", slave.certificate_pem, master.certificate_pem)).unwrap();
    let tls = TlsCheck::Verified { ca_file: Some(ca.path().to_path_buf()) };
    let xapi = Xapi::login(&Endpoint { tls, ..endpoint(&slave) }).unwrap();
    assert_eq!(xapi.url(), format!("https://127.0.0.2:{port}/jsonrpc"));
}

#[test]
fn the_pools_certificate_is_checked() {
    let Some(pool) = pool() else { return };
    let other = TlsCheck::pinned(&("AB:".repeat(31) + "AB")).unwrap();
    let e = Xapi::login(&Endpoint { tls: other, ..endpoint(&pool) }).err().unwrap();
    assert!(matches!(e, XapiError::Transport { .. }) && e.to_string().contains("fingerprint"), "{e}");
    let unverified = TlsCheck::Verified { ca_file: None };
    let e = Xapi::login(&Endpoint { tls: unverified, ..endpoint(&pool) }).err().unwrap();
    assert!(matches!(e, XapiError::Transport { .. }), "a self-signed certificate is not trusted by default: {e}");
    for bad in ["", "AB", &"G".repeat(64)] {
        assert!(TlsCheck::pinned(bad).is_err(), "{bad}");
    }
    assert!(Xapi::login(&Endpoint { url: pool.url.replace("https", "http"), ..endpoint(&pool) }).is_err());
}

#[test]
fn what_a_crashed_run_left_is_found_by_its_tag_and_destroyed() {
    let Some(pool) = pool() else { return };
    let mut xapi = Xapi::login(&endpoint(&pool)).unwrap();
    let crashed =
        provision::provision(&mut xapi, &VmSpec { name: "crashed".into(), ..spec("dead-run") }, NEVER).unwrap();
    let live = provision::provision(&mut xapi, &VmSpec { name: "live".into(), ..spec("live-run") }, NEVER).unwrap();
    let dead = |run: &str| run == "dead-run";
    let found = provision::orphans(&mut xapi, &dead).unwrap();
    assert_eq!(found.vms, vec![(crashed.vm.clone(), "crashed".to_string())]);
    assert_eq!(found.vdis.len(), 1);
    assert_eq!(provision::destroy_orphans(&mut xapi, &dead, Duration::from_secs(5)).unwrap(), (1, 0));
    let left: Vec<String> = pool.vms().into_iter().map(|v| v.reference).collect();
    assert_eq!(left, vec![live.vm.clone()]);
    provision::teardown(&mut xapi, &live.vm, Duration::from_secs(5)).unwrap();
    assert_clean(&pool, "after both");
}
