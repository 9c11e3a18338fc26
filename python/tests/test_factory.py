"""The original test suite's intended behaviour: the factory, its messages, the VM
lifecycle, allocations, usage shrinking what is available, and the manager."""

import pytest

import bioxen_jcvi_vm_lib as bx
from bioxen_jcvi_vm_lib import (
    BasicBiologicalVM,
    BioResourceManager,
    BioVMManager,
    EColiVM,
    MinimalCellVM,
    Syn3AVM,
    XCPngBiologicalVM,
    create_bio_vm,
)


def test_supported_types_and_validators():
    assert bx.get_supported_biological_types() == ["syn3a", "ecoli", "minimal_cell"]
    assert bx.get_supported_vm_types() == ["basic", "xcpng"]
    assert bx.validate_biological_type("syn3a") is True
    assert bx.validate_biological_type("plant") is False
    assert bx.validate_biological_type(None) is False
    assert bx.validate_vm_type("xcpng") is True
    assert bx.validate_vm_type("kvm") is False
    assert bx.ConfigManager.get_supported_vm_types() == ["syn3a", "ecoli", "minimal_cell"]
    assert isinstance(bx.__version__, str) and bx.ENGINE_VERSION


def test_the_three_factory_messages():
    with pytest.raises(ValueError) as e:
        create_bio_vm("test", "unsupported_type")
    assert str(e.value) == "Unsupported biological type: unsupported_type. Supported: ['syn3a', 'ecoli', 'minimal_cell']"
    with pytest.raises(ValueError) as e:
        create_bio_vm("test", "syn3a", "kvm")
    assert str(e.value) == "Unsupported VM type: kvm. Supported: ['basic', 'xcpng']"
    with pytest.raises(ValueError) as e:
        create_bio_vm("test", "ecoli", "xcpng")
    assert str(e.value) == "XCP-ng VM type requires config parameter with xcpng_config"


def test_the_factory_makes_the_classes_the_original_named():
    vm = create_bio_vm("test_syn3a", "syn3a")
    assert isinstance(vm, BasicBiologicalVM) and isinstance(vm, bx.BiologicalVM)
    assert isinstance(vm, Syn3AVM) and not isinstance(vm, EColiVM)
    assert vm.vm_id == "test_syn3a" and vm.biological_type == "syn3a"
    assert vm.get_vm_type() == "basic" and vm.get_biological_type() == "syn3a"
    coli = bx.create_vm("test_ecoli", "ecoli")
    assert isinstance(coli, EColiVM) and coli.get_vm_type() == "basic"
    assert isinstance(bx.create_biological_vm(vm_type="basic"), Syn3AVM)
    minimal = bx.create_biological_vm("basic", {"vm_type": "minimal_cell"})
    assert isinstance(minimal, MinimalCellVM) and minimal.vm_id == "basic_minimal_cell_vm"
    quick = bx.quick_start_vm("ecoli")
    assert quick.vm_id == "quick_ecoli" and quick.get_status()["state"] == "running"
    assert bx.quick_start_vm(vm_type="syn3a", vm_id="default").vm_id == "default"
    assert not issubclass(BasicBiologicalVM, XCPngBiologicalVM)


def test_vm_lifecycle():
    vm = create_bio_vm("lifecycle_test", "syn3a")
    assert vm.start() is True
    assert vm.pause() is True
    assert vm.resume() is True
    assert vm.destroy() is True
    # A destroyed VM cannot start again: the original's hypervisor answered False.
    assert vm.start() is False
    assert vm.get_status()["state"] == "destroyed"


def test_resource_allocation_and_monitoring():
    vm = create_bio_vm("resource_test", "syn3a")
    manager = BioResourceManager(vm)
    before = manager.get_available_resources()
    assert manager.allocate_atp(50.0) is True
    assert manager.allocate_ribosomes(10) is True
    assert manager.allocate_memory(100) is True
    usage = manager.get_resource_usage()
    assert isinstance(usage, dict)
    assert (usage["atp_percent"], usage["ribosomes"], usage["memory_kb"]) == (50.0, 10.0, 100)
    after = manager.get_available_resources()
    assert after["atp_percent"] == before["atp_percent"] - 50.0
    assert after["ribosomes"] == pytest.approx(before["ribosomes"] - 10.0)
    assert after["memory_kb"] == before["memory_kb"] - 100
    # Over the organism's limit: False, as the original, and nothing changes.
    assert manager.allocate_atp(95.0) is False
    assert manager.allocate_ribosomes(60) is False
    assert manager.get_resource_usage()["atp_percent"] == 50.0
    assert manager.get_resource_limits() == {"max_atp": 80.0, "max_ribosomes": 50.0, "max_memory_kb": 200}
    assert manager.get_resource_limits(units="model")["max_ribosomes"] == 25_000
    assert manager.optimize_resources_for_biological_type() is True
    assert manager.get_resource_usage(units="model")["ribosomes"] == 5_000


def test_units_both_ways():
    vm = create_bio_vm("units", "syn3a")
    resources = BioResourceManager(vm)
    # The original's 20 is a quarter of the chassis' pool, never 20 real ribosomes.
    assert resources.allocate_ribosomes(20)
    assert resources.get_resource_usage(units="model")["ribosomes"] == 10_000
    assert resources.allocate_ribosomes(4_000, units="model")
    assert resources.get_resource_usage()["ribosomes"] == pytest.approx(8.0)
    vm.start()
    vm.run_ticks(30)
    granted = vm.get_status(units="model")["allocated_ribosomes"]
    assert isinstance(granted, int) and granted > 200
    # A syn3A's couple of hundred granted ribosomes read back as a fraction, not 0.
    assert vm.get_status()["allocated_ribosomes"] == pytest.approx(granted * 80 / 40_000)
    assert 0 < vm.get_status()["allocated_ribosomes"] < 1


def test_organism_answers_keep_the_originals_shapes():
    syn3a = create_bio_vm("s", "syn3a")
    syn3a.start()
    syn3a.run_ticks(5)
    status = syn3a.get_status()
    for key in ["atp_percent", "allocated_ribosomes", "essential_genes", "plasmid_count", "growth_phase",
                "operon_status", "function_status", "engine_version", "seed", "digest"]:
        assert key in status, key
    assert status["plasmid_count"] == 0 and status["operon_status"] == {}
    metrics = syn3a.get_biological_metrics()
    assert set(metrics) >= {"atp_level", "essential_genes", "ribosome_allocation", "digest", "seed"}
    assert isinstance(metrics["essential_genes"], list) and "syn3a_p0001" in metrics["essential_genes"]
    assert syn3a.get_plasmid_count() == 0
    with pytest.raises(ValueError, match="Operons not supported for syn3a"):
        syn3a.manage_operons(["lac"], "activate")

    coli = create_bio_vm("c", "ecoli")
    assert coli.get_essential_genes() == []
    metrics = coli.get_biological_metrics()
    assert set(metrics) >= {"plasmid_count", "growth_phase", "operon_status"}
    assert metrics["operon_status"]["lac"] in (True, False)
    assert coli.manage_operons(["lac"], "activate") is True
    assert coli.install_biological_package("gfp")["installed"] is True
    coli.run_ticks(1)
    assert coli.get_plasmid_count() > 0

    minimal = create_bio_vm("m", "minimal_cell")
    minimal.start()
    minimal.run_ticks(3)
    metrics = minimal.get_biological_metrics()
    assert set(metrics["function_status"].values()) <= {"active", "impaired", "inactive"}
    assert metrics["minimal_functions"] == list(metrics["function_status"])


def test_manager_lists_creates_and_terminates():
    with BioVMManager() as manager:
        assert isinstance(bx.VMManager(), BioVMManager)
        a = manager.create_vm("a", "syn3a")
        manager.create_vm("b", "ecoli", "basic")
        assert manager.list_vms() == {"a": "basic", "b": "basic"}
        assert manager.get_vm("a").vm_id == a.vm_id and manager.get_vm("nope") is None
        assert manager.get_vm_resource_manager("nope") is None
        assert manager.get_vm_resource_manager("a").allocate_atp(40.0)
        assert manager.get_available_resources()["atp_percent"] == 60.0
        assert manager.terminate_vm("a") is True
        assert manager.list_vms() == {"b": "basic"}
        assert manager.terminate_vm("a") is False and manager.terminate_vm("nope") is False
        with pytest.raises(bx.VMNotFoundError, match="VM nope not found"):
            manager.execute_vm_sync("nope", "1")
        with pytest.raises(ValueError, match="already exists"):
            manager.create_vm("b", "ecoli")


def test_the_managers_other_create_vm_order():
    manager = BioVMManager()
    # 001's create_vm(vm_id, vm_type="syn3a", config=None), vm_type being the organism.
    a = manager.create_vm("a", vm_type="ecoli")
    assert (a.get_biological_type(), a.get_vm_type()) == ("ecoli", "basic")
    b = manager.create_vm("b", "minimal_cell", {"resource_limits": {"max_atp": 40.0}})
    assert b.config["resource_limits"]["max_atp"] == 40.0
    with pytest.raises(ValueError, match="disagree"):
        manager.create_vm("c", "ecoli", vm_type="minimal_cell")
    with pytest.raises(ValueError, match="Unsupported VM type: kvm"):
        manager.create_vm("d", "syn3a", "kvm")
