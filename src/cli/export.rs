//! `bioxen export`: a trace as CSV or JSON lines, one row per VM per tick.

use super::{ExportArgs, ExportFormat};
use bioxen_engine::codec;
use bioxen_engine::trace::TraceReader;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

pub fn export(a: ExportArgs) -> anyhow::Result<ExitCode> {
    let mut trace = TraceReader::open(&a.trace)?;
    match &a.out {
        Some(path) => {
            // Read errors surface after the temporary file is removed, never as a partial file.
            let mut failure = None;
            let written = codec::write_atomically(path, |w| {
                rows(&mut trace, a.format, w).map_err(|e| {
                    failure = Some(e);
                    io::Error::other("export failed")
                })
            });
            if let Some(e) = failure {
                return Err(e);
            }
            written.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
        None => {
            let mut out = BufWriter::new(io::stdout().lock());
            rows(&mut trace, a.format, &mut out)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

const COLUMNS: &str = "tick,vm,state,demand_atp,demand_ribosomes,demand_rnap,grant_atp,grant_ribosomes,grant_rnap,mrna,proteins,mass_aa,proteins_made,divisions";

fn rows(trace: &mut TraceReader, format: ExportFormat, w: &mut dyn Write) -> anyhow::Result<()> {
    let ids: Vec<String> = trace.header.scenario.vms.iter().map(|v| v.id.clone()).collect();
    if let ExportFormat::Csv = format {
        writeln!(w, "{COLUMNS}")?;
    }
    while let Ok(tick) = trace.next_tick()? {
        for v in &tick.vms {
            let id = ids.get(v.vm as usize).map_or("?", String::as_str);
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
                )?,
                ExportFormat::Jsonl => {
                    let row = serde_json::json!({
                        "tick": tick.tick, "vm": id, "state": v.state.name(),
                        "demand_atp": v.demand.atp, "demand_ribosomes": v.demand.ribosomes, "demand_rnap": v.demand.rnap,
                        "grant_atp": v.grant.atp, "grant_ribosomes": v.grant.ribosomes, "grant_rnap": v.grant.rnap,
                        "mrna": v.mrna, "proteins": v.proteins, "mass_aa": v.mass_aa,
                        "proteins_made": v.proteins_made, "divisions": v.divisions,
                    });
                    serde_json::to_writer(&mut *w, &row)?;
                    writeln!(w)?;
                }
            }
        }
    }
    Ok(())
}
