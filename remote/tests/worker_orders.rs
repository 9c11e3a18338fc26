//! A worker refuses a tick order no scheduler sends — it names the breach and stops —
//! rather than waiting for ever on reports that cannot come (found by the `wire` fuzz
//! target: a grant to one VM twice, or a grant of another tick).

use bioxen_actors::messages::Grant;
use bioxen_engine::lifecycle::Lifecycle::Running;
use bioxen_engine::resources::Resources;
use bioxen_engine::scenario::{self, NoGenomeFiles, frames};
use bioxen_engine::sim::Simulation;
use bioxen_remote::handshake::Hello;
use bioxen_remote::protocol::{FromWorker, Setup, TickOrder, ToWorker};
use bioxen_remote::wire::{WireReader, WireWriter};
use bioxen_remote::worker::{WorkerError, serve};

const SCENARIO: &str = r#"
format_version = 1
[simulation]
seed = 3
ticks = 10
policy = "fair"
[chassis]
kind = "ecoli"
[[vm]]
id = "a"
organism = "syn3a"
[[vm]]
id = "b"
organism = "syn3a"
"#;

/// A coordinator's stream: hello, a block of both VMs, then `orders`.
fn stream(orders: &[TickOrder]) -> Vec<u8> {
    let scenario = scenario::parse(SCENARIO, "s.toml", &mut NoGenomeFiles).unwrap();
    let sim = Simulation::new(scenario.clone()).unwrap();
    let cells = sim.vms().iter().map(|vm| vm.cell()).collect();
    let mut bytes = Vec::new();
    let mut w = WireWriter::new(&mut bytes).unwrap();
    w.send(&Hello::ours()).unwrap();
    w.send(&ToWorker::Setup(Setup { relay: 0, first: 0, count: 2, tick: 0 })).unwrap();
    frames::write(w.frames(), &scenario).unwrap();
    w.send(&ToWorker::Cells(cells)).unwrap();
    for order in orders {
        w.send(&ToWorker::Tick(order.clone())).unwrap();
    }
    w.send(&ToWorker::Bye).unwrap();
    drop(w);
    bytes
}

fn order(tick: u64, grants: &[(u32, u64)]) -> TickOrder {
    let r = Resources { atp: 1_000_000, ribosomes: 50, rnap: 20 };
    let grants = grants.iter().map(|&(vm, t)| (vm, Grant { tick: t, demand: r, grant: r })).collect();
    TickOrder { tick, grants, lifecycles: vec![Running, Running], changes: Vec::new() }
}

#[test]
fn orders_no_scheduler_sends_are_refused_not_waited_on() {
    let good = order(0, &[(0, 0), (1, 0)]);
    serve(stream(std::slice::from_ref(&good)).as_slice(), std::io::sink(), 1).expect("a good order is served");
    let bad = [
        ("one VM granted twice, another not at all", order(1, &[(1, 1), (1, 1)])),
        ("a grant of another tick", order(1, &[(0, 1), (1, 7)])),
        ("a running VM left without a grant", order(1, &[(0, 1)])),
        ("grants out of VM order", order(1, &[(1, 1), (0, 1)])),
    ];
    for (what, order) in bad {
        let served = serve(stream(&[good.clone(), order]).as_slice(), std::io::sink(), 1);
        match served {
            Err(WorkerError::Protocol(message)) => assert!(message.contains("no scheduler sends"), "{what}: {message}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

/// A change a scheduler's gate would refuse (a unit the cell has not, an inducer level it
/// would not take) is refused where the cell is, and the tick reports the VM's failure —
/// never a panic in the worker (the `wire` fuzz target found one: a package that fails
/// the package gate).
#[test]
fn changes_the_gate_would_refuse_are_refused_and_reported() {
    use bioxen_actors::messages::{Fault, VmChange};
    use bioxen_engine::package::Inducer;
    use bioxen_engine::tick::CellChange;
    let bad = [
        ("a unit the cell has not", CellChange::Transcription { unit: 100_000, on: false }),
        ("an inducer level the gate refuses", CellChange::Inducer { inducer: Inducer::Iptg, micromolar: f64::NAN }),
    ];
    for (what, change) in bad {
        let mut order = order(0, &[(0, 0), (1, 0)]);
        order.changes = vec![VmChange { vm: 1, change }];
        let mut out = Vec::new();
        serve(stream(&[order]).as_slice(), &mut out, 1).expect("served");
        let mut r = WireReader::open(out.as_slice(), "the worker").unwrap();
        r.receive::<Hello>("hello").unwrap();
        assert!(matches!(r.receive::<FromWorker>("ready").unwrap(), FromWorker::Ready));
        let FromWorker::Report(report) = r.receive::<FromWorker>("report").unwrap() else { panic!("{what}") };
        match report.fault {
            Some(Fault::Panicked(f)) => assert!(f.message.contains("a change refused"), "{what}: {}", f.message),
            other => panic!("{what}: {other:?}"),
        }
    }
}
