//! Remote blocks served by real `bioxen worker --stdio` processes (the protocol without
//! SSH): the engine's digest wherever the VMs run, through a worker killed mid-run, and
//! refusals that name the host and leave nothing running.

mod common;
use bioxen::engine::record::hex;
use bioxen::engine::scenario::Scenario;
use bioxen::engine::sim::Simulation;
use bioxen_actors::placement::{Placement, RemoteBlock};
use bioxen_actors::{ActorConfig, ActorRuntime};
use bioxen_remote::link::{ConnectError, Connector, Link, ProcessConnector};
use bioxen_remote::proxy::{ProxyOptions, RemoteProxy};
use common::*;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn worker(name: &str) -> Arc<dyn Connector> {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_bioxen"));
    Arc::new(ProcessConnector::new(name, exe, vec!["worker".into(), "--stdio".into(), "--arbiters".into(), "2".into()]))
}

fn fast() -> ProxyOptions {
    ProxyOptions { backoff: Duration::from_millis(20), checkpoint_every: 7, ..ProxyOptions::default() }
}

fn placed(s: &Scenario, remote: Vec<(Range<usize>, Arc<dyn Connector>)>, options: ProxyOptions) -> [u8; 32] {
    let remote = remote
        .into_iter()
        .map(|(vms, c)| (vms, Box::new(RemoteProxy::new(c, options)) as Box<dyn RemoteBlock>))
        .collect();
    let sim = Simulation::new(s.clone()).unwrap();
    let mut rt = ActorRuntime::start_placed(sim, ActorConfig { arbiters: 2 }, Placement { remote }).unwrap();
    rt.run_ticks(u64::MAX, |_| {}).unwrap();
    rt.digest()
}

/// Every shipped scenario with events, installs and pauses: its blocks split between this
/// process and two workers give the engine's digest.
#[test]
fn blocks_on_workers_give_the_engine_digest() {
    for name in ["quickstart", "contention", "late-arrivals", "circuits"] {
        let mut s = load(&format!("{name}.toml"));
        s.ticks = s.ticks.min(300);
        let n = s.vms.len();
        let expected = hex(&digest(&s, 1));
        let split = vec![(n / 3..2 * n / 3, worker("w1")), (2 * n / 3..n, worker("w2"))];
        assert_eq!(hex(&placed(&s, split, fast())), expected, "{name}: local + two workers");
        assert_eq!(hex(&placed(&s, vec![(0..n, worker("w1"))], fast())), expected, "{name}: all on one worker");
    }
}

/// A connector whose links are cut after a number of ticks' worth of bytes: each new link
/// is a new worker process, killed `after` reads into its life (the first `kills` times).
struct Killer {
    inner: Arc<dyn Connector>,
    kills: AtomicUsize,
}

impl Connector for Killer {
    fn host(&self) -> &str {
        self.inner.host()
    }
    fn connect(&self, timeout: Duration) -> Result<Link, ConnectError> {
        let link = self.inner.connect(timeout)?;
        if self.kills.fetch_sub(1, Ordering::AcqRel) == 0 {
            self.kills.store(0, Ordering::Release);
            return Ok(link);
        }
        // Kill the worker after it has answered some frames: the next tick finds it dead.
        let Link { reader, writer, cut } = link;
        let cut = Arc::new(std::sync::Mutex::new(cut));
        let killer = cut.clone();
        let reader =
            CountingReader { inner: reader, left: 40_000, on_zero: Some(Box::new(move || (killer.lock().unwrap())())) };
        Ok(Link { reader: Box::new(reader), writer, cut: Box::new(move || (cut.lock().unwrap())()) })
    }
}

struct CountingReader {
    inner: Box<dyn std::io::Read + Send>,
    left: usize,
    on_zero: Option<Box<dyn FnOnce() + Send>>,
}

impl std::io::Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.saturating_sub(n);
        if self.left == 0
            && let Some(kill) = self.on_zero.take()
        {
            kill();
        }
        Ok(n)
    }
}

#[test]
fn a_worker_killed_mid_run_is_replaced_and_the_digest_holds() {
    let mut s = load("contention.toml");
    s.ticks = 400;
    let n = s.vms.len();
    let killer = Arc::new(Killer { inner: worker("w1"), kills: AtomicUsize::new(3) });
    assert_eq!(hex(&placed(&s, vec![(n / 2..n, killer.clone())], fast())), hex(&digest(&s, 1)));
    assert_eq!(killer.kills.load(Ordering::Acquire), 0, "three workers were killed and a fourth finished");
}

#[test]
fn a_host_that_cannot_start_its_worker_is_lost_with_its_name() {
    let s = load("quickstart.toml");
    let n = s.vms.len();
    let missing: Arc<dyn Connector> = Arc::new(ProcessConnector::new("ghost", "/nonexistent/bioxen".into(), vec![]));
    let remote = vec![(
        0..n,
        Box::new(RemoteProxy::new(missing, ProxyOptions { retries: 2, ..fast() })) as Box<dyn RemoteBlock>,
    )];
    let mut rt =
        ActorRuntime::start_placed(Simulation::new(s).unwrap(), ActorConfig { arbiters: 1 }, Placement { remote })
            .unwrap();
    let e = rt.run_ticks(u64::MAX, |_| {}).unwrap_err().to_string();
    assert!(e.contains("host `ghost` was lost at tick 0") && e.contains("after 3 attempts"), "{e}");
}

/// A peer at the end of a socket pair, played by this process: it says `hello` (or, with
/// `None`, the raw `bytes`) and then reads until the link is cut.
struct FakeWorker {
    hello: Option<bioxen_remote::handshake::Hello>,
    bytes: Vec<u8>,
    links: AtomicUsize,
}

impl Connector for FakeWorker {
    fn host(&self) -> &str {
        "fake"
    }
    fn connect(&self, _timeout: Duration) -> Result<Link, ConnectError> {
        self.links.fetch_add(1, Ordering::AcqRel);
        let (here, there) = std::os::unix::net::UnixStream::pair().unwrap();
        let (hello, bytes) = (self.hello.clone(), self.bytes.clone());
        let mut write = there.try_clone().unwrap();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            match hello {
                Some(h) => {
                    let _ = bioxen_remote::wire::WireWriter::new(&mut write).and_then(|mut w| w.send(&h));
                }
                None => {
                    let _ = write.write_all(&bytes);
                }
            }
            let _ = (&there).read_to_end(&mut Vec::new());
        });
        let reader = here.try_clone().unwrap();
        let cut_end = here.try_clone().unwrap();
        Ok(Link {
            reader: Box::new(reader),
            writer: Box::new(here),
            cut: Box::new(move || {
                let _ = cut_end.shutdown(std::net::Shutdown::Both);
            }),
        })
    }
}

fn refusal(fake: FakeWorker) -> (String, usize) {
    let s = load("quickstart.toml");
    let n = s.vms.len();
    let fake = Arc::new(fake);
    let options = ProxyOptions { retries: 2, setup_timeout: Duration::from_millis(500), ..fast() };
    let remote = vec![(0..n, Box::new(RemoteProxy::new(fake.clone(), options)) as Box<dyn RemoteBlock>)];
    let sim = Simulation::new(s).unwrap();
    let mut rt = ActorRuntime::start_placed(sim, ActorConfig { arbiters: 1 }, Placement { remote }).unwrap();
    let e = rt.run_ticks(u64::MAX, |_| {}).unwrap_err().to_string();
    (e, fake.links.load(Ordering::Acquire))
}

/// A worker of another version, one whose canary differs, one that never answers and one
/// that answers with garbage: each refused, naming the host and the cause; the first two
/// at once (retrying cannot mend them), the others after their retries.
#[test]
fn workers_that_differ_or_misbehave_are_refused_by_name() {
    use bioxen_remote::handshake::Hello;
    let mut other_version = Hello::ours();
    other_version.engine_version = "0.0.1".into();
    let mut other_canary = Hello::ours();
    other_canary.canary[7] ^= 0x10;
    let fake =
        |hello: Option<Hello>, bytes: &[u8]| FakeWorker { hello, bytes: bytes.to_vec(), links: AtomicUsize::new(0) };
    let cases = [
        ("another version", fake(Some(other_version), b""), "engine version: 0.0.1 there", 1),
        ("another canary", fake(Some(other_canary), b""), "digest of the canary run", 1),
        ("no answer", fake(None, b""), "no hello within", 3),
        ("garbage", fake(None, b"SSH-2.0-not-a-worker\r\n garbage garbage garbage"), "not a BioXen wire stream", 3),
    ];
    for (what, worker, cause, links) in cases {
        let (e, opened) = refusal(worker);
        assert!(e.contains("host `fake` was lost at tick 0") && e.contains(cause), "{what}: {e}");
        assert_eq!(opened, links, "{what}: links opened");
    }
}

/// A connector that keeps a copy of every byte each way (the fuzz target's seeds).
struct Recorder {
    inner: Arc<dyn Connector>,
    sent: Arc<std::sync::Mutex<Vec<u8>>>,
    received: Arc<std::sync::Mutex<Vec<u8>>>,
}

struct Tee<T> {
    inner: T,
    copy: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl<T: std::io::Read> std::io::Read for Tee<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl<T: std::io::Write> std::io::Write for Tee<T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.copy.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Connector for Recorder {
    fn host(&self) -> &str {
        self.inner.host()
    }
    fn connect(&self, timeout: Duration) -> Result<Link, ConnectError> {
        let Link { reader, writer, cut } = self.inner.connect(timeout)?;
        let reader = Tee { inner: reader, copy: self.received.clone() };
        let writer = Tee { inner: writer, copy: self.sent.clone() };
        Ok(Link { reader: Box::new(reader), writer: Box::new(writer), cut })
    }
}

/// Writes the wire fuzz target's seeds: what a coordinator sends a worker and what the
/// worker answers, for a block over 30 ticks (with checkpoints) and for a whole run.
#[test]
#[ignore = "writes fuzz/seeds/wire; run by hand when the protocol changes"]
fn write_the_fuzz_seeds() {
    let dir = root().join("fuzz/seeds/wire");
    let record = |name: &str, work: &dyn Fn(Arc<dyn Connector>)| {
        let (sent, received) = (Arc::default(), Arc::default());
        let recorder = Recorder { inner: worker("seed"), sent: Arc::clone(&sent), received: Arc::clone(&received) };
        work(Arc::new(recorder));
        std::fs::write(dir.join(format!("{name}-to-worker.bin")), &*sent.lock().unwrap()).unwrap();
        std::fs::write(dir.join(format!("{name}-from-worker.bin")), &*received.lock().unwrap()).unwrap();
    };
    let mut s = load("circuits.toml");
    s.ticks = 30;
    let n = s.vms.len();
    record("block", &|c| {
        let options = ProxyOptions { checkpoint_every: 10, ..fast() };
        placed(&s, vec![(0..n, c)], options);
    });
    let mut small = load("quickstart.toml");
    small.ticks = 20;
    record("whole-run", &|c| {
        let mut link = bioxen_remote::farm::RunLink::open(&*c, &fast()).unwrap();
        link.run(&small).unwrap();
    });
}

/// The actors hand their cells over a batch of 4,096 VMs at a time: with local VMs and
/// two workers' blocks each across a batch's edge, every cell comes back in its place, so
/// a snapshot is the engine's state cell for cell and goes on to its digest, a checkpoint
/// written as the cells come is the engine's byte for byte, and a summary made from them
/// is the engine's.
#[test]
fn cells_handed_over_in_batches_each_come_in_their_place() {
    use bioxen::engine::biology::Organism;
    use bioxen::engine::checkpoint;
    use bioxen::engine::policy::PolicyKind;
    use bioxen::metrics::Outcome;
    let s = bioxen::bench::scenario(9000, 6, Organism::Syn3a, PolicyKind::Fair, 5);
    let remote = vec![(0..2000, worker("w1")), (6000..9000, worker("w2"))]
        .into_iter()
        .map(|(vms, c)| (vms, Box::new(RemoteProxy::new(c, fast())) as Box<dyn RemoteBlock>))
        .collect();
    let mut rt = ActorRuntime::start_placed(simulation(&s), ActorConfig { arbiters: 2 }, Placement { remote }).unwrap();
    let mut engine = simulation(&s);
    for _ in 0..3 {
        rt.step().unwrap();
        engine.step().unwrap();
    }
    let host = rt.host_state().unwrap();
    let mut written = checkpoint::Writer::start(Vec::new(), rt.scenario(), &host).unwrap();
    let mut vms = Vec::new();
    rt.cells(|i, cell| {
        written.vm(&host.allocations[i], &cell).unwrap();
        vms.push((cell.lifecycle, cell.stats().clone()));
        Ok::<(), bioxen_actors::ActorError>(())
    })
    .unwrap();
    assert!(written.finish().unwrap() == checkpoint::write(Vec::new(), &engine).unwrap(), "checkpoint bytes");
    let outcome = Outcome { scenario: rt.scenario(), host, vms };
    assert_eq!(bioxen::report::summarise(&outcome, 0, 0.0), bioxen::report::summarise(&engine, 0, 0.0));
    let mut snapshot = rt.snapshot().unwrap();
    rt.stop();
    assert_eq!(snapshot.saved().cells, engine.saved().cells);
    assert_eq!(hex(&snapshot.run(|_, _| {}).unwrap()), hex(&engine.run(|_, _| {}).unwrap()));
}
