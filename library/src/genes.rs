//! Genes read from a trace. A trace records each VM's totals, not its genes, so the genes'
//! protein molecules are read by re-running the trace's scenario on the engine, tick by
//! tick, and the re-run is checked against the trace's digest: what `plot --genes` draws
//! and `export --genes` writes is the run the trace recorded, or an error.

use crate::error::{Error, Result};
use bioxen_engine::record::{TickRecord, hex};
use bioxen_engine::trace::TraceReader;
use std::io::Read;
use std::path::Path;

/// The VM whose genes are read: `id`, or the scenario's first when none is given.
pub fn vm_of<R: Read>(trace: &TraceReader<R>, id: Option<&str>) -> Result<usize> {
    match id {
        Some(id) => {
            trace.scenario.vm_index(id).ok_or_else(|| Error::BadInput(format!("--vm: the trace has no VM `{id}`")))
        }
        None if trace.scenario.vms.is_empty() => Err(Error::BadInput("the trace has no VM".into())),
        None => Ok(0),
    }
}

/// Re-runs `trace`'s scenario, handing `each` every tick's record, the protein molecules
/// of `genes` of VM `vm` after it (in the order of `genes`) and the genes' full names
/// (`lac/lacZ` for a package's, `/lacZ` for the genome's where a package has a `lacZ` too),
/// when `wanted(tick)`; the re-run must end with the trace's digest. A name that is unknown
/// or names two genes is an error before the first tick. `what` names the trace in errors.
pub fn read<R: Read>(
    trace: &mut TraceReader<R>,
    what: &Path,
    vm: usize,
    genes: &[String],
    wanted: impl Fn(u64) -> bool,
    mut each: impl FnMut(&TickRecord, &[u32], &[String]) -> Result<()>,
) -> Result<()> {
    let scenario = trace.scenario.clone();
    let manager = crate::api::BioVmManager::from_scenario(scenario.clone(), Path::new("."))
        .map_err(|e| Error::BadInput(e.to_string()))?;
    let id = &scenario.vms[vm].id;
    let handle = manager.get_vm(id).ok_or_else(|| Error::Failed(format!("VM `{id}` missing")))?;
    let names = genes
        .iter()
        .map(|g| handle.gene_name(g).map_err(|e| Error::BadInput(format!("--genes: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    let mut counts = vec![0; genes.len()];
    let end = loop {
        let recorded = match trace.next_tick()? {
            Ok(r) => r,
            Err(end) => break end,
        };
        manager.run_ticks(1).map_err(|e| Error::Failed(e.to_string()))?;
        if wanted(recorded.tick) {
            for (gene, count) in genes.iter().zip(&mut counts) {
                *count = handle.get_protein_count(gene).map_err(|e| Error::BadInput(format!("--genes: {e}")))?;
            }
            each(&recorded, &counts, &names)?;
        }
    };
    if hex(&end.digest) != manager.digest() {
        return Err(Error::BadInput(format!(
            "{}: re-running its scenario does not give its digest (written by another bioxen?)",
            what.display()
        )));
    }
    Ok(())
}
