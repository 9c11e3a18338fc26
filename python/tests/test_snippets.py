"""Every snippet of the original's documents, run as written (only `from src.api...`
imports become the package's, and the XCP-ng one's placeholders the test pool's: see
test_xcpng.py)."""

from bioxen_jcvi_vm_lib import BioResourceManager, BioVMManager, ConfigManager, create_bio_vm


def test_quick_start():
    # docs/api/README.md, "Basic VM Usage (Default)"
    vm = create_bio_vm("my_syn3a", "syn3a", "basic")  # vm_type="basic" is default

    # Start the VM
    vm.start()

    # Manage resources
    manager = BioResourceManager(vm)
    manager.allocate_atp(75.0)
    manager.allocate_ribosomes(20)

    # Check status
    status = vm.get_status()
    print(f"VM Status: {status}")

    # Clean up
    vm.destroy()
    assert status["state"] == "running"


def test_hypervisor_focused_quick_start():
    # 003, README.md "Quick Start"
    from bioxen_jcvi_vm_lib import create_bio_vm

    # Create biological VM
    vm = create_bio_vm("my_vm", "ecoli", "basic")
    vm.start()
    status = vm.get_status()
    assert status["vm_id"] == "my_vm"


def test_migration_path():
    from bioxen_jcvi_vm_lib import create_biological_vm

    # 003, "From v0.0.4 to v0.0.5"
    vm = create_biological_vm(vm_type="basic")  # ✅ Clean hypervisor
    metrics = vm.get_biological_metrics()  # ✅ VM-level metrics
    assert "atp_level" in metrics


def test_configuration():
    # docs/api/README.md, "Configuration"
    # Load default config
    config = ConfigManager.load_defaults("syn3a")

    # Create VM with custom config
    custom_config = {
        "resource_limits": {"max_ribosomes": 30},
        "custom_params": {"debug_mode": True}
    }
    vm = create_bio_vm("custom_vm", "syn3a", "basic", custom_config)
    assert config["resource_limits"]["max_ribosomes"] == 15
    assert vm.config["resource_limits"] == {"max_atp": 70.0, "max_ribosomes": 30, "max_memory_kb": 200}
    assert vm.get_resource_usage()["ribosome_cap"] == 30


def test_execute_biological_process_on_an_ecoli_vm():
    # docs/api/README.md's XCP-ng usage, on a basic VM (its docs call it on an ecoli VM)
    vm = create_bio_vm("isolated_ecoli", "ecoli", "basic")
    vm.start()

    # Execute biological process via SSH
    result = vm.execute_biological_process('start_transcription(["lacZ", "lacY"])')
    print(f"Transcription result: {result}")

    # Clean up
    vm.destroy()
    assert result["changes"] == [{"tick": 0, "action": "start_transcription lacZ"}]
    assert result["digest"] and result["seed"] == 1


def test_pylua_pattern_alignment():
    # docs/api/README.md, "BioXen_jcvi_vm_lib Pattern (This Implementation)", basic
    import pytest

    vm = create_bio_vm("my_vm", "syn3a", vm_type="basic")
    # Its placeholder gene does not exist: a clear error naming it, at its line:column.
    with pytest.raises(RuntimeError, match=r"script:1:1: VM `my_vm`'s genome has no gene `gene1`"):
        vm.execute_biological_process('start_transcription(["gene1"])')
    result = vm.execute_biological_process('start_transcription(["syn3a_p0001"])')
    assert result["changes"]


def test_resource_tests():
    # tests/test_api/test_resource_manager.py
    vm = create_bio_vm("resource_test", "syn3a")
    manager = BioResourceManager(vm)

    assert manager.allocate_atp(50.0)
    assert manager.allocate_ribosomes(10)
    assert manager.allocate_memory(100)

    vm = create_bio_vm("monitor_test", "ecoli")
    manager = BioResourceManager(vm)

    usage = manager.get_resource_usage()
    assert isinstance(usage, dict)

    available = manager.get_available_resources()
    assert isinstance(available, dict)


def test_a_manager_with_several_vms():
    # 001's BioVMManager: create_vm, list_vms, execute_vm_sync, terminate_vm
    manager = BioVMManager(debug_mode=False)
    manager.create_vm("syn", "syn3a")
    manager.create_vm("coli", "ecoli", "basic")
    manager.create_vm("min", "minimal_cell", "basic", {"resource_limits": {"max_atp": 50.0}})
    for vm_id in manager.list_vms():
        manager.get_vm(vm_id).start()
    manager.run_ticks(20)
    result = manager.execute_vm_sync("coli", 'start_transcription(["lacZ"])')
    assert result["changes"][0]["action"] == "start_transcription lacZ"
    assert manager.terminate_vm("min")
    assert manager.list_vms() == {"syn": "basic", "coli": "basic"}
