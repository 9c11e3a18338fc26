//! Links over SSH (async-ssh2-tokio, on russh with ring): log in as the hosts file says,
//! check the host key, make sure the worker binary is there (uploading this one over SFTP
//! into a per-user cache and checking its hash), and run `bioxen worker --stdio` on an
//! exec channel without a PTY. The channel's two halves are read and written from two
//! threads through blocking bridges, so that SSH's flow control never waits on a side
//! that is itself waiting.

use crate::hosts::{Auth, Host, HostKeyCheck};
use crate::link::{ConnectError, Connector, Link};
use async_ssh2_tokio::client::{AuthMethod, Client, ServerCheckMethod};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio_util::io::SyncIoBridge;

/// The longest password read from a file.
const PASSWORD_BYTES_MAX: u64 = 4096;
/// The longest an upload of the worker may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);
/// The largest worker binary uploaded.
const WORKER_BYTES_MAX: u64 = 1 << 30;

/// Where the worker comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkerBinary {
    /// Already on the host, at this path.
    There(String),
    /// This local Linux x86_64 binary, uploaded into the user's cache on the host when it
    /// is not there yet.
    Upload(PathBuf),
}

impl WorkerBinary {
    /// The host's `worker_binary` if the hosts file gives one, else `local` uploaded, else
    /// the `bioxen` beside the running executable (itself, when it is `bioxen`); refused
    /// when there is none (from Python, the running executable is the interpreter).
    pub fn resolve(host: &Host, local: Option<&Path>) -> Result<WorkerBinary, String> {
        if let Some(there) = &host.worker_binary {
            return Ok(WorkerBinary::There(there.clone()));
        }
        if let Some(local) = local {
            return Ok(WorkerBinary::Upload(local.to_path_buf()));
        }
        let exe = std::env::current_exe().map_err(|e| format!("cannot find the running executable: {e}"))?;
        let beside = exe.with_file_name("bioxen");
        if beside.is_file() {
            return Ok(WorkerBinary::Upload(beside));
        }
        Err(format!(
            "host `{}`: no worker binary: give worker_binary in the hosts file, or run a `bioxen` \
             with its binary beside it ({} has none)",
            host.name,
            exe.display()
        ))
    }
}

/// Opens links to one host's workers over SSH.
pub struct SshConnector {
    host: Host,
    worker: WorkerBinary,
    /// Threads for the worker's actors there (`None`: all its cores).
    arbiters: Option<usize>,
    runtime: Arc<Runtime>,
    /// Where the uploaded worker is there, once it is.
    uploaded: tokio::sync::Mutex<Option<String>>,
}

impl SshConnector {
    /// A connector to `host`, running `worker` there with `arbiters` threads.
    pub fn new(host: Host, worker: WorkerBinary, arbiters: Option<usize>) -> Result<SshConnector, String> {
        if host.host_key == HostKeyCheck::InsecureAcceptAny {
            tracing::warn!(host = host.name, "INSECURE: any host key is accepted (insecure_accept_any_host_key)");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("bioxen-ssh")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the SSH runtime: {e}"))?;
        Ok(SshConnector { host, worker, arbiters, runtime: Arc::new(runtime), uploaded: tokio::sync::Mutex::new(None) })
    }

    /// How to log in: the secret read now, from where the hosts file says, never stored.
    fn auth(&self) -> Result<AuthMethod, ConnectError> {
        let env = |var: &str| {
            std::env::var(var)
                .map_err(|_| ConnectError::permanent(format!("the environment variable {var} is not set")))
        };
        Ok(match &self.host.auth {
            Auth::Key { path, passphrase_env } => {
                let passphrase = passphrase_env.as_deref().map(env).transpose()?;
                AuthMethod::with_key_file(path, passphrase.as_deref())
            }
            Auth::PasswordEnv(var) => AuthMethod::with_password(&env(var)?),
            Auth::PasswordFile(file) => {
                let mut text = String::new();
                std::fs::File::open(file)
                    .and_then(|f| f.take(PASSWORD_BYTES_MAX).read_to_string(&mut text))
                    .map_err(|e| ConnectError::permanent(format!("cannot read the password file {file}: {e}")))?;
                AuthMethod::with_password(text.lines().next().unwrap_or_default())
            }
        })
    }

    fn server_check(&self) -> ServerCheckMethod {
        match &self.host.host_key {
            HostKeyCheck::KnownHosts(None) => ServerCheckMethod::DefaultKnownHostsFile,
            HostKeyCheck::KnownHosts(Some(file)) => ServerCheckMethod::KnownHostsFile(file.clone()),
            HostKeyCheck::Pinned(key) => ServerCheckMethod::PublicKey(key.clone()),
            HostKeyCheck::InsecureAcceptAny => ServerCheckMethod::NoCheck,
        }
    }

    async fn open(&self, timeout: Duration) -> Result<Link, ConnectError> {
        let h = &self.host;
        // A tick is a small request and a small answer: Nagle's algorithm would hold each
        // back waiting for an acknowledgement.
        // Keepalives find a link that died silently (a cable pulled, a host gone) while a
        // long whole run waits for its answer.
        let config = russh::client::Config {
            nodelay: true,
            keepalive_interval: Some(Duration::from_secs(15)),
            keepalive_max: 4,
            ..Default::default()
        };
        let address = (h.address.as_str(), h.port);
        let connecting = Client::connect_with_config(address, &h.user, self.auth()?, self.server_check(), config);
        let client = tokio::time::timeout(timeout, connecting)
            .await
            .map_err(|_| {
                ConnectError::transient(format!(
                    "no SSH connection to {}:{} within {} s",
                    h.address,
                    h.port,
                    timeout.as_secs()
                ))
            })?
            .map_err(|e| describe(&e))?;
        let program = match &self.worker {
            WorkerBinary::There(path) => path.clone(),
            WorkerBinary::Upload(local) => {
                // One upload at a time per host, and once: links opened together wait for
                // the first, later ones reuse its path.
                let mut uploaded = self.uploaded.lock().await;
                match &*uploaded {
                    Some(path) => path.clone(),
                    None => {
                        let path = tokio::time::timeout(UPLOAD_TIMEOUT, upload(&client, local))
                            .await
                            .map_err(|_| ConnectError::transient("the worker's upload took over 10 minutes"))??;
                        *uploaded = Some(path.clone());
                        path
                    }
                }
            }
        };
        let starting = async {
            let channel = client.get_channel().await.map_err(|e| describe(&e))?;
            channel
                .exec(true, command_for(&program, h.arbiters.or(self.arbiters)))
                .await
                .map_err(|e| ConnectError::transient(format!("cannot start the worker: {e}")))?;
            Ok::<_, ConnectError>(channel)
        };
        let channel = tokio::time::timeout(timeout, starting).await.map_err(|_| {
            ConnectError::transient(format!("the worker did not start within {} s", timeout.as_secs()))
        })??;
        let (reader, writer) = tokio::io::split(channel.into_stream());
        let handle = self.runtime.handle().clone();
        let reader =
            InRuntime { inner: Some(SyncIoBridge::new_with_handle(reader, handle.clone())), handle: handle.clone() };
        let writer =
            InRuntime { inner: Some(SyncIoBridge::new_with_handle(writer, handle.clone())), handle: handle.clone() };
        let cut = move || {
            let client = client.clone();
            // Closing the connection ends the channel; sshd then ends the worker.
            handle.spawn(async move { client.disconnect().await });
        };
        Ok(Link { reader: Box::new(reader), writer: Box::new(writer), cut: Box::new(cut) })
    }
}

impl Connector for SshConnector {
    fn host(&self) -> &str {
        &self.host.name
    }

    /// Each step is bounded by `timeout` (the connection, starting the worker), an
    /// upload of the worker by 10 minutes.
    fn connect(&self, timeout: Duration) -> Result<Link, ConnectError> {
        self.runtime.block_on(self.open(timeout))
    }
}

/// An async-ssh2-tokio error as a sentence; refusals that retrying cannot mend are
/// permanent.
fn describe(e: &async_ssh2_tokio::Error) -> ConnectError {
    use async_ssh2_tokio::Error as E;
    match e {
        E::ServerCheckFailed | E::SshError(russh::Error::UnknownKey) => ConnectError::permanent(
            "its host key is not the one expected (known_hosts or the pinned host_key): refused",
        ),
        E::KeyAuthFailed | E::PasswordWrong => ConnectError::permanent(format!("login refused: {e}")),
        E::KeyInvalid(_) => ConnectError::permanent(format!("the key cannot be used: {e}")),
        _ => ConnectError::transient(format!("SSH: {e}")),
    }
}

/// The command that starts the worker there.
fn command_for(program: &str, arbiters: Option<usize>) -> String {
    let mut command = format!("exec {} worker --stdio", quote(program));
    if let Some(n) = arbiters {
        command.push_str(&format!(" --arbiters {n}"));
    }
    command
}

/// A word for a POSIX shell: single-quoted.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Makes sure this worker binary is in the user's cache on the host (named by its hash,
/// checked by the host's `sha256sum`), uploading it over SFTP when it is not; returns its
/// path there.
async fn upload(client: &Client, local: &Path) -> Result<String, ConnectError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| ConnectError::transient(format!("{what}: {e}"));
    let platform = run(client, "uname -sm").await?;
    if platform.trim() != "Linux x86_64" || !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return Err(ConnectError::permanent(format!(
            "uploading the worker needs Linux x86_64 on both sides (the host is {}); give worker_binary",
            platform.trim()
        )));
    }
    let hash = sha256_file(local).map_err(|e| ConnectError::permanent(format!("{}: {e}", local.display())))?;
    let dir = ".cache/bioxen/workers";
    let path = format!("{dir}/bioxen-{}", &hash[..32]);
    let check = |out: &str| out.split_whitespace().next() == Some(hash.as_str());
    if check(&run(client, &format!("sha256sum {} 2>/dev/null || true", quote(&path))).await?) {
        return Ok(path);
    }
    run(client, &format!("mkdir -p {dir} && chmod 700 .cache/bioxen")).await?;
    // A name of this upload's own: several coordinators (or hosts sharing a home) may
    // upload at once.
    static UPLOADS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = UPLOADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let partial = format!("{path}.{}-{n}.part", std::process::id());
    let source = local.display().to_string();
    client
        .upload_file(source, partial.clone(), Some(60), Some(1 << 18), false)
        .await
        .map_err(|e| failed("SFTP", &e))?;
    let out = run(client, &format!("chmod 700 {p} && sha256sum {p}", p = quote(&partial))).await?;
    if !check(&out) {
        return Err(ConnectError::transient("the uploaded worker's hash differs from ours"));
    }
    run(client, &format!("mv -f {} {}", quote(&partial), quote(&path))).await?;
    Ok(path)
}

/// Runs a command of ours on the host; its output, or an error if it failed.
async fn run(client: &Client, command: &str) -> Result<String, ConnectError> {
    let r = client.execute(command).await.map_err(|e| ConnectError::transient(format!("SSH: {e}")))?;
    if r.exit_status != 0 {
        return Err(ConnectError::transient(format!("`{command}` failed there: {}", r.stderr.trim())));
    }
    Ok(r.stdout)
}

/// The SHA-256 of a file, in hex.
fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?.take(WORKER_BYTES_MAX);
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// A channel half used from a plain thread, dropped inside the SSH runtime (russh's
/// channel halves need its reactor when they close).
struct InRuntime<T> {
    inner: Option<T>,
    handle: tokio::runtime::Handle,
}

impl<T: std::io::Read> std::io::Read for InRuntime<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.as_mut().map_or(Ok(0), |r| r.read(buf))
    }
}

impl<T: std::io::Write> std::io::Write for InRuntime<T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.as_mut().map_or(Ok(0), |w| w.write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.as_mut().map_or(Ok(()), |w| w.flush())
    }
}

impl<T> Drop for InRuntime<T> {
    fn drop(&mut self) {
        let _inside = self.handle.enter();
        self.inner = None;
    }
}
