//! Remote hosts: serving as a worker (`bioxen worker --stdio`), and running a scenario's
//! VMs on the hosts a hosts file names (`bioxen run --hosts FILE`), each host a block of
//! VMs behind a proxy the scheduler cannot tell from a local relay (see `bioxen_remote`).

use crate::driver::Runner;
use crate::error::{Error, Result};
use crate::files;
use crate::placement::{LOCAL, PlacementTable};
use bioxen_actors::placement::{Placement, RemoteBlock};
use bioxen_engine::scenario::Scenario;
use bioxen_remote::farm::RunLink;
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

/// Puts `sim` on the actor runtime with blocks of its VMs on `hosts` (see
/// [`RemoteHosts::placement`]); the digest is the one any runtime gives.
pub fn on_hosts(
    sim: bioxen_engine::sim::Simulation,
    config: bioxen_actors::ActorConfig,
    hosts: &RemoteHosts,
    table: Option<&PlacementTable>,
) -> Result<Runner> {
    crate::script::check_timeline(sim.scenario())?;
    let placement = hosts.placement(sim.scenario(), table)?;
    Ok(Runner::Actors(Box::new(bioxen_actors::ActorRuntime::start_placed(sim, config, placement)?)))
}

/// Puts `sim` on the actor runtime with each of `remote`'s VMs (index, XCP-ng VM) alone in
/// a block on its XCP-ng VM's worker; the digest is the one any runtime gives.
pub fn on_xcpng_vms(
    sim: bioxen_engine::sim::Simulation,
    config: bioxen_actors::ActorConfig,
    remote: &[(usize, &crate::xcpng::XcpngVm)],
) -> Result<Runner> {
    crate::script::check_timeline(sim.scenario())?;
    let mut blocks = Vec::new();
    for (vm, x) in remote {
        let block: Box<dyn RemoteBlock> = Box::new(RemoteProxy::new(x.connector()?, ProxyOptions::default()));
        blocks.push((*vm..*vm + 1, block));
    }
    let placement = Placement { remote: blocks };
    Ok(Runner::Actors(Box::new(bioxen_actors::ActorRuntime::start_placed(sim, config, placement)?)))
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
        // One connector per host, shared by its blocks (one upload, one SSH runtime).
        let mut connectors: Vec<Option<Arc<SshConnector>>> = vec![None; self.hosts.len()];
        let mut remote = Vec::new();
        let mut start = 0;
        for end in 1..=host_of.len() {
            if end < host_of.len() && host_of[end] == host_of[start] {
                continue;
            }
            if let Some(h) = host_of[start] {
                let connector = match &connectors[h] {
                    Some(c) => c.clone(),
                    None => connectors[h].insert(self.connector(&self.hosts[h])?).clone(),
                };
                let block: Box<dyn RemoteBlock> = Box::new(RemoteProxy::new(connector, self.options));
                remote.push((start..end, block));
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
        let ids: std::collections::BTreeSet<&str> = scenario.vms.iter().map(|v| v.id.as_str()).collect();
        for vm in table.hosts.keys() {
            if !ids.contains(vm.as_str()) {
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

    /// How to reach `host`'s worker.
    fn connector(&self, host: &Host) -> Result<Arc<SshConnector>> {
        let worker = WorkerBinary::resolve(host, self.worker.as_deref()).map_err(Error::BadInput)?;
        Ok(Arc::new(SshConnector::new(host.clone(), worker, self.arbiters).map_err(Error::Failed)?))
    }
}

/// Whole runs farmed out to hosts (`sweep --hosts`, `compare --hosts`), each on one host,
/// so its row is the row a local run gives. A run runs on the host's engine and comes back
/// finished (`bioxen_remote::farm`), over links kept open between runs; a scenario with
/// timeline scripts runs with its VMs there and its scheduler and scripts here instead
/// (scripts run in this process). A host that is lost is set aside and its run goes to
/// another; when every host is lost, the run fails naming the last loss.
pub struct Farm {
    hosts: RemoteHosts,
    connectors: Vec<Arc<SshConnector>>,
    /// Per host: runs it may take at once, its open links, and why it was set aside.
    slots: std::sync::Mutex<Vec<Slot>>,
    freed: std::sync::Condvar,
}

struct Slot {
    free: usize,
    idle: Vec<RunLink>,
    lost: Option<String>,
}

impl Farm {
    /// A farm over `hosts`, each taking `runs_per_host` runs at once.
    pub fn new(hosts: RemoteHosts, runs_per_host: usize) -> Result<Farm> {
        let connectors = hosts.hosts.iter().map(|h| hosts.connector(h)).collect::<Result<_>>()?;
        let slots =
            hosts.hosts.iter().map(|_| Slot { free: runs_per_host.max(1), idle: Vec::new(), lost: None }).collect();
        Ok(Farm { hosts, connectors, slots: std::sync::Mutex::new(slots), freed: std::sync::Condvar::new() })
    }

    /// Runs at once over every host: the parallelism a sweep should use.
    pub fn capacity(&self) -> usize {
        self.lock().iter().map(|s| s.free).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `scenario` to its end on a host and returns the finished simulation.
    pub fn run(&self, scenario: &Scenario) -> Result<bioxen_engine::sim::Simulation> {
        loop {
            let (h, link) = self.take()?;
            let (outcome, link, lost) = if scenario.scripts.is_empty() {
                self.run_whole(h, link, scenario)
            } else {
                let outcome = self.run_placed(h, scenario);
                let lost = match &outcome {
                    Err(Error::Actors(e @ bioxen_actors::ActorError::HostLost { .. })) => Some(e.to_string()),
                    _ => None,
                };
                (outcome, link, lost)
            };
            self.give_back(h, link, lost.clone());
            match lost {
                Some(why) => {
                    tracing::warn!(host = self.hosts.hosts[h].name, "set aside: {why}; its run goes elsewhere")
                }
                None => return outcome,
            }
        }
    }

    /// A whole run on host `h`'s engine, over `link` or a new one; the link is kept if it
    /// still works.
    fn run_whole(
        &self,
        h: usize,
        link: Option<RunLink>,
        scenario: &Scenario,
    ) -> (Result<bioxen_engine::sim::Simulation>, Option<RunLink>, Option<String>) {
        let link = match link {
            Some(l) => Ok(l),
            None => RunLink::open(&*self.connectors[h], &self.hosts.options),
        };
        let mut link = match link {
            Ok(l) => l,
            Err(e) => return (Err(Error::Failed(e.message.clone())), None, Some(e.message)),
        };
        match link.run(scenario) {
            Ok(sim) => (Ok(sim), Some(link), None),
            Err(e) if e.host_lost => (Err(Error::Failed(e.message.clone())), None, Some(e.message)),
            Err(e) => (Err(Error::Failed(e.message)), Some(link), None),
        }
    }

    /// A run with its VMs on host `h` and its scheduler and scripts here.
    fn run_placed(&self, h: usize, scenario: &Scenario) -> Result<bioxen_engine::sim::Simulation> {
        let one = RemoteHosts { hosts: vec![self.hosts.hosts[h].clone()], local: false, ..self.hosts.clone() };
        let sim = bioxen_engine::sim::Simulation::new(scenario.clone())?;
        let mut runner = on_hosts(sim, bioxen_actors::ActorConfig { arbiters: 1 }, &one, None)?;
        runner.run_ticks(u64::MAX, |_| true).outcome?;
        runner.into_simulation()
    }

    /// A host with a free slot (and an open link, if it has one), waiting for one; an
    /// error once every host is lost.
    fn take(&self) -> Result<(usize, Option<RunLink>)> {
        let mut slots = self.lock();
        loop {
            if let Some(h) = slots.iter().position(|s| s.lost.is_none() && s.free > 0) {
                slots[h].free -= 1;
                let link = slots[h].idle.pop();
                return Ok((h, link));
            }
            if slots.iter().all(|s| s.lost.is_some()) {
                let why = slots.iter().filter_map(|s| s.lost.clone()).next_back().unwrap_or_default();
                return Err(Error::Failed(format!("every host was lost; the last: {why}")));
            }
            slots = self.freed.wait(slots).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn give_back(&self, h: usize, link: Option<RunLink>, lost: Option<String>) {
        let mut slots = self.lock();
        slots[h].free += 1;
        slots[h].idle.extend(link);
        if lost.is_some() {
            slots[h].lost = lost;
            slots[h].idle.clear();
        }
        self.freed.notify_all();
    }
}

/// Whether each of `hosts`' workers can be reached and computes as this build does (SSH,
/// the worker started — uploaded if need be — and the handshake's canary run): each
/// host's name and the outcome, in file order.
pub fn check_hosts(hosts: &RemoteHosts) -> Vec<(String, std::result::Result<(), String>)> {
    let options = hosts.options;
    hosts
        .hosts
        .iter()
        .map(|h| {
            let outcome = hosts.connector(h).map_err(|e| e.to_string()).and_then(|c| {
                bioxen_remote::session::probe(&*c, options.connect_timeout, options.setup_timeout).map_err(|e| e.0)
            });
            (h.name.clone(), outcome)
        })
        .collect()
}
