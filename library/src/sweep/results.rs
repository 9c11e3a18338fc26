//! A sweep's rows and the files that hold them: `results.jsonl` (appended while running,
//! rewritten sorted at the end) and `results.csv`.

use super::plan::SetAxis;
use crate::error::{Error, Result};
use crate::files;
use crate::metrics::VmMetrics;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

/// Longest line read back from a `results.jsonl`: a row with the most VMs a scenario may
/// have is far shorter. Bounds what a damaged or foreign file can make us hold.
const ROW_BYTES_MAX: u64 = 256 * 1024 * 1024;

/// One finished run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Run number in the full plan.
    pub run: usize,
    /// Seed.
    pub seed: u64,
    /// Policy name.
    pub policy: String,
    /// `--set` key → value.
    pub set: BTreeMap<String, String>,
    /// The run's digest.
    pub digest: String,
    /// Proteins made by all VMs.
    pub proteins_total: u64,
    /// Jain's index over demand met.
    pub jain_fairness: f64,
    /// Smallest demand met.
    pub worst_demand_met: f64,
    /// Jain's index over weighted dominant shares.
    pub jain_dominant: f64,
    /// ATP granted / offered.
    pub atp_utilisation: f64,
    /// Ribosomes granted / offered.
    pub ribosome_utilisation: f64,
    /// Per-VM metrics, in id order.
    pub vms: Vec<VmMetrics>,
    /// Wall-clock seconds (the one column that varies between identical sweeps).
    pub elapsed_seconds: f64,
}

/// Rows of a `results.jsonl`, by run; a torn or unreadable line (a crash mid-write) is
/// dropped, and a run written twice keeps its first row. Lines are read within a bound.
pub fn read_rows(path: &Path) -> Result<BTreeMap<usize, Row>> {
    let mut rows = BTreeMap::new();
    let file = match files::open_input(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(rows),
        Err(e) => return Err(Error::BadInput(format!("{}: {e}", path.display()))),
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read =
            (&mut reader).take(ROW_BYTES_MAX).read_until(b'\n', &mut line).map_err(|e| Error::io(path.display(), e))?;
        if read == 0 {
            break;
        }
        if read as u64 >= ROW_BYTES_MAX && line.last() != Some(&b'\n') {
            return Err(Error::BadInput(format!("{}: a line longer than {ROW_BYTES_MAX} bytes", path.display())));
        }
        if let Ok(row) = serde_json::from_slice::<Row>(&line) {
            rows.entry(row.run).or_insert(row);
        }
    }
    Ok(rows)
}

/// Writes rows as JSON lines.
pub(super) fn write_jsonl<'a>(w: &mut dyn Write, rows: impl Iterator<Item = &'a Row>) -> Result<()> {
    for r in rows {
        serde_json::to_writer(&mut *w, r)?;
        w.write_all(b"\n").map_err(|e| Error::io("results.jsonl", e))?;
    }
    Ok(())
}

/// Writes `results.jsonl` and `results.csv`, sorted by run, atomically.
pub fn write_results(out: &Path, rows: &[Row], sets: &[SetAxis]) -> Result<()> {
    files::write_file(&out.join("results.jsonl"), |w| write_jsonl(w, rows.iter()))?;
    files::write_file(&out.join("results.csv"), |w| {
        write_csv(w, rows, sets).map_err(|e| Error::io(out.join("results.csv").display(), e))
    })
}

const VM_COLUMNS: [&str; 8] = [
    "proteins",
    "atp_granted",
    "ribosome_ticks",
    "demand_met",
    "starved_ticks",
    "divisions",
    "mean_doubling_minutes",
    "dominant_share",
];

fn write_csv(w: &mut dyn Write, rows: &[Row], sets: &[SetAxis]) -> std::io::Result<()> {
    let mut header: Vec<String> = ["run", "seed", "policy"].map(String::from).to_vec();
    header.extend(sets.iter().map(|s| s.key.clone()));
    header.extend(
        [
            "digest",
            "proteins_total",
            "jain_fairness",
            "worst_demand_met",
            "jain_dominant",
            "atp_utilisation",
            "ribosome_utilisation",
        ]
        .map(String::from),
    );
    if let Some(first) = rows.first() {
        for vm in &first.vms {
            header.extend(VM_COLUMNS.iter().map(|c| format!("{}.{c}", vm.id)));
        }
    }
    header.push("elapsed_seconds".into());
    writeln!(w, "{}", header.join(","))?;
    for r in rows {
        let mut cells: Vec<String> = vec![r.run.to_string(), r.seed.to_string(), r.policy.clone()];
        cells.extend(sets.iter().map(|s| r.set.get(&s.key).cloned().unwrap_or_default()));
        cells.extend([
            r.digest.clone(),
            r.proteins_total.to_string(),
            r.jain_fairness.to_string(),
            r.worst_demand_met.to_string(),
            r.jain_dominant.to_string(),
            r.atp_utilisation.to_string(),
            r.ribosome_utilisation.to_string(),
        ]);
        for vm in &r.vms {
            cells.extend([
                vm.proteins.to_string(),
                vm.atp_granted.to_string(),
                vm.ribosome_ticks.to_string(),
                vm.demand_met.to_string(),
                vm.starved_ticks.to_string(),
                vm.divisions.to_string(),
                vm.mean_doubling_minutes.map_or(String::new(), |m| m.to_string()),
                vm.dominant_share.to_string(),
            ]);
        }
        cells.push(r.elapsed_seconds.to_string());
        writeln!(w, "{}", cells.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// `--resume` and `sweep-merge` read rows back from JSON; their floats must come
        /// back bit for bit or the merged results differ from a single sweep's in the last
        /// digit (serde_json's `float_roundtrip`).
        #[test]
        fn floats_survive_the_json_round_trip(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            let back: f64 = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
            prop_assert_eq!(back.to_bits(), x.to_bits());
        }
    }
}
