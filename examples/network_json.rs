//! The syn3A expression network of `bioxen::engine::network` as JSON on standard output:
//! per protein gene its transcription rate and a newborn's counts (BioXen's newborns,
//! seed 2024, as `benches/peers.rs` starts them), the decay and translation rates, for
//! running the same network in another simulator (`benches/peers.py` times rebop's
//! Python package on it).
//!
//! `cargo run --release --example network_json -- [CELLS] > network.json` (default 1).

use bioxen::engine::biology::Organism;
use bioxen::engine::genome::{Genome, GenomeSource};
use bioxen::engine::network::{ExpressionNetwork, HeldCells};
use bioxen::engine::program::Program;

fn main() -> Result<(), String> {
    let cells: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|e| format!("CELLS {n:?}: {e}"))?,
        None => 1,
    };
    if !(1..=100_000).contains(&cells) {
        return Err(format!("CELLS must be 1 to 100,000, not {cells}"));
    }
    let program = Program::compile(&Genome::builtin(Organism::Syn3a), Organism::Syn3a, GenomeSource::Builtin, 1.0);
    let net = ExpressionNetwork::of(&program);
    // Its own check: 452 protein genes, and at steady state the messages keep the granted
    // ribosomes busy, as the engine's translation does.
    if net.genes.len() != 452 || (net.steady_aa_per_s() / net.aa_per_s - 1.0).abs() > 1e-9 {
        return Err(format!("not syn3A's network: {} genes, {} aa/s", net.genes.len(), net.steady_aa_per_s()));
    }
    let held = HeldCells::newborn(&program, 2024, cells);
    let counts: Vec<serde_json::Value> = held
        .cells()
        .iter()
        .map(|c| {
            let mrna: Vec<u32> = net.genes.iter().map(|&g| c.mrna_of(g)).collect();
            let proteins: Vec<u32> = net.genes.iter().map(|&g| c.proteins_of(g)).collect();
            serde_json::json!({ "mrna": mrna, "proteins": proteins })
        })
        .collect();
    let json = serde_json::json!({
        "seconds": 600,
        "transcription_per_s": net.transcription_per_s,
        "mrna_decay_per_s": net.mrna_decay_per_s,
        "translation_per_mrna_per_s": net.translation_per_mrna_per_s,
        "cells": counts,
    });
    println!("{json}");
    Ok(())
}
