//! The hosts file: where remote hosts are and how to reach them. Addresses, users and
//! keys live here, never in a scenario (a scenario may name hosts, not reach them), and
//! no secret lives here either: a password is named by the environment variable or the
//! file that holds it, read only when a connection needs it.
//!
//! ```toml
//! format_version = 1
//! [[host]]
//! name = "lab1"
//! address = "10.0.0.2"
//! user = "bioxen"
//! key = "/home/me/.ssh/id_ed25519"
//! # Host keys are checked against ~/.ssh/known_hosts unless pinned:
//! # host_key = "ssh-ed25519 AAAA…"  (its public key, as `ssh-keyscan` prints it)
//! # arbiters = 4                      (threads for the worker's VMs there; default all cores)
//! ```
//!
//! Host keys are verified by default; accepting any key takes the explicit
//! `insecure_accept_any_host_key = true`, which every run that uses it says aloud.

use bioxen_engine::scenario::{ScenarioError, locate};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// The hosts file's format version.
pub const HOSTS_FORMAT_VERSION: u32 = 1;
/// The most hosts a file may list.
pub const HOSTS_MAX: usize = 256;
/// The longest host name, address, user or path, in bytes.
const FIELD_BYTES_MAX: usize = 4096;
/// The longest host name, in bytes (it appears in every message about the host).
const NAME_BYTES_MAX: usize = 64;

/// One remote host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// Its name: what placement tables and messages call it.
    pub name: String,
    /// Its address: a DNS name or an IP address.
    pub address: String,
    /// The SSH port.
    pub port: u16,
    /// The user to log in as.
    pub user: String,
    /// How to log in.
    pub auth: Auth,
    /// How its host key is checked.
    pub host_key: HostKeyCheck,
    /// The `bioxen` to run there (`None`: the coordinator's own, uploaded if absent).
    pub worker_binary: Option<String>,
    /// Threads for the worker's VM actors there (`None`: all its cores).
    pub arbiters: Option<usize>,
}

/// How to log in to a host. No secret is held: only where to find it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// A private key file (and, if it is encrypted, the environment variable holding its
    /// passphrase).
    Key {
        /// The key file.
        path: String,
        /// The environment variable holding its passphrase.
        passphrase_env: Option<String>,
    },
    /// A password read from this environment variable.
    PasswordEnv(String),
    /// A password read from this file (its first line).
    PasswordFile(String),
}

/// How a host's key is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// Against a known_hosts file (the default: `~/.ssh/known_hosts`).
    KnownHosts(Option<String>),
    /// Against this public key (its base64, without the type or a comment).
    Pinned(String),
    /// Not at all: any key is accepted. Only by an explicit setting, said aloud.
    InsecureAcceptAny,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRepr {
    format_version: Spanned<u32>,
    #[serde(default)]
    host: Vec<Spanned<HostRepr>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostRepr {
    name: Spanned<String>,
    address: Spanned<String>,
    port: Option<Spanned<u32>>,
    user: Spanned<String>,
    key: Option<Spanned<String>>,
    key_passphrase_env: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    known_hosts: Option<Spanned<String>>,
    host_key: Option<Spanned<String>>,
    insecure_accept_any_host_key: Option<Spanned<bool>>,
    worker_binary: Option<Spanned<String>>,
    arbiters: Option<Spanned<u32>>,
}

/// Parses a hosts file's text; `file` names it in errors (`file:line:column: message`).
pub fn parse(text: &str, file: &str) -> Result<Vec<Host>, ScenarioError> {
    let repr: FileRepr = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        locate(text, file, &span, e.message().to_string())
    })?;
    let at = |span: std::ops::Range<usize>, message: String| locate(text, file, &span, message);
    if *repr.format_version.get_ref() != HOSTS_FORMAT_VERSION {
        let found = repr.format_version.get_ref();
        return Err(at(
            repr.format_version.span(),
            format!("hosts format {found}; this bioxen reads {HOSTS_FORMAT_VERSION}"),
        ));
    }
    if repr.host.len() > HOSTS_MAX {
        return Err(at(repr.host[HOSTS_MAX].span(), format!("more than {HOSTS_MAX} hosts")));
    }
    let mut first_at: BTreeMap<String, std::ops::Range<usize>> = BTreeMap::new();
    let mut hosts = Vec::with_capacity(repr.host.len());
    for h in repr.host {
        let span = h.span();
        let host = host(h.into_inner(), span.clone(), &at)?;
        if first_at.insert(host.name.clone(), span.clone()).is_some() {
            return Err(at(span, format!("a second host named `{}`", host.name)));
        }
        hosts.push(host);
    }
    Ok(hosts)
}

/// One `[[host]]` table, checked.
fn host(
    h: HostRepr,
    table: std::ops::Range<usize>,
    at: &impl Fn(std::ops::Range<usize>, String) -> ScenarioError,
) -> Result<Host, ScenarioError> {
    let text = |s: Spanned<String>, what: &str, max: usize| -> Result<String, ScenarioError> {
        let (span, value) = (s.span(), s.into_inner());
        if value.is_empty() || value.len() > max {
            return Err(at(span, format!("{what} must be 1 to {max} bytes")));
        }
        if value.chars().any(char::is_control) {
            return Err(at(span, format!("{what} has a control character")));
        }
        Ok(value)
    };
    let opt = |s: Option<Spanned<String>>, what: &str| s.map(|s| text(s, what, FIELD_BYTES_MAX)).transpose();
    let name = text(h.name, "a host name", NAME_BYTES_MAX)?;
    let port = match h.port {
        None => 22,
        Some(p) => u16::try_from(*p.get_ref())
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| at(p.span(), format!("port must be 1 to 65535, not {}", p.get_ref())))?,
    };
    let logins = Logins {
        key: h.key,
        passphrase_env: h.key_passphrase_env,
        password_env: h.password_env,
        password_file: h.password_file,
    };
    let arbiters = match h.arbiters {
        None => None,
        Some(a) if (1..=256).contains(a.get_ref()) => Some(*a.get_ref() as usize),
        Some(a) => return Err(at(a.span(), format!("arbiters must be 1 to 256, not {}", a.get_ref()))),
    };
    let auth = auth(&name, logins, table, at, &opt)?;
    let host_key = host_key(&name, h.known_hosts, h.host_key, h.insecure_accept_any_host_key, at, &opt)?;
    Ok(Host {
        address: text(h.address, "an address", FIELD_BYTES_MAX)?,
        user: text(h.user, "a user", FIELD_BYTES_MAX)?,
        worker_binary: opt(h.worker_binary, "worker_binary")?,
        arbiters,
        name,
        port,
        auth,
        host_key,
    })
}

type Opt<'a> = &'a dyn Fn(Option<Spanned<String>>, &str) -> Result<Option<String>, ScenarioError>;

/// The ways to log in a host's table gives.
struct Logins {
    key: Option<Spanned<String>>,
    passphrase_env: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
}

/// Exactly one way to log in.
fn auth(
    name: &str,
    logins: Logins,
    table: std::ops::Range<usize>,
    at: &impl Fn(std::ops::Range<usize>, String) -> ScenarioError,
    opt: Opt<'_>,
) -> Result<Auth, ScenarioError> {
    let Logins { key, passphrase_env, password_env, password_file } = logins;
    let given: Vec<_> = [("key", &key), ("password_env", &password_env), ("password_file", &password_file)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v.span())))
        .collect();
    match given.as_slice() {
        [] => {
            return Err(at(table, format!("host `{name}` needs one of key, password_env or password_file")));
        }
        [_, (second, span), ..] => {
            return Err(at(span.clone(), format!("host `{name}`: {second} with another way to log in; give one")));
        }
        [_] => {}
    }
    if let (None, Some(p)) = (&key, &passphrase_env) {
        return Err(at(p.span(), format!("host `{name}`: key_passphrase_env without a key")));
    }
    Ok(match (opt(key, "key")?, opt(password_env, "password_env")?, opt(password_file, "password_file")?) {
        (Some(path), _, _) => Auth::Key { path, passphrase_env: opt(passphrase_env, "key_passphrase_env")? },
        (_, Some(var), _) => Auth::PasswordEnv(var),
        (_, _, Some(file)) => Auth::PasswordFile(file),
        _ => unreachable!("one way to log in was checked above"),
    })
}

/// A host key as ssh-keyscan and `.pub` files give it (`type base64 [comment]`): its
/// base64, what [`HostKeyCheck::Pinned`] holds; `None` if it is not a public key.
pub fn pinned_key(text: &str) -> Option<String> {
    let base64 = text.split_whitespace().nth(1)?;
    russh::keys::parse_public_key_base64(base64).is_ok().then(|| base64.to_string())
}

/// At most one way to check the host's key; known_hosts by default.
fn host_key(
    name: &str,
    known_hosts: Option<Spanned<String>>,
    pinned: Option<Spanned<String>>,
    any: Option<Spanned<bool>>,
    at: &impl Fn(std::ops::Range<usize>, String) -> ScenarioError,
    opt: Opt<'_>,
) -> Result<HostKeyCheck, ScenarioError> {
    let any_span = any.as_ref().filter(|a| *a.get_ref()).map(|a| a.span());
    let ways = usize::from(known_hosts.is_some()) + usize::from(pinned.is_some()) + usize::from(any_span.is_some());
    if ways > 1 {
        let span = any_span.or(pinned.as_ref().map(|p| p.span())).unwrap_or(0..0);
        return Err(at(span, format!("host `{name}`: more than one way to check its host key; give one")));
    }
    let pinned = match pinned {
        None => None,
        Some(p) => match pinned_key(p.get_ref()) {
            Some(base64) => Some(base64),
            None => {
                return Err(at(
                    p.span(),
                    format!(
                        "host `{name}`: host_key must be a public key as ssh-keyscan prints it (`ssh-ed25519 AAAA…`)"
                    ),
                ));
            }
        },
    };
    Ok(match (known_hosts, pinned, any_span) {
        (_, Some(p), _) => HostKeyCheck::Pinned(p),
        (_, _, Some(_)) => HostKeyCheck::InsecureAcceptAny,
        (k, None, None) => HostKeyCheck::KnownHosts(opt(k, "known_hosts")?),
    })
}
