//! Criterion benchmark of the actor runtime against the engine: one tick of 1,000 syn3A
//! VMs (the bench workload, fair share). Run: `cargo bench --bench actors`.

use bioxen::bench::scenario;
use bioxen::engine::biology::Organism;
use bioxen::engine::policy::PolicyKind;
use bioxen::engine::sim::Simulation;
use bioxen_actors::{ActorConfig, ActorRuntime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::{Duration, Instant};

const VMS: u32 = 1000;

fn simulation() -> Simulation {
    Simulation::new(scenario(VMS, u64::MAX, Organism::Syn3a, PolicyKind::Fair, 1)).unwrap()
}

fn ticks(c: &mut Criterion) {
    let mut group = c.benchmark_group("tick_1000_syn3a");
    group.throughput(Throughput::Elements(u64::from(VMS)));
    group.sample_size(20).measurement_time(Duration::from_secs(4));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut sim = simulation();
        group.bench_function(format!("sequential_{threads}_threads"), |b| {
            b.iter(|| pool.install(|| sim.step().unwrap()))
        });
    }
    for arbiters in [1, 2] {
        let mut rt = ActorRuntime::start(simulation(), ActorConfig { arbiters }).unwrap();
        // One tick at a time: a round trip from the handle per tick.
        group.bench_function(format!("actors_{arbiters}_arbiters_step"), |b| b.iter(|| rt.step().unwrap()));
        // A run of ticks, pipelined as `bioxen run` and `bioxen bench` drive it.
        group.bench_function(format!("actors_{arbiters}_arbiters_run"), |b| {
            b.iter_custom(|ticks| {
                let started = Instant::now();
                rt.run_ticks(ticks, |_| {}).unwrap();
                started.elapsed()
            })
        });
        rt.stop();
    }
    group.finish();
}

criterion_group!(benches, ticks);
criterion_main!(benches);
