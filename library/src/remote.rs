//! Remote hosts: serving as a worker (`bioxen worker --stdio`), and running a scenario's
//! VMs on the hosts a hosts file names (`bioxen run --hosts FILE`), each host a block of
//! VMs behind a proxy the scheduler cannot tell from a local relay (see `bioxen_remote`).

use crate::error::{Error, Result};
use crate::files;
use crate::placement::{LOCAL, PlacementTable};
use bioxen_actors::placement::{Placement, RemoteBlock};
use bioxen_engine::scenario::Scenario;
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
    // Standard output flushes at every newline byte; a message is flushed whole instead.
    let (input, output) =
        (std::io::stdin().lock(), std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock()));
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

    /// The placement of `scenario`'s VMs: by its placement table when it has one (each
    /// run of consecutive VMs on one host a block; unlisted VMs here), else contiguous
    /// blocks of as equal sizes as can be, this machine's first (when it runs one), then
    /// each host's in file order. Placement never reaches the digest.
    pub fn placement(&self, scenario: &Scenario, table: Option<&PlacementTable>) -> Result<Placement> {
        let host_of = match table {
            Some(t) => self.host_of_each(scenario, t)?,
            None => self.even(scenario.vms.len()),
        };
        let mut remote = Vec::new();
        let mut start = 0;
        for end in 1..=host_of.len() {
            if end < host_of.len() && host_of[end] == host_of[start] {
                continue;
            }
            if let Some(h) = host_of[start] {
                remote.push((start..end, self.block(&self.hosts[h])?));
            }
            start = end;
        }
        Ok(Placement { remote })
    }

    /// Each VM's host (`None`: here) in the even split.
    fn even(&self, vms: usize) -> Vec<Option<usize>> {
        let parts = self.hosts.len() + usize::from(self.local);
        (0..vms).map(|i| (i * parts / vms.max(1)).checked_sub(usize::from(self.local))).collect()
    }

    /// Each VM's host as the table says (unlisted: here); a VM or host it names that does
    /// not exist is an error naming it.
    fn host_of_each(&self, scenario: &Scenario, table: &PlacementTable) -> Result<Vec<Option<usize>>> {
        for vm in table.hosts.keys() {
            if !scenario.vms.iter().any(|v| &v.id == vm) {
                return Err(Error::BadInput(format!(
                    "the placement table names VM `{vm}`, which the scenario has not"
                )));
            }
        }
        scenario
            .vms
            .iter()
            .map(|v| match table.hosts.get(&v.id).map(String::as_str) {
                None | Some(LOCAL) => Ok(None),
                Some(name) => self.hosts.iter().position(|h| h.name == name).map(Some).ok_or_else(|| {
                    Error::BadInput(format!(
                        "the placement table puts VM `{}` on host `{name}`, which the hosts file has not",
                        v.id
                    ))
                }),
            })
            .collect()
    }

    /// A block's proxy for `host`.
    fn block(&self, host: &Host) -> Result<Box<dyn RemoteBlock>> {
        let worker = WorkerBinary::resolve(host, self.worker.as_deref()).map_err(Error::BadInput)?;
        let connector = SshConnector::new(host.clone(), worker, self.arbiters).map_err(Error::Failed)?;
        Ok(Box::new(RemoteProxy::new(Arc::new(connector), self.options)))
    }
}
