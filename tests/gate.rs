//! One gate for every input: a scenario that would not pass as TOML does not pass as a
//! trace or a checkpoint either (even with valid checksums), nor through the library;
//! both runtimes refuse alike; and whatever the writer writes, the reader reads.

mod common;
use bioxen::engine::checkpoint::{self, CHECKPOINT_FORMAT_VERSION};
use bioxen::engine::codec::{FrameReader, FrameWriter};
use bioxen::engine::lifecycle::Transition;
use bioxen::engine::policy::{AnyPolicy, PolicyKind, PolicyParams};
use bioxen::engine::record::hex;
use bioxen::engine::scenario::limits::SCRIPT_BYTES_MAX;
use bioxen::engine::scenario::{Action, Event, Scenario, TimelineScript, frames};
use bioxen::engine::sim::{SimError, Simulation, StateError};
use bioxen::engine::trace::{TraceReader, TraceWriter};
use bioxen_actors::{ActorConfig, ActorRuntime};
use common::*;
use proptest::prelude::*;
use std::fs;

fn three() -> Scenario {
    parse(&format!(
        "{ROOMY}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[vm]]\nid = \"b\"\norganism = \"minimal_cell\"\n\
         [[vm]]\nid = \"c\"\norganism = \"syn3a\"\n[[event]]\ntick = 8\nvm = \"b\"\naction = \"pause\"\n"
    ))
}

/// Ways to make a valid scenario invalid, each with what the gate says.
fn crafted() -> Vec<(&'static str, Scenario, &'static str)> {
    let base = three();
    let mut past_last = base.clone();
    past_last.events[0].vm = 99;
    let mut endless_tick = base.clone();
    endless_tick.tick_seconds = f64::INFINITY;
    let mut heavy = base.clone();
    heavy.vms[0].allocation.weight = u32::MAX;
    let mut unsorted = base.clone();
    unsorted.events.push(Event { tick: 2, vm: 0, action: Action::Lifecycle(Transition::Pause) });
    let mut huge_pool = base.clone();
    huge_pool.chassis.atp_per_s = u64::MAX;
    let mut long = base.clone();
    long.ticks = u64::MAX;
    let script = |tick, vm, code: String| TimelineScript { tick, vm, name: "s.rhai".into(), code };
    let mut scripts_unsorted = base.clone();
    scripts_unsorted.scripts = vec![script(5, 0, "1".into()), script(3, 0, "1".into())];
    let mut script_for_nobody = base.clone();
    script_for_nobody.scripts = vec![script(5, 7, "1".into())];
    let mut script_too_long = base.clone();
    script_too_long.scripts = vec![script(5, 0, "1".repeat(SCRIPT_BYTES_MAX + 1))];
    let gfp = bioxen::engine::package::shipped("gfp").unwrap();
    let mut two_of_a_name = base.clone();
    two_of_a_name.packages = vec![gfp.clone(), bioxen::engine::package::Package { copies: gfp.copies + 1, ..gfp }];
    let mut escape_in_name = base.clone();
    escape_in_name.name = "three\u{1b}[2J".into();
    let mut override_in_script_name = base.clone();
    override_in_script_name.scripts =
        vec![TimelineScript { name: "s\u{202e}bhr.rhai".into(), ..script(5, 0, "1".into()) }];
    let mut bell_in_description = base.clone();
    let mut rung = bioxen::engine::package::shipped("gfp").unwrap();
    rung.description.push('\u{7}');
    bell_in_description.packages = vec![rung];
    let mut install_of_nothing = base.clone();
    install_of_nothing.events.push(Event { tick: 9, vm: 0, action: Action::Install { hash: [7; 32] } });
    vec![
        ("two packages of one name", two_of_a_name, "package[1]: a second package called `gfp`"),
        ("an escape sequence in the name", escape_in_name, "name: has an unprintable character (\\u{1b})"),
        (
            "a right-to-left override in a script's name",
            override_in_script_name,
            "script[0]: its name has an unprintable character (\\u{202e})",
        ),
        (
            "a bell in a package's description",
            bell_in_description,
            "description: has an unprintable character (\\u{7})",
        ),
        (
            "an install of no package",
            install_of_nothing,
            "the `install` event's hash is none of the scenario's packages",
        ),
        ("scripts out of order", scripts_unsorted, "script[1]: script at tick 3 comes after one at tick 5"),
        ("a script for a VM past the last", script_for_nobody, "script[0]: script for VM #7, but there are 3 VMs"),
        ("a script too long", script_too_long, "script[0]: the script is 1048577 bytes, more than the 1048576"),
        ("an event for a VM past the last", past_last, "event[0]: event for VM #99, but there are 3 VMs"),
        ("an endless tick", endless_tick, "tick_seconds must be a number in (0, 60], not inf"),
        ("a weight of 2^32 - 1", heavy, "weight must be in 1..=65535"),
        ("events out of order", unsorted, "event at tick 2 comes after one at tick 8"),
        ("a pool of 2^64 - 1", huge_pool, "chassis.atp_per_s: must be at most 100000000000"),
        ("2^64 - 1 ticks", long, "simulation.ticks: ticks must be in 1..=100000000"),
    ]
}

/// A trace of `scenario` (which the writer does not check), with `ticks` records of the
/// valid `three()` run.
fn trace_of(scenario: &Scenario, ticks: u64) -> Vec<u8> {
    let mut sim = simulation(&three());
    let mut w = TraceWriter::new(Vec::new(), scenario).unwrap();
    for _ in 0..ticks {
        w.write(&sim.step().unwrap()).unwrap();
    }
    w.finish(sim.digest()).unwrap()
}

/// `checkpoint`'s bytes with its scenario frames replaced by `scenario`'s, every checksum
/// made to fit: only the gate can tell.
fn checkpoint_with(checkpoint: &[u8], original: &Scenario, scenario: &Scenario) -> Vec<u8> {
    let mut r =
        FrameReader::open(checkpoint, "c", "BioXen checkpoint", b"BIOXENCK", CHECKPOINT_FORMAT_VERSION).unwrap();
    let mut payloads = Vec::new();
    while let Some(p) = r.next_payload().unwrap() {
        payloads.push(p);
    }
    let count = |s: &Scenario| 1 + s.genomes.len() + s.vms.len().div_ceil(4096) + s.events.len().div_ceil(4096);
    let mut scenario_frames = FrameWriter::new(Vec::new(), b"BIOXENCK", CHECKPOINT_FORMAT_VERSION).unwrap();
    frames::write(&mut scenario_frames, scenario).unwrap();
    let scenario_bytes = scenario_frames.finish().unwrap();
    let mut sr = FrameReader::open(&scenario_bytes[..], "s", "s", b"BIOXENCK", CHECKPOINT_FORMAT_VERSION).unwrap();
    let mut new_frames = Vec::new();
    while let Some(p) = sr.next_payload().unwrap() {
        new_frames.push(p);
    }
    let header = payloads.remove(0);
    let rest: Vec<Vec<u8>> = payloads.drain(count(original)..).collect();
    let (vms, _end) = rest.split_at(rest.len() - 1);
    let mut w = FrameWriter::new(Vec::new(), b"BIOXENCK", CHECKPOINT_FORMAT_VERSION).unwrap();
    for p in std::iter::once(&header).chain(&new_frames).chain(vms) {
        w.frame(p).unwrap();
    }
    let mut bytes = w.finish().unwrap();
    let checksum = *blake3::hash(&bytes).as_bytes();
    let mut end = FrameWriter::new(Vec::new(), b"BIOXENCK", CHECKPOINT_FORMAT_VERSION).unwrap();
    end.frame(&checksum).unwrap();
    bytes.extend_from_slice(&end.finish().unwrap()[12..]);
    bytes
}

#[test]
fn a_crafted_trace_is_refused_by_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    for (name, scenario, message) in crafted() {
        let path = dir.path().join("t.bxtr");
        fs::write(&path, trace_of(&scenario, 10)).unwrap();
        let chart = dir.path().join("c.svg");
        let p = path.to_str().unwrap();
        for args in
            [&["replay", p][..], &["export", p, "--format", "csv"], &["plot", p, "--out", chart.to_str().unwrap()]]
        {
            let o = without_hanging(name, {
                let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
                move || bioxen(&args.iter().map(String::as_str).collect::<Vec<_>>())
            });
            assert_eq!(o.status.code(), Some(2), "{name}/{}: {}", args[0], stderr(&o));
            assert!(stderr(&o).contains(message), "{name}/{}: expected `{message}` in {}", args[0], stderr(&o));
            assert!(stderr(&o).contains("the BioXen trace's scenario is not usable"), "{}", stderr(&o));
        }
        assert!(!chart.exists());
    }
}

#[test]
fn a_crafted_checkpoint_is_refused_alike_by_both_runtimes() {
    let dir = tempfile::tempdir().unwrap();
    let base = three();
    let mut sim = simulation(&base);
    for _ in 0..5 {
        sim.step().unwrap();
    }
    let original = checkpoint::write(Vec::new(), &sim).unwrap();
    // The surgery itself is sound: the untouched scenario round-trips.
    assert!(checkpoint::read(&checkpoint_with(&original, &base, &base)[..], "c").is_ok());
    for (name, scenario, message) in crafted() {
        let path = dir.path().join("c.bxck");
        fs::write(&path, checkpoint_with(&original, &base, &scenario)).unwrap();
        let p = path.to_str().unwrap();
        let engine = bioxen(&["resume", p]);
        let actors = bioxen(&["resume", p, "--runtime", "actors", "--arbiters", "2"]);
        for o in [&engine, &actors] {
            assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(o));
            assert!(stderr(o).contains(message), "{name}: expected `{message}` in {}", stderr(o));
        }
        assert_eq!(stderr(&engine), stderr(&actors), "{name}: the runtimes disagree");
    }
}

#[test]
fn the_library_refuses_what_the_files_would() {
    for (name, scenario, message) in crafted() {
        match Simulation::new(scenario) {
            Err(e @ SimError::Invalid(_)) => assert!(e.to_string().contains(message), "{name}: {e}"),
            Err(e) => panic!("{name}: another error: {e}"),
            Ok(_) => panic!("{name}: accepted"),
        }
    }
    // A state from another run's policy, or with impossible parameters, is refused on
    // restore rather than run (a lottery of 10^9 quanta per VM would loop for ever).
    let s = three();
    let sim = simulation(&s);
    let (scenario, mut state) = (sim.scenario().clone(), sim.saved());
    state.host.hypervisor.policy = AnyPolicy::new(PolicyKind::Fair, PolicyParams::default());
    let mut lottery = scenario.clone();
    lottery.policy = PolicyKind::Lottery;
    assert!(matches!(
        Simulation::restore(lottery.clone(), state.clone()),
        Err(SimError::State(StateError::Scheduler(_)))
    ));
    state.host.hypervisor.policy =
        AnyPolicy::new(PolicyKind::Lottery, PolicyParams { quanta_per_vm: 1_000_000_000, ..PolicyParams::default() });
    let e = Simulation::restore(lottery, state.clone()).err().unwrap();
    assert!(e.to_string().contains("lottery state for another granularity"), "{e}");
    // A timeline position that does not fit the tick.
    state.host.tick = 50;
    state.host.hypervisor.policy = AnyPolicy::new(PolicyKind::Fair, PolicyParams::default());
    assert!(matches!(Simulation::restore(scenario, state), Err(SimError::State(StateError::Position { .. }))));
}

#[test]
fn a_command_for_a_vm_that_does_not_exist_is_an_error_on_both_runtimes() {
    let s = three();
    let mut engine = simulation(&s);
    let e = engine.transition(7, Transition::Pause).unwrap_err();
    assert!(e.to_string().contains("cannot pause VM `#7`: there is no such VM"), "{e}");
    let mut rt = ActorRuntime::start(simulation(&s), ActorConfig { arbiters: 2 }).unwrap();
    let e = rt.transition(7, Transition::Pause).unwrap_err();
    assert!(e.to_string().contains("cannot pause VM `#7`: there is no such VM"), "{e}");
    // Both carry on as if nothing was asked.
    engine.run(|_, _| {}).unwrap();
    rt.run_ticks(u64::MAX, |_| {}).unwrap();
    assert_eq!(hex(&engine.digest()), hex(&rt.digest()));
}

/// Writes a whole run as a trace and, halfway, a checkpoint; reads both back.
fn round_trip(s: &Scenario) {
    let mut sim = simulation(s);
    let mut w = TraceWriter::new(Vec::new(), s).unwrap();
    let mut records = Vec::new();
    let mut halfway = None;
    while !sim.finished() {
        let r = sim.step().unwrap();
        w.write(&r).unwrap();
        records.push(r);
        if sim.tick() == s.ticks / 2 {
            halfway = Some(checkpoint::write(Vec::new(), &sim).unwrap());
        }
    }
    let bytes = w.finish(sim.digest()).unwrap();
    let mut r = TraceReader::new(&bytes[..], "t").unwrap();
    assert_eq!(&r.scenario, s);
    for expected in &records {
        assert_eq!(&r.next_tick().unwrap().unwrap(), expected);
    }
    assert_eq!(r.next_tick().unwrap().unwrap_err().digest, sim.digest());
    if let Some(c) = halfway {
        let mut resumed = checkpoint::read(&c[..], "c").unwrap();
        assert_eq!(resumed.run(|_, _| {}).unwrap(), sim.digest());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the writer accepts, the reader reads: random scenarios (every policy,
    /// chassis, caps, timelines), their whole traces and a checkpoint halfway.
    #[test]
    fn whatever_is_written_reads_back(text in scenario_strategy()) {
        round_trip(&parse(&text));
    }
}

/// A scenario's timeline scripts, in its frames: a trace's header and a checkpoint hold
/// them as they were; the checkpoint, resumed, refuses to pass the next one unrun.
#[test]
fn timeline_scripts_read_back_from_traces_and_checkpoints() {
    let mut s = three();
    s.scripts = (0..3)
        .map(|k| TimelineScript {
            tick: 5 + k,
            vm: k as u32,
            name: format!("s{k}.rhai"),
            code: "metrics()".repeat(k as usize + 1),
        })
        .collect();
    let mut w = TraceWriter::new(Vec::new(), &s).unwrap();
    let bytes = {
        let mut sim = simulation(&three());
        w.write(&sim.step().unwrap()).unwrap();
        w.finish(sim.digest()).unwrap()
    };
    assert_eq!(TraceReader::new(&bytes[..], "t").unwrap().scenario, s);
    let mut sim = simulation(&s);
    for _ in 0..5 {
        sim.step().unwrap();
    }
    let c = checkpoint::write(Vec::new(), &sim).unwrap();
    let mut resumed = checkpoint::read(&c[..], "c").unwrap();
    assert_eq!(resumed.scenario().scripts, s.scripts);
    assert!(matches!(resumed.step(), Err(SimError::ScriptDue { tick: 5, .. })));
}

#[test]
fn three_thousand_vms_of_an_annotated_genome_write_a_trace_and_checkpoint_that_read_back() {
    if !shared_present() {
        return;
    }
    // Before, each VM embedded its own copy of the genome: 43 MB, which the reader then
    // refused. Each distinct genome is now stored once.
    let vms: String = (0..3000)
        .map(|i| {
            format!(
                "[[vm]]\nid = \"v{i:04}\"\norganism = \"syn3a\"\ngenome_file = \"../../shared/data/syn3a/syn3A.gb\"\n"
            )
        })
        .collect();
    let s = parse(&format!(
        "format_version = 1\n[simulation]\nseed = 3\nticks = 2\npolicy = \"fair\"\n[chassis]\nkind = \"yeast\"\nmax_vms = 3000\ndna_space_kb = 2000000\n{vms}"
    ));
    assert_eq!(s.genomes.len(), 1);
    round_trip(&s);
}
