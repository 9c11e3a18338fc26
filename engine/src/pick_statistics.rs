//! Translation's picks from one 32-bit word (cells on the eight-block stream, `vm::pick`)
//! against the 64-bit picks every cell made before: the same biology within sampling
//! error. The four-block stream of the same program is the reference, since only the pick
//! differs between the two (the stream's words are the same, its buffer's size aside).
//!
//! `CELLS` E. coli cells each way (independent seeds), `TICKS` one-second ticks from birth
//! (ten minutes, two mRNA half-lives: ~1 M proteins made per cell, before the first
//! division), every demand granted. Per gene, for protein and mRNA counts:
//! - the means agree: |z| ≤ `Z_MAX` for the difference of the two means over its
//!   standard error;
//! - the variances agree: the ratio within a factor `VARIANCE_RATIO_MAX` either way, per
//!   gene with at least `SIGNAL_MIN` molecules on average;
//!
//! and over all genes, the mean of z² stays within `CHI_SQUARE_SLACK` of 1 and the median
//! variance ratio within `MEDIAN_RATIO_SLACK` of 1. Mutations tried when it was written:
//! a pick that never takes the last molecule fails (the last gene's proteins, z = −11.5),
//! and so does a 12-bit pick (z = −8.1); a 16-bit pick without rejection, which
//! over-weights 16 of ~4,700 positions by 7 %, is within sampling error at this size.

use super::*;
use crate::biology::Organism;
use crate::cell_stream::{EIGHT_BLOCKS, FOUR_BLOCKS};
use crate::genome::{Genome, GenomeSource};
use crate::rng::vm_stream;

/// Cells each way.
const CELLS: usize = 240;
/// One-second ticks from birth.
const TICKS: u32 = 600;
/// Largest |z| of one gene's difference of means (~6 × 10⁻⁷ two-sided per gene).
const Z_MAX: f64 = 5.0;
/// Largest ratio of one gene's variances either way, for genes with enough molecules.
const VARIANCE_RATIO_MAX: f64 = 3.0;
/// Molecules a gene needs on average for its variance to be compared.
const SIGNAL_MIN: f64 = 1.0;
/// Mean z² over all genes: 1 ± this.
const CHI_SQUARE_SLACK: f64 = 0.2;
/// Median variance ratio over all genes: 1 ± this.
const MEDIAN_RATIO_SLACK: f64 = 0.1;

/// Per gene, the mean and variance of a count over the cells.
struct Moments {
    mean: Vec<f64>,
    variance: Vec<f64>,
}

impl Moments {
    fn of(cells: &[Vec<u32>]) -> Moments {
        let n = cells.len() as f64;
        let genes = cells[0].len();
        let mean: Vec<f64> = (0..genes).map(|g| cells.iter().map(|c| f64::from(c[g])).sum::<f64>() / n).collect();
        let variance = (0..genes)
            .map(|g| {
                cells.iter().map(|c| (f64::from(c[g]) - mean[g]) * (f64::from(c[g]) - mean[g])).sum::<f64>() / (n - 1.0)
            })
            .collect();
        Moments { mean, variance }
    }
}

/// Protein and mRNA counts per gene of `CELLS` cells advanced on the `W`-word stream.
fn grow<const W: usize>(program: &Program, seed: u64) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    let genes = program.genes();
    (0..CELLS)
        .map(|i| {
            let mut vm = Vm::new(program, vm_stream(seed, &format!("cell-{i}")));
            for _ in 0..TICKS {
                vm.refresh_demand(program, 1.0);
                let demand = vm.next_demand();
                vm.advance_drawing::<W>(program, demand, demand, 1.0);
            }
            ((0..genes).map(|g| vm.proteins.get(g)).collect(), vm.mrna.counts(genes))
        })
        .unzip()
}

/// What the comparison of one kind of count found.
#[derive(Debug)]
struct Agreement {
    worst_z: (f64, usize),
    mean_z_squared: f64,
    worst_ratio: (f64, usize),
    median_ratio: f64,
}

fn compare(narrow: &[Vec<u32>], wide: &[Vec<u32>]) -> Agreement {
    let (a, b) = (Moments::of(narrow), Moments::of(wide));
    let n = CELLS as f64;
    let mut zs = Vec::new();
    let mut ratios = Vec::new();
    for g in 0..a.mean.len() {
        let error = libm::sqrt((a.variance[g] + b.variance[g]) / n);
        if error > 0.0 {
            zs.push(((a.mean[g] - b.mean[g]) / error, g));
        } else {
            assert_eq!(a.mean[g], b.mean[g], "gene {g}: no spread either way, and different counts");
        }
        if a.mean[g].min(b.mean[g]) >= SIGNAL_MIN && b.variance[g] > 0.0 {
            ratios.push((a.variance[g] / b.variance[g], g));
        }
    }
    let worst_z = zs.iter().copied().max_by(|x, y| x.0.abs().total_cmp(&y.0.abs())).unwrap();
    let mean_z_squared = zs.iter().map(|(z, _)| z * z).sum::<f64>() / zs.len() as f64;
    assert!(ratios.len() >= 100, "only {} genes with enough molecules", ratios.len());
    let worst_ratio =
        ratios.iter().copied().max_by(|x, y| libm::log(x.0).abs().total_cmp(&libm::log(y.0).abs())).unwrap();
    ratios.sort_by(|x, y| x.0.total_cmp(&y.0));
    Agreement { worst_z, mean_z_squared, worst_ratio, median_ratio: ratios[ratios.len() / 2].0 }
}

fn assert_agrees(what: &str, found: &Agreement) {
    let Agreement { worst_z, mean_z_squared, worst_ratio, median_ratio } = *found;
    let what = format!("{what} ({found:?})");
    assert!(worst_z.0.abs() <= Z_MAX, "{what}: gene {} differs in mean, z = {:.2}", worst_z.1, worst_z.0);
    assert!((mean_z_squared - 1.0).abs() <= CHI_SQUARE_SLACK, "{what}: mean z² {mean_z_squared:.3}");
    let (ratio, gene) = worst_ratio;
    assert!(
        (1.0 / VARIANCE_RATIO_MAX..=VARIANCE_RATIO_MAX).contains(&ratio),
        "{what}: gene {gene} variance × {ratio:.2}"
    );
    assert!((median_ratio - 1.0).abs() <= MEDIAN_RATIO_SLACK, "{what}: median variance ratio {median_ratio:.3}");
}

fn ecoli() -> Program {
    let program = Program::compile(&Genome::builtin(Organism::Ecoli), Organism::Ecoli, GenomeSource::Builtin, 1.0);
    assert!(program.draws_many(), "E. coli cells take the eight-block stream, and with it the narrow picks");
    program
}

#[test]
fn narrow_picks_make_the_wide_picks_statistics() {
    let program = ecoli();
    let (proteins_narrow, mrna_narrow) = grow::<EIGHT_BLOCKS>(&program, 101);
    let (proteins_wide, mrna_wide) = grow::<FOUR_BLOCKS>(&program, 202);
    let proteins = compare(&proteins_narrow, &proteins_wide);
    let mrna = compare(&mrna_narrow, &mrna_wide);
    assert_agrees("proteins", &proteins);
    assert_agrees("mRNA", &mrna);
}
