//! The actor runtime against the engine: same digest, same JSON, same checkpoints; a
//! panic is an error, not a hang; nothing is left running.

mod common;
use bioxen::engine::lifecycle::{Lifecycle, Transition};
use bioxen::engine::record::hex;
use bioxen::engine::sim::Simulation;
use bioxen_actors::{ActorConfig, ActorError, ActorRuntime, Failure, Site};
use common::*;
use proptest::prelude::*;
use std::fs;

fn actor_digest(s: &bioxen::engine::scenario::Scenario, arbiters: usize) -> [u8; 32] {
    let mut rt = ActorRuntime::start(Simulation::new(s.clone()).unwrap(), ActorConfig { arbiters }).unwrap();
    rt.run_ticks(u64::MAX, |_| {}).unwrap();
    rt.digest()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_scenarios_give_the_engine_digest_on_actors(text in scenario_strategy(), arbiters in 1usize..5) {
        let s = parse(&text);
        prop_assert_eq!(hex(&actor_digest(&s, arbiters)), hex(&digest(&s, 1)));
    }
}

fn without_timing(mut v: serde_json::Value) -> serde_json::Value {
    let o = v.as_object_mut().unwrap();
    o.remove("elapsed_seconds");
    o.remove("vm_ticks_per_second");
    v
}

#[test]
fn cli_json_is_identical_on_both_runtimes_but_timing() {
    let seq = bioxen(&["run", "scenarios/contention.toml", "--ticks", "150", "--json"]);
    let act = bioxen(&[
        "run",
        "scenarios/contention.toml",
        "--ticks",
        "150",
        "--json",
        "--runtime",
        "actors",
        "--arbiters",
        "3",
    ]);
    assert!(act.status.success(), "{}", stderr(&act));
    let parse = |o: &std::process::Output| without_timing(serde_json::from_str(&stdout(o)).unwrap());
    assert_eq!(parse(&seq), parse(&act));
}

#[test]
fn checkpoints_cross_runtimes_and_resume_to_the_same_digest() {
    let dir = tempfile::tempdir().unwrap();
    let cdir = dir.path().join("ckpt");
    let whole = bioxen(&[
        "run",
        "scenarios/contention.toml",
        "--ticks",
        "240",
        "--runtime",
        "actors",
        "--arbiters",
        "2",
        "--checkpoint-every",
        "110",
        "--checkpoint-dir",
        cdir.to_str().unwrap(),
        "--json",
    ]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    let whole: serde_json::Value = serde_json::from_str(&stdout(&whole)).unwrap();
    let edir = dir.path().join("engine");
    let sequential = bioxen(&[
        "run",
        "scenarios/contention.toml",
        "--ticks",
        "240",
        "--json",
        "--checkpoint-every",
        "110",
        "--checkpoint-dir",
        edir.to_str().unwrap(),
    ]);
    let sequential: serde_json::Value = serde_json::from_str(&stdout(&sequential)).unwrap();
    assert_eq!(whole["digest"], sequential["digest"]);
    let mut files: Vec<_> = fs::read_dir(&cdir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    // The actors write their checkpoints a cell at a time, as their VMs hand them over:
    // the very bytes the engine writes.
    for f in &files {
        let engine = edir.join(f.file_name().unwrap());
        assert!(fs::read(f).unwrap() == fs::read(&engine).unwrap(), "{} differs by runtime", f.display());
    }
    for f in &files {
        for runtime in [&["--runtime", "actors", "--arbiters", "2"][..], &[]] {
            let mut args = vec!["resume", f.to_str().unwrap(), "--json"];
            args.extend_from_slice(runtime);
            let r = bioxen(&args);
            assert!(r.status.success(), "{}", stderr(&r));
            let resumed: serde_json::Value = serde_json::from_str(&stdout(&r)).unwrap();
            assert_eq!(resumed["digest"], whole["digest"], "resume {} with {runtime:?}", f.display());
        }
    }
}

#[test]
fn a_panicking_vm_is_an_error_naming_it_and_the_tick() {
    let s =
        parse(&format!("{ROOMY}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[vm]]\nid = \"b\"\norganism = \"syn3a\"\n"));
    let mut rt = ActorRuntime::start(Simulation::new(s).unwrap(), ActorConfig { arbiters: 2 }).unwrap();
    rt.run_ticks(5, |_| {}).unwrap();
    rt.inject(Site::Vm(1), Failure::Caught);
    match rt.step() {
        Err(ActorError::VmPanicked { vm, tick, message }) => {
            assert_eq!((vm.as_str(), tick), ("b", 5));
            assert!(message.contains("injected failure"), "{message}");
        }
        other => panic!("expected a panic error, got {other:?}"),
    }
    // The run is broken from then on: later ticks fail the same way instead of hanging.
    match rt.run_ticks(3, |_| {}) {
        Err(ActorError::VmPanicked { vm, tick, .. }) => assert_eq!((vm.as_str(), tick), ("b", 5)),
        other => panic!("expected the same panic error, got {other:?}"),
    }
    rt.stop(); // returns: no hang
}

#[test]
fn an_event_made_impossible_by_a_command_fails_at_its_tick_after_the_ticks_before_it() {
    // The timeline pauses `a` at tick 7; pausing it by hand first makes that impossible.
    // On actors the event is applied while tick 6 runs (pipelined), yet tick 6's record
    // still arrives, then the error, as on the engine.
    let s = parse(&format!(
        "{ROOMY}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[vm]]\nid = \"b\"\norganism = \"syn3a\"\n\
         [[event]]\ntick = 7\nvm = \"a\"\naction = \"pause\"\n"
    ));
    let mut engine = Simulation::new(s.clone()).unwrap();
    let mut rt = ActorRuntime::start(Simulation::new(s).unwrap(), ActorConfig { arbiters: 2 }).unwrap();
    engine.transition(0, Transition::Pause).unwrap();
    rt.transition(0, Transition::Pause).unwrap();
    let engine_error = loop {
        if let Err(e) = engine.step() {
            break e.to_string();
        }
    };
    let mut ticks = Vec::new();
    let actor_error = rt.run_ticks(u64::MAX, |r| ticks.push(r.tick)).unwrap_err();
    assert_eq!(ticks, (0..7).collect::<Vec<_>>());
    assert_eq!((rt.tick(), engine.tick()), (7, 7));
    assert_eq!(actor_error.to_string(), engine_error);
    assert_eq!(hex(&rt.digest()), hex(&engine.digest()));
}

#[test]
fn lifecycle_commands_through_the_handle_match_the_engine() {
    let s = parse(&format!(
        "{ROOMY}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[vm]]\nid = \"b\"\norganism = \"minimal_cell\"\n"
    ));
    let mut engine = Simulation::new(s.clone()).unwrap();
    let mut rt = ActorRuntime::start(Simulation::new(s).unwrap(), ActorConfig { arbiters: 2 }).unwrap();
    for _ in 0..10 {
        engine.step().unwrap();
    }
    rt.run_ticks(10, |_| {}).unwrap();
    engine.transition(0, Transition::Pause).unwrap();
    rt.transition(0, Transition::Pause).unwrap();
    assert_eq!(rt.status().unwrap(), [Lifecycle::Paused, Lifecycle::Running]);
    let err = rt.transition(0, Transition::Start).unwrap_err();
    assert_eq!(err.to_string(), "cannot start VM `a`: it is paused");
    engine.run(|_, _| {}).unwrap();
    rt.run_ticks(u64::MAX, |_| {}).unwrap();
    assert_eq!(hex(&rt.digest()), hex(&engine.digest()));
    assert!(matches!(rt.step(), Err(ActorError::Finished)));
}

#[test]
fn a_pipelined_run_stopped_early_leaves_whole_ticks_and_resumes_exactly() {
    let s = parse(&format!(
        "{ROOMY}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[vm]]\nid = \"b\"\norganism = \"minimal_cell\"\n"
    ));
    let mut rt = ActorRuntime::start(Simulation::new(s.clone()).unwrap(), ActorConfig { arbiters: 2 }).unwrap();
    let mut shown = Vec::new();
    rt.run_ticks_while(u64::MAX, |r| {
        shown.push(r.tick);
        r.tick < 4
    })
    .unwrap();
    // Records reach `on_tick` in order, none after it said stop; the tick already under
    // way when it did still completes, so the handle is between ticks.
    assert_eq!(shown, [0, 1, 2, 3, 4]);
    assert!(rt.tick() >= 5, "{}", rt.tick());
    let mut engine = Simulation::new(s).unwrap();
    for _ in 0..rt.tick() {
        engine.step().unwrap();
    }
    assert_eq!(hex(&rt.digest()), hex(&engine.digest()));
    assert_eq!(hex(&rt.snapshot().unwrap().digest()), hex(&engine.digest()));
    engine.run(|_, _| {}).unwrap();
    rt.run_ticks(u64::MAX, |_| {}).unwrap();
    assert_eq!(hex(&rt.digest()), hex(&engine.digest()));
}

#[test]
fn traces_written_on_both_runtimes_are_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let trace = |name: &str, runtime: &[&str]| {
        let path = dir.path().join(name);
        let mut args = vec!["run", "scenarios/contention.toml", "--ticks", "120", "--trace", path.to_str().unwrap()];
        args.extend_from_slice(runtime);
        let out = bioxen(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        fs::read(path).unwrap()
    };
    let sequential = trace("seq.bxtr", &[]);
    // The actor run writes each record while the next tick runs (pipelined).
    let actors = trace("act.bxtr", &["--runtime", "actors", "--arbiters", "2"]);
    assert!(sequential == actors, "the traces differ");
}

#[test]
fn when_several_vms_panic_in_one_tick_the_lowest_is_named_whatever_the_arrival_order() {
    let s = parse(&format!(
        "{ROOMY}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[vm]]\nid = \"b\"\norganism = \"syn3a\"\n\
         [[vm]]\nid = \"c\"\norganism = \"syn3a\"\n"
    ));
    // `b` and `c` fail in the same tick on different arbiters (a and b share one), so which
    // failure reaches the scheduler first varies between runs; the error must not.
    for _ in 0..10 {
        let mut rt = ActorRuntime::start(Simulation::new(s.clone()).unwrap(), ActorConfig { arbiters: 2 }).unwrap();
        rt.run_ticks(2, |_| {}).unwrap();
        rt.inject(Site::Vm(2), Failure::Caught);
        rt.inject(Site::Vm(1), Failure::Caught);
        match rt.step() {
            Err(ActorError::VmPanicked { vm, tick, .. }) => assert_eq!((vm.as_str(), tick), ("b", 2)),
            other => panic!("expected a panic error, got {other:?}"),
        }
        rt.stop();
    }
}

#[test]
fn a_panic_in_any_actor_ends_the_run_with_an_error_never_a_hang() {
    let s =
        parse(&format!("{ROOMY}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n[[vm]]\nid = \"b\"\norganism = \"syn3a\"\n"));
    // (where, how, what the error must say)
    let cases = [
        (Site::Vm(1), Failure::Caught, "VM `b` panicked at tick 3: injected failure"),
        (Site::Vm(1), Failure::Fatal, "the actor of VM `b` stopped unexpectedly"),
        (Site::Relay(1), Failure::Caught, "the relay of arbiter 1 panicked at tick 3: injected failure"),
        (Site::Relay(0), Failure::Fatal, "the relay of arbiter 0 stopped unexpectedly"),
        (Site::Scheduler, Failure::Caught, "the scheduler panicked at tick 3: injected failure"),
        (Site::Scheduler, Failure::Fatal, "the scheduler stopped unexpectedly"),
        (Site::Coordinator, Failure::Caught, "the coordinator panicked at tick 3: injected failure"),
        (Site::Coordinator, Failure::Fatal, "the coordinator stopped unexpectedly"),
    ];
    for (site, failure, expected) in cases {
        let s = s.clone();
        without_hanging(&format!("{site:?} {failure:?}"), move || {
            let mut rt = ActorRuntime::start(Simulation::new(s).unwrap(), ActorConfig { arbiters: 2 }).unwrap();
            rt.run_ticks(3, |_| {}).unwrap();
            rt.inject(site, failure);
            let error = rt.run_ticks(5, |_| {}).unwrap_err().to_string();
            assert!(error.contains(expected), "{site:?} {failure:?}: expected `{expected}` in `{error}`");
            // Broken for good: every later call is an error at once, and stopping returns.
            assert!(rt.run_ticks(1, |_| {}).is_err(), "{site:?} {failure:?}: ran after the failure");
            assert!(
                rt.snapshot().is_err() || failure == Failure::Caught,
                "{site:?} {failure:?}: snapshot of a dead runtime"
            );
            rt.stop();
        });
    }
}

/// Past `prefetch::FROM_VMS` VMs the engine and the actors fetch the next cell into cache
/// while one advances. A prefetch is a hint, so the run's digest is the one computed
/// before either runtime prefetched (at 2ee6dbb: `bioxen bench --vms 2100 --ticks 4
/// --seed 11`), on one thread, two, and two arbiters.
#[test]
fn a_run_large_enough_to_prefetch_keeps_its_digest() {
    use bioxen::engine::{biology::Organism, policy::PolicyKind, prefetch};
    let s = bioxen::bench::scenario(2_100, 4, Organism::Syn3a, PolicyKind::Fair, 11);
    assert!(s.vms.len() >= prefetch::FROM_VMS);
    let before = "97d872672e7359cbdb1098b1b79afc0eac1aefdbe23c671386d9c7e999f25ad2";
    assert_eq!(hex(&digest(&s, 1)), before, "one thread");
    assert_eq!(hex(&digest(&s, 2)), before, "two threads");
    assert_eq!(hex(&actor_digest(&s, 2)), before, "two arbiters");
}
