//! The coordinator's side of a remote block: a proxy the scheduler addresses exactly as it
//! does a local relay ([`bioxen_actors::placement`]), forwarding each tick's grant batch
//! to a worker over a [`crate::link::Link`] and the worker's report back.
//!
//! The actor only forwards: the link's blocking work runs on the proxy's own thread (the
//! *controller*, which writes) and the link's reader thread (which reads, so that a peer
//! writing while we write never stalls either side).
//!
//! # Faults
//! The controller keeps the block's last in-memory checkpoint (its cells at some tick,
//! taken every [`ProxyOptions::checkpoint_every`] ticks) and the tick orders since. When the
//! link fails — an error, a damaged frame, no answer within [`ProxyOptions::tick_timeout`] —
//! it cuts it, waits (doubling from [`ProxyOptions::backoff`]), opens a new one, restores the
//! block from the checkpoint, replays the orders since (their reports are discarded: the
//! run is deterministic, so they are the ones already passed on) and sends the tick again.
//! After [`ProxyOptions::retries`] failures in a row the block is lost: the tick, and every
//! later one, completes with [`Fault::Lost`] naming the host and what failed last.

use crate::link::Connector;
use crate::protocol::{CELLS_PER_FRAME, FromWorker, Report, Setup, TickOrder, ToWorker};
use crate::session::{Failure, Session};
use actix::{Actor, Context, Handler, Recipient};
use bioxen_actors::messages::{Block, Fault, GrantBatch, ReportBatch};
use bioxen_actors::placement::{BlockSetup, Proxy, RemoteBlock, TakeCells};
use bioxen_engine::cell::Cell;
use bioxen_engine::scenario::{Scenario, frames};
use bioxen_engine::tick::CellChange;
use crossbeam_channel::{Receiver, Sender, unbounded};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// How a proxy treats its link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyOptions {
    /// Ticks between in-memory checkpoints of the block (what a reconnect restores from).
    pub checkpoint_every: u64,
    /// How long to wait for a link to open.
    pub connect_timeout: Duration,
    /// How long to wait for the worker's hello and for it to restore the block.
    pub setup_timeout: Duration,
    /// How long to wait for a tick's report.
    pub tick_timeout: Duration,
    /// Failures in a row before the block is lost.
    pub retries: u32,
    /// The first wait before reconnecting; doubled after each failure, up to 8 s.
    pub backoff: Duration,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        ProxyOptions {
            checkpoint_every: 100,
            connect_timeout: Duration::from_secs(10),
            setup_timeout: Duration::from_secs(60),
            tick_timeout: Duration::from_secs(60),
            retries: 5,
            backoff: Duration::from_millis(500),
        }
    }
}

/// A remote block: a host to reach and how to treat the link.
pub struct RemoteProxy {
    connector: Arc<dyn Connector>,
    options: ProxyOptions,
}

impl RemoteProxy {
    /// A block served by the worker `connector` reaches.
    pub fn new(connector: Arc<dyn Connector>, options: ProxyOptions) -> RemoteProxy {
        RemoteProxy { connector, options }
    }
}

impl RemoteBlock for RemoteProxy {
    fn serve(self: Box<Self>, setup: BlockSetup) -> Proxy {
        let (requests, inbox) = unbounded();
        let BlockSetup { relay, vms, tick, scenario, cells, reports } = setup;
        let mut controller = Controller {
            connector: self.connector,
            options: self.options,
            relay,
            vms,
            scenario,
            reports,
            saved: (tick, cells),
            log: Vec::new(),
            session: None,
            lost: None,
        };
        let name = format!("bioxen-proxy-{relay}");
        let spawned = std::thread::Builder::new().name(name).spawn(move || controller.run(inbox));
        if let Err(e) = spawned {
            tracing::error!("cannot start a proxy thread: {e}");
        }
        let forwarder = Forwarder { requests }.start();
        Proxy { grants: forwarder.clone().recipient(), cells: forwarder.recipient() }
    }
}

/// What the actor hands the controller.
enum Request {
    Tick(GrantBatch),
    Cells(Sender<Result<Vec<Cell>, String>>),
}

/// The actor: forwards to the controller. When the system stops it is dropped, its sender
/// with it, and the controller says goodbye to the worker and ends.
struct Forwarder {
    requests: Sender<Request>,
}

impl Actor for Forwarder {
    type Context = Context<Self>;
}

impl Handler<GrantBatch> for Forwarder {
    type Result = ();

    fn handle(&mut self, m: GrantBatch, _: &mut Context<Self>) {
        let _ = self.requests.send(Request::Tick(m));
    }
}

impl Handler<TakeCells> for Forwarder {
    type Result = ();

    fn handle(&mut self, m: TakeCells, _: &mut Context<Self>) {
        let _ = self.requests.send(Request::Cells(m.reply));
    }
}

/// The proxy's thread: owns the link.
struct Controller {
    connector: Arc<dyn Connector>,
    options: ProxyOptions,
    relay: u32,
    vms: Range<u32>,
    /// The scenario as the block's cells know it: packages installed since the run
    /// started are added as their changes pass, so that a restored cell finds them.
    scenario: Arc<Scenario>,
    reports: Recipient<ReportBatch>,
    /// The last checkpoint: the tick its cells are at, and the cells.
    saved: (u64, Vec<Cell>),
    /// The orders since the checkpoint (each a [`ToWorker::Tick`]), all reported.
    log: Vec<ToWorker>,
    session: Option<Session>,
    /// Set once the block is lost: every later tick fails with it.
    lost: Option<String>,
}

impl Controller {
    fn run(&mut self, inbox: Receiver<Request>) {
        while let Ok(request) = inbox.recv() {
            match request {
                Request::Tick(batch) => self.tick(batch),
                Request::Cells(reply) => {
                    let _ = reply.send(self.take_cells().map_err(|f| self.describe(&f)));
                }
            }
        }
        self.session = None;
    }

    fn describe(&self, f: &Failure) -> String {
        format!("host `{}`: {}", self.connector.host(), f.message)
    }

    /// Runs one tick on the worker and passes its report to the scheduler.
    fn tick(&mut self, batch: GrantBatch) {
        let GrantBatch { tick, grants, lifecycles, changes, .. } = batch;
        for c in &changes {
            if let CellChange::Install { index, package } = &c.change
                && *index as usize == self.scenario.packages.len()
            {
                Arc::make_mut(&mut self.scenario).packages.push(package.clone());
            }
        }
        // Kept as the message it is sent as: it is sent again, unchanged, after a reconnect.
        let order = ToWorker::Tick(TickOrder { tick, grants, lifecycles, changes });
        let report = match &self.lost {
            Some(message) => Err(message.clone()),
            None => self
                .attempt(|s, options| run_order(s, &order, options.tick_timeout))
                .map_err(|f| f.message)
                .and_then(|report| self.check(&order, report).map_err(str::to_string)),
        };
        let batch = match report {
            Ok(batch) => batch,
            Err(message) => {
                self.lost.get_or_insert(message.clone());
                let host = self.connector.host().to_string();
                let fault = Fault::Lost { tick, relay: self.relay, host, message };
                ReportBatch {
                    tick,
                    relay: self.relay,
                    block: Block::default(),
                    demands: Vec::new(),
                    fault: Some(fault),
                    spent_grants: Vec::new(),
                }
            }
        };
        let reported = batch.fault.is_none();
        self.reports.do_send(batch);
        if reported {
            self.log.push(order);
            if self.log.len() as u64 >= self.options.checkpoint_every.max(1) {
                self.checkpoint(tick + 1);
            }
        }
    }

    /// Takes a new in-memory checkpoint; if the link fails meanwhile, the old one and the
    /// log still restore the block, so nothing is lost.
    fn checkpoint(&mut self, tick: u64) {
        if let Ok(cells) = self.take_cells() {
            self.saved = (tick, cells);
            self.log.clear();
        }
    }

    fn take_cells(&mut self) -> Result<Vec<Cell>, Failure> {
        if let Some(message) = &self.lost {
            return Err(Failure { message: message.clone(), retry: false });
        }
        let count = self.vms.len();
        self.attempt(|s, options| {
            s.send(&ToWorker::TakeCells)?;
            s.cells(count, options.tick_timeout)
        })
    }

    /// Runs `work` on the session, opening one first if there is none; on a failure that
    /// may pass, cuts the link, waits and tries again, up to the retries allowed.
    fn attempt<T>(
        &mut self,
        mut work: impl FnMut(&mut Session, &ProxyOptions) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let mut failures = 0u32;
        loop {
            let outcome = match self.session.take() {
                Some(s) => Ok(s),
                None => self.open(),
            }
            .and_then(|mut s| work(&mut s, &self.options).map(|v| (v, s)));
            match outcome {
                Ok((value, session)) => {
                    self.session = Some(session);
                    return Ok(value);
                }
                Err(f) if !f.retry || failures >= self.options.retries => {
                    let message = format!("{} (after {} attempts)", self.describe(&f), failures + 1);
                    return Err(Failure { message, retry: false });
                }
                Err(f) => {
                    tracing::warn!(host = self.connector.host(), "link failed: {}; reconnecting", f.message);
                    let wait = self.options.backoff.saturating_mul(1 << failures.min(4)).min(Duration::from_secs(8));
                    std::thread::sleep(wait);
                    failures += 1;
                }
            }
        }
    }

    /// Opens a link, shakes hands, restores the block from the checkpoint and replays the
    /// orders since.
    fn open(&self) -> Result<Session, Failure> {
        let options = &self.options;
        let mut session = Session::open(&*self.connector, options.connect_timeout, options.setup_timeout)?;
        self.set_up(&mut session)?;
        for order in &self.log {
            run_order(&mut session, order, options.tick_timeout)?;
        }
        Ok(session)
    }

    /// Sends the block: its setup, the scenario, the checkpoint's cells.
    fn set_up(&self, s: &mut Session) -> Result<(), Failure> {
        let (tick, cells) = &self.saved;
        let setup = Setup { relay: self.relay, first: self.vms.start, count: cells.len() as u32, tick: *tick };
        s.send(&ToWorker::Setup(setup))?;
        frames::write(s.tx.frames(), &self.scenario)
            .and_then(|()| s.tx.frames().flush())
            .map_err(|e| Failure::retry(format!("cannot send to the worker: {e}")))?;
        for chunk in cells.chunks(CELLS_PER_FRAME) {
            s.send(&ToWorker::Cells(chunk.to_vec()))?;
        }
        match s.receive(self.options.setup_timeout, "answer to the setup")? {
            FromWorker::Ready => Ok(()),
            FromWorker::Refused(why) => {
                Err(Failure { message: format!("the worker refused the block: {why}"), retry: false })
            }
            _ => Err(Failure::retry("the worker answered the setup with something else")),
        }
    }

    /// Checks a report against its order and makes it the scheduler's: the records are
    /// exactly the block's VMs that exist this tick, in VM order, and are encoded here.
    fn check(&self, order: &ToWorker, report: Report) -> Result<ReportBatch, &'static str> {
        let ToWorker::Tick(order) = order else { return Err("a report for something other than a tick") };
        let Report { tick, records, demands, fault } = report;
        let existing =
            order.lifecycles.iter().enumerate().filter(|(_, l)| l.exists()).map(|(k, _)| self.vms.start + k as u32);
        // A demand for each VM that was granted (every running one), in VM order.
        let fits = tick == order.tick
            && records.len() == existing.clone().count()
            && records.iter().zip(existing).all(|(r, vm)| r.vm == vm && r.state.exists())
            && demands.len() == order.grants.len()
            && demands.iter().zip(&order.grants).all(|(d, g)| d.0 == g.0);
        if !fits && fault.is_none() {
            return Err("the worker's report does not match its tick's order");
        }
        let mut block = Block::default();
        if fault.is_none() {
            records.into_iter().for_each(|r| block.push(r));
        }
        Ok(ReportBatch { tick, relay: self.relay, block, demands, fault, spent_grants: Vec::new() })
    }
}

/// Sends one order ([`ToWorker::Tick`]) and waits for its report.
fn run_order(s: &mut Session, order: &ToWorker, timeout: Duration) -> Result<Report, Failure> {
    s.send(order)?;
    match s.receive(timeout, "report")? {
        FromWorker::Report(r) => Ok(r),
        _ => Err(Failure::retry("the worker answered a tick with something else")),
    }
}
