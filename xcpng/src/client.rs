//! A XAPI session: JSON-RPC 2.0 at `<pool>/jsonrpc` over HTTPS. It logs in with a
//! password, logs in again once when XAPI says `SESSION_INVALID`, follows `HOST_IS_SLAVE`
//! to the pool's master, and logs out when dropped. It calls only the methods of
//! [`METHODS`], each with the parameter count XAPI's data model gives it (a test checks
//! the table against `xenapi.json`).

use crate::error::{XapiError, XapiResult};
use crate::json;
use crate::tls::TlsCheck;
use serde_json::{Value, json};
use std::io::Read;
use std::time::Duration;

/// Every method this client calls, with its parameter count (the session included).
pub const METHODS: &[(&str, usize)] = &[
    ("session.login_with_password", 4),
    ("session.logout", 1),
    ("VM.get_all_records", 1),
    ("VM.get_by_name_label", 2),
    ("VM.get_record", 2),
    ("VM.clone", 3),
    ("VM.copy", 4),
    ("VM.provision", 2),
    ("VM.set_is_a_template", 3),
    ("VM.set_name_description", 3),
    ("VM.set_memory", 3),
    ("VM.set_VCPUs_max", 3),
    ("VM.set_VCPUs_at_startup", 3),
    ("VM.add_to_other_config", 4),
    ("VM.get_VIFs", 2),
    ("VM.start", 4),
    ("VM.get_power_state", 2),
    ("VM.get_guest_metrics", 2),
    ("VM_guest_metrics.get_networks", 2),
    ("VM.clean_shutdown", 2),
    ("VM.hard_shutdown", 2),
    ("VM.get_VBDs", 2),
    ("VM.destroy", 2),
    ("VBD.get_record", 2),
    ("VDI.add_to_other_config", 4),
    ("VDI.get_all_records", 1),
    ("VDI.destroy", 2),
    ("VIF.create", 2),
    ("VIF.destroy", 2),
    ("SR.get_by_uuid", 2),
    ("network.get_by_uuid", 2),
    ("pool.get_all", 1),
    ("pool.get_record", 2),
    ("host.get_record", 2),
];

/// The largest answer read (a pool's `VM.get_all_records` included).
const ANSWER_BYTES_MAX: u64 = 64 << 20;
/// `HOST_IS_SLAVE` redirections followed before giving up.
const REDIRECTS_MAX: usize = 3;

/// Where a pool is and how to log in.
#[derive(Clone)]
pub struct Endpoint {
    /// The pool's address, `https://host[:port]` (`/jsonrpc` added).
    pub url: String,
    /// The XAPI user.
    pub username: String,
    /// The password, read from where the configuration says.
    pub password: String,
    /// How the pool's certificate is checked.
    pub tls: TlsCheck,
    /// How long one call may take (connecting included).
    pub timeout: Duration,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("Endpoint").field("url", &self.url).field("username", &self.username).finish()
    }
}

/// A logged-in session.
pub struct Xapi {
    agent: ureq::Agent,
    endpoint: Endpoint,
    /// Where calls go: the master's `/jsonrpc`.
    url: String,
    session: String,
    next_id: u64,
    calls: u64,
}

impl Xapi {
    /// Logs in to the pool (following `HOST_IS_SLAVE` to its master).
    pub fn login(endpoint: &Endpoint) -> XapiResult<Xapi> {
        let url = jsonrpc_url(&endpoint.url)?;
        let agent = ureq::AgentBuilder::new()
            .tls_config(endpoint.tls.client_config()?)
            .timeout_connect(endpoint.timeout.min(Duration::from_secs(10)))
            .timeout(endpoint.timeout)
            .build();
        let mut xapi = Xapi { agent, endpoint: endpoint.clone(), url, session: String::new(), next_id: 0, calls: 0 };
        xapi.log_in()?;
        Ok(xapi)
    }

    fn log_in(&mut self) -> XapiResult<()> {
        for _ in 0..=REDIRECTS_MAX {
            let (user, password) = (self.endpoint.username.clone(), self.endpoint.password.clone());
            let args = [json!(user), json!(password), json!("1.0"), json!("bioxen")];
            match self.request("session.login_with_password", &args, None) {
                Ok(Value::String(session)) => {
                    self.session = session;
                    return Ok(());
                }
                Ok(other) => return Err(self.protocol("session.login_with_password", format!("a session of {other}"))),
                Err(XapiError::Refused { code, params, .. }) if code == "HOST_IS_SLAVE" => {
                    let master = params.first().cloned().unwrap_or_default();
                    tracing::info!("{} is not the pool's master; going to {master}", self.url);
                    self.url = master_url(&self.url, &master)?;
                }
                Err(e) => return Err(e),
            }
        }
        Err(self.protocol("session.login_with_password", "too many HOST_IS_SLAVE redirections".into()))
    }

    /// Calls `method` with the session and `args`; logs in again once if the session has
    /// expired.
    pub fn call(&mut self, method: &str, args: &[Value]) -> XapiResult<Value> {
        self.call_within(method, args, None)
    }

    /// [`Xapi::call`], waiting at most `timeout` (instead of the endpoint's) for it.
    pub fn call_within(&mut self, method: &str, args: &[Value], timeout: Option<Duration>) -> XapiResult<Value> {
        let mut with_session = Vec::with_capacity(args.len() + 1);
        with_session.push(json!(self.session));
        with_session.extend_from_slice(args);
        match self.request(method, &with_session, timeout) {
            Err(e) if e.code() == Some("SESSION_INVALID") => {
                tracing::info!("XAPI session expired; logging in again");
                self.log_in()?;
                with_session[0] = json!(self.session);
                self.request(method, &with_session, timeout)
            }
            other => other,
        }
    }

    /// A call's result as a string (a reference, a UUID, an enum).
    pub fn call_str(&mut self, method: &str, args: &[Value]) -> XapiResult<String> {
        match self.call(method, args)? {
            Value::String(s) => Ok(s),
            other => Err(self.protocol(method, format!("a string expected, {other} given"))),
        }
    }

    /// A call's result as a list of strings (references).
    pub fn call_refs(&mut self, method: &str, args: &[Value]) -> XapiResult<Vec<String>> {
        match self.call(method, args)? {
            Value::Array(items) => Ok(items.iter().map(json::text).collect()),
            other => Err(self.protocol(method, format!("a list expected, {other} given"))),
        }
    }

    /// Calls made so far in this session (logins included).
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// Where calls go.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn protocol(&self, method: &str, message: String) -> XapiError {
        XapiError::Protocol { url: self.url.clone(), method: method.into(), message }
    }

    /// One JSON-RPC request with exactly `params` (the session included) and its answer:
    /// the result, or XAPI's error as a value. Waits `timeout`, else the endpoint's.
    pub fn request(&mut self, method: &str, params: &[Value], timeout: Option<Duration>) -> XapiResult<Value> {
        if !METHODS.contains(&(method, params.len())) {
            return Err(
                self.protocol(method, format!("not a method this client calls with {} parameters", params.len()))
            );
        }
        self.next_id += 1;
        self.calls += 1;
        let request = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": self.next_id});
        let body = self.post(&request.to_string(), timeout)?;
        match read_answer(&body) {
            Ok(Ok(result)) => Ok(result),
            Ok(Err((code, params))) => Err(XapiError::Refused { method: method.into(), code, params }),
            Err(message) => Err(self.protocol(method, message)),
        }
    }

    fn post(&self, body: &str, timeout: Option<Duration>) -> XapiResult<String> {
        let transport = |message: String| XapiError::Transport { url: self.url.clone(), message };
        let mut post = self.agent.post(&self.url).set("Content-Type", "application/json");
        if let Some(t) = timeout {
            post = post.timeout(t);
        }
        let response = match post.send_string(body) {
            Ok(r) => r,
            Err(ureq::Error::Status(code, r)) => {
                return Err(transport(format!("HTTP {code} {}", r.status_text())));
            }
            Err(e) => return Err(transport(e.to_string())),
        };
        let mut text = String::new();
        response
            .into_reader()
            .take(ANSWER_BYTES_MAX + 1)
            .read_to_string(&mut text)
            .map_err(|e| transport(format!("reading the answer: {e}")))?;
        if text.len() as u64 > ANSWER_BYTES_MAX {
            return Err(transport(format!("an answer larger than {ANSWER_BYTES_MAX} bytes")));
        }
        Ok(text)
    }
}

impl Drop for Xapi {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let session = json!(self.session);
            let _ = self.request("session.logout", &[session], None);
        }
    }
}

/// A JSON-RPC answer's text (a peer's: untrusted): its result, or XAPI's error code and
/// parameters; or why it is not an answer.
pub fn read_answer(text: &str) -> Result<Result<Value, (String, Vec<String>)>, String> {
    let answer: Value =
        serde_json::from_str(&json::quote_special_floats(text)).map_err(|e| format!("not JSON: {e}"))?;
    if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
        // XAPI's code is the error's message (`SESSION_INVALID`), its parameters the data.
        let code = error.get("message").map(json::text).unwrap_or_else(|| json::text(error));
        return Ok(Err((code, json::params(error.get("data")))));
    }
    answer.get("result").cloned().map(Ok).ok_or_else(|| "neither a result nor an error".into())
}

/// `https://host[:port][/]` (or already ending in `/jsonrpc`) made the JSON-RPC address;
/// anything but HTTPS is refused (a password crosses it).
pub fn jsonrpc_url(url: &str) -> XapiResult<String> {
    let rest = url.strip_prefix("https://").ok_or_else(|| {
        XapiError::Config(format!("xapi_url `{url}` is not an https:// address (the password would cross it)"))
    })?;
    let host = rest.trim_end_matches('/').trim_end_matches("/jsonrpc");
    if host.is_empty() || host.contains('/') || host.contains('@') {
        return Err(XapiError::Config(format!("xapi_url `{url}` is not https://host[:port]")));
    }
    Ok(format!("https://{host}/jsonrpc"))
}

/// The master's address for `master` (XAPI gives its address alone), on the same port.
fn master_url(current: &str, master: &str) -> XapiResult<String> {
    let authority = current.trim_start_matches("https://").trim_end_matches("/jsonrpc");
    let port = authority.rsplit_once(':').filter(|(_, p)| p.parse::<u16>().is_ok()).map(|(_, p)| p);
    let host = if master.contains(':') && !master.starts_with('[') && master.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{master}]")
    } else {
        master.to_string()
    };
    match port {
        Some(p) => jsonrpc_url(&format!("https://{host}:{p}")),
        None => jsonrpc_url(&format!("https://{host}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_become_jsonrpc_urls_and_only_https_is_taken() {
        assert_eq!(jsonrpc_url("https://xcpng-host:443").unwrap(), "https://xcpng-host:443/jsonrpc");
        assert_eq!(jsonrpc_url("https://pool/").unwrap(), "https://pool/jsonrpc");
        assert_eq!(jsonrpc_url("https://pool/jsonrpc").unwrap(), "https://pool/jsonrpc");
        for bad in ["http://pool", "pool", "https://", "https://user@pool", "https://pool/other/path"] {
            assert!(jsonrpc_url(bad).is_err(), "{bad}");
        }
        assert_eq!(master_url("https://10.0.0.2:8443/jsonrpc", "10.0.0.1").unwrap(), "https://10.0.0.1:8443/jsonrpc");
        assert_eq!(master_url("https://slave/jsonrpc", "fd00::1").unwrap(), "https://[fd00::1]/jsonrpc");
    }
}
