//! The original's resource management example: reservations within each organism's
//! limits, what is available shrinking by them, a request over a limit refused with both
//! numbers, and the organism's targets. It checks its own output.
//!
//! `cargo run --example resource_management`

use bioxen::api::{BioResourceManager, BioVmManager, Ribosomes};

fn main() -> Result<(), bioxen::api::ApiError> {
    let manager = BioVmManager::new()?;
    let syn3a = manager.create_vm("syn3a_vm", "syn3a", "basic", None)?;
    let ecoli = manager.create_vm("ecoli_vm", "ecoli", "basic", None)?;
    let resources = BioResourceManager::new(&syn3a);

    let limits = resources.get_resource_limits();
    println!("syn3a limits: {} ribosomes, {} % ATP, {} kb", limits.ribosomes, limits.atp_percent, limits.memory_kb);
    let before = manager.get_available_resources();
    resources.allocate_atp(50.0)?;
    resources.allocate_ribosomes(Ribosomes::Original(10.0))?;
    resources.allocate_memory(100)?;
    let after = manager.get_available_resources();
    println!("available ATP {} % → {} %", before.atp_percent, after.atp_percent);
    println!("available ribosomes {} → {}", before.ribosomes, after.ribosomes);
    println!("available DNA space {} kb → {} kb", before.memory_kb, after.memory_kb);
    assert_eq!(after.atp_percent, before.atp_percent - 50.0);
    assert_eq!(after.ribosomes, before.ribosomes - Ribosomes::Original(10.0).per_tick(&resources.chassis()));
    assert_eq!(after.memory_kb, before.memory_kb - 100);

    let refused = resources.allocate_atp(95.0).unwrap_err();
    println!("refused: {refused}");
    assert!(refused.to_string().contains("95 % ATP is over the syn3a limit of 80 %"));

    // E. coli's targets (80 % ATP) do not fit beside syn3a's 50 %: refused whole.
    let targets = BioResourceManager::new(&ecoli).optimize_resources_for_biological_type().unwrap_err();
    println!("ecoli targets refused: {targets}");
    let ecoli_usage = ecoli.get_resource_usage();
    println!("ecoli after its targets were refused: {} % ATP reserved", ecoli_usage.atp_percent);
    assert_eq!(ecoli_usage.atp_percent, 0.0);

    syn3a.start()?;
    ecoli.start()?;
    manager.run_ticks(60)?;
    let usage = syn3a.get_resource_usage();
    println!(
        "syn3a granted {} ribosomes in its last tick (asked {})",
        usage.ribosomes_granted, usage.ribosomes_demanded
    );
    assert!(usage.ribosomes_granted > 0);
    Ok(())
}
