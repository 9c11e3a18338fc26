//! Remote hosts: serving as a worker (`bioxen worker --stdio`), and running a scenario's
//! VMs on the hosts a hosts file names (`bioxen run --hosts FILE`), each host a block of
//! VMs behind a proxy the scheduler cannot tell from a local relay (see `bioxen_remote`).

use crate::error::{Error, Result};
use crate::files;
use bioxen_actors::placement::{Placement, RemoteBlock};
use bioxen_remote::hosts::{self, Host};
use bioxen_remote::proxy::{ProxyOptions, RemoteProxy};
use bioxen_remote::ssh::{SshConnector, WorkerBinary};
use bioxen_remote::worker::{self, WorkerError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The largest hosts file read.
const HOSTS_FILE_BYTES_MAX: u64 = 1 << 20;

/// Serves one coordinator on standard input and output until it says goodbye: the worker
/// behind every remote host. `arbiters` threads host its VMs.
pub fn serve_worker(arbiters: usize) -> Result<()> {
    let (input, output) = (std::io::stdin().lock(), std::io::stdout().lock());
    worker::serve(input, output, arbiters).map_err(|e| match e {
        // A coordinator that is not ours, or refused: what was given was wrong.
        WorkerError::Handshake(e) => Error::BadInput(e.to_string()),
        e => Error::Failed(e.to_string()),
    })
}

/// The library's host configuration: the hosts, and how a run uses them.
#[derive(Clone, Debug)]
pub struct RemoteHosts {
    /// The hosts, in the order their blocks take the VMs.
    pub hosts: Vec<Host>,
    /// Whether this machine runs a block too (the first).
    pub local: bool,
    /// The worker binary to upload where a host gives no `worker_binary` (`None`: the
    /// `bioxen` beside the running executable).
    pub worker: Option<PathBuf>,
    /// Threads for each worker's actors (`None`: all its cores).
    pub arbiters: Option<usize>,
    /// How the proxies treat their links.
    pub options: ProxyOptions,
}

impl RemoteHosts {
    /// Reads a hosts file (bounded; errors at file:line:column, exit status 2). This
    /// machine runs a block too.
    pub fn load(path: &Path) -> Result<RemoteHosts> {
        let text = files::read_text(path, HOSTS_FILE_BYTES_MAX)?;
        let hosts = hosts::parse(&text, &path.display().to_string())?;
        if hosts.is_empty() {
            return Err(Error::BadInput(format!("{}: no [[host]]", path.display())));
        }
        Ok(RemoteHosts { hosts, local: true, worker: None, arbiters: None, options: ProxyOptions::default() })
    }

    /// The placement of `vms` VMs: contiguous blocks of as equal sizes as can be, in VM
    /// order, this machine's first (when it runs one), then each host's in file order.
    /// Placement never reaches the digest.
    pub fn placement(&self, vms: usize) -> Result<Placement> {
        let parts = self.hosts.len() + usize::from(self.local);
        let start = |k: usize| k * vms / parts;
        let mut remote = Vec::new();
        for (i, host) in self.hosts.iter().enumerate() {
            let k = i + usize::from(self.local);
            let range = start(k)..start(k + 1);
            if range.is_empty() {
                continue;
            }
            let worker = WorkerBinary::resolve(host, self.worker.as_deref()).map_err(Error::BadInput)?;
            let connector = SshConnector::new(host.clone(), worker, self.arbiters).map_err(Error::Failed)?;
            let block: Box<dyn RemoteBlock> = Box::new(RemoteProxy::new(Arc::new(connector), self.options));
            remote.push((range, block));
        }
        Ok(Placement { remote })
    }
}
