//! Three VMs competing on one host: a syn3A, a minimal cell and an E. coli share the
//! orthogonal chassis' ribosomes under proportional share, one with twice the weight.
//! Then the session is saved as a scenario and its digest checked against a fresh run of
//! it. It checks its own output.
//!
//! `cargo run --example manager`

use bioxen::api::{BioVmManager, ConfigManager, HostConfig, Ribosomes};
use bioxen::engine::chassis::ChassisKind;
use bioxen::engine::policy::PolicyKind;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manager = BioVmManager::with_config(HostConfig {
        chassis: ChassisKind::Orthogonal.defaults(),
        policy: PolicyKind::Proportional,
        seed: 2026,
        tick_seconds: 10.0,
        ..HostConfig::default()
    })?;
    let configs = ConfigManager::for_chassis(ChassisKind::Orthogonal.defaults());
    let mut heavy = configs.load_defaults("syn3a")?;
    heavy.weight = Some(512);
    // No cap below the pool: let the policy decide.
    heavy.resource_limits.max_ribosomes = Some(Ribosomes::PerTick(4_000));
    let syn3a = manager.create_vm("syn3a", "syn3a", "basic", Some(heavy))?;
    let mut minimal = configs.load_defaults("minimal_cell")?;
    minimal.resource_limits.max_ribosomes = Some(Ribosomes::PerTick(4_000));
    let minimal = manager.create_vm("minimal", "minimal_cell", "basic", Some(minimal))?;
    let mut coli = configs.load_defaults("ecoli")?;
    coli.resource_limits.max_ribosomes = Some(Ribosomes::PerTick(4_000));
    let coli = manager.create_vm("coli", "ecoli", "basic", Some(coli))?;
    for vm in [&syn3a, &minimal, &coli] {
        vm.start()?;
    }
    manager.run_for(std::time::Duration::from_secs(3600))?;

    println!("after one simulated hour ({} ticks):", manager.tick());
    let mut granted = Vec::new();
    for vm in [&syn3a, &minimal, &coli] {
        let u = vm.get_resource_usage();
        let (phase, rate) = vm.get_growth_phase();
        println!(
            "  {:<8} {:>5} of {:>5} ribosomes asked, growth {} ({rate:.2}/h)",
            vm.id(),
            u.ribosomes_granted,
            u.ribosomes_demanded,
            phase.name()
        );
        granted.push((u.ribosomes_granted, u.ribosomes_demanded));
    }
    let total: u64 = granted.iter().map(|g| g.0).sum();
    let asked: u64 = granted.iter().map(|g| g.1).sum();
    println!("  {total} ribosomes granted of {asked} asked; the pool has 4000");
    assert!(total <= 4_000);
    assert!(asked > 4_000, "the three compete: together they ask more than the pool");

    let path = std::env::temp_dir().join(format!("bioxen-manager-{}.toml", std::process::id()));
    manager.save_scenario(&path)?;
    let scenario = bioxen::files::load_scenario(&path)?;
    let mut rerun = bioxen::engine::sim::Simulation::new(scenario)?;
    let digest = bioxen::engine::record::hex(&rerun.run(|_, _| {})?);
    println!("session digest {}\nsaved scenario {digest}", manager.digest());
    assert_eq!(digest, manager.digest());
    std::fs::remove_file(&path)?;
    Ok(())
}
