//! Criterion benchmarks of each policy's allocation step alone, at 10, 1,000 and 100,000
//! claiming VMs, on pools at 60 % of the total demand (so every policy must ration).
//! Run: `cargo bench --bench policies`.

use bioxen::engine::policy::{AnyPolicy, Claim, Policy, PolicyKind, PolicyParams};
use bioxen::engine::resources::Resources;
use bioxen::engine::rng::scheduler_stream;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

/// Claims shaped like syn3A cells of varied size, weight and priority (deterministic).
fn claims(n: usize) -> Vec<Claim> {
    (0..n)
        .map(|i| {
            let scale = 1 + (i * 7919) % 5;
            Claim {
                vm: i as u32,
                demand: Resources::new(16_200 * scale as u64, 225 * scale as u64, 64 * scale as u64),
                weight: 64 + ((i * 104_729) % 512) as u32,
                priority: (i % 3) as i32,
            }
        })
        .collect()
}

fn allocation(c: &mut Criterion) {
    let mut group = c.benchmark_group("allocate");
    group.sample_size(10).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    for n in [10usize, 1_000, 100_000] {
        let claims = claims(n);
        let total = Resources::sum(&claims.iter().map(|c| c.demand).collect::<Vec<_>>());
        let pool = Resources::new(total.atp * 6 / 10, total.ribosomes * 6 / 10, total.rnap * 6 / 10);
        group.throughput(Throughput::Elements(n as u64));
        for kind in PolicyKind::ALL {
            let mut policy = AnyPolicy::new(kind, PolicyParams::default());
            let mut rng = scheduler_stream(1);
            let mut tick = 0u64;
            group.bench_with_input(BenchmarkId::new(kind.name(), n), &claims, |b, claims| {
                b.iter(|| {
                    tick += 1;
                    policy.allocate(tick, pool, claims, &mut rng)
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, allocation);
criterion_main!(benches);
