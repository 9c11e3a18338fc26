//! `bioxen export`: a trace as CSV or JSON lines, one row per VM per tick.

use super::ExportArgs;
use super::run::progress_bar;
use bioxen::error::Result;
use bioxen::export;
use bioxen::files::{self, Destination};
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
    if a.genes.is_empty() && a.vm.is_some() {
        return Err(bioxen::Error::BadInput("--vm goes with --genes".into()));
    }
    let bar = progress_bar(trace.scenario.ticks, 0, false, "ticks");
    // Read errors surface with the output dropped unfinished: no partial file is left.
    if a.genes.is_empty() {
        files::write_output(&dest, |w| export::rows(&mut trace, a.format.into(), w, |t| bar.set_position(t)))?;
    } else {
        let vm = bioxen::genes::vm_of(&trace, a.vm.as_deref())?;
        files::write_output(&dest, |w| {
            export::gene_rows(&mut trace, &a.trace, vm, &a.genes, a.format.into(), w, |t| bar.set_position(t))
        })?;
    }
    bar.finish_and_clear();
    Ok(ExitCode::SUCCESS)
}
