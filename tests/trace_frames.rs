//! A tick of more VMs than one trace frame holds is split over continuation frames
//! (trace format 7, and 8 inside compressed blocks): written and read back whole, at every
//! boundary, and (in a version 7 trace) a continuation where a tick should start is
//! refused.

use bioxen::bench;
use bioxen_engine::biology::Organism;
use bioxen_engine::codec::FrameWriter;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::policy::PolicyKind;
use bioxen_engine::record::{TickRecord, VmRecord};
use bioxen_engine::resources::Resources;
use bioxen_engine::trace::{TraceReader, TraceWriter, VMS_PER_FRAME};
use serde::Serialize;

fn record(tick: u64, vms: usize) -> TickRecord {
    let vm = |i: usize| VmRecord {
        vm: i as u32,
        state: Lifecycle::Running,
        demand: Resources::new(i as u64, 2, 3),
        grant: Resources::new(1, tick, 1),
        mrna: 7,
        proteins: i as u64 * 3,
        mass_aa: 11,
        proteins_made: tick,
        divisions: 0,
    };
    TickRecord {
        tick,
        pool: Resources::new(5, 6, 7),
        atp_store: 9,
        events: Vec::new(),
        vms: (0..vms).map(vm).collect(),
    }
}

#[test]
fn ticks_of_more_records_than_a_frame_holds_read_back_whole() {
    let n = 2 * VMS_PER_FRAME + 5;
    let scenario = bench::scenario(n as u32, 6, Organism::Syn3a, PolicyKind::Fair, 1);
    // Below, exactly at, one past, exactly two frames' worth, past two, and a small one
    // last: every way a tick's records can end against its frames.
    let sizes = [3, VMS_PER_FRAME, VMS_PER_FRAME + 1, 2 * VMS_PER_FRAME, n, 1];
    let mut writer = TraceWriter::new(Vec::new(), &scenario).unwrap();
    for (tick, &size) in sizes.iter().enumerate() {
        writer.write(&record(tick as u64, size)).unwrap();
    }
    let bytes = writer.finish([4; 32]).unwrap();
    let mut reader = TraceReader::new(bytes.as_slice(), "t.bxtr").unwrap();
    for (tick, &size) in sizes.iter().enumerate() {
        let read = reader.next_tick().unwrap().unwrap();
        assert_eq!(read, record(tick as u64, size), "tick {tick} of {size} records");
    }
    let end = reader.next_tick().unwrap().unwrap_err();
    assert_eq!((end.ticks, end.digest), (6, [4; 32]));
}

/// The trace's frames after its scenario, as the format defines them.
#[derive(Serialize)]
enum Frame {
    Tick(TickRecord),
    End { ticks: u64, digest: [u8; 32] },
    More(Vec<VmRecord>),
}

fn trace_of(frames: &[Frame], vms: usize) -> Vec<u8> {
    let scenario = bench::scenario(vms as u32, 6, Organism::Syn3a, PolicyKind::Fair, 1);
    // The header and the scenario as the writer makes them, then `frames`.
    let head = TraceWriter::new(Vec::new(), &scenario).unwrap().finish([0; 32]).unwrap();
    let version = bioxen_engine::trace::TRACE_FORMAT_VERSION;
    let mut reader =
        bioxen_engine::codec::FrameReader::open(head.as_slice(), "t", "BioXen trace", b"BIOXENTR", version).unwrap();
    let mut out = FrameWriter::new(Vec::new(), b"BIOXENTR", 7).unwrap();
    let mut payloads = Vec::new();
    while let Some(p) = reader.next_payload().unwrap() {
        payloads.push(p);
    }
    payloads.pop(); // the block holding the closing frame
    for p in payloads {
        out.frame(&p).unwrap();
    }
    for f in frames {
        out.value(f).unwrap();
    }
    out.finish().unwrap()
}

#[test]
fn continuation_frames_out_of_place_are_refused() {
    let n = VMS_PER_FRAME + 10;
    let small = record(0, 3);
    let cases = [
        (vec![Frame::Tick(small.clone()), Frame::More(vec![record(0, 4).vms[3]])], "where tick record 1 should start"),
        (vec![Frame::More(small.vms.clone())], "where tick record 0 should start"),
        (vec![Frame::Tick(record(0, VMS_PER_FRAME)), Frame::More(Vec::new())], "a continuation of 0 VM records"),
        (
            vec![Frame::Tick(record(0, VMS_PER_FRAME)), Frame::More(record(0, VMS_PER_FRAME + 1).vms)],
            "a continuation of 262145 VM records",
        ),
        (vec![Frame::Tick(record(0, VMS_PER_FRAME))], "ends where a tick record should be"),
    ];
    for (frames, message) in cases {
        let bytes = trace_of(&frames, n);
        let mut reader = TraceReader::new(bytes.as_slice(), "t.bxtr").unwrap();
        let mut outcome = reader.next_tick();
        if matches!(outcome, Ok(Ok(_))) {
            outcome = reader.next_tick();
        }
        let e = outcome.err().unwrap_or_else(|| panic!("accepted: {message}")).to_string();
        assert!(e.contains(message), "{e}\nexpected: {message}");
    }
    // A whole tick followed by the closing frame reads.
    let bytes = trace_of(&[Frame::Tick(record(0, n)), Frame::End { ticks: 1, digest: [0; 32] }], n);
    let mut reader = TraceReader::new(bytes.as_slice(), "t.bxtr").unwrap();
    assert_eq!(reader.next_tick().unwrap().unwrap().vms.len(), n);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Whatever VMs each tick records (VMs come and go) and whatever their values, a
    /// trace's ticks read back as written: each tick's records are written against the
    /// tick before's, so this holds the reader's idea of "before" to the writer's.
    #[test]
    fn ticks_of_changing_vms_read_back(ticks in proptest::collection::vec(
        (proptest::collection::btree_set(0usize..40, 0..40), proptest::prelude::any::<u64>()), 1..12)) {
        let scenario = bench::scenario(40, ticks.len() as u64, Organism::Syn3a, PolicyKind::Fair, 1);
        let records: Vec<TickRecord> = ticks.iter().enumerate().map(|(t, (vms, x))| {
            let mut r = record(t as u64, 40);
            r.vms.retain(|v| vms.contains(&(v.vm as usize)));
            for v in &mut r.vms {
                v.mrna = (x.rotate_left(v.vm) % 1000) as u32;
                v.mass_aa = x ^ u64::from(v.vm);
            }
            r
        }).collect();
        let mut writer = TraceWriter::new(Vec::new(), &scenario).unwrap();
        records.iter().for_each(|r| writer.write(r).unwrap());
        let bytes = writer.finish([1; 32]).unwrap();
        let mut reader = TraceReader::new(bytes.as_slice(), "t.bxtr").unwrap();
        for r in &records {
            proptest::prop_assert_eq!(&reader.next_tick().unwrap().unwrap(), r);
        }
        proptest::prop_assert!(reader.next_tick().unwrap().is_err());
    }
}
