//! Exporting a trace: one row per VM per tick, as CSV or JSON lines.

use crate::error::{Error, Result};
use bioxen_engine::record::VmRecord;
use bioxen_engine::trace::TraceReader;
use std::io::{Read, Write};

/// How rows are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    let ids: Vec<String> = trace.scenario.vms.iter().map(|v| v.id.clone()).collect();
    header(format, w, &[])?;
    while let Ok(tick) = trace.next_tick()? {
        progress(tick.tick + 1);
        for v in &tick.vms {
            // The reader checked every record names an existing VM.
            row(format, w, tick.tick, &ids[v.vm as usize], v, &[], &[])?;
        }
    }
    Ok(())
}

/// `export --genes`: VM `vm`'s rows only, each with the protein molecules of `genes` after
/// its tick, read by re-running the trace's scenario ([`crate::genes::read`]; `what`
/// names the trace in errors).
pub fn gene_rows<R: Read>(
    trace: &mut TraceReader<R>,
    what: &std::path::Path,
    vm: usize,
    genes: &[String],
    format: Format,
    w: &mut dyn Write,
    mut progress: impl FnMut(u64),
) -> Result<()> {
    let id = trace.scenario.vms[vm].id.clone();
    // The header once the genes are known to exist: an unknown one writes nothing.
    let mut started = false;
    crate::genes::read(
        trace,
        what,
        vm,
        genes,
        |_| true,
        |record, counts, names| {
            if !std::mem::replace(&mut started, true) {
                header(format, w, names)?;
            }
            progress(record.tick + 1);
            match record.vms.iter().find(|v| v.vm as usize == vm) {
                Some(v) => row(format, w, record.tick, &id, v, names, counts),
                None => Ok(()),
            }
        },
    )
}

fn header(format: Format, w: &mut dyn Write, genes: &[String]) -> Result<()> {
    if format == Format::Csv {
        let extra: String = genes.iter().map(|g| format!(",protein:{g}")).collect();
        writeln!(w, "{COLUMNS}{extra}").map_err(|e| Error::io("the export", e))?;
    }
    Ok(())
}

/// One VM's row at `tick`, with `genes`' protein molecules `counts` when there are any.
fn row(
    format: Format,
    w: &mut dyn Write,
    tick: u64,
    id: &str,
    v: &VmRecord,
    genes: &[String],
    counts: &[u32],
) -> Result<()> {
    let out = |e| Error::io("the export", e);
    match format {
        Format::Csv => {
            let extra: String = counts.iter().map(|n| format!(",{n}")).collect();
            writeln!(
                w,
                "{tick},{id},{},{},{},{},{},{},{},{},{},{},{},{}{extra}",
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
            .map_err(out)
        }
        Format::Jsonl => {
            let mut row = serde_json::json!({
                "tick": tick, "vm": id, "state": v.state.name(),
                "demand_atp": v.demand.atp, "demand_ribosomes": v.demand.ribosomes, "demand_rnap": v.demand.rnap,
                "grant_atp": v.grant.atp, "grant_ribosomes": v.grant.ribosomes, "grant_rnap": v.grant.rnap,
                "mrna": v.mrna, "proteins": v.proteins, "mass_aa": v.mass_aa,
                "proteins_made": v.proteins_made, "divisions": v.divisions,
            });
            if !genes.is_empty() {
                let per_gene: serde_json::Map<String, serde_json::Value> =
                    genes.iter().zip(counts).map(|(g, n)| (g.clone(), serde_json::Value::from(*n))).collect();
                row["protein"] = serde_json::Value::Object(per_gene);
            }
            serde_json::to_writer(&mut *w, &row)?;
            writeln!(w).map_err(out)
        }
    }
}
