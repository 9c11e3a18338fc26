"""BioXen's biological virtual machines with the API of the original BioXen_jcvi_vm_lib.

Guest genomes (syn3a, ecoli, minimal_cell) run in a host cell (the chassis) and compete
for its ATP, ribosomes and RNA polymerase under a scheduling policy. The model is
BioXen's deterministic Rust core: the same calls and seed give the same digest, bit for
bit, and a session saved from here replays with ``bioxen run``.

Units: ATP is a percentage of the guests' pool and DNA space kb, as in the original;
ribosomes are the original's units (shares of its 80-ribosome E. coli pool, mapped onto
the chassis) as floats, or ribosomes per tick with ``units="model"``.
"""

from ._native import (
    ENGINE_VERSION,
    ORIGINAL_RIBOSOME_POOL,
    BasicBiologicalVM,
    BiologicalVM,
    BioResourceManager,
    BioVMManager,
    ConfigError,
    ConfigFileNotFoundError,
    ConfigManager,
    GenomeError,
    NotAvailableError,
    ProcessError,
    RemoteError,
    ResourceError,
    SimulationError,
    VMNotFoundError,
    WrongOrganismError,
    XCPngBiologicalVM,
    __version__,
    compare,
    create_bio_vm,
    create_biological_vm,
    get_supported_biological_types,
    get_supported_vm_types,
    quick_start_vm,
    read_trace,
    run,
    sweep,
    validate_biological_type,
    validate_vm_type,
)

#: The original's alias for pylua compatibility.
create_vm = create_bio_vm
#: The original's manager name in its pylua patterns.
VMManager = BioVMManager

__all__ = [
    "ENGINE_VERSION",
    "ORIGINAL_RIBOSOME_POOL",
    "BasicBiologicalVM",
    "BiologicalVM",
    "BioResourceManager",
    "BioVMManager",
    "ConfigError",
    "ConfigFileNotFoundError",
    "ConfigManager",
    "GenomeError",
    "NotAvailableError",
    "ProcessError",
    "RemoteError",
    "ResourceError",
    "SimulationError",
    "VMManager",
    "VMNotFoundError",
    "WrongOrganismError",
    "XCPngBiologicalVM",
    "__version__",
    "compare",
    "create_bio_vm",
    "create_biological_vm",
    "create_vm",
    "get_supported_biological_types",
    "get_supported_vm_types",
    "quick_start_vm",
    "read_trace",
    "run",
    "sweep",
    "validate_biological_type",
    "validate_vm_type",
]


class _OrganismVM(type):
    """A class that a VM is an instance of when it runs the class's organism: the
    original's plan named its VM classes by organism (`Syn3AVM`, `EColiVM`,
    `MinimalCellVM`), which ``isinstance`` answers here."""

    _organism = ""

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, BiologicalVM) and instance.get_biological_type() == cls._organism


class Syn3AVM(metaclass=_OrganismVM):
    """Any VM running JCVI-syn3A (``isinstance(vm, Syn3AVM)``)."""

    _organism = "syn3a"


class EColiVM(metaclass=_OrganismVM):
    """Any VM running E. coli (``isinstance(vm, EColiVM)``)."""

    _organism = "ecoli"


class MinimalCellVM(metaclass=_OrganismVM):
    """Any VM running JCVI-syn3.0, the minimal cell (``isinstance(vm, MinimalCellVM)``)."""

    _organism = "minimal_cell"


__all__ += ["Syn3AVM", "EColiVM", "MinimalCellVM"]
