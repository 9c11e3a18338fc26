//! A tick's length is how often the model is sampled, not biology: a guest's growth must
//! not depend on it. For every organism on every chassis, over five seeds, the mean
//! doubling time, the proteins made per simulated minute and the share of ATP demand met
//! at 5, 10 and 60-second ticks stay within 5 % of their values at 1-second ticks.
//!
//! Run with `-- --nocapture` (and `--release`, to be quick) to print the table.

mod common;
use bioxen::engine::biology::Organism;
use bioxen::engine::chassis::ChassisKind;
use bioxen::metrics::{demand_ratio, mean_doubling_minutes};
use common::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Tick lengths compared, seconds; the first is the reference.
const TICK_SECONDS: [f64; 4] = [1.0, 5.0, 10.0, 60.0];
/// Seeds each cell is run with.
const SEEDS: [u64; 5] = [11, 12, 13, 14, 15];
/// Largest relative difference from the 1-second figure.
const TOLERANCE: f64 = 0.05;

/// Simulated hours per run: at least four cell cycles (E. coli doubles in tens of minutes,
/// or in four hours on the orthogonal chassis's few ribosomes; the Mycoplasma guests in two
/// to three hours).
fn hours(organism: Organism, chassis: ChassisKind) -> u64 {
    match (organism, chassis) {
        (Organism::Ecoli, ChassisKind::Orthogonal) => 18,
        (Organism::Ecoli, _) => 3,
        (Organism::Syn3a, _) => 12,
        (Organism::MinimalCell, _) => 15,
    }
}

/// One cell's growth over one run.
#[derive(Clone, Copy, Debug, Default)]
struct Growth {
    doubling_min: f64,
    proteins_per_min: f64,
    atp_met: f64,
}

fn run(organism: Organism, chassis: ChassisKind, tick_seconds: f64, seed: u64) -> Growth {
    let seconds = hours(organism, chassis) * 3600;
    let ticks = (seconds as f64 / tick_seconds) as u64;
    let scenario = parse(&format!(
        "format_version = 1\n[simulation]\nseed = {seed}\nticks = {ticks}\ntick_seconds = {tick_seconds}\npolicy = \"fair\"\n\
         [chassis]\nkind = \"{}\"\n[[vm]]\nid = \"guest\"\norganism = \"{}\"\n",
        chassis.name(),
        organism.name()
    ));
    let mut sim = simulation(&scenario);
    sim.run(|_, _| {}).unwrap();
    let stats = &sim.vms()[0].stats;
    Growth {
        doubling_min: mean_doubling_minutes(stats, tick_seconds).unwrap_or(f64::INFINITY),
        proteins_per_min: stats.proteins_made as f64 / (seconds as f64 / 60.0),
        atp_met: demand_ratio(stats.granted.atp, stats.demanded.atp),
    }
}

/// The mean and standard deviation over seeds of one figure.
fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    (mean, (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

/// Runs every (organism, chassis, tick length, seed) on all cores; results in that order.
fn run_all(cells: &[(Organism, ChassisKind)]) -> Vec<Growth> {
    let jobs: Vec<(Organism, ChassisKind, f64, u64)> = cells
        .iter()
        .flat_map(|&(o, c)| TICK_SECONDS.iter().flat_map(move |&t| SEEDS.iter().map(move |&s| (o, c, t, s))))
        .collect();
    let results = Mutex::new(vec![Growth::default(); jobs.len()]);
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(o, c, t, s)) = jobs.get(k) else { break };
                    let g = run(o, c, t, s);
                    results.lock().unwrap()[k] = g;
                }
            });
        }
    });
    results.into_inner().unwrap()
}

#[test]
fn growth_does_not_depend_on_the_tick_length() {
    let cells: Vec<(Organism, ChassisKind)> =
        Organism::ALL.iter().flat_map(|&o| ChassisKind::ALL.iter().map(move |&c| (o, c))).collect();
    let results = run_all(&cells);
    let per_cell = TICK_SECONDS.len() * SEEDS.len();
    let mut failures = Vec::new();
    println!("| guest | chassis | tick (s) | doubling (min) | proteins / min | ATP met |");
    println!("|---|---|---:|---:|---:|---:|");
    for (k, &(organism, chassis)) in cells.iter().enumerate() {
        let mut reference = None;
        for (i, &tick) in TICK_SECONDS.iter().enumerate() {
            let runs = &results[k * per_cell + i * SEEDS.len()..][..SEEDS.len()];
            let figure = |f: fn(&Growth) -> f64| mean_sd(&runs.iter().map(f).collect::<Vec<_>>());
            let (d, p, a) = (figure(|g| g.doubling_min), figure(|g| g.proteins_per_min), figure(|g| g.atp_met));
            println!(
                "| {} | {} | {tick} | {:.1} ± {:.1} | {:.0} ± {:.0} | {:.1} % ± {:.1} |",
                organism.name(),
                chassis.name(),
                d.0,
                d.1,
                p.0,
                p.1,
                100.0 * a.0,
                100.0 * a.1
            );
            let means = [d.0, p.0, a.0];
            let base = *reference.get_or_insert(means);
            for (name, (x, x1)) in ["doubling", "proteins per minute", "ATP met"].iter().zip(means.iter().zip(base)) {
                // NaN (a cell that never divided) is outside too.
                let within = (x - x1).abs() <= TOLERANCE * x1;
                if !within {
                    failures.push(format!(
                        "{} on {} at {tick} s: {name} {x:.4} against {x1:.4} at 1 s",
                        organism.name(),
                        chassis.name()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "growth depends on the tick length:\n{}", failures.join("\n"));
}
