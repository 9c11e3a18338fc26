//! `bioxen export`: a trace as CSV or JSON lines, one row per VM per tick.

use super::run::progress_bar;
use super::{ExportArgs, ExportFormat};
use bioxen::error::{Error, Result};
use bioxen::files::{self, Destination};
use bioxen_engine::trace::TraceReader;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

pub fn export(a: ExportArgs) -> Result<ExitCode> {
    let dest = match &a.out {
        Some(path) => files::destination(path, "--out")?,
        None => Destination::Stdout,
    };
    if let Some(out) = &a.out {
        files::refuse_overwriting(&dest, "--out", out, &[&a.trace])?;
    }
    let mut trace = files::open_trace(&a.trace)?;
    // Read errors surface with the output dropped unfinished: no partial file is left.
    files::write_output(&dest, |w| rows(&mut trace, a.format, w, &a.trace))?;
    Ok(ExitCode::SUCCESS)
}

const COLUMNS: &str = "tick,vm,state,demand_atp,demand_ribosomes,demand_rnap,grant_atp,grant_ribosomes,grant_rnap,mrna,proteins,mass_aa,proteins_made,divisions";

fn rows<R: Read>(trace: &mut TraceReader<R>, format: ExportFormat, w: &mut dyn Write, path: &Path) -> Result<()> {
    let out = |e| Error::io("the export", e);
    let ids: Vec<String> = trace.scenario.vms.iter().map(|v| v.id.clone()).collect();
    let bar = progress_bar(trace.scenario.ticks, 0, false, "ticks");
    if let ExportFormat::Csv = format {
        writeln!(w, "{COLUMNS}").map_err(out)?;
    }
    while let Ok(tick) = trace.next_tick()? {
        bar.set_position(tick.tick + 1);
        for v in &tick.vms {
            // The reader checked every record names an existing VM.
            let id = &ids[v.vm as usize];
            match format {
                ExportFormat::Csv => writeln!(
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
                ExportFormat::Jsonl => {
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
    bar.finish_and_clear();
    tracing::info!(trace = %path.display(), "exported");
    Ok(())
}
