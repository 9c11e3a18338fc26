//! The original BioXen's quick start, in Rust: a syn3A VM with 75 % of the ATP and 20 of
//! the original's ribosomes (mapped onto the chassis), started and run for ten simulated
//! minutes. It checks its own output.
//!
//! `cargo run --example quick_start`

use bioxen::api::{BioResourceManager, Ribosomes, create_bio_vm};

fn main() -> Result<(), bioxen::api::ApiError> {
    let vm = create_bio_vm("my_syn3a_vm", "syn3a", "basic", None)?;
    let resources = BioResourceManager::new(&vm);
    resources.allocate_atp(75.0)?;
    // The original counted ribosomes in a pool of 80; 20 of them is a quarter of the
    // chassis' ribosomes.
    resources.allocate_ribosomes(Ribosomes::Original(20.0))?;
    vm.start()?;
    vm.run_for(std::time::Duration::from_secs(600))?;

    let status = vm.get_status();
    let usage = vm.get_resource_usage();
    println!("VM {} is {} after {} ticks", status.id, status.state.name(), status.tick);
    println!("reserved: {} % ATP, {} ribosomes per tick", usage.atp_percent, usage.ribosomes);
    println!("last tick: {} of {} ribosomes asked granted", usage.ribosomes_granted, usage.ribosomes_demanded);
    println!("ATP level: {:.1} % of need", vm.get_atp_level());
    let (phase, rate) = vm.get_growth_phase();
    println!("growth: {} ({rate:.3} per hour)", phase.name());

    assert_eq!(status.state.name(), "running");
    assert_eq!(status.tick, 600);
    assert_eq!((usage.atp_percent, usage.ribosomes), (75.0, Ribosomes::Original(20.0).per_tick(&resources.chassis())));
    assert_eq!(usage.ribosomes_granted, usage.ribosomes_demanded, "a lone VM is fed");
    assert_eq!(phase.name(), "exponential");
    Ok(())
}
