//! The library API (`bioxen::api`): what the original BioXen's tests asked of it, an
//! error for every call, allocations that change what the scheduler grants, and the
//! session as a scenario — saved, run by `bioxen run` and replayed by `bioxen replay` to
//! the session's digest.

mod common;

use bioxen::api::*;
use bioxen::engine::lifecycle::Lifecycle;
use common::*;
use proptest::prelude::*;
use std::fs;

fn engine_host(seed: u64) -> BioVmManager {
    BioVmManager::with_config(HostConfig { seed, runtime: Runtime::Engine, ..HostConfig::default() }).unwrap()
}

fn manager_for_configs() -> BioVmManager {
    engine_host(1)
}

fn message(e: ApiError) -> String {
    e.to_string()
}

/// The original's tests: VMs of the right types, the factory's three errors in its words,
/// start → pause → resume → destroy, allocations shown in usage and taken from what is
/// available.
#[test]
fn the_originals_intended_behaviour() {
    let syn3a = create_bio_vm("test_syn3a", "syn3a", "basic", None).unwrap();
    assert_eq!((syn3a.get_biological_type(), syn3a.get_vm_type()), ("syn3a", "basic"));
    let quick = quick_start_vm("minimal_cell", None).unwrap();
    assert_eq!((quick.id(), quick.get_status().state), ("quick_minimal_cell", Lifecycle::Running));
    assert!(quick_start_vm("plant", Some("p")).is_err());
    let simple = create_biological_vm("basic", None).unwrap();
    assert_eq!((simple.id(), simple.get_biological_type()), ("basic_syn3a_vm", "syn3a"));
    let ecoli = create_biological_vm("basic", Some(ConfigManager::new().load_defaults("ecoli").unwrap())).unwrap();
    assert_eq!((ecoli.id(), ecoli.get_biological_type(), ecoli.get_vm_type()), ("basic_ecoli_vm", "ecoli", "basic"));

    let e = message(create_bio_vm("x", "plant", "basic", None).unwrap_err());
    assert_eq!(e, "Unsupported biological type: plant. Supported: ['syn3a', 'ecoli', 'minimal_cell']");
    let e = message(create_bio_vm("x", "syn3a", "docker", None).unwrap_err());
    assert_eq!(e, "Unsupported VM type: docker. Supported: ['basic', 'xcpng']");
    let e = message(create_bio_vm("x", "syn3a", "xcpng", None).unwrap_err());
    assert_eq!(e, "XCP-ng VM type requires config parameter with xcpng_config");
    assert_eq!(get_supported_biological_types(), ["syn3a", "ecoli", "minimal_cell"]);
    assert_eq!(get_supported_vm_types(), ["basic", "xcpng"]);
    assert!(validate_biological_type("minimal_cell") && !validate_biological_type("yeast"));
    assert!(validate_vm_type("xcpng") && !validate_vm_type("kvm"));

    let manager = engine_host(3);
    let vm = manager.create_vm("lifecycle", "syn3a", "basic", None).unwrap();
    assert_eq!(vm.get_status().state, Lifecycle::Created);
    type Step = fn(&BiologicalVm) -> ApiResult<()>;
    let steps: [(Step, Lifecycle); 4] = [
        (BiologicalVm::start, Lifecycle::Running),
        (BiologicalVm::pause, Lifecycle::Paused),
        (BiologicalVm::resume, Lifecycle::Running),
        (BiologicalVm::destroy, Lifecycle::Destroyed),
    ];
    for (step, state) in steps {
        step(&vm).unwrap();
        assert_eq!(vm.get_status().state, state);
    }
    manager.run_ticks(2).unwrap();
    assert_eq!(vm.get_status().state, Lifecycle::Destroyed);

    let manager = engine_host(3);
    let vm = manager.create_vm("alloc", "syn3a", "basic", None).unwrap();
    let before = manager.get_available_resources();
    let resources = BioResourceManager::new(&vm);
    let ten = Ribosomes::Original(10.0).per_tick(&resources.chassis());
    vm.allocate_resources(Some(50.0), Some(Ribosomes::Original(10.0)), Some(100)).unwrap();
    let usage = vm.get_resource_usage();
    assert_eq!((usage.atp_percent, usage.ribosomes, usage.memory_kb), (50.0, ten, 100));
    let after = manager.get_available_resources();
    assert_eq!(after.atp_percent, before.atp_percent - 50.0);
    assert_eq!(after.ribosomes, before.ribosomes - ten);
    assert_eq!(after.memory_kb, before.memory_kb - 100);
}

/// The original's quick start succeeds, and its VM grows.
#[test]
fn the_originals_quick_start_succeeds() {
    let vm = create_bio_vm("my_syn3a_vm", "syn3a", "basic", None).unwrap();
    let resources = BioResourceManager::new(&vm);
    resources.allocate_atp(75.0).unwrap();
    resources.allocate_ribosomes(Ribosomes::Original(20.0)).unwrap();
    vm.start().unwrap();
    vm.run_ticks(120).unwrap();
    assert_eq!(vm.get_status().state, Lifecycle::Running);
    assert!(vm.get_atp_level() > 99.0, "a lone VM with 75 % reserved is fed: {}", vm.get_atp_level());
    assert!(vm.get_ribosome_allocation() > 200);
    match vm.get_biological_metrics().unwrap() {
        BiologicalMetrics::Syn3a { essential_genes, essential_genes_expressed, .. } => {
            assert!(essential_genes > 0 && essential_genes_expressed == essential_genes);
        }
        other => panic!("{other:?}"),
    }
}

/// Every call's error: each names what is wrong, and nothing changes.
#[test]
fn every_call_has_an_error_path() {
    let manager = engine_host(5);
    let syn3a = manager.create_vm("s", "syn3a", "basic", None).unwrap();
    let ecoli = manager.create_vm("e", "ecoli", "basic", None).unwrap();
    let minimal = manager.create_vm("m", "minimal_cell", "basic", None).unwrap();
    let cases: Vec<(&str, ApiResult<()>, &str)> = vec![
        ("duplicate id", manager.create_vm("s", "syn3a", "basic", None).map(drop), "already exists"),
        ("unknown VM", manager.terminate_vm("nope"), "VM nope not found"),
        ("resume a created VM", syn3a.resume(), "cannot resume VM `s`: it is created"),
        ("pause a created VM", syn3a.pause(), "cannot pause VM `s`: it is created"),
        ("stop a created VM", syn3a.stop(), "cannot stop VM `s`: it is created"),
        (
            "plasmids of syn3a",
            syn3a.get_plasmid_count().map(drop),
            "get_plasmid_count is for ecoli VMs; VM `s` is syn3a",
        ),
        ("operons of syn3a", syn3a.manage_operons(&["lac"], "activate").map(drop), "manage_operons is for ecoli VMs"),
        ("minimal functions of ecoli", ecoli.get_minimal_functions().map(drop), "is for minimal_cell VMs"),
        ("metabolism of syn3a", syn3a.optimize_minimal_metabolism().map(drop), "is for minimal_cell VMs"),
        ("essential genes of ecoli", ecoli.get_essential_genes().map(drop), "is for syn3a and minimal_cell VMs"),
        ("unknown gene", ecoli.start_transcription(&["lacz"]).map(drop), "no gene `lacz`; close matches: lacZ"),
        ("stable RNA", ecoli.start_transcription(&["ecoli_r001"]).map(drop), "stable RNA"),
        (
            "unknown operon",
            ecoli.manage_operons(&["ara"], "activate").map(drop),
            "no operon `ara`; its operons: lac, trp",
        ),
        ("operon action", ecoli.manage_operons(&["lac"], "invert").map(drop), "expected activate or repress"),
        (
            "ATP over the limit",
            BioResourceManager::new(&syn3a).allocate_atp(81.0),
            "81 % ATP is over the syn3a limit of 80 %",
        ),
        ("ATP not a number", BioResourceManager::new(&syn3a).allocate_atp(f64::NAN), "is a percentage"),
        (
            "memory over the limit",
            BioResourceManager::new(&minimal).allocate_memory(101),
            "101 kb of DNA space is over the minimal_cell limit of 100 kb",
        ),
        (
            "ribosomes over the limit",
            BioResourceManager::new(&minimal).allocate_ribosomes(Ribosomes::Original(21.0)),
            "21 of the original's ribosomes (10500 per tick) is over the minimal_cell limit of 20 (10000 per tick)",
        ),
    ];
    for (name, outcome, expected) in cases {
        let e = outcome.err().unwrap_or_else(|| panic!("{name}: accepted"));
        assert!(e.to_string().contains(expected), "{name}: `{e}` lacks `{expected}`");
    }
    // Over what is free: two VMs' ATP reservations cannot pass 100 %.
    BioResourceManager::new(&ecoli).allocate_atp(90.0).unwrap();
    let e = BioResourceManager::new(&syn3a).allocate_atp(20.0).unwrap_err().to_string();
    assert!(e.contains("20 % ATP asked, 10 % free"), "{e}");
    assert_eq!(syn3a.get_resource_usage().atp_percent, 0.0, "a refused allocation changed nothing");
    let e = syn3a.allocate_resources(Some(5.0), None, Some(1_000)).unwrap_err().to_string();
    assert!(e.contains("over the syn3a limit of 200 kb"), "{e}");
    assert_eq!(syn3a.get_resource_usage().atp_percent, 0.0, "allocate_resources is all or nothing");
    // An xcpng VM's configuration is checked when it is created: it needs its SSH key.
    let mut config = ConfigManager::new().load_defaults("syn3a").unwrap();
    config.xcpng_config = Some(XcpngConfig {
        xapi_url: "https://pool.example".into(),
        username: "root".into(),
        password_env: Some("XAPI_PASSWORD".into()),
        ssh_user: "bioxen".into(),
        ..XcpngConfig::default()
    });
    let e = create_bio_vm("x", "syn3a", "xcpng", Some(config)).unwrap_err().to_string();
    assert!(e.contains("xcpng_config.ssh_key_path: is required"), "{e}");
    // Saving before any tick has nothing to save.
    let e = manager.save_scenario(std::env::temp_dir().join("never.toml")).unwrap_err().to_string();
    assert!(e.contains("run at least one tick"), "{e}");
}

/// A reservation changes what the scheduler grants: sixteen growing syn3A VMs on the
/// orthogonal chassis come to ask for more ribosomes than it has, and each gets less than
/// it asks; a reservation for one keeps it fed, at the others' expense.
#[test]
fn allocations_change_what_the_scheduler_grants() {
    let last_tick = |reserve: bool| {
        let manager = BioVmManager::with_config(HostConfig {
            chassis: bioxen::engine::chassis::ChassisKind::Orthogonal.defaults(),
            tick_seconds: 10.0,
            runtime: Runtime::Engine,
            ..HostConfig::default()
        })
        .unwrap();
        let vms: Vec<BiologicalVm> =
            (0..16).map(|i| manager.create_vm(&format!("vm{i:02}"), "syn3a", "basic", None).unwrap()).collect();
        vms.iter().for_each(|vm| vm.start().unwrap());
        if reserve {
            BioResourceManager::new(&vms[0]).allocate_ribosomes(Ribosomes::PerTick(600)).unwrap();
        }
        manager.run_ticks(300).unwrap();
        let others: u64 = vms[1..].iter().map(|vm| vm.get_resource_usage().ribosomes_granted).sum();
        (vms[0].get_resource_usage(), others)
    };
    let (without, others_without) = last_tick(false);
    assert!(without.ribosomes_granted < without.ribosomes_demanded, "not short: {without:?}");
    let (with, others_with) = last_tick(true);
    assert_eq!(with.ribosomes_granted, with.ribosomes_demanded, "the reservation did not feed it: {with:?}");
    assert!(others_with < others_without, "the others did not pay: {others_with} vs {others_without}");
}

/// The original's E. coli example: lac starts repressed (no lactose), so starting lacZ and
/// lacY transcription — which switches the whole lac operon, as the result says — makes
/// lac transcripts that were not there.
#[test]
fn starting_lac_transcription_has_a_visible_effect() {
    let manager = engine_host(9);
    let vm = manager.create_vm("coli", "ecoli", "basic", None).unwrap();
    vm.start().unwrap();
    manager.run_ticks(60).unwrap();
    let lac = |vm: &BiologicalVm| vm.get_operon_status().unwrap().into_iter().find(|o| o.name == "lac").unwrap();
    assert!(!lac(&vm).active);
    assert_eq!(lac(&vm).mrna, 0);
    let switched = vm.start_transcription(&["lacZ", "lacY"]).unwrap();
    assert_eq!(switched[0].operon.as_deref(), Some("lac"));
    assert_eq!(switched[0].genes, ["lacZ", "lacY", "lacA"]);
    assert!(lac(&vm).active, "active from the next tick");
    let mut seen = 0;
    for _ in 0..20 {
        manager.run_ticks(60).unwrap();
        seen += lac(&vm).mrna;
    }
    assert!(seen > 0, "no lac transcripts in 20 minutes of induction");
    vm.manage_operons(&["lac"], "repress").unwrap();
    assert!(!lac(&vm).active);
    match vm.get_biological_metrics().unwrap() {
        BiologicalMetrics::Ecoli { plasmid_count, growth_phase, operons } => {
            assert_eq!(plasmid_count, 0);
            assert_eq!(growth_phase, GrowthPhase::Exponential, "a lone E. coli guest is fed");
            assert_eq!(operons.len(), 2);
        }
        other => panic!("{other:?}"),
    }
}

/// Growth phases from the model: lag before ten simulated minutes of growth, exponential
/// for a fed syn3A, and the minimal cell's functions all active when fed.
#[test]
fn growth_phase_and_minimal_functions_come_from_the_model() {
    let manager = engine_host(2);
    let syn3a = manager.create_vm("s", "syn3a", "basic", None).unwrap();
    let minimal = manager.create_vm("m", "minimal_cell", "basic", None).unwrap();
    assert_eq!(syn3a.get_growth_phase().0, GrowthPhase::Lag);
    syn3a.start().unwrap();
    minimal.start().unwrap();
    manager.run_ticks(300).unwrap();
    assert_eq!(syn3a.get_growth_phase().0, GrowthPhase::Lag, "less than ten minutes of growth yet");
    manager.run_ticks(400).unwrap();
    let (phase, rate) = syn3a.get_growth_phase();
    assert_eq!(phase, GrowthPhase::Exponential, "rate {rate}/h");
    let functions = minimal.get_minimal_functions().unwrap();
    assert_eq!(functions.len(), 4);
    assert!(functions.iter().all(|f| f.status == "active"), "{functions:?}");
    syn3a.pause().unwrap();
    manager.run_ticks(1).unwrap();
    assert_eq!(syn3a.get_growth_phase().0, GrowthPhase::Lag, "a paused VM is not growing");
    let (atp, ribosomes) = minimal.optimize_minimal_metabolism().unwrap();
    assert_eq!(atp, 50.0);
    assert_eq!(minimal.get_resource_usage().ribosomes, ribosomes);
}

/// ConfigManager: the original's defaults, files in JSON and TOML (atomic saves), unknown
/// keys named with their path and place, validation, deep merging.
#[test]
fn config_manager_round_trips_and_refuses_what_it_cannot_use() {
    let configs = ConfigManager::new();
    let syn3a = configs.load_defaults("syn3a").unwrap();
    assert_eq!((syn3a.resource_limits.max_atp, syn3a.custom_params.essential_only), (Some(70.0), Some(true)));
    assert_eq!(syn3a.resource_limits.max_ribosomes, Some(Ribosomes::Original(15.0)));
    assert_eq!(syn3a.chassis_type.as_deref(), Some("ecoli"));
    let ecoli = configs.load_defaults("ecoli").unwrap();
    let p = &ecoli.custom_params;
    assert!(p.operon_management == Some(true) && p.plasmid_support == Some(true));
    assert_eq!(ecoli.resource_limits.max_atp, Some(90.0));
    assert_eq!(configs.load_defaults("minimal_cell").unwrap().custom_params.minimal_functions_only, Some(true));
    assert_eq!(
        configs.load_defaults("plant").unwrap_err().to_string(),
        "vm_type: No default config for VM type: plant"
    );

    let dir = tempfile::tempdir().unwrap();
    for name in ["c.json", "c.toml"] {
        let path = dir.path().join(name);
        configs.create_config_template("ecoli", &path).unwrap();
        let template = configs.load_from_file(&path).unwrap();
        assert_eq!(template.template, Some(true), "{name}");
        assert_eq!(template.description.as_deref(), Some("Configuration template for ecoli biological VM"));
        assert_eq!(VmConfig { template: None, description: None, ..template }, ecoli, "{name}");
    }
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no temporaries left: {leftovers:?}");

    let bad = |name: &str, text: &str| {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        configs.load_from_file(&path).unwrap_err().to_string()
    };
    let json = serde_json::to_string_pretty(&ecoli).unwrap().replace("\"max_atp\"", "\"max_atpp\"");
    let e = bad("typo.json", &json);
    assert!(
        e.contains("typo.json:5:")
            && e.contains("unknown field `max_atpp`")
            && e.contains("key `resource_limits.max_atpp`"),
        "{e}"
    );
    let toml_text = toml::to_string(&ecoli).unwrap() + "\n[xcpng_config]\nxapi_url = \"https://x\"\npasword = \"p\"\n";
    let e = bad("typo.toml", &toml_text);
    assert!(e.contains("unknown field `pasword`") && e.contains("key `xcpng_config.pasword`"), "{e}");
    assert!(e.contains("typo.toml:"), "{e}");
    assert!(bad("c.yaml", "max_atp: 1").contains("ends in .json or .toml"));
    assert!(bad("wrong.json", r#"{"resource_limits": {"max_atp": "lots"}}"#).contains("invalid type"));
    // One shape: the caps live in resource_limits, as the original's documents have them.
    let e = bad("flat.json", r#"{"max_atp": 50}"#);
    assert!(e.contains("flat.json:1:") && e.contains("unknown field `max_atp`"), "{e}");
    let e = bad("both.json", r#"{"resource_limits": {"max_ribosomes": 3, "max_ribosomes_per_tick": 3000}}"#);
    assert!(e.contains("max_ribosomes (the original's units) or max_ribosomes_per_tick, not both"), "{e}");

    let invalid = |edit: &dyn Fn(&mut VmConfig), vm_type: &str| {
        let mut c = ecoli.clone();
        edit(&mut c);
        configs.validate_config(&c, vm_type).unwrap_err().to_string()
    };
    // The original's messages, after the key's path.
    type Edit<'a> = &'a dyn Fn(&mut VmConfig);
    let table: [(Edit, &str); 7] = [
        (
            &|c| c.resource_limits.max_ribosomes = Some(Ribosomes::Original(0.0)),
            "resource_limits.max_ribosomes: max_ribosomes must be positive",
        ),
        (
            &|c| c.resource_limits.max_ribosomes = Some(Ribosomes::PerTick(0)),
            "resource_limits.max_ribosomes_per_tick: max_ribosomes must be positive",
        ),
        (&|c| c.resource_limits.max_ribosomes = Some(Ribosomes::Original(f64::NAN)), "in [0, 1e12], not NaN"),
        (
            &|c| c.resource_limits.max_atp = Some(101.0),
            "resource_limits.max_atp: max_atp must be between 0 and 100, not 101",
        ),
        (
            &|c| c.resource_limits.max_memory_kb = Some(0),
            "resource_limits.max_memory_kb: max_memory_kb must be positive",
        ),
        (&|c| c.chassis_type = Some("plant".into()), "chassis_type: unknown chassis \"plant\""),
        (&|c| c.weight = Some(0), "weight: must be in 1..=65535, not 0"),
    ];
    for (edit, message) in table {
        let e = invalid(edit, "basic");
        assert!(e.contains(message), "{e} lacks {message}");
    }
    assert!(invalid(&|_| {}, "xcpng").contains("requires config parameter with xcpng_config"));
    let partial =
        |c: &mut VmConfig| c.xcpng_config = Some(XcpngConfig { xapi_url: "https://x".into(), ..Default::default() });
    assert!(invalid(&partial, "xcpng").contains("xcpng_config.username: is required"));
    let no_password = |c: &mut VmConfig| {
        c.xcpng_config = Some(XcpngConfig {
            xapi_url: "https://x".into(),
            username: "root".into(),
            ssh_user: "bioxen".into(),
            ..Default::default()
        })
    };
    assert!(invalid(&no_password, "xcpng").contains("xcpng_config.password: is required"));
    let bad_host_key = |c: &mut VmConfig| {
        c.xcpng_config = Some(XcpngConfig {
            xapi_url: "https://x".into(),
            username: "root".into(),
            password_env: Some("P".into()),
            ssh_user: "bioxen".into(),
            ssh_key_path: Some("/k".into()),
            ssh_host_key: Some("ssh-ed25519 not-base64".into()),
            ..Default::default()
        })
    };
    assert!(invalid(&bad_host_key, "xcpng").contains("xcpng_config.ssh_host_key: must be a public key"));
    let mut not_essential = syn3a.clone();
    not_essential.custom_params.essential_only = Some(false);
    assert!(configs.validate_config(&not_essential, "basic").unwrap_err().to_string().contains("essential_only"));
    assert!(configs.validate_for(&not_essential, "syn3a", "basic").unwrap_err().to_string().contains("essential_only"));
    assert!(
        configs
            .validate_for(&not_essential, "syn3a", "basic")
            .unwrap_err()
            .to_string()
            .contains("Syn3A VMs require essential_only=True")
    );
    let e = configs.validate_for(&syn3a, "ecoli", "basic").unwrap_err().to_string();
    assert_eq!(e, "vm_type: Config vm_type syn3a doesn't match ecoli");
    let e = manager_for_configs().create_vm("x", "ecoli", "basic", Some(syn3a.clone())).unwrap_err().to_string();
    assert!(e.contains("Config vm_type syn3a doesn't match ecoli"), "{e}");
    let e = configs.validate_organism_config("syn3a", &VmConfig::default()).unwrap_err().to_string();
    assert_eq!(e, "vm_type: Missing required config field: vm_type");
    configs.validate_organism_config("syn3a", &syn3a).unwrap();

    let merged = configs
        .merge_configs(
            &syn3a,
            &serde_json::json!({"resource_limits": {"max_atp": 55.0}, "xcpng_config": {"username": "u"}}),
        )
        .unwrap();
    assert_eq!(merged.resource_limits.max_atp, Some(55.0));
    assert_eq!(merged.resource_limits.max_ribosomes, syn3a.resource_limits.max_ribosomes);
    assert_eq!(merged.xcpng_config.unwrap().username, "u");
    let e = configs.merge_configs(&syn3a, &serde_json::json!({"xcpng_config": {"usr": "u"}})).unwrap_err();
    assert!(e.to_string().contains("xcpng_config.usr"), "{e}");
}

/// The original's configurations load as its documents show them, a partial one is merged
/// over the organism's defaults, its ribosome numbers mean its units, and its flags mean
/// something.
#[test]
fn the_originals_configurations_work() {
    let dir = tempfile::tempdir().unwrap();
    // 001's `load_defaults("syn3a")`, as its `save_to_file` writes it.
    let original = r#"{
  "vm_type": "syn3a",
  "chassis_type": "ecoli",
  "genome_file": null,
  "resource_limits": {"max_ribosomes": 50, "max_atp": 80.0, "max_memory_kb": 200},
  "custom_params": {"essential_only": true, "optimization": "minimal_metabolism"},
  "_template": true,
  "_description": "Configuration template for syn3a biological VM"
}"#;
    let path = dir.path().join("syn3a.json");
    fs::write(&path, original).unwrap();
    let configs = ConfigManager::new();
    let config = configs.load_from_file(&path).unwrap();
    assert_eq!(config.resource_limits.max_ribosomes, Some(Ribosomes::Original(50.0)));
    let manager = manager_for_configs();
    let vm = manager.create_vm("from_file", "syn3a", "basic", Some(config)).unwrap();
    // 50 of the original's 80 ribosomes: five eighths of the E. coli chassis' 40,000.
    assert_eq!(vm.get_resource_usage().ribosome_cap, Some(25_000));

    // The documents' partial configuration, merged over the syn3a defaults.
    let partial = from_json_value(serde_json::json!({
        "resource_limits": {"max_ribosomes": 30}, "custom_params": {"debug_mode": true}
    }))
    .unwrap();
    let vm = manager.create_vm("custom_vm", "syn3a", "basic", Some(partial)).unwrap();
    let config = vm.get_config();
    assert_eq!(config.resource_limits.max_atp, Some(70.0));
    assert_eq!((config.custom_params.debug_mode, config.custom_params.essential_only), (Some(true), Some(true)));
    assert_eq!(vm.get_resource_usage().ribosome_cap, Some(15_000));
    let per_tick = from_json_value(serde_json::json!({"resource_limits": {"max_ribosomes_per_tick": 4000}})).unwrap();
    let vm = manager.create_vm("per_tick", "syn3a", "basic", Some(per_tick)).unwrap();
    assert_eq!(vm.get_resource_usage().ribosome_cap, Some(4_000));

    // The original's allocate_ribosomes(20) is 20 of its units, never 20 ribosomes.
    let resources = BioResourceManager::new(&vm);
    resources.allocate_ribosomes(Ribosomes::Original(20.0)).unwrap();
    assert_eq!(vm.get_resource_usage().ribosomes, 10_000);

    // A chassis the host is not.
    let yeast = from_json_value(serde_json::json!({"chassis_type": "yeast"})).unwrap();
    let e = manager.create_vm("y", "syn3a", "basic", Some(yeast)).unwrap_err().to_string();
    assert_eq!(e, "chassis_type: the configuration is for the yeast chassis; this host is ecoli");

    // Flags that switch a call off refuse it, naming the flag.
    let no_plasmids = from_json_value(serde_json::json!({"custom_params": {"plasmid_support": false}})).unwrap();
    let coli = manager.create_vm("no_plasmids", "ecoli", "basic", Some(no_plasmids)).unwrap();
    let e = coli.install_biological_package("gfp").unwrap_err().to_string();
    assert!(e.starts_with("custom_params.plasmid_support: is false in VM `no_plasmids`'s configuration"), "{e}");
    assert!(coli.get_installed_packages().is_empty());
    let no_operons = from_json_value(serde_json::json!({"custom_params": {"operon_management": false}})).unwrap();
    let coli = manager.create_vm("no_operons", "ecoli", "basic", Some(no_operons)).unwrap();
    let e = coli.manage_operons(&["lac"], "activate").unwrap_err().to_string();
    assert!(e.starts_with("custom_params.operon_management: is false"), "{e}");
    // The defaults allow both on an E. coli.
    let coli = manager.create_vm("coli", "ecoli", "basic", None).unwrap();
    coli.manage_operons(&["lac"], "activate").unwrap();
    coli.install_biological_package("gfp").unwrap();
}

/// One call of a random session.
#[derive(Clone, Debug)]
enum Call {
    Create(u8),
    Lifecycle(u8, u8),
    Atp(u8, u8),
    Ribosomes(u8, u8),
    Lac(u8, bool),
    Run(u8),
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        (0u8..3).prop_map(Call::Create),
        (0u8..6, 0u8..5).prop_map(|(v, t)| Call::Lifecycle(v, t)),
        (0u8..6, 0u8..60).prop_map(|(v, p)| Call::Atp(v, p)),
        (0u8..6, 0u8..40).prop_map(|(v, r)| Call::Ribosomes(v, r)),
        (0u8..6, any::<bool>()).prop_map(|(v, on)| Call::Lac(v, on)),
        (1u8..6).prop_map(Call::Run),
    ]
}

/// Plays `calls` on `manager`, ignoring refused calls (which must change nothing), and
/// runs at least one tick.
fn play(manager: &BioVmManager, calls: &[Call]) {
    // A session saves only once it has a VM.
    manager.create_vm("first", "syn3a", "basic", None).unwrap();
    let vm = |i: u8| {
        let ids = manager.list_vms();
        (!ids.is_empty()).then(|| manager.get_vm(&ids[i as usize % ids.len()]).unwrap())
    };
    for c in calls {
        match *c {
            Call::Create(t) => {
                let id = format!("vm{}", manager.list_vms().len());
                let _ = manager.create_vm(&id, ["syn3a", "ecoli", "minimal_cell"][t as usize], "basic", None);
            }
            Call::Lifecycle(v, t) => {
                if let Some(vm) = vm(v) {
                    let _ = [
                        BiologicalVm::start,
                        BiologicalVm::pause,
                        BiologicalVm::resume,
                        BiologicalVm::stop,
                        BiologicalVm::destroy,
                    ][t as usize](&vm);
                }
            }
            Call::Atp(v, p) => {
                if let Some(vm) = vm(v) {
                    let _ = BioResourceManager::new(&vm).allocate_atp(f64::from(p));
                }
            }
            Call::Ribosomes(v, r) => {
                if let Some(vm) = vm(v) {
                    let m = BioResourceManager::new(&vm);
                    let _ = m.allocate_ribosomes(Ribosomes::Original(f64::from(r)));
                }
            }
            Call::Lac(v, on) => {
                if let Some(vm) = vm(v) {
                    let _ = if on { vm.start_transcription(&["lacZ"]) } else { vm.stop_transcription(&["lacA"]) };
                }
            }
            Call::Run(n) => manager.run_ticks(u64::from(n)).unwrap(),
        }
    }
    manager.run_ticks(1).unwrap();
}

/// The digest of the scenario a session saved, run by the engine as `bioxen run` would.
fn saved_digest(manager: &BioVmManager, dir: &std::path::Path) -> String {
    let path = dir.join("session.toml");
    manager.save_scenario(&path).unwrap();
    let scenario =
        bioxen::files::load_scenario(&path).unwrap_or_else(|e| panic!("{e}\n{}", fs::read_to_string(&path).unwrap()));
    let mut sim = bioxen::engine::sim::Simulation::new(scenario).unwrap();
    bioxen::engine::record::hex(&sim.run(|_, _| {}).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// A session is a scenario: whatever the calls (refused ones included), the scenario
    /// it saves runs to the session's digest.
    #[test]
    fn a_saved_session_runs_to_the_sessions_digest(seed in 0u64..1_000, calls in proptest::collection::vec(call(), 1..40)) {
        let manager = engine_host(seed);
        play(&manager, &calls);
        let dir = tempfile::tempdir().unwrap();
        prop_assert_eq!(saved_digest(&manager, dir.path()), manager.digest());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// The same on the actor runtime, where every VM created between runs restarts the
    /// actors from the run's state.
    #[test]
    fn a_saved_actor_session_runs_to_the_sessions_digest(seed in 0u64..1_000, calls in proptest::collection::vec(call(), 1..30)) {
        let manager = BioVmManager::with_config(HostConfig { seed, runtime: Runtime::Actors { arbiters: 2 }, ..HostConfig::default() })
            .unwrap();
        play(&manager, &calls);
        let dir = tempfile::tempdir().unwrap();
        prop_assert_eq!(saved_digest(&manager, dir.path()), manager.digest());
    }
}

/// The same on the actor runtime (VMs created between runs restart the actors from the
/// run's state), with a trace recorded during the session: `bioxen run` of the saved
/// scenario and `bioxen replay` of the trace both give the session's digest.
#[test]
fn an_actor_session_saves_a_scenario_and_a_trace_that_reproduce_it() {
    let dir = tempfile::tempdir().unwrap();
    let manager = BioVmManager::with_config(HostConfig {
        seed: 77,
        runtime: Runtime::Actors { arbiters: 2 },
        ..HostConfig::default()
    })
    .unwrap();
    let trace = dir.path().join("session.bxtr");
    manager.record_trace(&trace).unwrap();
    // VMs: 0 `first` (syn3a, made by `play`), 1 syn3a, 2 ecoli, then 3 minimal_cell.
    let calls = [
        Call::Create(0),
        Call::Create(1),
        Call::Lifecycle(1, 0),
        Call::Lifecycle(2, 0),
        Call::Run(20),
        Call::Create(2),
        Call::Lifecycle(3, 0),
        Call::Lac(2, true),
        Call::Atp(1, 40),
        Call::Run(30),
        Call::Lifecycle(1, 1),
        Call::Ribosomes(3, 8),
        Call::Run(10),
        Call::Lifecycle(1, 2),
        Call::Lac(2, false),
    ];
    play(&manager, &calls);
    assert_eq!(manager.tick(), 61);
    assert_eq!(saved_digest(&manager, dir.path()), manager.digest());
    assert_eq!(manager.finish_trace().unwrap(), trace);
    let scenario = dir.path().join("session.toml");
    let run = bioxen(&["run", scenario.to_str().unwrap(), "--runtime", "actors"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stdout(&run).contains(&format!("digest {}", manager.digest())), "{}", stdout(&run));
    let replay = bioxen(&["replay", trace.to_str().unwrap()]);
    assert!(replay.status.success(), "{}", stderr(&replay));
    assert!(stdout(&replay).contains(&manager.digest()), "{}", stdout(&replay));
    let text = fs::read_to_string(&scenario).unwrap();
    assert!(text.contains("action = \"create\"") && text.contains("operon = \"lac\""), "{text}");
}

/// A syn3A VM from the real annotation with measured expression: its essential genes are
/// Breuer et al. 2019's, its genes answer to their names, and the session it is part of
/// saves a scenario (naming both files) that runs to the session's digest.
#[test]
fn a_real_syn3a_genome_with_measured_expression() {
    if !shared_present() {
        return;
    }
    let shared = root().join("../shared/data/syn3a");
    let manager = engine_host(12);
    let mut config = ConfigManager::new().load_defaults("syn3a").unwrap();
    config.genome_file = Some(shared.join("syn3A.gb"));
    config.expression_file = Some(shared.join("mRNA_counts.csv"));
    let vm = manager.create_vm("real", "syn3a", "basic", Some(config)).unwrap();
    let essential = vm.get_essential_genes().unwrap();
    assert_eq!(essential.len(), 270);
    assert!(essential.iter().any(|g| g == "dnaA"));
    let switched = vm.stop_transcription(&["dnaA"]).unwrap();
    assert_eq!((switched[0].operon.as_ref(), switched[0].genes.as_slice()), (None, &["dnaA".to_string()][..]));
    let e = vm.start_transcription(&["dnaa"]).unwrap_err().to_string();
    assert!(e.contains("close matches: dnaA"), "{e}");
    vm.start().unwrap();
    manager.run_ticks(30).unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(saved_digest(&manager, dir.path()), manager.digest());
    let text = fs::read_to_string(dir.path().join("session.toml")).unwrap();
    assert!(text.contains("mRNA_counts.csv") && text.contains("gene = \"dnaA\""), "{text}");
}

/// The README's table of the original's ribosome numbers per chassis is what the code
/// maps them to.
#[test]
fn the_readme_units_table_is_what_the_code_maps() {
    use bioxen::engine::chassis::ChassisKind;
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let row =
        |start: &str| readme.lines().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("{start}")).to_string();
    let fmt = |n: u64| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    for (start, counts) in
        [("| 50 / 100 / 20 ", [50, 100, 20]), ("| 15 / 30 / 12 ", [15, 30, 12]), ("| 10 / 25 / 8 ", [10, 25, 8])]
    {
        let line = row(start);
        for kind in [ChassisKind::Ecoli, ChassisKind::Yeast, ChassisKind::Orthogonal] {
            let mapped: Vec<String> =
                counts.iter().map(|&n| fmt(Ribosomes::Original(f64::from(n)).per_tick(&kind.defaults()))).collect();
            assert!(line.contains(&mapped.join(" / ")), "{line} lacks {} for {}", mapped.join(" / "), kind.name());
        }
    }
    let limits = resource_limits(BiologicalType::Syn3a, &ChassisKind::Ecoli.defaults());
    assert_eq!((limits.ribosomes, limits.atp_percent, limits.memory_kb), (25_000, 80.0, 200));
}

/// What a new user and an adversary tried: limits refused at once, naming them, and
/// calls on a destroyed VM refused as `start` is, leaving nothing in the saved scenario.
#[test]
fn limits_and_destroyed_vms_are_refused_at_once() {
    let manager = engine_host(3);
    let e = message(manager.run_for(std::time::Duration::MAX).unwrap_err());
    assert!(e.contains("100000000"), "{e}");
    let e = message(manager.run_ticks(u64::MAX).unwrap_err());
    assert!(e.contains("100000000") && e.contains("at tick 0"), "{e}");
    assert_eq!(manager.tick(), 0, "a refused run ran");
    for arbiters in [0, 5_000] {
        let config = HostConfig { runtime: Runtime::Actors { arbiters }, ..HostConfig::default() };
        let e = message(BioVmManager::with_config(config).err().expect("refused"));
        assert!(e.contains("runtime.arbiters") && e.contains("1 to 256"), "{arbiters}: {e}");
    }

    let vm = manager.create_vm("gone", "ecoli", "basic", None).unwrap();
    vm.start().unwrap();
    manager.run_ticks(2).unwrap();
    vm.destroy().unwrap();
    manager.run_ticks(2).unwrap();
    let before = manager.digest();
    let refusals: Vec<(&str, ApiResult<()>)> = vec![
        ("start", vm.start()),
        ("add_inducer", vm.add_inducer("IPTG", 10.0)),
        ("remove_inducer", vm.remove_inducer("IPTG")),
        ("install_biological_package", vm.install_biological_package("gfp")),
        ("allocate_resources", vm.allocate_resources(Some(10.0), None, None)),
        ("start_transcription", vm.start_transcription(&["lacZ"]).map(drop)),
        ("a script's change", vm.execute_script("add_inducer(\"IPTG\", 1.0)", "s.rhai").map(drop)),
    ];
    for (call, result) in refusals {
        let e = message(result.err().unwrap_or_else(|| panic!("{call} on a destroyed VM was accepted")));
        assert!(e.contains("destroyed"), "{call}: {e}");
    }
    manager.run_ticks(2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("s.toml");
    manager.save_scenario(&saved).unwrap();
    let text = fs::read_to_string(&saved).unwrap();
    assert!(!text.contains("add_inducer") && !text.contains("gfp"), "refused calls were saved:\n{text}");
    assert_ne!(before, manager.digest());
}

/// The per-tick hook: it sees every tick's record, stops the run at the boundary it
/// returns false on, and runs with the host unlocked, so it (and any thread) may call the
/// manager between ticks; the run is the run `run_ticks` makes. Asking for more ticks than
/// the run has left is refused before any runs.
#[test]
fn a_per_tick_hook_watches_and_stops_a_run_between_ticks() {
    let watched = engine_host(5);
    watched.create_vm("cell", "syn3a", "basic", None).unwrap().start().unwrap();
    let plain = engine_host(5);
    plain.create_vm("cell", "syn3a", "basic", None).unwrap().start().unwrap();
    let mut seen = Vec::new();
    let ran = without_hanging("the hook", move || {
        let ran = watched
            .run_ticks_with(50, |view| {
                // The host is not locked while the hook runs: a call from here answers.
                assert_eq!(watched.tick(), view.record.tick + 1);
                assert_eq!(view.vm_ids, ["cell"]);
                seen.push(view.record.vms[0].proteins);
                view.record.tick < 19
            })
            .unwrap();
        (ran, watched.tick(), watched.digest(), seen)
    });
    let (ran, tick, digest, seen) = ran;
    assert_eq!((ran, tick, seen.len()), (20, 20, 20));
    plain.run_ticks(20).unwrap();
    assert_eq!(digest, plain.digest(), "a watched run is the run");
    assert!(seen.windows(2).any(|w| w[1] != w[0]), "the records change from tick to tick");
    let session = engine_host(5);
    assert!(matches!(session.run_ticks_with(u64::MAX, |_| true), Err(ApiError::Limit(_))));
    assert_eq!(session.tick(), 0);
}

/// A live session's summary (metrics, each VM's line, digest) is what its saved scenario's
/// run gives, on either runtime, without saving or re-running it; and asking for it
/// changes nothing in the run.
#[test]
fn a_live_sessions_summary_is_its_saved_scenarios() {
    for runtime in [Runtime::Engine, Runtime::Actors { arbiters: 2 }] {
        let manager = BioVmManager::with_config(HostConfig { seed: 5, runtime, ..HostConfig::default() }).unwrap();
        let a = manager.create_vm("a", "syn3a", "basic", None).unwrap();
        let b = manager.create_vm("b", "ecoli", "basic", None).unwrap();
        let c = manager.create_vm("c", "minimal_cell", "basic", None).unwrap();
        [&a, &b, &c].iter().for_each(|vm| vm.start().unwrap());
        manager.run_ticks(40).unwrap();
        b.pause().unwrap();
        BioResourceManager::new(&a).allocate_atp(30.0).unwrap();
        manager.run_ticks(40).unwrap();
        let live = manager.run_summary().unwrap();
        manager.run_ticks(1).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.toml");
        manager.save_scenario(&path).unwrap();
        let mut rerun = bioxen::engine::sim::Simulation::new(bioxen::files::load_scenario(&path).unwrap()).unwrap();
        for _ in 0..80 {
            rerun.step().unwrap();
        }
        let saved = bioxen::report::summarise(&rerun, 0, 0.0);
        assert_eq!(live, saved, "{runtime:?}");
        assert_eq!(live.ticks, 80);
        assert!(live.run.proteins_total > 0, "{runtime:?}");
        assert_eq!(manager.run_summary().unwrap().digest, manager.digest(), "{runtime:?}: asking changed nothing");
    }
}

/// What callers branch on is a type, not a message to parse: a VM not found, a file not
/// found, a wrong organism; with the original's words where it had them.
#[test]
fn errors_callers_branch_on_are_typed() {
    let manager = BioVmManager::new().unwrap();
    let syn3a = manager.create_vm("s", "syn3a", "basic", None).unwrap();
    let e = manager.terminate_vm("nope").unwrap_err();
    assert!(matches!(&e, ApiError::VmNotFound(id) if id == "nope"), "{e:?}");
    assert_eq!(e.to_string(), "VM nope not found");
    assert!(matches!(manager.get_vm_resource_manager("nope"), Err(ApiError::VmNotFound(_))));
    let missing = std::path::Path::new("/nonexistent/bioxen/config.toml");
    let e = ConfigManager::new().load_from_file(missing).unwrap_err();
    assert!(matches!(&e, ApiError::FileNotFound(p) if p == missing), "{e:?}");
    assert_eq!(e.to_string(), "Configuration file not found: /nonexistent/bioxen/config.toml");
    let e = syn3a.manage_operons(&["lac"], "activate").unwrap_err();
    assert!(matches!(&e, ApiError::WrongOrganism { organism: "syn3a", .. }), "{e:?}");
}
