//! The live clock: ticks advance on their own while calls land from several threads at
//! wall-clock moments nobody chose; the session still saves as a scenario that replays to
//! its digest bit for bit (the wall clock decides when a call lands, the record where).
//! Pausing stops the ticks; a pace is kept to; bad paces are refused; a clock that hits a
//! bound stops and says why; dropping the manager ends the clock's thread.

mod common;

use bioxen::api::{BioResourceManager, BioVmManager, HostConfig, Pace, Ribosomes, Runtime};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A small deterministic generator for the calls' choices and their wall-clock gaps.
struct Draws(u64);

impl Draws {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Random calls on `vms` from one thread, at random moments, until `calls` are made.
fn caller(manager: &BioVmManager, vms: &[String], seed: u64, calls: usize) {
    let mut draws = Draws(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    for _ in 0..calls {
        std::thread::sleep(Duration::from_micros(draws.next(3_000)));
        let vm = manager.get_vm(&vms[draws.next(vms.len() as u64) as usize]).expect("made");
        // Refusals (a transition the state forbids, a request over a limit) are part of
        // the test: they change nothing, and must not.
        let _ = match draws.next(6) {
            0 => vm.start(),
            1 => vm.pause(),
            2 => vm.resume(),
            3 => BioResourceManager::new(&vm).allocate_atp(draws.next(30) as f64),
            4 => BioResourceManager::new(&vm).allocate_ribosomes(Ribosomes::Original(draws.next(12) as f64)),
            _ => vm.start_transcription(&["lacZ"]).map(|_| ()),
        };
    }
}

fn session_on(runtime: Runtime, pace: Pace, seed: u64) -> (BioVmManager, String, tempfile::TempDir) {
    let manager = Arc::new(BioVmManager::with_config(HostConfig { seed, runtime, ..HostConfig::default() }).unwrap());
    let vms: Vec<String> = ["coli-a", "coli-b", "coli-c"].iter().map(|s| s.to_string()).collect();
    for id in &vms {
        manager.create_vm(id, "ecoli", "basic", None).unwrap();
    }
    manager.run_ticks(1).unwrap();
    manager.start_clock(pace).unwrap();
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let (manager, vms) = (manager.clone(), vms.clone());
            std::thread::spawn(move || caller(&manager, &vms, seed * 10 + t, 40))
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    manager.pause_clock();
    let status = manager.clock_status().unwrap();
    assert!(!status.running && status.error.is_none(), "{status:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.toml");
    manager.save_scenario(&path).unwrap();
    let manager = Arc::try_unwrap(manager).unwrap_or_else(|_| panic!("every caller is done"));
    (manager, path.display().to_string(), dir)
}

#[test]
fn a_live_session_with_calls_from_several_threads_replays_to_its_digest() {
    let cases = [
        (Runtime::Actors { arbiters: 2 }, Pace::Fastest, 1),
        (Runtime::Engine, Pace::SimulatedPerWallSecond(5_000.0), 2),
        (Runtime::Engine, Pace::SimulatedPerWallSecond(50_000.0), 3),
    ];
    for (runtime, pace, seed) in cases {
        let (manager, path, _dir) = session_on(runtime, pace, seed);
        assert!(manager.tick() > 1, "the clock ran");
        let scenario = bioxen::files::load_scenario(std::path::Path::new(&path)).unwrap();
        assert!(!scenario.events.is_empty(), "the calls landed as events");
        let mut rerun = bioxen::engine::sim::Simulation::new(scenario).unwrap();
        assert_eq!(bioxen::engine::record::hex(&rerun.run(|_, _| {}).unwrap()), manager.digest(), "{runtime:?}");
    }
}

#[test]
fn a_paused_clock_runs_no_tick_and_a_pace_is_kept_to() {
    let manager =
        BioVmManager::with_config(HostConfig { runtime: Runtime::Engine, tick_seconds: 1.0, ..HostConfig::default() })
            .unwrap();
    manager.create_vm("cell", "minimal_cell", "basic", None).unwrap().start().unwrap();
    assert_eq!(manager.clock_status(), None);
    // 200 simulated seconds per wall second: no faster (a lower bound on wall time only,
    // which holds however slow the machine is).
    let started = Instant::now();
    manager.start_clock(Pace::SimulatedPerWallSecond(200.0)).unwrap();
    while manager.tick() < 40 {
        std::thread::sleep(Duration::from_millis(1));
    }
    manager.pause_clock();
    let reached = manager.tick();
    assert!(started.elapsed() >= Duration::from_millis(190), "40 ticks at 200 s/s take ≥ 0.19 s of wall time");
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(manager.tick(), reached, "no tick after pause_clock returned");
    // Calls while paused take effect when the clock runs again.
    manager.start_clock(Pace::Fastest).unwrap();
    while manager.tick() < reached + 10 {
        std::thread::yield_now();
    }
    manager.pause_clock();
    assert!(manager.clock_status().unwrap().pace == Pace::Fastest);
}

#[test]
fn bad_paces_are_refused_and_a_bound_stops_the_clock() {
    let manager = BioVmManager::new().unwrap();
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-9, 1e9] {
        let e = manager.start_clock(Pace::SimulatedPerWallSecond(bad)).unwrap_err().to_string();
        assert!(e.starts_with("pace: simulated seconds per wall second are in [0.001, 1e6]"), "{e}");
    }
    assert_eq!(manager.clock_status(), None, "nothing started");

    // A scenario's last tick is a bound the clock meets and reports.
    let dir = tempfile::tempdir().unwrap();
    let text = common::ROOMY.replace("ticks = 120", "ticks = 25") + "[[vm]]\nid = \"a\"\norganism = \"minimal_cell\"\n";
    let scenario = common::parse(&text);
    let manager = BioVmManager::from_scenario(scenario, dir.path()).unwrap();
    manager.start_clock(Pace::Fastest).unwrap();
    let status = loop {
        let status = manager.clock_status().unwrap();
        if !status.running {
            break status;
        }
        std::thread::yield_now();
    };
    assert_eq!(manager.tick(), 25);
    assert!(status.error.unwrap().contains("would pass the run's last tick"));
}

#[test]
fn dropping_the_manager_ends_its_clock() {
    let manager = BioVmManager::new().unwrap();
    let vm = manager.create_vm("cell", "syn3a", "basic", None).unwrap();
    vm.start().unwrap();
    manager.start_clock(Pace::Fastest).unwrap();
    drop(manager);
    drop(vm); // the last handle: the host, its actors and its clock go
    // Nothing to assert beyond returning: a clock thread left waiting would keep the
    // test process alive, and a deadlock would hang it (the harness's timeout).
}
