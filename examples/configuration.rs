//! The original's configuration example: defaults per organism, a template written and
//! edited, a typo refused with its key and place, a deep merge, and a VM made from the
//! result. It checks its own output.
//!
//! `cargo run --example configuration`

use bioxen::api::{BioVmManager, ConfigManager, Ribosomes};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let configs = ConfigManager::new();
    for organism in ["syn3a", "ecoli", "minimal_cell"] {
        let c = configs.load_defaults(organism)?.resource_limits;
        let (atp, ribosomes, kb) = (c.max_atp.unwrap_or(100.0), c.max_ribosomes, c.max_memory_kb.unwrap_or(0));
        println!(
            "{organism}: max ATP {atp} %, {} ribosomes, {kb} kb",
            ribosomes.map_or("no cap".into(), |r| r.to_string())
        );
    }

    let dir = std::env::temp_dir().join(format!("bioxen-configuration-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let template = dir.join("ecoli.toml");
    configs.create_config_template("ecoli", &template)?;
    let text = std::fs::read_to_string(&template)?;
    println!("template:\n{text}");

    // A typo is an error naming the key and where it is, never silently ignored.
    let typo = dir.join("typo.toml");
    std::fs::write(&typo, text.replace("max_atp", "max_apt"))?;
    let refused = configs.load_from_file(&typo).unwrap_err();
    println!("refused: {refused}");
    assert!(refused.to_string().contains("unknown field `max_apt`"));

    let base = configs.load_from_file(&template)?;
    let over = serde_json::json!({ "resource_limits": { "max_atp": 60.0 }, "priority": 2 });
    let merged = configs.merge_configs(&base, &over)?;
    configs.validate_for(&merged, "ecoli", "basic")?;
    let limits = merged.resource_limits;
    println!("merged: max ATP {:?} %, priority {:?}, {:?}", limits.max_atp, merged.priority, limits.max_ribosomes);
    assert_eq!((limits.max_atp, merged.priority), (Some(60.0), Some(2)));
    assert_eq!(limits.max_ribosomes, Some(Ribosomes::Original(30.0)));

    // A partial configuration, as the original's documents pass one, is merged over the
    // organism's defaults when the VM is made.
    let partial = bioxen::api::from_json_value(serde_json::json!({ "resource_limits": { "max_ribosomes": 20 } }))?;
    let completed = configs.complete(Some(&partial), "ecoli", "basic")?;
    assert_eq!(completed.resource_limits.max_atp, Some(90.0));

    let saved = dir.join("merged.json");
    configs.save_to_file(&merged, &saved)?;
    assert_eq!(configs.load_from_file(&saved)?, merged);

    let manager = BioVmManager::new()?;
    let vm = manager.create_vm("configured", "ecoli", "basic", Some(merged))?;
    assert_eq!(vm.get_resource_usage().atp_cap_percent, 60.0);
    println!("VM `{}` starts with an ATP cap of {} %", vm.id(), vm.get_resource_usage().atp_cap_percent);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
