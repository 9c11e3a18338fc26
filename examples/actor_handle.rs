//! Driving the actor runtime from a program: start it from a scenario, run ticks, pause a
//! VM between ticks, read the lifecycles, take a checkpoint-ready snapshot, and check the
//! digest against the engine's (the oracle).
//!
//! Run: `cargo run --release --example actor_handle`

use bioxen::engine::lifecycle::Transition;
use bioxen::engine::record::hex;
use bioxen::engine::sim::Simulation;
use bioxen_actors::{ActorConfig, ActorRuntime};
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let scenario = bioxen::files::load_scenario(&path)?;
    let syn3a = scenario.vm_index("syn3a-1").expect("quickstart has syn3a-1");

    // Every VM becomes an actor, spread over two arbiter threads.
    let mut actors = ActorRuntime::start(Simulation::new(scenario.clone())?, ActorConfig { arbiters: 2 })?;
    // The same run on the engine, to compare with.
    let mut engine = Simulation::new(scenario)?;

    // 100 ticks; each record arrives while the next tick already runs.
    let mut proteins = 0;
    actors.run_ticks(100, |record| {
        // A record lists the VMs that are not destroyed, in VM (id) order; each names its VM.
        if let Some(vm) = record.vms.iter().find(|v| v.vm as usize == syn3a) {
            proteins = vm.proteins;
        }
    })?;
    for _ in 0..100 {
        engine.step()?;
    }
    println!("after tick 100: syn3a-1 has {proteins} proteins");

    // Lifecycle commands apply between ticks, on both runtimes alike.
    actors.transition(syn3a, Transition::Pause)?;
    engine.transition(syn3a, Transition::Pause)?;
    let ids = engine.scenario().vms.iter().map(|v| v.id.as_str());
    for (id, state) in ids.zip(actors.status()?) {
        println!("{id}: {state:?}");
    }

    // The rest of the run; then the whole state back as an engine simulation, which
    // `bioxen_engine::checkpoint::write` could save and either runtime could resume.
    actors.run_ticks(u64::MAX, |_| {})?;
    engine.run(|_, _| {})?;
    let snapshot = actors.snapshot()?;
    actors.stop();

    println!("actors: {}", hex(&snapshot.digest()));
    println!("engine: {}", hex(&engine.digest()));
    anyhow::ensure!(snapshot.digest() == engine.digest(), "the runtimes disagree");
    Ok(())
}
