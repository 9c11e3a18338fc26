//! The run's summary as a table for the terminal (`bioxen run` without `--json`).

use bioxen::report::RunSummary;

/// Largest number of VM rows the table shows; the JSON always has all of them.
pub const TABLE_ROWS_MAX: usize = 50;

/// A fraction as a percentage, or `-` when there is none.
fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{:.1} %", 100.0 * x))
}

/// The human-readable report.
pub fn table(summary: &RunSummary) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header([
        "VM",
        "organism",
        "state",
        "proteins",
        "divisions",
        "doubling (min)",
        "ATP met",
        "ribosomes met",
        "starved ticks",
    ]);
    for v in summary.vms.iter().take(TABLE_ROWS_MAX) {
        let m = &v.metrics;
        t.add_row([
            m.id.clone(),
            v.organism.clone(),
            v.state.clone(),
            m.proteins.to_string(),
            m.divisions.to_string(),
            m.mean_doubling_minutes.map_or("-".into(), |d| format!("{d:.1}")),
            percent(v.atp_demand_met),
            percent(v.ribosome_demand_met),
            m.starved_ticks.to_string(),
        ]);
    }
    let mut out = format!(
        "{}: {} ticks, policy {}, seed {}\n{t}\n",
        summary.scenario, summary.ticks, summary.policy, summary.seed
    );
    if summary.vms.len() > TABLE_ROWS_MAX {
        out.push_str(&format!("({} more VMs; --json lists all)\n", summary.vms.len() - TABLE_ROWS_MAX));
    }
    out.push_str(&format!(
        "{:.0} VM-ticks/s over {:.2} s\ndigest {}\n",
        summary.vm_ticks_per_second, summary.elapsed_seconds, summary.digest
    ));
    out
}
