//! Clean shutdown: no actor thread outlives its runtime. Alone in its test binary, so
//! no other test's threads disturb the count.

mod common;
use bioxen::engine::sim::Simulation;
use bioxen_actors::{ActorConfig, ActorRuntime};
use common::*;
use std::fs;

/// This process's threads, counted in Linux's /proc (the test fails rather than pass
/// vacuously where there is none).
fn threads() -> usize {
    fs::read_dir("/proc/self/task").expect("counting threads needs Linux's /proc").count()
}

#[test]
fn stopping_leaves_no_thread_behind() {
    let s = parse(&format!("{ROOMY}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n"));
    // Rayon's global pool starts on first use (building a simulation); start it before
    // counting, since it is the engine's and lives as long as the process.
    drop(Simulation::new(s.clone()).unwrap());
    let before = threads();
    for _ in 0..3 {
        let mut rt = ActorRuntime::start(Simulation::new(s.clone()).unwrap(), ActorConfig { arbiters: 3 }).unwrap();
        rt.run_ticks(3, |_| {}).unwrap();
        rt.stop();
    }
    // Dropping without stop() shuts down too.
    drop(ActorRuntime::start(Simulation::new(s).unwrap(), ActorConfig { arbiters: 2 }).unwrap());
    assert_eq!(threads(), before);
}
