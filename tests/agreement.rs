//! BioXen against the exact means of the same biology as a reaction network
//! (`bioxen::engine::network`): syn3A newborns, 452 protein genes, their grant held at a
//! newborn's for 600 one-second ticks, as `benches/peers.rs` runs them in rebop.
//!
//! Over 4,000 cells the mean mRNA per cell has a standard error of ~0.13 % (Poisson, ~140
//! molecules: 11.8 ÷ √4,000 ÷ 140), so the 0.5 % tolerance is ~4 standard errors; the
//! per-gene means (~0.3 mRNA each) are resolved well enough for r ≥ 0.99 (the sampling
//! noise, 0.3 ÷ 4,000 per gene, is 0.4 % of the spread of the genes' means).
//!
//! Run with `-- --nocapture` to print the figures.

use bioxen::engine::biology::Organism;
use bioxen::engine::genome::{Genome, GenomeSource};
use bioxen::engine::network::{ExpressionNetwork, HeldCells};
use bioxen::engine::program::Program;

/// Cells run.
const CELLS: usize = 4_000;
/// Seconds simulated (one-second ticks).
const SECONDS: u64 = 600;
/// Largest relative difference of a per-cell total from the exact mean.
const TOLERANCE: f64 = 0.005;
/// Smallest correlation of per-gene means with the exact ones.
const R_MIN: f64 = 0.99;

/// Pearson's correlation of two equally long series.
fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let vy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    cov / (vx * vy).sqrt()
}

#[test]
fn held_syn3a_cells_agree_with_the_networks_exact_means() {
    let program = Program::compile(&Genome::builtin(Organism::Syn3a), Organism::Syn3a, GenomeSource::Builtin, 1.0);
    let net = ExpressionNetwork::of(&program);
    let mut cells = HeldCells::newborn(&program, 2024, CELLS);
    cells.advance(&program, SECONDS);
    let t = SECONDS as f64;
    let genes = net.genes.len();
    let (mut mrna, mut proteins) = (vec![0.0; genes], vec![0.0; genes]);
    for cell in cells.cells() {
        for (i, &g) in net.genes.iter().enumerate() {
            mrna[i] += f64::from(cell.mrna_of(g)) / CELLS as f64;
            proteins[i] += f64::from(cell.proteins_of(g)) / CELLS as f64;
        }
    }
    let exact_mrna: Vec<f64> = (0..genes).map(|i| net.mean_mrna(i, t)).collect();
    let exact_proteins: Vec<f64> = (0..genes).map(|i| net.mean_protein(i, t)).collect();
    let made =
        |p: &[f64]| -> Vec<f64> { p.iter().zip(&net.protein_initial).map(|(p, &p0)| p - f64::from(p0)).collect() };
    let (made_bioxen, made_exact) = (made(&proteins), made(&exact_proteins));
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    let rows = [
        ("mRNA per cell", sum(&mrna), sum(&exact_mrna), correlation(&mrna, &exact_mrna)),
        ("proteins per cell", sum(&proteins), sum(&exact_proteins), correlation(&proteins, &exact_proteins)),
        ("proteins made per cell", sum(&made_bioxen), sum(&made_exact), correlation(&made_bioxen, &made_exact)),
    ];
    for (what, bioxen, exact, r) in rows {
        let off = bioxen / exact - 1.0;
        println!("{what}: BioXen {bioxen:.2}, exact {exact:.2} ({:+.3} %), per-gene r = {r:.4}", 100.0 * off);
        assert!(off.abs() <= TOLERANCE, "{what}: BioXen {bioxen} against {exact} exactly, {:+.3} %", 100.0 * off);
        assert!(r >= R_MIN, "{what}: per-gene means correlate r = {r}");
    }
}
