"""Bad values of every Python type at every call: a clean exception (an `Exception`,
never pyo3's PanicException, never a crashed interpreter), and nothing changed."""

import math

import pytest

import bioxen_jcvi_vm_lib as bx

BAD = [None, math.nan, math.inf, -1, 10**30, -(10**30), "", "x" * 100_000, [], {}, object(), b"bytes", 1.5, True]


def calls():
    vm = bx.create_bio_vm("v", "ecoli")
    res = bx.BioResourceManager(vm)
    manager = bx.BioVMManager()
    cm = bx.ConfigManager
    return [
        ("create_bio_vm", bx.create_bio_vm, ["id", "syn3a", "basic", None]),
        ("create_biological_vm", bx.create_biological_vm, ["basic", None]),
        ("quick_start_vm", bx.quick_start_vm, ["syn3a", "q"]),
        ("allocate_atp", res.allocate_atp, [10.0]),
        ("allocate_ribosomes", res.allocate_ribosomes, [1.0]),
        ("allocate_memory", res.allocate_memory, [10]),
        ("get_resource_usage", res.get_resource_usage, ["original"]),
        ("allocate_resources", vm.allocate_resources, [{"atp": 1.0}]),
        ("start_transcription", vm.start_transcription, [["lacZ"]]),
        ("manage_operons", vm.manage_operons, [["lac"], "activate"]),
        ("install_biological_package", vm.install_biological_package, ["gfp"]),
        ("execute_biological_process", vm.execute_biological_process, ["1"]),
        ("get_protein_count", vm.get_protein_count, ["lacZ"]),
        ("add_inducer", vm.add_inducer, ["IPTG", 1.0]),
        ("get_status", vm.get_status, ["original"]),
        ("get_biological_metrics", vm.get_biological_metrics, ["model"]),
        ("stop_transcription", vm.stop_transcription, [["lacZ"]]),
        ("remove_inducer", vm.remove_inducer, ["IPTG"]),
        ("get_available_resources", res.get_available_resources, ["original"]),
        ("get_resource_limits", res.get_resource_limits, ["model"]),
        ("vm.get_resource_usage", vm.get_resource_usage, ["model"]),
        ("BioResourceManager", bx.BioResourceManager, [vm]),
        ("validate_biological_type", bx.validate_biological_type, ["syn3a"]),
        ("get_vm", manager.get_vm, ["m"]),
        ("get_vm_resource_manager", manager.get_vm_resource_manager, ["m"]),
        ("manager.get_available_resources", manager.get_available_resources, ["model"]),
        ("manager.run_for", manager.run_for, [1.0]),
        ("record_trace", manager.record_trace, ["/nonexistent-dir/t.bxtr"]),
        ("execute_vm_sync", manager.execute_vm_sync, ["m", "1"]),
        ("save_to_file", cm.save_to_file, [{"vm_type": "syn3a"}, "/nonexistent-dir/c.json"]),
        ("create_config_template", cm.create_config_template, ["syn3a", "/nonexistent-dir/c.json"]),
        ("sweep", bx.sweep, ["/nonexistent.toml", [1], None, 1]),
        ("compare", bx.compare, ["/nonexistent.toml", [1], ["fair"], 1]),
        ("run_ticks", vm.run_ticks, [1]),
        ("run_for", vm.run_for, [1.0]),
        ("create_vm", manager.create_vm, ["m", "syn3a", "basic", None]),
        ("terminate_vm", manager.terminate_vm, ["m"]),
        ("manager.run_ticks", manager.run_ticks, [1, None]),
        ("save_scenario", manager.save_scenario, ["/nonexistent-dir/s.toml"]),
        ("load_defaults", cm.load_defaults, ["syn3a"]),
        ("load_from_file", cm.load_from_file, ["/nonexistent.json"]),
        ("validate_config", cm.validate_config, [{"vm_type": "syn3a"}, "basic"]),
        ("merge_configs", cm.merge_configs, [{"vm_type": "syn3a"}, {}]),
        ("BioVMManager", bx.BioVMManager, [False]),
        ("run", bx.run, ["/nonexistent.toml"]),
        ("read_trace", bx.read_trace, ["/nonexistent.bxtr"]),
    ]


def cases():
    for name, call, good in calls():
        for position in range(len(good)):
            for bad in BAD:
                args = list(good)
                args[position] = bad
                yield pytest.param(call, args, id=f"{name}[{position}]={type(bad).__name__}")


@pytest.mark.parametrize("call, args", list(cases()))
def test_bad_values_raise_clean_exceptions(call, args):
    try:
        call(*args)
    except Exception:
        pass
    except BaseException as e:  # pyo3's PanicException derives from BaseException
        pytest.fail(f"{type(e).__name__}: {e}")


def test_configs_that_cannot_be_configurations():
    cyclic: dict = {}
    cyclic["self"] = cyclic
    for config, message in [
        (cyclic, "nested more than 16 deep"),
        ({"resource_limits": {"max_atp": math.nan}}, "not a number a configuration can hold"),
        ({1: 2}, "a key must be a string"),
        ({"resource_limits": {"max_ribosomes": 10**30}}, "too large"),
        ({"resource_limits": {"max_ribosomes": -5}}, "in [0, 1e12]"),
        ({"genome_file": object()}, "cannot hold a object"),
        ([("vm_type", "syn3a")], "config must be a dict"),
    ]:
        with pytest.raises(ValueError) as e:
            bx.create_bio_vm("c", "syn3a", "basic", config)
        assert message in str(e.value), (config, str(e.value))


@pytest.mark.parametrize(
    "keywords",
    [
        {"chassis": "mars"},
        {"chassis": 5},
        {"chassis": {"ribosomes": 5}},
        {"chassis": {"kind": "ecoli", "max_vms": 0}},
        {"chassis": {"kind": "ecoli", "ribosomes": -1}},
        {"chassis": {"kind": "ecoli", "reserve_fraction": math.nan}},
        {"chassis": {"kind": "ecoli", "colour": "blue"}},
        {"policy": "fastest"},
        {"seed": -1},
        {"tick_seconds": 0.0},
        {"tick_seconds": math.inf},
        {"runtime": "gpu"},
        {"runtime": "engine", "arbiters": 2},
        {"arbiters": 0},
        {"arbiters": 10**6},
    ],
)
def test_a_manager_refuses_a_host_it_cannot_make(keywords):
    with pytest.raises((ValueError, TypeError, OverflowError)):
        bx.BioVMManager(**keywords)
