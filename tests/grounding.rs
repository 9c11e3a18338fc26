//! The grounding check: a syn3A VM given syn3A's own resources divides every 105 min ± 30 %
//! (Breuer et al. 2019; Thornburg et al. 2022).

mod common;
use common::*;

/// syn3A's own machinery: ~500 ribosomes and 187 RNA polymerases (Thornburg et al. 2022),
/// ATP not limiting, no host reserve; and one syn3A VM on it.
const OWN_RESOURCES: &str = r#"[chassis]
kind = "ecoli"
ribosomes = 500
rnap = 187
atp_per_s = 1000000000
atp_store_max = 1000000000
reserve_fraction = 0.0
ribosome_reserve_fraction = 0.0
[[vm]]
id = "syn3a"
organism = "syn3a"
"#;

#[test]
fn syn3a_with_its_own_resources_doubles_in_105_minutes() {
    // The cell has exactly its own machinery.
    let text = r#"
format_version = 1
[simulation]
seed = 2022
ticks = 36000
policy = "fair"
"#
    .to_string()
        + OWN_RESOURCES;
    let o = {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("g.toml"), text).unwrap();
        bioxen_in(dir.path(), &["run", "g.toml", "--json"])
    };
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let vm = &v["vms"][0];
    let divisions = vm["divisions"].as_u64().unwrap();
    let doubling = vm["mean_doubling_minutes"].as_f64().unwrap();
    assert!(divisions >= 4, "only {divisions} divisions in 10 h");
    assert!((73.5..=136.5).contains(&doubling), "mean doubling {doubling:.1} min, outside 105 ± 30 %");
    assert_eq!(vm["starved_ticks"], 0);
}

/// Measured expression: a syn3A VM from the real annotation with the whole-cell model's
/// mean mRNA counts (`../shared/data/syn3a/mRNA_counts.csv`) keeps each gene's mean mRNA,
/// over ten simulated hours, in proportion to the measured count (Pearson r ≥ 0.95), and
/// still doubles in 105 min ± 30 %.
#[test]
fn measured_expression_is_what_the_cell_expresses() {
    if !shared_present() {
        return;
    }
    let shared = root().join("../shared/data/syn3a");
    let text = format!(
        r#"
format_version = 1
[simulation]
seed = 2019
ticks = 7200
tick_seconds = 5.0
policy = "fair"
{OWN_RESOURCES}genome_file = "{}"
expression_file = "{}"
"#,
        shared.join("syn3A.gb").display(),
        shared.join("mRNA_counts.csv").display()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("measured.toml");
    std::fs::write(&path, text).unwrap();
    let scenario = bioxen::files::load_scenario(&path).unwrap();
    let genome = scenario.genomes[0].clone();
    let measured: Vec<(usize, f64)> = genome
        .expression
        .as_ref()
        .unwrap()
        .iter()
        .enumerate()
        .filter_map(|(g, c)| {
            c.filter(|_| genome.genes[g].kind == bioxen::engine::genome::GeneKind::Protein).map(|c| (g, c))
        })
        .collect();
    assert_eq!(measured.len(), 455);
    let mut sim = bioxen::engine::sim::Simulation::new(scenario).unwrap();
    let mut sums = vec![0u64; measured.len()];
    let mut ticks = 0u64;
    while !sim.finished() {
        sim.step().unwrap();
        let cell = &sim.vms()[0];
        for (sum, &(g, _)) in sums.iter_mut().zip(&measured) {
            *sum += u64::from(cell.mrna_of(g));
        }
        ticks += 1;
    }
    let model: Vec<f64> = sums.iter().map(|&s| s as f64 / ticks as f64).collect();
    let data: Vec<f64> = measured.iter().map(|&(_, c)| c).collect();
    let r = pearson(&model, &data);
    let stats = &sim.vms()[0].stats;
    let doubling = stats.cycle_ticks_total as f64 * 5.0 / 60.0 / f64::from(stats.divisions);
    println!(
        "Pearson r = {r:.4} over {} genes; {} divisions, mean doubling {doubling:.1} min",
        data.len(),
        stats.divisions
    );
    assert!(r >= 0.95, "per-gene mean mRNA vs measured counts: r = {r:.4}");
    assert!(stats.divisions >= 4, "only {} divisions in 10 h", stats.divisions);
    assert!((73.5..=136.5).contains(&doubling), "mean doubling {doubling:.1} min, outside 105 ± 30 %");
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}
