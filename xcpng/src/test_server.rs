//! An XAPI test server (feature `test-server`): real HTTPS on loopback with its own
//! self-signed certificate, speaking JSON-RPC at `/jsonrpc`, with the subset of XAPI that
//! BioXen uses as a state machine — sessions, templates, clone and copy, provisioning,
//! memory and VCPUs, `other_config`, power states, guest metrics, VBDs, VDIs, VIFs. It
//! serves only methods that `xenapi.json` (XAPI's data model) has, with their parameter
//! counts, and refuses as XAPI does (`MESSAGE_METHOD_UNKNOWN`,
//! `MESSAGE_PARAMETER_COUNT_MISMATCH`, `SESSION_INVALID`, `VM_BAD_POWER_STATE`…).
//! [`Faults`] make it misbehave as a pool can. [`Replay`] serves recorded exchanges
//! instead, byte for byte.

use crate::json;
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

const NULL: &str = "OpaqueRef:NULL";

/// How the test pool misbehaves.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// `VM.start` fails with this code and parameters.
    pub start_error: Option<(String, Vec<String>)>,
    /// The address a started VM's guest metrics report (`None`: never one).
    pub ip: Option<String>,
    /// `VM.get_guest_metrics` calls before the metrics exist.
    pub polls_before_ip: u32,
    /// Answer every login with `HOST_IS_SLAVE` naming this master.
    pub slave_of: Option<String>,
    /// A session expires after this many calls (`SESSION_INVALID`).
    pub session_calls_max: Option<u32>,
    /// `VM.clean_shutdown` takes this long and leaves the VM running (a guest that does
    /// not shut down).
    pub clean_shutdown_hangs: Option<Duration>,
}

/// A non-template VM as the test pool holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmView {
    /// Its reference.
    pub reference: String,
    /// Its name.
    pub name_label: String,
    /// `Halted` or `Running`.
    pub power_state: String,
    /// Its `other_config`.
    pub other_config: BTreeMap<String, String>,
    /// Memory in bytes.
    pub memory: i64,
    /// VCPUs at startup.
    pub vcpus: i64,
    /// The networks of its VIFs' (references).
    pub networks: Vec<String>,
}

struct Vm {
    uuid: String,
    name_label: String,
    name_description: String,
    is_a_template: bool,
    power_state: String,
    memory: i64,
    vcpus_max: i64,
    vcpus_at_startup: i64,
    other_config: BTreeMap<String, String>,
    vbds: Vec<String>,
    vifs: Vec<String>,
    guest_metrics: String,
    polls: u32,
}

struct Vbd {
    vm: String,
    vdi: String,
    kind: String,
}

struct Vdi {
    name_label: String,
    sr: String,
    other_config: BTreeMap<String, String>,
}

struct Vif {
    vm: String,
    network: String,
}

#[derive(Default)]
struct State {
    methods: HashMap<String, usize>,
    user: (String, String),
    sessions: BTreeMap<String, u32>,
    vms: BTreeMap<String, Vm>,
    vbds: BTreeMap<String, Vbd>,
    vdis: BTreeMap<String, Vdi>,
    vifs: BTreeMap<String, Vif>,
    srs: BTreeMap<String, String>,
    networks: BTreeMap<String, String>,
    metrics: BTreeMap<String, String>,
    next: u64,
    faults: Faults,
    log: Vec<String>,
    replay: Option<Replay>,
}

/// Recorded exchanges to serve in order instead of the state machine: each the method
/// expected, its parameters, and the answer's JSON text as recorded (bare `Infinity`
/// included).
#[derive(Clone, Debug, Default)]
pub struct Replay {
    /// `(method, params, result or error text)`, in order.
    pub exchanges: Vec<(String, Value, String)>,
    /// Requests that did not match what was expected (method, params received).
    pub mismatches: Vec<String>,
}

type Refusal = (String, Vec<String>);

/// A running test pool.
pub struct TestXapi {
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// Its certificate's SHA-256 fingerprint (`AB:CD:…`).
    pub fingerprint: String,
    /// Its certificate, PEM.
    pub certificate_pem: String,
    state: Arc<Mutex<State>>,
}

impl TestXapi {
    /// Starts a pool on a free loopback port serving the methods of `xenapi` (XAPI's
    /// `xenapi.json`), with one user.
    pub fn start(xenapi: &Path, user: &str, password: &str) -> TestXapi {
        TestXapi::start_on("127.0.0.1:0", xenapi, user, password)
    }

    /// [`TestXapi::start`] listening on `bind` (`IP:port`); its certificate names that IP.
    pub fn start_on(bind: &str, xenapi: &Path, user: &str, password: &str) -> TestXapi {
        let model: Vec<Value> = serde_json::from_slice(&std::fs::read(xenapi).expect("xenapi.json")).expect("JSON");
        let mut methods = HashMap::new();
        for class in &model {
            let name = class["name"].as_str().unwrap_or_default();
            for m in class["messages"].as_array().into_iter().flatten() {
                let count = m["params"].as_array().map_or(0, Vec::len);
                methods.insert(format!("{name}.{}", m["name"].as_str().unwrap_or_default()), count);
            }
        }
        let ip = bind.rsplit_once(':').map_or(bind, |(ip, _)| ip).to_string();
        let key = rcgen::generate_simple_self_signed(vec!["localhost".into(), ip.clone()]).expect("cert");
        let der = key.cert.der().to_vec();
        let certificate_pem = key.cert.pem();
        let fingerprint = crate::tls::fingerprint(&der);
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()));
        let config = ServerConfig::builder_with_provider(Arc::new(crate::tls::ring_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(der)], private)
            .expect("server certificate");
        let listener = TcpListener::bind(bind).expect("bind");
        let url = format!("https://{ip}:{}", listener.local_addr().expect("address").port());
        let state = Arc::new(Mutex::new(State { methods, user: (user.into(), password.into()), ..State::default() }));
        let (config, shared) = (Arc::new(config), state.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, state) = (config.clone(), shared.clone());
                std::thread::spawn(move || serve(stream, config, &state));
            }
        });
        TestXapi { url, fingerprint, certificate_pem, state }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a template named `name` on storage `sr` (created if new): a CD drive holding
    /// the tools ISO, and a disk made when it is provisioned.
    pub fn add_template(&self, name: &str) -> String {
        let mut s = self.state();
        let sr = s.srs.get("sr-local").cloned().unwrap_or_else(|| {
            let r = s.reference("SR");
            s.srs.insert("sr-local".into(), r.clone());
            r
        });
        let iso = s.reference("VDI");
        s.vdis.insert(iso.clone(), Vdi { name_label: "tools.iso".into(), sr, other_config: BTreeMap::new() });
        let vm = s.reference("VM");
        let cd = s.reference("VBD");
        s.vbds.insert(cd.clone(), Vbd { vm: vm.clone(), vdi: iso, kind: "CD".into() });
        let mut other_config = BTreeMap::new();
        other_config.insert(
            "disks".into(),
            r#"<provision><disk device="0" size="8589934592" sr="" bootable="true" type="system"/></provision>"#.into(),
        );
        let uuid = format!("uuid-{}", s.next);
        s.vms.insert(
            vm.clone(),
            Vm {
                uuid,
                name_label: name.into(),
                name_description: String::new(),
                is_a_template: true,
                power_state: "Halted".into(),
                memory: 1 << 30,
                vcpus_max: 1,
                vcpus_at_startup: 1,
                other_config,
                vbds: vec![cd],
                vifs: Vec::new(),
                guest_metrics: NULL.into(),
                polls: 0,
            },
        );
        vm
    }

    /// Adds a storage repository with this UUID; its reference.
    pub fn add_sr(&self, uuid: &str) -> String {
        let mut s = self.state();
        let r = s.reference("SR");
        s.srs.insert(uuid.into(), r.clone());
        r
    }

    /// Adds a network with this UUID; its reference.
    pub fn add_network(&self, uuid: &str) -> String {
        let mut s = self.state();
        let r = s.reference("network");
        s.networks.insert(uuid.into(), r.clone());
        r
    }

    /// Makes the pool misbehave so.
    pub fn set_faults(&self, faults: Faults) {
        self.state().faults = faults;
    }

    /// Serves `replay` instead of the state machine.
    pub fn set_replay(&self, replay: Replay) {
        self.state().replay = Some(replay);
    }

    /// What remains of the replay (exchanges not yet asked for, and mismatches).
    pub fn replay(&self) -> Option<Replay> {
        self.state().replay.clone()
    }

    /// The VMs that are not templates.
    pub fn vms(&self) -> Vec<VmView> {
        let s = self.state();
        s.vms
            .iter()
            .filter(|(_, v)| !v.is_a_template)
            .map(|(r, v)| VmView {
                reference: r.clone(),
                name_label: v.name_label.clone(),
                power_state: v.power_state.clone(),
                other_config: v.other_config.clone(),
                memory: v.memory,
                vcpus: v.vcpus_at_startup,
                networks: v.vifs.iter().filter_map(|f| s.vifs.get(f)).map(|f| f.network.clone()).collect(),
            })
            .collect()
    }

    /// Every VM, templates and their clones included.
    pub fn vm_count(&self) -> usize {
        self.state().vms.len()
    }

    /// The VDIs (name, `other_config`), ISOs included.
    pub fn vdis(&self) -> Vec<(String, BTreeMap<String, String>)> {
        self.state().vdis.values().map(|d| (d.name_label.clone(), d.other_config.clone())).collect()
    }

    /// The methods called so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.state().log.clone()
    }
}

/// One connection: requests in, answers out, until it closes.
fn serve(stream: TcpStream, config: Arc<ServerConfig>, state: &Mutex<State>) {
    let Ok(connection) = rustls::ServerConnection::new(config) else { return };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut tls = BufReader::new(rustls::StreamOwned::new(connection, stream));
    while let Some(body) = read_request(&mut tls) {
        let answer = answer(&body, state);
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", answer.len());
        let out = tls.get_mut();
        if out
            .write_all(head.as_bytes())
            .and_then(|()| out.write_all(answer.as_bytes()))
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
}

/// An HTTP request's body (`Content-Length` only), or `None` at the end.
fn read_request(r: &mut impl BufRead) -> Option<String> {
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if r.by_ref().take(8192).read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length.min(16 << 20)];
    r.read_exact(&mut body).ok()?;
    String::from_utf8(body).ok()
}

fn answer(body: &str, state: &Mutex<State>) -> String {
    let request: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let method = request["method"].as_str().unwrap_or_default().to_string();
    let params = request["params"].as_array().cloned().unwrap_or_default();
    let hang = {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(text) = s.replayed(&method, &params) {
            return format!(r#"{{"jsonrpc": "2.0", {text}, "id": {id}}}"#);
        }
        s.log.push(method.clone());
        (method == "VM.clean_shutdown").then_some(s.faults.clean_shutdown_hangs).flatten()
    };
    if let Some(wait) = hang {
        // A guest that ignores the request: XAPI waits, then the VM is still running.
        std::thread::sleep(wait);
        return json!({"jsonrpc": "2.0", "result": "", "id": id}).to_string();
    }
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    match s.dispatch(&method, &params) {
        Ok(result) => json!({"jsonrpc": "2.0", "result": result, "id": id}).to_string(),
        Err((code, data)) => {
            json!({"jsonrpc": "2.0", "error": {"code": 1, "message": code, "data": data}, "id": id}).to_string()
        }
    }
}

fn refuse<T>(code: &str, params: &[&str]) -> Result<T, Refusal> {
    Err((code.into(), params.iter().map(|p| p.to_string()).collect()))
}

fn text(v: Option<&Value>) -> String {
    v.map(json::text).unwrap_or_default()
}

impl State {
    fn reference(&mut self, class: &str) -> String {
        self.next += 1;
        format!("OpaqueRef:{class}-{:08}", self.next)
    }

    /// The recorded answer's text (`"result": …` or `"error": …`) if a replay is on.
    fn replayed(&mut self, method: &str, params: &[Value]) -> Option<String> {
        let replay = self.replay.as_mut()?;
        if replay.exchanges.is_empty() {
            replay.mismatches.push(format!("{method} {params:?}: nothing more expected"));
            return Some(r#""error": {"code": 1, "message": "MESSAGE_METHOD_UNKNOWN", "data": []}"#.into());
        }
        let (expected, expected_params, text) = replay.exchanges.remove(0);
        if expected != method || expected_params != Value::Array(params.to_vec()) {
            replay.mismatches.push(format!("{method} {params:?}: expected {expected} {expected_params}"));
        }
        Some(text)
    }

    fn dispatch(&mut self, method: &str, p: &[Value]) -> Result<Value, Refusal> {
        let Some(&count) = self.methods.get(method) else { return refuse("MESSAGE_METHOD_UNKNOWN", &[method]) };
        if count != p.len() {
            return refuse("MESSAGE_PARAMETER_COUNT_MISMATCH", &[method, &count.to_string(), &p.len().to_string()]);
        }
        if method == "session.login_with_password" {
            return self.login(&text(p.first()), &text(p.get(1)));
        }
        self.check_session(&text(p.first()))?;
        let arg = |k: usize| text(p.get(k));
        match method {
            "session.logout" => {
                self.sessions.remove(&arg(0));
                Ok(json!(""))
            }
            "pool.get_all" => Ok(json!(["OpaqueRef:pool"])),
            "pool.get_record" => Ok(json!({"name_label": "test pool", "master": "OpaqueRef:host"})),
            "host.get_record" => Ok(json!({"name_label": "host0", "software_version": {"xapi": "24.11"},
                                           "API_version_major": 2, "API_version_minor": 21})),
            "SR.get_by_uuid" => {
                self.srs.get(&arg(1)).map(|r| json!(r)).map_or_else(|| refuse("UUID_INVALID", &["SR", &arg(1)]), Ok)
            }
            "network.get_by_uuid" => self
                .networks
                .get(&arg(1))
                .map(|r| json!(r))
                .map_or_else(|| refuse("UUID_INVALID", &["network", &arg(1)]), Ok),
            "VDI.get_all_records" => Ok(self.vdi_records()),
            "VDI.add_to_other_config" => {
                let vdi = self.vdis.get_mut(&arg(1)).ok_or(("HANDLE_INVALID".into(), vec!["VDI".into(), arg(1)]))?;
                add_to(&mut vdi.other_config, arg(2), arg(3))
            }
            "VDI.destroy" => self.destroy_vdi(&arg(1)),
            "VBD.get_record" => {
                let vbd = self.vbds.get(&arg(1)).ok_or(("HANDLE_INVALID".into(), vec!["VBD".into(), arg(1)]))?;
                Ok(json!({"VM": vbd.vm, "VDI": vbd.vdi, "type": vbd.kind}))
            }
            "VIF.create" => self.create_vif(p.get(1).cloned().unwrap_or_default()),
            "VIF.destroy" => {
                let vif = self.vifs.remove(&arg(1)).ok_or(("HANDLE_INVALID".into(), vec!["VIF".into(), arg(1)]))?;
                if let Some(vm) = self.vms.get_mut(&vif.vm) {
                    vm.vifs.retain(|f| *f != arg(1));
                }
                Ok(json!(""))
            }
            "VM_guest_metrics.get_networks" => {
                let ip = self
                    .metrics
                    .get(&arg(1))
                    .ok_or(("HANDLE_INVALID".into(), vec!["VM_guest_metrics".into(), arg(1)]))?;
                Ok(json!({"0/ipv6/0": "fe80::1", "0/ip": ip, "0/ipv4/0": ip}))
            }
            "VM.get_all_records" => Ok(self.vm_records()),
            "VM.get_by_name_label" => Ok(json!(
                self.vms.iter().filter(|(_, v)| v.name_label == arg(1)).map(|(r, _)| r.clone()).collect::<Vec<_>>()
            )),
            _ => self.vm_method(method, &arg(1), p),
        }
    }

    fn login(&mut self, user: &str, password: &str) -> Result<Value, Refusal> {
        if let Some(master) = &self.faults.slave_of {
            return refuse("HOST_IS_SLAVE", &[master]);
        }
        if (user, password) != (self.user.0.as_str(), self.user.1.as_str()) {
            return refuse("SESSION_AUTHENTICATION_FAILED", &[user, "Authentication failure"]);
        }
        let session = self.reference("session");
        self.sessions.insert(session.clone(), 0);
        Ok(json!(session))
    }

    fn check_session(&mut self, session: &str) -> Result<(), Refusal> {
        let max = self.faults.session_calls_max;
        let Some(calls) = self.sessions.get_mut(session) else { return refuse("SESSION_INVALID", &[session]) };
        *calls += 1;
        if max.is_some_and(|m| *calls > m) {
            self.sessions.remove(session);
            return refuse("SESSION_INVALID", &[session]);
        }
        Ok(())
    }

    fn vm(&mut self, r: &str) -> Result<&mut Vm, Refusal> {
        self.vms.get_mut(r).ok_or(("HANDLE_INVALID".into(), vec!["VM".into(), r.into()]))
    }

    fn halted(&mut self, r: &str) -> Result<&mut Vm, Refusal> {
        let vm = self.vm(r)?;
        if vm.power_state != "Halted" {
            let state = vm.power_state.clone();
            return refuse("VM_BAD_POWER_STATE", &[r, "halted", &state.to_lowercase()]);
        }
        Ok(vm)
    }

    fn vm_method(&mut self, method: &str, r: &str, p: &[Value]) -> Result<Value, Refusal> {
        let int = |k: usize| p.get(k).and_then(json::int).unwrap_or(-1);
        let arg = |k: usize| text(p.get(k));
        match method {
            "VM.get_record" => {
                self.vm(r)?;
                Ok(self.vm_record(r))
            }
            "VM.clone" => self.copy(r, &arg(2), None),
            "VM.copy" => {
                let sr = arg(3);
                if !self.srs.values().any(|s| *s == sr) {
                    return refuse("HANDLE_INVALID", &["SR", &sr]);
                }
                self.copy(r, &arg(2), Some(sr))
            }
            "VM.provision" => self.provision(r),
            "VM.set_is_a_template" => {
                self.vm(r)?.is_a_template = p.get(2).and_then(Value::as_bool).unwrap_or(true);
                Ok(json!(""))
            }
            "VM.set_name_description" => {
                self.vm(r)?.name_description = arg(2);
                Ok(json!(""))
            }
            "VM.set_memory" => {
                self.halted(r)?.memory = int(2);
                Ok(json!(""))
            }
            "VM.set_VCPUs_max" | "VM.set_VCPUs_at_startup" => self.set_vcpus(method, r, int(2)),
            "VM.add_to_other_config" => add_to(&mut self.vm(r)?.other_config, arg(2), arg(3)),
            "VM.get_VIFs" => Ok(json!(self.vm(r)?.vifs)),
            "VM.get_VBDs" => Ok(json!(self.vm(r)?.vbds)),
            "VM.get_power_state" => Ok(json!(self.vm(r)?.power_state)),
            "VM.start" => self.start(r),
            "VM.get_guest_metrics" => self.guest_metrics(r),
            "VM.clean_shutdown" | "VM.hard_shutdown" => {
                let vm = self.vm(r)?;
                if vm.power_state != "Running" {
                    let state = vm.power_state.to_lowercase();
                    return refuse("VM_BAD_POWER_STATE", &[r, "running", &state]);
                }
                vm.power_state = "Halted".into();
                vm.guest_metrics = NULL.into();
                Ok(json!(""))
            }
            "VM.destroy" => {
                let vm = self.halted(r)?;
                let (vbds, vifs) = (vm.vbds.clone(), vm.vifs.clone());
                self.vms.remove(r);
                // XAPI destroys a VM's VBDs and VIFs, never its disks.
                vbds.iter().for_each(|b| drop(self.vbds.remove(b)));
                vifs.iter().for_each(|f| drop(self.vifs.remove(f)));
                Ok(json!(""))
            }
            _ => refuse("MESSAGE_METHOD_UNKNOWN", &[method]),
        }
    }

    /// `VM.set_VCPUs_max` (halted, not below the startup count) or
    /// `VM.set_VCPUs_at_startup` (not above the maximum), as XAPI refuses them.
    fn set_vcpus(&mut self, method: &str, r: &str, n: i64) -> Result<Value, Refusal> {
        if method == "VM.set_VCPUs_max" {
            let vm = self.halted(r)?;
            if n < vm.vcpus_at_startup || n < 1 {
                return refuse("VALUE_NOT_SUPPORTED", &["VCPU_max", &n.to_string(), "lower than VCPUs_at_startup"]);
            }
            vm.vcpus_max = n;
        } else {
            let vm = self.vm(r)?;
            if n > vm.vcpus_max || n < 1 {
                return refuse("VALUE_NOT_SUPPORTED", &["VCPU_at_startup", &n.to_string(), "above VCPUs_max"]);
            }
            vm.vcpus_at_startup = n;
        }
        Ok(json!(""))
    }

    fn copy(&mut self, r: &str, name: &str, sr: Option<String>) -> Result<Value, Refusal> {
        let source = self.halted(r)?;
        let (is_template, memory, vcpus_max, vcpus, other, vbds) = (
            source.is_a_template,
            source.memory,
            source.vcpus_max,
            source.vcpus_at_startup,
            source.other_config.clone(),
            source.vbds.clone(),
        );
        let vm = self.reference("VM");
        let mut new_vbds = Vec::new();
        for b in vbds {
            let Some(Vbd { vdi, kind, .. }) = self.vbds.get(&b) else { continue };
            let (mut vdi, kind) = (vdi.clone(), kind.clone());
            if kind == "Disk" {
                let old = self.vdis.get(&vdi).ok_or(("HANDLE_INVALID".into(), vec!["VDI".into(), vdi.clone()]))?;
                let copy = Vdi {
                    name_label: old.name_label.clone(),
                    sr: sr.clone().unwrap_or(old.sr.clone()),
                    other_config: BTreeMap::new(),
                };
                vdi = self.reference("VDI");
                self.vdis.insert(vdi.clone(), copy);
            }
            let nb = self.reference("VBD");
            self.vbds.insert(nb.clone(), Vbd { vm: vm.clone(), vdi, kind });
            new_vbds.push(nb);
        }
        let uuid = format!("uuid-{}", self.next);
        let other_config = other.into_iter().filter(|(k, _)| k == "disks").collect();
        let clone = Vm {
            uuid,
            name_label: name.into(),
            name_description: String::new(),
            is_a_template: is_template,
            power_state: "Halted".into(),
            memory,
            vcpus_max,
            vcpus_at_startup: vcpus,
            other_config,
            vbds: new_vbds,
            vifs: Vec::new(),
            guest_metrics: NULL.into(),
            polls: 0,
        };
        self.vms.insert(vm.clone(), clone);
        Ok(json!(vm))
    }

    fn provision(&mut self, r: &str) -> Result<Value, Refusal> {
        let vm = self.halted(r)?;
        if vm.other_config.remove("disks").is_none() {
            return Ok(json!(""));
        }
        let sr = self.srs.values().next().cloned().unwrap_or_default();
        let vdi = self.reference("VDI");
        self.vdis.insert(vdi.clone(), Vdi { name_label: "system disk".into(), sr, other_config: BTreeMap::new() });
        let vbd = self.reference("VBD");
        self.vbds.insert(vbd.clone(), Vbd { vm: r.into(), vdi, kind: "Disk".into() });
        self.vm(r)?.vbds.push(vbd);
        Ok(json!(""))
    }

    fn start(&mut self, r: &str) -> Result<Value, Refusal> {
        let vm = self.vm(r)?;
        if vm.is_a_template {
            return refuse("VM_IS_TEMPLATE", &[r, "start"]);
        }
        self.halted(r)?;
        if let Some((code, params)) = self.faults.start_error.clone() {
            let params: Vec<&str> = params.iter().map(String::as_str).collect();
            return refuse(&code, &params);
        }
        let vm = self.vm(r)?;
        vm.power_state = "Running".into();
        vm.polls = 0;
        Ok(json!(""))
    }

    fn guest_metrics(&mut self, r: &str) -> Result<Value, Refusal> {
        let (ip, wait) = (self.faults.ip.clone(), self.faults.polls_before_ip);
        let vm = self.vm(r)?;
        vm.polls += 1;
        if vm.power_state != "Running" || ip.is_none() || vm.polls <= wait {
            return Ok(json!(NULL));
        }
        if vm.guest_metrics == NULL {
            let m = self.reference("VM_guest_metrics");
            self.metrics.insert(m.clone(), ip.unwrap_or_default());
            self.vm(r)?.guest_metrics = m;
        }
        Ok(json!(self.vm(r)?.guest_metrics))
    }

    fn create_vif(&mut self, record: Value) -> Result<Value, Refusal> {
        for field in
            ["device", "network", "VM", "MAC", "MTU", "other_config", "qos_algorithm_type", "qos_algorithm_params"]
        {
            if record.get(field).is_none() {
                return refuse("FIELD_TYPE_ERROR", &[field]);
            }
        }
        let (vm, network) = (text(record.get("VM")), text(record.get("network")));
        if !self.networks.values().any(|n| *n == network) {
            return refuse("HANDLE_INVALID", &["network", &network]);
        }
        let vif = self.reference("VIF");
        self.vm(&vm)?.vifs.push(vif.clone());
        self.vifs.insert(vif.clone(), Vif { vm, network });
        Ok(json!(vif))
    }

    fn destroy_vdi(&mut self, r: &str) -> Result<Value, Refusal> {
        if !self.vdis.contains_key(r) {
            return refuse("HANDLE_INVALID", &["VDI", r]);
        }
        if self.vbds.values().any(|b| b.vdi == r) {
            return refuse("VDI_IN_USE", &[r, "destroy"]);
        }
        self.vdis.remove(r);
        Ok(json!(""))
    }

    fn vm_record(&self, r: &str) -> Value {
        let vm = &self.vms[r];
        // Integers as XAPI's XML-RPC heritage often sends them: strings.
        json!({
            "uuid": vm.uuid, "name_label": vm.name_label, "name_description": vm.name_description,
            "is_a_template": vm.is_a_template, "power_state": vm.power_state,
            "memory_static_max": vm.memory.to_string(), "memory_dynamic_max": vm.memory.to_string(),
            "VCPUs_max": vm.vcpus_max.to_string(), "VCPUs_at_startup": vm.vcpus_at_startup,
            "other_config": vm.other_config, "VBDs": vm.vbds, "VIFs": vm.vifs,
            "guest_metrics": vm.guest_metrics, "HVM_shadow_multiplier": 1.0,
        })
    }

    fn vm_records(&self) -> Value {
        Value::Object(self.vms.keys().map(|r| (r.clone(), self.vm_record(r))).collect::<Map<_, _>>())
    }

    fn vdi_records(&self) -> Value {
        let records = self
            .vdis
            .iter()
            .map(|(r, d)| (r.clone(), json!({"name_label": d.name_label, "SR": d.sr, "other_config": d.other_config})));
        Value::Object(records.collect::<Map<_, _>>())
    }
}

fn add_to(map: &mut BTreeMap<String, String>, key: String, value: String) -> Result<Value, Refusal> {
    if map.contains_key(&key) {
        return refuse("MAP_DUPLICATE_KEY", &["other_config", &key]);
    }
    map.insert(key, value);
    Ok(json!(""))
}
