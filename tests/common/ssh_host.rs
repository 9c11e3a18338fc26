//! Real SSH test hosts: Debian's OpenSSH `sshd` in a network namespace joined to this
//! one by a veth pair (or, where namespaces cannot be made, on a 127.0.0.x address).
//! Included by the tests that need one (`#[path] mod ssh_host;`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub const SSHD: &str = "/usr/sbin/sshd";

pub fn sh(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True if the tests can run (sshd present, and root: sshd and network namespaces need
/// it); panics if they must (CI) but cannot.
pub fn sshd_present() -> bool {
    let root = unsafe { libc::geteuid() } == 0;
    let present = Path::new(SSHD).exists() && root;
    if !present {
        assert!(
            std::env::var_os("BIOXEN_REQUIRE_SSHD").is_none(),
            "BIOXEN_REQUIRE_SSHD is set but {SSHD} is absent or this is not root"
        );
        eprintln!("SKIPPED: needs root and {SSHD} (apt-get install openssh-server)");
    }
    present
}

/// A host: sshd in its own network namespace (or on a loopback address).
pub struct TestHost {
    /// Its address, reachable from here.
    pub address: String,
    /// This side of its veth pair, when it has one.
    pub veth: Option<String>,
    pub namespace: Option<String>,
    pub sshd: Child,
    pub dir: tempfile::TempDir,
}

static HOSTS: AtomicU32 = AtomicU32::new(1);

impl TestHost {
    /// A host whose sshd accepts `client_key`'s public half for root.
    pub fn start(client_key: &Path) -> TestHost {
        let n = HOSTS.fetch_add(1, Ordering::Relaxed);
        let id = format!("bx{}{n}", std::process::id() % 100_000);
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert!(sh(&["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d.join("host_key").to_str().unwrap()]));
        std::fs::copy(client_key.with_extension("pub"), d.join("authorized_keys")).unwrap();
        let subnet = 100 + (std::process::id() % 50) as u32;
        let (namespace, veth, address) = if make_namespace(&id, subnet, n) {
            (Some(id.clone()), Some(format!("{id}h")), format!("10.{subnet}.{n}.2"))
        } else {
            eprintln!("NOTE: network namespaces are unavailable; host {n} listens on 127.0.0.{}", n + 1);
            (None, None, format!("127.0.0.{}", n + 1))
        };
        let config = format!(
            "Port 22\nListenAddress {address}\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin yes\nUsePAM no\n\
             Subsystem sftp internal-sftp\nLogLevel ERROR\n",
            d = d.display()
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let mut command = match &namespace {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, SSHD]);
                c
            }
            None => Command::new(SSHD),
        };
        let sshd = command
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let host = TestHost { address, veth, namespace, sshd, dir };
        host.wait_listening();
        host
    }

    pub fn wait_listening(&self) {
        for _ in 0..100 {
            if std::net::TcpStream::connect_timeout(
                &format!("{}:22", self.address).parse().unwrap(),
                Duration::from_millis(200),
            )
            .is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("sshd on {} never listened", self.address);
    }

    /// Waits (up to 10 s) until this host's sshd serves no session: no worker, no login,
    /// is left running there.
    pub fn assert_idle(&self) {
        let pid = self.sshd.id().to_string();
        for _ in 0..100 {
            if !sh(&["pgrep", "-P", &pid]) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("a session is still running on the host at {}", self.address);
    }

    /// Whether a session (a worker, a login) runs on this host now.
    pub fn has_session(&self) -> bool {
        sh(&["pgrep", "-P", &self.sshd.id().to_string()])
    }

    /// A known_hosts file that knows this host's key.
    pub fn known_hosts(&self) -> PathBuf {
        let key = std::fs::read_to_string(self.dir.path().join("host_key.pub")).unwrap();
        let path = self.dir.path().join("known_hosts");
        std::fs::write(&path, format!("{} {key}", self.address)).unwrap();
        path
    }

    /// Its hosts-file entry, `extra` lines added.
    pub fn entry(&self, name: &str, key: &Path, extra: &str) -> String {
        format!(
            "[[host]]\nname = \"{name}\"\naddress = \"{}\"\nuser = \"root\"\nkey = \"{}\"\n{extra}",
            self.address,
            key.display()
        )
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        let _ = self.sshd.kill();
        let _ = self.sshd.wait();
        if let Some(v) = &self.veth {
            sh(&["ip", "link", "del", v]);
        }
        if let Some(ns) = &self.namespace {
            sh(&["ip", "netns", "del", ns]);
        }
    }
}

/// Namespace `id` joined to this one by a veth pair on 10.`subnet`.`n`.0/24.
pub fn make_namespace(id: &str, subnet: u32, n: u32) -> bool {
    let (here, there) = (format!("{id}h"), format!("{id}t"));
    let (a, b) = (format!("10.{subnet}.{n}.1/24"), format!("10.{subnet}.{n}.2/24"));
    let steps: [&[&str]; 8] = [
        &["ip", "netns", "add", id],
        &["ip", "link", "add", &here, "type", "veth", "peer", "name", &there],
        &["ip", "link", "set", &there, "netns", id],
        &["ip", "addr", "add", &a, "dev", &here],
        &["ip", "link", "set", &here, "up"],
        &["ip", "netns", "exec", id, "ip", "addr", "add", &b, "dev", &there],
        &["ip", "netns", "exec", id, "ip", "link", "set", &there, "up"],
        &["ip", "netns", "exec", id, "ip", "link", "set", "lo", "up"],
    ];
    let ok = steps.iter().all(|s| sh(s));
    if !ok {
        sh(&["ip", "link", "del", &here]);
        sh(&["ip", "netns", "del", id]);
    }
    ok
}

pub fn client_key(dir: &Path) -> PathBuf {
    let key = dir.join("id_ed25519");
    assert!(sh(&["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.to_str().unwrap()]));
    key
}
