//! The tick's messages are plain serde data: each survives the engine's codec unchanged,
//! and damaged bytes are an error, never a panic — what a remote arbiter will rely on.

use bioxen_actors::messages::{
    Block, Collect, Failed, Fault, Grant, GrantBatch, ReportBatch, Site, StartTick, TickDone, VmChange,
};
use bioxen_engine::codec;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::lifecycle::Transition;
use bioxen_engine::package::Inducer;
use bioxen_engine::record::{EventRecord, VmRecord};
use bioxen_engine::resources::Resources;
use bioxen_engine::scenario::{Action, Allocation, AllocationChange};
use bioxen_engine::tick::CellChange;
use bioxen_engine::tick::TickHead;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::sync::Arc;

fn record(vm: u32, state: Lifecycle) -> VmRecord {
    VmRecord {
        vm,
        state,
        demand: Resources::new(4_000, 300, 40),
        grant: Resources::new(3_000, 250, 40),
        mrna: 120,
        proteins: 77_000,
        mass_aa: 23_000_000,
        proteins_made: 1_234,
        divisions: 1,
    }
}

fn block() -> Block {
    let mut block = Block::default();
    block.push(record(4, Lifecycle::Running));
    block.push(record(5, Lifecycle::Paused));
    block
}

/// Encodes, decodes and compares; then every truncation of the bytes must fail cleanly.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) {
    let bytes = codec::encode(value);
    assert_eq!(&codec::decode::<T>(&bytes).unwrap(), value);
    for len in 0..bytes.len() {
        assert!(codec::decode::<T>(&bytes[..len]).is_err(), "{len} of {} bytes decoded", bytes.len());
    }
}

#[test]
fn every_tick_message_survives_the_codec_and_truncation_is_an_error() {
    let grant = Grant { tick: 7, demand: Resources::new(4_000, 300, 40), grant: Resources::new(3_000, 250, 40) };
    round_trip(&grant);
    round_trip(&Collect { tick: 7 });
    round_trip(&GrantBatch {
        tick: 7,
        grants: vec![(4, grant)],
        lifecycles: vec![Lifecycle::Created, Lifecycle::Running, Lifecycle::Destroyed, Lifecycle::Absent],
        changes: vec![VmChange { vm: 1, change: CellChange::Transcription { unit: 0, on: true } }],
        spare_block: Block::default(),
        spare_demands: Vec::new(),
    });
    round_trip(&ReportBatch {
        tick: 7,
        relay: 1,
        block: block(),
        demands: vec![(4, Resources::new(1, 2, 3))],
        fault: None,
        spent_grants: Vec::new(),
    });
    round_trip(&ReportBatch {
        tick: 7,
        relay: 0,
        block: Block::default(),
        demands: Vec::new(),
        fault: Some(Fault::Panicked(Failed { tick: 7, site: Site::Vm(4), message: "injected failure".into() })),
        spent_grants: vec![(4, grant)],
    });
    let pause = EventRecord { vm: 1, action: Action::Lifecycle(Transition::Pause) };
    let set = EventRecord { vm: 2, action: Action::Set(AllocationChange { weight: Some(9), ..Default::default() }) };
    let create = EventRecord { vm: 3, action: Action::Create([7; 32]) };
    let switch = EventRecord { vm: 0, action: Action::Transcription { unit: 7, on: false } };
    round_trip(&StartTick {
        tick: 7,
        events: vec![pause, set, create, switch],
        lifecycles: Arc::new(vec![Lifecycle::Running; 3]),
        allocations: Arc::new(vec![Allocation::default(); 3]),
        changes: vec![
            VmChange { vm: 0, change: CellChange::Transcription { unit: 7, on: false } },
            VmChange { vm: 0, change: CellChange::Inducer { inducer: Inducer::Iptg, micromolar: 1000.0 } },
            VmChange {
                vm: 0,
                change: CellChange::Install { index: 0, package: bioxen_engine::package::shipped("toggle").unwrap() },
            },
        ],
        spare: vec![block()],
    });
    let head = TickHead { tick: 7, pool: Resources::new(9, 8, 7), atp_store: 5, events: vec![pause, set] };
    round_trip(&TickDone { head: head.clone(), blocks: Ok(vec![block(), Block::default()]) });
    round_trip(&TickDone { head, blocks: Err(Fault::Silent { tick: 7, vm: 5 }) });
}
