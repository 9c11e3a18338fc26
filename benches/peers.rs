//! BioXen against an exact stochastic simulator on the same biology: rebop's dynamic
//! `gillespie` API running the syn3A expression network (`bioxen::engine::network`: 452
//! protein genes, 904 species, 1,356 reactions, every rate derived from the engine's
//! program and a newborn's grant), against BioXen's own tick running the same newborns
//! with that grant held, for 600 simulated seconds, 1 and 100 cells. Both sides start
//! from the same cells (BioXen's newborns' counts) and only the simulation is timed.
//!
//! Before timing, the rebop side is checked against the network's closed-form means
//! (many exact runs, the derivation `tests/agreement.rs` relies on), and one timed pass
//! of each side is printed with their ratio.
//!
//! Run: `cargo bench --bench peers` (`BIOXEN_PEERS_CHECK_CELLS` sets the exact runs
//! checked, 400 by default). `benches/peers.py` times rebop's Python package on the same
//! network (`cargo run --release --example network_json`).

use bioxen::engine::biology::Organism;
use bioxen::engine::genome::{Genome, GenomeSource};
use bioxen::engine::network::{ExpressionNetwork, HeldCells};
use bioxen::engine::program::Program;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rebop::gillespie::{Gillespie, Rate};
use std::time::{Duration, Instant};

/// Simulated seconds.
const SECONDS: f64 = 600.0;
/// Seed of BioXen's newborns (their streams, and so their counts).
const SEED: u64 = 2024;

fn program() -> Program {
    Program::compile(&Genome::builtin(Organism::Syn3a), Organism::Syn3a, GenomeSource::Builtin, 1.0)
}

/// The network in rebop, from `counts` (mRNA then proteins, per protein gene).
fn rebop_cell(net: &ExpressionNetwork, counts: &[isize], seed: u64) -> Gillespie {
    let species = 2 * net.genes.len();
    let mut g = Gillespie::new_with_seed(counts, true, seed);
    // A vector over the species, `value` at `at` and 0 elsewhere.
    fn one<T: Copy + Default>(species: usize, at: usize, value: T) -> Vec<T> {
        let mut v = vec![T::default(); species];
        v[at] = value;
        v
    }
    let none = vec![0u32; species];
    for i in 0..net.genes.len() {
        let mrna = one(species, i, 1u32);
        let protein = species / 2 + i;
        g.add_reaction(Rate::lma(net.transcription_per_s[i], &none), one(species, i, 1isize));
        g.add_reaction(Rate::lma(net.mrna_decay_per_s, &mrna), one(species, i, -1isize));
        g.add_reaction(Rate::lma(net.translation_per_mrna_per_s, &mrna), one(species, protein, 1isize));
    }
    g
}

/// The newborns' counts, mRNA then proteins per protein gene, as rebop's species.
fn newborn_counts(program: &Program, net: &ExpressionNetwork, cells: usize) -> Vec<Vec<isize>> {
    let held = HeldCells::newborn(program, SEED, cells);
    let of = |cell: &bioxen::engine::vm::Vm| {
        let mrna = net.genes.iter().map(|&g| cell.mrna_of(g) as isize);
        mrna.chain(net.genes.iter().map(|&g| cell.proteins_of(g) as isize)).collect()
    };
    held.cells().iter().map(of).collect()
}

/// rebop's mean mRNA and proteins per cell at 600 s over `cells` exact runs, against the
/// closed form: the check that the network's means are what its rates say.
fn check_against_exact(program: &Program, net: &ExpressionNetwork, cells: usize) {
    let genes = net.genes.len();
    let (mut mrna, mut proteins) = (0.0, 0.0);
    for (c, counts) in newborn_counts(program, net, cells).iter().enumerate() {
        let mut g = rebop_cell(net, counts, 1000 + c as u64);
        g.advance_until(SECONDS);
        mrna += (0..genes).map(|i| g.get_species(i) as f64).sum::<f64>() / cells as f64;
        proteins += (0..genes).map(|i| g.get_species(genes + i) as f64).sum::<f64>() / cells as f64;
    }
    let exact_mrna: f64 = (0..genes).map(|i| net.mean_mrna(i, SECONDS)).sum();
    let exact_proteins: f64 = (0..genes).map(|i| net.mean_protein(i, SECONDS)).sum();
    println!(
        "rebop over {cells} cells at {SECONDS} s: mRNA {mrna:.2} (exact {exact_mrna:.2}, {:+.2} %), \
         proteins {proteins:.1} (exact {exact_proteins:.1}, {:+.3} %)",
        100.0 * (mrna / exact_mrna - 1.0),
        100.0 * (proteins / exact_proteins - 1.0),
    );
}

/// One timed pass of each side, `cells` cells, printed with their ratio.
fn one_pass(program: &Program, net: &ExpressionNetwork, cells: usize) {
    let mut peers: Vec<Gillespie> =
        newborn_counts(program, net, cells).iter().enumerate().map(|(c, x)| rebop_cell(net, x, c as u64)).collect();
    let start = Instant::now();
    peers.iter_mut().for_each(|g| g.advance_until(SECONDS));
    let rebop = start.elapsed();
    let mut held = HeldCells::newborn(program, SEED, cells);
    let start = Instant::now();
    held.advance(program, SECONDS as u64);
    let bioxen = start.elapsed();
    println!(
        "{cells} cells, {SECONDS} s: rebop {:.2} ms, BioXen {:.3} ms, ratio {:.0}×",
        rebop.as_secs_f64() * 1e3,
        bioxen.as_secs_f64() * 1e3,
        rebop.as_secs_f64() / bioxen.as_secs_f64()
    );
}

fn peers(c: &mut Criterion) {
    let program = program();
    let net = ExpressionNetwork::of(&program);
    let checked = std::env::var("BIOXEN_PEERS_CHECK_CELLS").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
    check_against_exact(&program, &net, checked);
    for cells in [1, 100] {
        one_pass(&program, &net, cells);
        let mut group = c.benchmark_group(format!("syn3a_600s_{cells}_cells"));
        group.sample_size(10).measurement_time(Duration::from_secs(if cells == 1 { 5 } else { 30 }));
        let counts = newborn_counts(&program, &net, cells);
        group.bench_function("rebop", |b| {
            let fresh = || counts.iter().enumerate().map(|(c, x)| rebop_cell(&net, x, c as u64)).collect::<Vec<_>>();
            b.iter_batched(fresh, |mut p| p.iter_mut().for_each(|g| g.advance_until(SECONDS)), BatchSize::PerIteration)
        });
        group.bench_function("bioxen", |b| {
            let fresh = || HeldCells::newborn(&program, SEED, cells);
            b.iter_batched(fresh, |mut h| h.advance(&program, SECONDS as u64), BatchSize::PerIteration)
        });
        group.finish();
    }
}

criterion_group!(benches, peers);
criterion_main!(benches);
