//! The Rust side of the Python module's figures (benches/python.sh): a manager of N syn3A
//! VMs on the actors, driven one way for T ticks after a warm-up, printing ticks per
//! wall second as JSON. `benches/manager_loop.py` does the same from Python.
//!
//! `cargo bench --bench manager_loop -- VMS TICKS MODE` with MODE one of `loop`
//! (`run_ticks(1)` T times), `callback` (`run_ticks(T)` with a per-tick hook) or `read`
//! (`run_ticks(1)` and a `get_protein_count` each tick).

use bioxen::api::{BioVmManager, HostConfig};
use bioxen::engine::chassis::ChassisKind;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; the figures' arguments are the rest.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let (vms, ticks, mode) = match args.as_slice() {
        [vms, ticks, mode] => (vms.parse::<usize>()?, ticks.parse::<u64>()?, mode.as_str()),
        _ => {
            // Under `cargo bench` with no arguments: a small run, so the target is exercised.
            (16, 20, "loop")
        }
    };
    // Room for every genome and its plasmid space; the E. coli chassis' pools otherwise.
    let mut chassis = ChassisKind::Ecoli.defaults();
    chassis.dna_space_kb = 1_000 * vms.max(1) as u64;
    chassis.max_vms = vms.max(1) as u32;
    let manager = BioVmManager::with_config(HostConfig { chassis, ..HostConfig::default() })?;
    let cells: Vec<_> = (0..vms).map(|i| manager.create_vm(&format!("vm{i:05}"), "syn3a", "basic", None)).collect();
    for vm in &cells {
        vm.as_ref().map_err(|e| e.to_string())?.start()?;
    }
    let first = cells[0].as_ref().map_err(|e| e.to_string())?.clone();
    manager.run_ticks(5)?; // warm-up: the actors started, the caches filled
    let clock = Instant::now();
    let mut read = 0u64;
    match mode {
        "loop" => (0..ticks).try_for_each(|_| manager.run_ticks(1))?,
        "callback" => {
            manager.run_ticks_with(ticks, |view| {
                read += view.record.tick;
                true
            })?;
        }
        "read" => {
            for _ in 0..ticks {
                manager.run_ticks(1)?;
                read += u64::from(first.get_protein_count("syn3a_p0001")?);
            }
        }
        other => return Err(format!("unknown mode {other}").into()),
    }
    let seconds = clock.elapsed().as_secs_f64();
    println!(
        "{{\"side\":\"rust\",\"mode\":\"{mode}\",\"vms\":{vms},\"ticks\":{ticks},\"ticks_per_second\":{:.3},\"read\":{read}}}",
        ticks as f64 / seconds
    );
    Ok(())
}
