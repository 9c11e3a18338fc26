"""The Python side of the module's figures (benches/python.sh): the same manager as
benches/manager_loop.rs, driven the same way from Python, printing ticks per wall second.

python benches/manager_loop.py VMS TICKS MODE    (MODE: loop, callback, read, call)

`call` times a Python → Rust call instead: `manager.tick()` a million times, against a
Python method doing nothing, printing nanoseconds per call."""

import json
import sys
import time

import bioxen_jcvi_vm_lib as bx


def call_cost() -> None:
    manager = bx.BioVMManager(runtime="engine")

    class Nothing:
        def tick(self) -> int:
            return 0

    nothing = Nothing()
    n = 1_000_000
    for name, target in [("rust", manager.tick), ("python", nothing.tick)]:
        start = time.perf_counter()
        for _ in range(n):
            target()
        ns = (time.perf_counter() - start) / n * 1e9
        print(json.dumps({"side": name, "mode": "call", "ns_per_call": round(ns, 1)}))


def main() -> None:
    vms, ticks, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if mode == "call":
        return call_cost()
    # Room for every genome and its plasmid space; the E. coli chassis' pools otherwise.
    manager = bx.BioVMManager(chassis={"kind": "ecoli", "dna_space_kb": 1_000 * max(vms, 1), "max_vms": max(vms, 1)})
    cells = [manager.create_vm(f"vm{i:05}", "syn3a") for i in range(vms)]
    for vm in cells:
        vm.start()
    first = cells[0]
    manager.run_ticks(5)  # warm-up, as the Rust side
    read = 0
    start = time.perf_counter()
    if mode == "loop":
        for _ in range(ticks):
            manager.run_ticks(1)
    elif mode == "callback":
        def each(tick: int) -> bool:
            nonlocal read
            read += tick
            return True

        manager.run_ticks(ticks, each)
    elif mode == "read":
        for _ in range(ticks):
            manager.run_ticks(1)
            read += first.get_protein_count("syn3a_p0001")
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - start
    print(json.dumps({"side": "python", "mode": mode, "vms": vms, "ticks": ticks,
                      "ticks_per_second": round(ticks / seconds, 3), "read": read}, separators=(",", ":")))


if __name__ == "__main__":
    main()
