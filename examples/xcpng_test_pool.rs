//! A test XCP-ng pool to try `xcpng` VMs without one: the test XAPI server (real HTTPS on
//! loopback, XAPI's data model) with the template `bioxen-bio-template`, and a real SSH
//! host (Debian's sshd in a network namespace) whose address the pool hands out as every
//! new VM's, where `bioxen worker` runs the VM's cell. Prints the `xcpng_config` to use as
//! one JSON line; with `--serve` it then serves until its standard input closes, and
//! prints how many VMs were left in the pool (the Python tests drive it so).
//!
//! Needs root, openssh-server and `../shared/data/xapi`; says so and exits 0 without them.
//!
//! `cargo run --example xcpng_test_pool [-- --serve]`

#[path = "../tests/common/ssh_host.rs"]
mod ssh_host;

use bioxen_xcpng::test_server::{Faults, TestXapi};
use std::io::Read;
use std::path::PathBuf;

/// The password of the documents' XCP-ng example, so it runs as written.
const PASSWORD: &str = "secure_password";

fn main() {
    let serve = std::env::args().any(|a| a == "--serve");
    let xenapi = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/xapi/xenapi.json");
    if !xenapi.is_file() {
        println!("{}", serde_json::json!({ "skipped": "../shared/data/xapi is absent" }));
        return;
    }
    if !ssh_host::sshd_present() {
        println!("{}", serde_json::json!({ "skipped": "needs root and /usr/sbin/sshd" }));
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = ssh_host::client_key(dir.path());
    let host = ssh_host::TestHost::start(&key);
    let pool = TestXapi::start(&xenapi, "root", PASSWORD);
    pool.add_template("bioxen-bio-template");
    pool.set_faults(Faults { ip: Some(host.address.clone()), polls_before_ip: 1, ..Faults::default() });
    // The worker uploaded to the VM: the `bioxen` built beside this example.
    let exe = std::env::current_exe().expect("this program's path");
    let worker = exe.parent().and_then(|examples| examples.parent()).map(|d| d.join("bioxen"));
    let config = serde_json::json!({
        "xapi_url": pool.url,
        "username": "root",
        "password": PASSWORD,
        "template_name": "bioxen-bio-template",
        "ssh_user": "root",
        "ssh_key_path": key,
        "ssh_known_hosts": host.known_hosts(),
        "tls_fingerprint_sha256": pool.fingerprint,
        "worker_binary": worker,
        "ip_timeout_seconds": 30,
    });
    println!("{config}");
    if serve {
        let mut rest = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut rest);
    }
    println!("{}", serde_json::json!({ "vms_left": pool.vm_count() }));
}
