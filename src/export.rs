//! Exporting a trace: one row per VM per tick, as CSV or JSON lines.

use crate::error::{Error, Result};
use bioxen_engine::trace::TraceReader;
use std::io::{Read, Write};

/// How rows are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values, with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// The CSV header.
pub const COLUMNS: &str = "tick,vm,state,demand_atp,demand_ribosomes,demand_rnap,grant_atp,grant_ribosomes,grant_rnap,mrna,proteins,mass_aa,proteins_made,divisions";

/// Writes every record of `trace` to `w`; `progress` is told each tick written.
pub fn rows<R: Read>(
    trace: &mut TraceReader<R>,
    format: Format,
    w: &mut dyn Write,
    mut progress: impl FnMut(u64),
) -> Result<()> {
    let out = |e| Error::io("the export", e);
    let ids: Vec<String> = trace.scenario.vms.iter().map(|v| v.id.clone()).collect();
    if format == Format::Csv {
        writeln!(w, "{COLUMNS}").map_err(out)?;
    }
    while let Ok(tick) = trace.next_tick()? {
        progress(tick.tick + 1);
        for v in &tick.vms {
            // The reader checked every record names an existing VM.
            let id = &ids[v.vm as usize];
            match format {
                Format::Csv => writeln!(
                    w,
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    tick.tick,
                    id,
                    v.state.name(),
                    v.demand.atp,
                    v.demand.ribosomes,
                    v.demand.rnap,
                    v.grant.atp,
                    v.grant.ribosomes,
                    v.grant.rnap,
                    v.mrna,
                    v.proteins,
                    v.mass_aa,
                    v.proteins_made,
                    v.divisions
                )
                .map_err(out)?,
                Format::Jsonl => {
                    let row = serde_json::json!({
                        "tick": tick.tick, "vm": id, "state": v.state.name(),
                        "demand_atp": v.demand.atp, "demand_ribosomes": v.demand.ribosomes, "demand_rnap": v.demand.rnap,
                        "grant_atp": v.grant.atp, "grant_ribosomes": v.grant.ribosomes, "grant_rnap": v.grant.rnap,
                        "mrna": v.mrna, "proteins": v.proteins, "mass_aa": v.mass_aa,
                        "proteins_made": v.proteins_made, "divisions": v.divisions,
                    });
                    serde_json::to_writer(&mut *w, &row)?;
                    writeln!(w).map_err(out)?;
                }
            }
        }
    }
    Ok(())
}
