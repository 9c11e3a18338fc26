//! The hosts file: what it accepts, and a table of what it refuses, each refusal placed
//! at its file:line:column.

use bioxen_remote::hosts::{Auth, Host, HostKeyCheck, parse};

const GOOD: &str = r#"format_version = 1

[[host]]
name = "lab1"
address = "10.0.0.2"
user = "bioxen"
key = "/home/me/.ssh/id_ed25519"

[[host]]
name = "lab2"
address = "lab2.example.org"
port = 2222
user = "sim"
password_env = "LAB2_PASSWORD"
host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOKOfuoDfX5qWYrTdDWE5VWfV5HXpkY2CMKBf6eHhl4u test"
worker_binary = "/opt/bioxen/bin/bioxen"
"#;

#[test]
fn a_hosts_file_parses_with_safe_defaults() {
    let hosts = parse(GOOD, "hosts.toml").unwrap();
    assert_eq!(
        hosts[0],
        Host {
            name: "lab1".into(),
            address: "10.0.0.2".into(),
            port: 22,
            user: "bioxen".into(),
            auth: Auth::Key { path: "/home/me/.ssh/id_ed25519".into(), passphrase_env: None },
            // Verified against known_hosts unless told otherwise.
            host_key: HostKeyCheck::KnownHosts(None),
            worker_binary: None,
            arbiters: None,
        }
    );
    assert_eq!(hosts[1].port, 2222);
    assert_eq!(hosts[1].auth, Auth::PasswordEnv("LAB2_PASSWORD".into()));
    assert!(matches!(hosts[1].host_key, HostKeyCheck::Pinned(_)));
    let insecure = GOOD.replace(
        "host_key = \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOKOfuoDfX5qWYrTdDWE5VWfV5HXpkY2CMKBf6eHhl4u test\"",
        "insecure_accept_any_host_key = true",
    );
    assert_eq!(parse(&insecure, "hosts.toml").unwrap()[1].host_key, HostKeyCheck::InsecureAcceptAny);
}

#[test]
fn bad_hosts_files_are_refused_where_they_are_wrong() {
    let host =
        |extra: &str| format!("format_version = 1\n[[host]]\nname = \"h\"\naddress = \"a\"\nuser = \"u\"\n{extra}");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "a password in the file",
            host("key = \"k\"\npassword = \"hunter2\"\n"),
            "hosts.toml:7:1: unknown field `password`",
        ),
        ("no way to log in", host(""), "hosts.toml:2:1: host `h` needs one of key, password_env or password_file"),
        (
            "two ways to log in",
            host("key = \"k\"\npassword_env = \"P\"\n"),
            "hosts.toml:7:16: host `h`: password_env with another way",
        ),
        (
            "a passphrase without a key",
            host("password_file = \"f\"\nkey_passphrase_env = \"P\"\n"),
            "hosts.toml:7:22: host `h`: key_passphrase_env without a key",
        ),
        ("port 0", host("key = \"k\"\nport = 0\n"), "hosts.toml:7:8: port must be 1 to 65535, not 0"),
        ("port 70000", host("key = \"k\"\nport = 70000\n"), "port must be 1 to 65535, not 70000"),
        (
            "a host key that is not one",
            host("key = \"k\"\nhost_key = \"MD5:aa\"\n"),
            "hosts.toml:7:12: host `h`: host_key must be a public key",
        ),
        (
            "pinned and any",
            host(
                "key = \"k\"\nhost_key = \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOKOfuoDfX5qWYrTdDWE5VWfV5HXpkY2CMKBf6eHhl4u test\"\ninsecure_accept_any_host_key = true\n",
            ),
            "more than one way to check its host key",
        ),
        (
            "an empty name",
            host("key = \"k\"\n").replace("name = \"h\"", "name = \"\""),
            "hosts.toml:3:8: a host name must be 1 to 64 bytes",
        ),
        (
            "a control character",
            host("key = \"k\"\n").replace("user = \"u\"", "user = \"u\\u0007\""),
            "hosts.toml:5:8: a user has a control character",
        ),
        (
            "another format",
            host("key = \"k\"\n").replace("format_version = 1", "format_version = 2"),
            "hosts.toml:1:18: hosts format 2; this bioxen reads 1",
        ),
        (
            "a name twice",
            format!("{}[[host]]\nname = \"h\"\naddress = \"b\"\nuser = \"u\"\nkey = \"k\"\n", host("key = \"k\"\n")),
            "hosts.toml:7:1: a second host named `h`",
        ),
        ("not TOML", "format_version = = 1".into(), "hosts.toml:1:18:"),
    ];
    for (name, text, message) in cases {
        let e = parse(&text, "hosts.toml").err().unwrap_or_else(|| panic!("{name}: accepted")).to_string();
        assert!(e.contains(message), "{name}: expected `{message}` in `{e}`");
        // A password given in the file is refused by the field's name, never echoed.
        assert!(!e.contains("hunter2"), "{name}: a secret was echoed: {e}");
    }
}
