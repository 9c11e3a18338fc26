//! A link: a byte stream to one worker (its input and output), however it was reached —
//! an SSH exec channel ([`crate::ssh`]) or a local child process ([`ProcessConnector`]) —
//! and how to cut it.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An open link to a worker.
pub struct Link {
    /// The worker's output.
    pub reader: Box<dyn Read + Send>,
    /// The worker's input.
    pub writer: Box<dyn Write + Send>,
    /// Cuts the link for good (kills the process, closes the channel), so that a read
    /// blocked on it returns and nothing is left running.
    pub cut: Box<dyn FnMut() + Send>,
}

/// How to reach a host's worker.
pub trait Connector: Send + Sync + 'static {
    /// The host's name, for errors and logs.
    fn host(&self) -> &str;

    /// Opens a new link, starting a new worker there, within `timeout`.
    fn connect(&self, timeout: Duration) -> Result<Link, ConnectError>;
}

/// Why a link could not be opened: a sentence naming the host, and whether trying again
/// may help (a host down may come back; a host key that does not match will not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectError {
    /// What failed.
    pub message: String,
    /// Trying again cannot help.
    pub permanent: bool,
}

impl ConnectError {
    /// A failure that may pass.
    pub fn transient(message: impl Into<String>) -> ConnectError {
        ConnectError { message: message.into(), permanent: false }
    }

    /// A failure that will not pass by trying again.
    pub fn permanent(message: impl Into<String>) -> ConnectError {
        ConnectError { message: message.into(), permanent: true }
    }
}

/// A worker started as a child process of this one: `program args…`, speaking on its
/// standard input and output. What the tests of the protocol use, and the shape of what
/// runs on a remote host at the end of an SSH channel.
pub struct ProcessConnector {
    name: String,
    program: PathBuf,
    args: Vec<String>,
}

impl ProcessConnector {
    /// A connector that starts `program args…` and names the host `name`.
    pub fn new(name: &str, program: PathBuf, args: Vec<String>) -> ProcessConnector {
        ProcessConnector { name: name.to_string(), program, args }
    }
}

impl Connector for ProcessConnector {
    fn host(&self) -> &str {
        &self.name
    }

    fn connect(&self, _timeout: Duration) -> Result<Link, ConnectError> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| ConnectError::transient(format!("cannot start {}: {e}", self.program.display())))?;
        let (Some(writer), Some(reader)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(ConnectError::permanent("the worker has no standard streams"));
        };
        let child = Arc::new(Mutex::new(child));
        Ok(Link { reader: Box::new(reader), writer: Box::new(writer), cut: Box::new(move || end(&child)) })
    }
}

/// Gives a child told goodbye a moment to exit, then kills it; reaps it either way.
fn end(child: &Mutex<Child>) {
    if let Ok(mut c) = child.lock() {
        for _ in 0..50 {
            if c.try_wait().is_ok_and(|status| status.is_some()) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = c.kill();
        let _ = c.wait();
    }
}
