//! `xcpng` VMs: a biological VM whose cell runs in a full XCP-ng virtual machine that
//! BioXen makes from a template through XAPI (`bioxen_xcpng`), reaches over SSH as a
//! remote host (`bioxen_remote`) and tears down. Everything made is tagged with this
//! process's run id, so what a crash leaves is found again ([`is_orphan`]), and a signal
//! tears down what this process made before it dies.

use crate::api::{ApiError, ApiResult, XcpngConfig};
use bioxen_remote::hosts::{self, Auth, Host, HostKeyCheck};
use bioxen_remote::ssh::{SshConnector, WorkerBinary};
pub use bioxen_xcpng::XapiError;
use bioxen_xcpng::provision::{self, VmSpec};
use bioxen_xcpng::tls::TlsCheck;
use bioxen_xcpng::{Endpoint, Xapi};
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The template the original names when none is given.
pub const DEFAULT_TEMPLATE: &str = "bioxen-bio-template";
/// The original's default memory.
pub const DEFAULT_MEMORY: &str = "2GB";
/// The original's default VCPUs.
pub const DEFAULT_VCPUS: u64 = 2;
/// How long a started VM may take to report its address, by default.
pub const DEFAULT_IP_TIMEOUT: Duration = Duration::from_secs(600);
/// How long a clean shutdown may take before a hard one.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one XAPI call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);
const PASSWORD_BYTES_MAX: u64 = 4096;

fn config_error(key: &str, message: impl Into<String>) -> ApiError {
    ApiError::Config { at: format!("xcpng_config.{key}"), message: message.into() }
}

/// Checks what can be checked of `x` without a pool: the address, sizes, the TLS pin, the
/// SSH key and host-key settings.
pub(crate) fn check(x: &XcpngConfig) -> ApiResult<()> {
    bioxen_xcpng::client::jsonrpc_url(&x.xapi_url).map_err(|e| config_error("xapi_url", e.to_string()))?;
    if let Some(m) = &x.vm_memory {
        provision::parse_memory(m).map_err(|e| config_error("vm_memory", e))?;
    }
    if x.vm_vcpus == Some(0) || x.vm_vcpus.is_some_and(|n| n > 256) {
        return Err(config_error("vm_vcpus", "must be in 1..=256"));
    }
    if let Some(pin) = &x.tls_fingerprint_sha256 {
        TlsCheck::pinned(pin).map_err(|e| config_error("tls_fingerprint_sha256", e.to_string()))?;
        if x.tls_ca_file.is_some() {
            return Err(config_error("tls_ca_file", "give either it or tls_fingerprint_sha256, not both"));
        }
    }
    let key_checks = [x.ssh_known_hosts.is_some(), x.ssh_host_key.is_some(), x.insecure_accept_any_host_key];
    if key_checks.iter().filter(|c| **c).count() > 1 {
        return Err(config_error(
            "ssh_host_key",
            "give one of ssh_known_hosts, ssh_host_key and insecure_accept_any_host_key",
        ));
    }
    if x.ssh_host_key.as_deref().is_some_and(|k| hosts::pinned_key(k).is_none()) {
        return Err(config_error(
            "ssh_host_key",
            "must be a public key as ssh-keyscan prints it (`ssh-ed25519 AAAA…`)",
        ));
    }
    if x.ssh_key_path.is_none() {
        return Err(config_error("ssh_key_path", "is required (the key BioXen logs in to the VM with)"));
    }
    if x.ip_timeout_seconds == Some(0) {
        return Err(config_error("ip_timeout_seconds", "must be more than 0"));
    }
    Ok(())
}

/// This process's run id, `host:pid:start` (seconds since the epoch): the tag of every
/// VM and disk it makes.
pub fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let start = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        format!("{}:{}:{start}", hostname(), std::process::id())
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "host".into())
}

/// Whether the run `run` left what it made: a run of this machine whose process is gone
/// (never this process's own), or — with `any_host` — any run not alive here, since a
/// run on another machine cannot be asked.
pub fn is_orphan(run: &str, any_host: bool) -> bool {
    if run == run_id() {
        return false;
    }
    let mut parts = run.split(':');
    let (host, pid) = (parts.next(), parts.next().and_then(|p| p.parse::<u32>().ok()));
    match (host, pid) {
        (Some(h), Some(pid)) if h == hostname() => !Path::new("/proc").join(pid.to_string()).exists() || any_host,
        _ => any_host,
    }
}

/// Where the pool is and how to log in: the password read now from where `x` says.
pub fn endpoint(x: &XcpngConfig) -> ApiResult<Endpoint> {
    let password = match (&x.password, &x.password_env, &x.password_file) {
        (Some(p), _, _) => p.clone(),
        (None, Some(var), _) => std::env::var(var)
            .map_err(|_| config_error("password_env", format!("the environment variable {var} is not set")))?,
        (None, None, Some(file)) => {
            let mut text = String::new();
            std::fs::File::open(file)
                .and_then(|f| f.take(PASSWORD_BYTES_MAX).read_to_string(&mut text))
                .map_err(|e| config_error("password_file", format!("{}: {e}", file.display())))?;
            text.lines().next().unwrap_or_default().to_string()
        }
        (None, None, None) => return Err(config_error("password", "is required (or password_env, password_file)")),
    };
    let tls = match &x.tls_fingerprint_sha256 {
        Some(pin) => TlsCheck::pinned(pin)?,
        None => TlsCheck::Verified { ca_file: x.tls_ca_file.clone() },
    };
    Ok(Endpoint { url: x.xapi_url.clone(), username: x.username.clone(), password, tls, timeout: CALL_TIMEOUT })
}

/// The VM `x` describes for BioXen VM `vm_id`.
pub fn vm_spec(x: &XcpngConfig, vm_id: &str, run: &str) -> ApiResult<VmSpec> {
    let memory = x.vm_memory.as_deref().unwrap_or(DEFAULT_MEMORY);
    Ok(VmSpec {
        template_name: x.template_name.clone().unwrap_or_else(|| DEFAULT_TEMPLATE.into()),
        name: format!("bioxen-{vm_id}"),
        memory_bytes: Some(provision::parse_memory(memory).map_err(|e| config_error("vm_memory", e))?),
        vcpus: Some(x.vm_vcpus.unwrap_or(DEFAULT_VCPUS)),
        network_uuid: x.network_uuid.clone(),
        storage_repository: x.storage_repository.clone(),
        run_id: run.into(),
        ip_timeout: x.ip_timeout_seconds.map_or(DEFAULT_IP_TIMEOUT, Duration::from_secs),
        shutdown_timeout: SHUTDOWN_TIMEOUT,
        poll: Duration::from_secs(2),
    })
}

/// The provisioned VM as an SSH host named `name`, at `ip`.
pub fn ssh_host(x: &XcpngConfig, name: &str, ip: &str) -> Host {
    let host_key = if x.insecure_accept_any_host_key {
        HostKeyCheck::InsecureAcceptAny
    } else if let Some(key) = x.ssh_host_key.as_deref().and_then(hosts::pinned_key) {
        HostKeyCheck::Pinned(key)
    } else {
        HostKeyCheck::KnownHosts(x.ssh_known_hosts.as_ref().map(|p| p.display().to_string()))
    };
    let key = x.ssh_key_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    Host {
        name: name.into(),
        address: ip.into(),
        port: 22,
        user: x.ssh_user.clone(),
        auth: Auth::Key { path: key, passphrase_env: None },
        host_key,
        worker_binary: x.worker_binary.clone(),
        arbiters: Some(1),
    }
}

/// An XCP-ng VM this process made; torn down by [`XcpngVm::teardown`], or when dropped.
pub struct XcpngVm {
    endpoint: Endpoint,
    /// Its XAPI reference.
    pub vm: String,
    /// Its address.
    pub ip: String,
    /// It, as an SSH host.
    pub host: Host,
    /// How to reach its worker (made once: one upload, one SSH runtime).
    connector: OnceLock<Arc<SshConnector>>,
    torn_down: bool,
}

impl std::fmt::Debug for XcpngVm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XcpngVm").field("vm", &self.vm).field("ip", &self.ip).finish()
    }
}

/// Makes, starts and addresses the XCP-ng VM for BioXen VM `vm_id`. Registers first what
/// a signal does before the process dies: destroy everything of this run in that pool.
pub fn provision_vm(x: &XcpngConfig, vm_id: &str) -> ApiResult<XcpngVm> {
    check(x)?;
    let endpoint = endpoint(x)?;
    let spec = vm_spec(x, vm_id, run_id())?;
    let on_signal = endpoint.clone();
    crate::files::on_signal(&format!("xcpng {}", endpoint.url), move || {
        match Xapi::login(&on_signal)
            .and_then(|mut xapi| provision::destroy_orphans(&mut xapi, &|run| run == run_id(), Duration::from_secs(10)))
        {
            Ok((vms, vdis)) => {
                eprintln!("bioxen: interrupted: destroyed {vms} XCP-ng VMs and {vdis} disks of this run")
            }
            Err(e) => eprintln!("bioxen: interrupted: could not tear down this run's XCP-ng VMs: {e}"),
        }
    });
    let mut xapi = Xapi::login(&endpoint)?;
    let started = std::time::Instant::now();
    let made = provision::provision(&mut xapi, &spec, &|| false)?;
    tracing::info!(
        "XCP-ng VM {} for `{vm_id}` at {} after {:.1} s ({} XAPI calls)",
        made.vm,
        made.ip,
        started.elapsed().as_secs_f64(),
        xapi.calls()
    );
    let host = ssh_host(x, &format!("xcpng-{vm_id}"), &made.ip);
    let mut vm = XcpngVm { endpoint, vm: made.vm, ip: made.ip, host, connector: OnceLock::new(), torn_down: false };
    // Started means reachable: SSH up, the worker there and computing as this build does.
    // (Dropped on failure, so torn down.)
    vm.await_worker(started + spec.ip_timeout)?;
    Ok(vm)
}

impl XcpngVm {
    /// Waits until the VM's worker answers over SSH and passes the handshake (its sshd may
    /// start after its address is known), until `deadline`; what retrying cannot mend (a
    /// host key, a login, a canary that differs) fails at once.
    fn await_worker(&mut self, deadline: std::time::Instant) -> ApiResult<()> {
        let connector = self.connector().map_err(ApiError::Files)?;
        let mut wait = Duration::from_millis(250);
        loop {
            let timeout = Duration::from_secs(10);
            match bioxen_remote::session::probe(&*connector, timeout, Duration::from_secs(60)) {
                Ok(()) => return Ok(()),
                Err((message, retry)) if !retry || std::time::Instant::now() + wait >= deadline => {
                    return Err(ApiError::Remote(format!(
                        "XCP-ng VM {} at {} started, but its worker cannot be used over SSH: {message} \
                         (the VM is torn down)",
                        self.vm, self.ip
                    )));
                }
                Err(_) => std::thread::sleep(wait),
            }
            wait = (wait * 2).min(Duration::from_secs(5));
        }
    }

    /// How to reach its worker over SSH.
    pub fn connector(&self) -> crate::Result<Arc<SshConnector>> {
        if let Some(c) = self.connector.get() {
            return Ok(c.clone());
        }
        let worker = WorkerBinary::resolve(&self.host, None).map_err(crate::Error::BadInput)?;
        let made = Arc::new(SshConnector::new(self.host.clone(), worker, Some(1)).map_err(crate::Error::Failed)?);
        Ok(self.connector.get_or_init(|| made).clone())
    }

    /// Shuts it down and destroys it and its disks.
    pub fn teardown(&mut self) -> Result<(), XapiError> {
        if self.torn_down {
            return Ok(());
        }
        let mut xapi = Xapi::login(&self.endpoint)?;
        provision::teardown(&mut xapi, &self.vm, SHUTDOWN_TIMEOUT)?;
        self.torn_down = true;
        Ok(())
    }
}

impl Drop for XcpngVm {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            tracing::error!("could not tear down XCP-ng VM {}: {e} (`bioxen xcpng destroy --orphans` will)", self.vm);
        }
    }
}

/// The `xcpng_config` of a VM configuration file (JSON or TOML, as
/// [`crate::api::ConfigManager::load_from_file`] reads it), checked.
pub fn config_from_file(path: &Path) -> ApiResult<XcpngConfig> {
    let config = crate::api::ConfigManager::new().load_from_file(path)?;
    let x = config
        .xcpng_config
        .ok_or_else(|| ApiError::Config { at: path.display().to_string(), message: "has no xcpng_config".into() })?;
    check(&x)?;
    Ok(x)
}

/// The pool's templates: `(name label, reference)`, by name.
pub fn templates(x: &XcpngConfig) -> ApiResult<Vec<(String, String)>> {
    let mut xapi = Xapi::login(&endpoint(x)?)?;
    Ok(provision::templates(&mut xapi)?)
}

/// Makes and starts a VM called `name` that is kept (`bioxen xcpng provision`): tagged
/// `kept:NAME`, so that only `destroy --orphans --all` takes it as an orphan. Torn down if
/// this process is interrupted before it is up. Its reference and address.
pub fn provision_kept(x: &XcpngConfig, name: &str) -> ApiResult<(String, String)> {
    let endpoint = endpoint(x)?;
    let mut spec = vm_spec(x, name, &format!("kept:{name}"))?;
    spec.name = name.into();
    let run = spec.run_id.clone();
    let (on_signal, key) = (endpoint.clone(), format!("xcpng kept {name}"));
    crate::files::on_signal(&key, move || {
        if let Ok(mut xapi) = Xapi::login(&on_signal) {
            let _ = provision::destroy_orphans(&mut xapi, &|r| r == run, Duration::from_secs(10));
        }
    });
    let made = Xapi::login(&endpoint).and_then(|mut xapi| provision::provision(&mut xapi, &spec, &|| false));
    crate::files::forget_on_signal(&key);
    let made = made?;
    Ok((made.vm, made.ip))
}

/// Destroys the VM `vm` (a reference) and its disks; one that is not there is an error
/// (XAPI's `HANDLE_INVALID`).
pub fn destroy(x: &XcpngConfig, vm: &str) -> ApiResult<()> {
    let mut xapi = Xapi::login(&endpoint(x)?)?;
    xapi.call("VM.get_power_state", &[serde_json::json!(vm)])?;
    Ok(provision::teardown(&mut xapi, vm, SHUTDOWN_TIMEOUT)?)
}

/// Destroys what crashed runs left in the pool ([`is_orphan`]); how many VMs and disks.
pub fn destroy_orphans(x: &XcpngConfig, any_host: bool) -> ApiResult<(usize, usize)> {
    let mut xapi = Xapi::login(&endpoint(x)?)?;
    Ok(provision::destroy_orphans(&mut xapi, &|run| is_orphan(run, any_host), SHUTDOWN_TIMEOUT)?)
}
