//! `bioxen sweep-merge`: joins shard directories into the results a single sweep gives.

use super::Manifest;
use super::results::{self, Row};
use super::runs::{read_manifest, write_manifest};
use crate::error::{Error, Result};
use crate::files;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Joins shard directories into `out`, checking they are shards of one plan and that
/// together they hold every run exactly once. `out` may not hold a sweep already (one of
/// the shards, say): merging never overwrites results.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Vec<Row>> {
    if let Some(shard) = dirs.iter().find(|d| files::same_file(d, out)) {
        return Err(Error::BadInput(format!(
            "--out {}: is the shard {}; choose another --out",
            out.display(),
            shard.display()
        )));
    }
    if out.join("manifest.json").exists() || out.join("results.jsonl").exists() || out.join("results.csv").exists() {
        return Err(Error::BadInput(format!("--out {}: already holds a sweep; choose another --out", out.display())));
    }
    let mut manifest: Option<Manifest> = None;
    let mut rows: BTreeMap<usize, Row> = BTreeMap::new();
    for dir in dirs {
        let m = read_manifest(&dir.join("manifest.json"))?;
        if let Some(first) = &manifest
            && !first.same_plan(&m)
        {
            return Err(Error::BadInput(format!(
                "{}: not a shard of the same sweep as {}",
                dir.display(),
                dirs[0].display()
            )));
        }
        for (run, row) in results::read_rows(&dir.join("results.jsonl"))? {
            if run >= m.runs_total {
                return Err(Error::BadInput(format!(
                    "{}: run {run} is outside the plan's {} runs",
                    dir.display(),
                    m.runs_total
                )));
            }
            if let Some(existing) = rows.get(&run)
                && existing.digest != row.digest
            {
                return Err(Error::BadInput(format!("run {run} differs between shards")));
            }
            rows.entry(run).or_insert(row);
        }
        manifest.get_or_insert(m);
    }
    let Some(mut manifest) = manifest else {
        return Err(Error::BadInput("sweep-merge needs at least one directory".into()));
    };
    // Every run is < runs_total (checked above), so this cannot underflow.
    let missing = manifest.runs_total - rows.len();
    if missing > 0 {
        return Err(Error::BadInput(format!(
            "the shards hold {} of {} runs; {missing} missing",
            rows.len(),
            manifest.runs_total
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::BadInput(format!("--out {}: {e}", out.display())))?;
    manifest.shard = None;
    write_manifest(&out.join("manifest.json"), &manifest)?;
    let rows: Vec<Row> = rows.into_values().collect();
    results::write_results(out, &rows, &manifest.sets)?;
    Ok(rows)
}
