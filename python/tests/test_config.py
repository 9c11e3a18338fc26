"""ConfigManager with the original's dict shapes, files and messages."""

import json

import pytest

from bioxen_jcvi_vm_lib import ConfigError, ConfigManager, create_bio_vm


def test_defaults_in_the_originals_shape():
    assert ConfigManager.load_defaults("ecoli") == {
        "vm_type": "ecoli",
        "chassis_type": "ecoli",
        "resource_limits": {"max_atp": 90.0, "max_ribosomes": 30.0, "max_memory_kb": 500},
        "custom_params": {"operon_management": True, "plasmid_support": True},
    }
    with pytest.raises(ValueError, match="No default config for VM type: plant"):
        ConfigManager.load_defaults("plant")


def test_files_round_trip_and_missing_files(tmp_path):
    path = tmp_path / "syn3a.json"
    ConfigManager.create_config_template("syn3a", str(path))
    loaded = ConfigManager.load_from_file(path)
    assert loaded["_template"] is True
    assert loaded["_description"] == "Configuration template for syn3a biological VM"
    with pytest.raises(FileNotFoundError) as e:
        ConfigManager.load_from_file(str(tmp_path / "absent.json"))
    assert str(e.value) == f"Configuration file not found: {tmp_path / 'absent.json'}"
    # 001's DEFAULT_CONFIGS as its save_to_file writes them (json.dump, indent 2).
    original = {
        "vm_type": "minimal_cell", "chassis_type": "ecoli", "genome_file": None,
        "resource_limits": {"max_ribosomes": 20, "max_atp": 60.0, "max_memory_kb": 100},
        "custom_params": {"minimal_functions_only": True, "strict_validation": True},
    }
    path.write_text(json.dumps(original, indent=2))
    vm = create_bio_vm("m", "minimal_cell", "basic", ConfigManager.load_from_file(path))
    assert vm.get_resource_usage(units="model")["ribosome_cap"] == 10_000
    ConfigManager.save_to_file(vm.config, tmp_path / "saved.toml")
    assert ConfigManager.load_from_file(tmp_path / "saved.toml") == vm.config
    # An unknown key: named with its place, never ignored.
    path.write_text('{\n  "resource_limits": {"max_ribosome": 20}\n}')
    with pytest.raises(ConfigError, match=r"syn3a.json:2:.*unknown field `max_ribosome`"):
        ConfigManager.load_from_file(path)


@pytest.mark.parametrize(
    "config, message",
    [
        ({"vm_type": "syn3a", "resource_limits": {"max_ribosomes": 0}}, "max_ribosomes must be positive"),
        ({"vm_type": "syn3a", "resource_limits": {"max_atp": 120}}, "max_atp must be between 0 and 100"),
        ({"vm_type": "syn3a", "resource_limits": {"max_memory_kb": 0}}, "max_memory_kb must be positive"),
        ({"vm_type": "syn3a", "custom_params": {"essential_only": False}}, "Syn3A VMs require essential_only=True"),
        ({"resource_limits": {}}, "Missing required config field: vm_type"),
        ({"vm_type": "ecoli"}, "Config vm_type ecoli doesn't match syn3a"),
    ],
)
def test_the_originals_validation_messages(config, message):
    with pytest.raises(ValueError, match=message):
        ConfigManager.validate_config("syn3a", config)


def test_validate_config_takes_either_order():
    syn3a = ConfigManager.load_defaults("syn3a")
    assert ConfigManager.validate_config("syn3a", syn3a) is True
    assert ConfigManager.validate_config(syn3a, "basic") is True
    with pytest.raises(ValueError, match="requires config parameter with xcpng_config"):
        ConfigManager.validate_config(syn3a, "xcpng")
    minimal = ConfigManager.load_defaults("minimal_cell")
    minimal["custom_params"]["minimal_functions_only"] = False
    with pytest.raises(ValueError, match="Minimal cell VMs require minimal_functions_only=True"):
        ConfigManager.validate_config(minimal, "basic")
    with pytest.raises(ValueError, match="a configuration dict and a type name"):
        ConfigManager.validate_config(syn3a, syn3a)


def test_merge_is_deep_and_checked():
    base = ConfigManager.load_defaults("syn3a")
    merged = ConfigManager.merge_configs(base, {"resource_limits": {"max_atp": 55.0}, "priority": 3})
    assert merged["resource_limits"] == {"max_atp": 55.0, "max_ribosomes": 15.0, "max_memory_kb": 200}
    assert merged["priority"] == 3
    per_tick = ConfigManager.merge_configs(base, {"resource_limits": {"max_ribosomes_per_tick": 4000}})
    assert per_tick["resource_limits"]["max_ribosomes_per_tick"] == 4000
    assert "max_ribosomes" not in per_tick["resource_limits"]
    with pytest.raises(ValueError, match="unknown field `colour`"):
        ConfigManager.merge_configs(base, {"colour": "blue"})


def test_flags_refuse_their_calls():
    coli = create_bio_vm("c", "ecoli", "basic", {"custom_params": {"plasmid_support": False}})
    with pytest.raises(ValueError, match="custom_params.plasmid_support: is false"):
        coli.install_biological_package("gfp")
    coli = create_bio_vm("d", "ecoli", "basic", {"custom_params": {"operon_management": False}})
    with pytest.raises(ValueError, match="custom_params.operon_management: is false"):
        coli.manage_operons(["lac"], "activate")
    with pytest.raises(ValueError, match="the configuration is for the yeast chassis"):
        create_bio_vm("y", "syn3a", "basic", {"chassis_type": "yeast"})


def test_the_originals_keywords_and_orders():
    syn3a = ConfigManager.load_defaults(vm_type="syn3a")
    assert syn3a == ConfigManager.load_defaults(biological_type="syn3a")
    assert ConfigManager.validate_config(config=syn3a, vm_type="basic") is True
    assert ConfigManager.validate_config(vm_type="syn3a", config=syn3a) is True
    assert ConfigManager.validate_config("syn3a", config=syn3a) is True
    with pytest.raises(ValueError, match="not 3 values"):
        ConfigManager.validate_config(syn3a, "basic", vm_type="basic")
