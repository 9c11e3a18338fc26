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
use crate::protocol::{CELLS_PER_FRAME, FromWorker, Ran, Report, Setup, TickOrder, ToWorker};
use crate::session::{Failure, Session};
use actix::{Actor, Context, Handler, Recipient};
use bioxen_actors::assemble_records;
use bioxen_actors::messages::{Block, Fault, GrantBatch, ReportBatch};
use bioxen_actors::placement::{BlockSetup, Proxy, RemoteBlock, TakeCells};
use bioxen_engine::cell::Cell;
use bioxen_engine::record::VmRecord;
use bioxen_engine::resources::Resources;
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
        let BlockSetup { relay, vms, tick, scenario, cells, latest, reports } = setup;
        let mut controller = Controller {
            connector: self.connector,
            options: self.options,
            relay,
            vms,
            scenario,
            reports,
            saved: (tick, cells),
            latest,
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
    /// The block's VMs' latest records, in VM order (what an idle VM's is made from).
    latest: Vec<VmRecord>,
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

    /// Checks a report against its order and makes it the scheduler's ([`assemble`]).
    fn check(&mut self, order: &ToWorker, report: Report) -> Result<ReportBatch, &'static str> {
        let ToWorker::Tick(order) = order else { return Err("a report for something other than a tick") };
        let Report { tick, ran, fault } = report;
        let (block, demands) = match fault {
            Some(_) => (Block::default(), Vec::new()),
            None if tick != order.tick => return Err("the worker's report is for another tick"),
            None => assemble(self.vms.start, &mut self.latest, order, &ran)?,
        };
        Ok(ReportBatch { tick, relay: self.relay, block, demands, fault, spent_grants: Vec::new() })
    }
}

/// `(VM index, next demand)` of each VM that ran, in VM order.
type Demands = Vec<(u32, Resources)>;

/// The block's records and next demands for `order`, made here as a local relay makes
/// them, from the order, what its running VMs computed (`ran`: one for each grant, in
/// order) and the block's `latest` records (brought up to date).
fn assemble(
    first: u32,
    latest: &mut [VmRecord],
    order: &TickOrder,
    ran: &[Ran],
) -> Result<(Block, Demands), &'static str> {
    let refused = "the worker's report does not match its tick's order";
    if ran.len() != order.grants.len() || order.lifecycles.len() != latest.len() {
        return Err(refused);
    }
    let (mut block, mut demands) = (Block::default(), Vec::with_capacity(ran.len()));
    let mut granted = order.grants.iter().zip(ran);
    let made = |vm: u32| {
        let ((_, grant), ran) = granted.next().filter(|((to, _), _)| *to == vm)?;
        demands.push((vm, ran.next_demand));
        Some(ran.record(vm, grant))
    };
    let assembled = assemble_records(first, latest, &order.lifecycles, made, |r| block.push(r));
    // Every grant answered, by a VM that ran (a grant to an idle VM is left over).
    if assembled.is_err() || granted.next().is_some() {
        return Err(refused);
    }
    Ok((block, demands))
}

/// Sends one order ([`ToWorker::Tick`]) and waits for its report.
fn run_order(s: &mut Session, order: &ToWorker, timeout: Duration) -> Result<Report, Failure> {
    s.send(order)?;
    match s.receive(timeout, "report")? {
        FromWorker::Report(r) => Ok(r),
        _ => Err(Failure::retry("the worker answered a tick with something else")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bioxen_actors::messages::Grant;
    use bioxen_engine::lifecycle::Lifecycle::{self, Paused, Running};

    fn res(n: u64) -> Resources {
        Resources { atp: n * 1000, ribosomes: n, rnap: n / 2 }
    }

    fn record(vm: u32, state: Lifecycle) -> VmRecord {
        VmRecord {
            vm,
            state,
            demand: res(1),
            grant: res(1),
            mrna: vm,
            proteins: 10,
            mass_aa: 20,
            proteins_made: 30,
            divisions: 0,
        }
    }

    fn ran(n: u32) -> Ran {
        Ran { mrna: n, proteins: 100 + n as u64, mass_aa: 7, proteins_made: 8, divisions: 1, next_demand: res(9) }
    }

    fn order(lifecycles: Vec<Lifecycle>, granted: &[u32]) -> TickOrder {
        let grants = granted.iter().map(|&vm| (vm, Grant { tick: 4, demand: res(vm as u64), grant: res(2) })).collect();
        TickOrder { tick: 4, grants, lifecycles, changes: Vec::new() }
    }

    #[test]
    fn records_are_made_from_the_order_the_report_and_the_latest_records() {
        let mut latest: Vec<VmRecord> = (10..13).map(|vm| record(vm, Running)).collect();
        let order = order(vec![Running, Paused, Running], &[10, 12]);
        let (block, demands) = assemble(10, &mut latest, &order, &[ran(1), ran(2)]).expect("matches");
        let expected = vec![
            ran(1).record(10, &order.grants[0].1),
            record(11, Running).idle(Paused),
            ran(2).record(12, &order.grants[1].1),
        ];
        assert_eq!(block.records(), expected.as_slice());
        assert_eq!(latest, expected);
        assert_eq!(expected[0].state, Running);
        assert_eq!((expected[2].demand, expected[2].grant), (res(12), res(2)));
        assert_eq!(demands, vec![(10, res(9)), (12, res(9))]);
    }

    #[test]
    fn a_report_that_does_not_fit_its_order_is_refused() {
        let cases: [(&str, Vec<Lifecycle>, &[u32], usize); 5] = [
            ("one VM's counts missing", vec![Running, Paused, Running], &[10, 12], 1),
            ("counts for a VM that did not run", vec![Running, Paused, Running], &[10, 12], 3),
            ("a grant to an idle VM", vec![Running, Paused, Running], &[10, 11], 2),
            ("grants out of VM order", vec![Running, Paused, Running], &[12, 10], 2),
            ("lifecycles for another block", vec![Running, Running], &[10, 11], 2),
        ];
        for (what, lifecycles, granted, reported) in cases {
            let mut latest: Vec<VmRecord> = (10..13).map(|vm| record(vm, Running)).collect();
            let ran: Vec<Ran> = (0..reported as u32).map(ran).collect();
            let refused = assemble(10, &mut latest, &order(lifecycles, granted), &ran);
            assert!(refused.is_err(), "{what}: accepted");
        }
    }
}
