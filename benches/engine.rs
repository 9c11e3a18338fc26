//! Criterion benchmarks of the engine: one tick of 1,000 syn3A VMs under each policy.
//!
//! The reference workload of the engine issue is 1,000 syn3A VMs under fair share
//! (`reference/fair`, uncontended as `bioxen bench` runs it). The per-policy group shrinks
//! every pool to 60 % of what the VMs ask so that the policy has real rationing to do.
//! Run: `cargo bench --bench engine`.

use bioxen::bench::scenario;
use bioxen::engine::biology::Organism;
use bioxen::engine::policy::PolicyKind;
use bioxen::engine::sim::Simulation;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

const VMS: u32 = 1000;

fn simulation(policy: PolicyKind, contended: bool) -> Simulation {
    let mut s = scenario(VMS, u64::MAX, Organism::Syn3a, policy, 1);
    if contended {
        let c = &mut s.chassis;
        c.ribosomes = c.ribosomes * 6 / 10;
        c.rnap = c.rnap * 6 / 10;
        c.atp_per_s = c.atp_per_s * 6 / 10;
        c.atp_store_max = c.atp_per_s;
    }
    let mut sim = Simulation::new(s).unwrap();
    // Past the first ticks, where nothing is yet limited.
    for _ in 0..20 {
        sim.step().unwrap();
    }
    sim
}

fn ticks(c: &mut Criterion) {
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut reference = c.benchmark_group("reference");
    reference.throughput(Throughput::Elements(u64::from(VMS)));
    reference.sample_size(20).measurement_time(Duration::from_secs(5));
    let mut sim = single.install(|| simulation(PolicyKind::Fair, false));
    reference.bench_function("fair_1000_syn3a_1_thread", |b| b.iter(|| single.install(|| sim.step().unwrap())));
    drop(reference);

    let mut group = c.benchmark_group("policy_tick_1000_syn3a_contended");
    group.throughput(Throughput::Elements(u64::from(VMS)));
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    for policy in PolicyKind::ALL {
        let mut sim = single.install(|| simulation(policy, true));
        group.bench_function(policy.name(), |b| b.iter(|| single.install(|| sim.step().unwrap())));
    }
    group.finish();
}

criterion_group!(benches, ticks);
criterion_main!(benches);
