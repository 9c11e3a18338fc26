"""Experiments from Python: runs, sweeps and comparisons equal to the command's, and
traces read back as rows a data frame loads."""

import subprocess

import pytest

import bioxen_jcvi_vm_lib as bx
from conftest import bioxen_binary, bioxen_run_digest


def test_run_equals_the_commands_run(scenarios):
    path = scenarios / "chassis-ecoli.toml"
    result = bx.run(path)
    assert result["digest"] == bioxen_run_digest(path)
    assert result["seed"] == 1 and result["policy"] == "proportional"
    assert result["engine_version"] == bx.ENGINE_VERSION
    assert {vm["id"] for vm in result["vms"]} and result["proteins_total"] > 0
    other = bx.run(str(path), seed=2, policy="drf")
    assert (other["seed"], other["policy"]) == (2, "drf") and other["digest"] != result["digest"]
    with pytest.raises(ValueError, match="unknown policy"):
        bx.run(path, policy="fastest")
    with pytest.raises(FileNotFoundError):
        bx.run(scenarios / "absent.toml")


def test_sweep_and_compare(scenarios):
    path = scenarios / "chassis-ecoli.toml"
    rows = bx.sweep(path, seeds=[1, 2, 3], policies=["fair", "drf"], jobs=2)
    assert [(r["policy"], r["seed"]) for r in rows] == [(p, s) for p in ["fair", "drf"] for s in [1, 2, 3]]
    # The same runs on one thread: the same digests (only wall-clock seconds differ).
    one_thread = bx.sweep(path, [1, 2, 3], ["fair", "drf"], 1)
    assert [r["digest"] for r in rows] == [r["digest"] for r in one_thread]
    assert rows[0]["digest"] == bx.run(path, seed=1, policy="fair")["digest"]
    summary = bx.compare(path, seeds=[1, 2, 3], policies=["fair", "drf"])
    assert sorted(s["policy"] for s in summary) == ["drf", "fair"]


def test_a_trace_reads_back_as_rows(tmp_path, scenarios):
    trace = tmp_path / "run.bxtr"
    subprocess.run(
        [str(bioxen_binary()), "run", str(scenarios / "chassis-ecoli.toml"), "--ticks", "20", "--trace", str(trace)],
        check=True,
        capture_output=True,
    )
    rows = bx.read_trace(trace)
    assert {"tick", "vm", "state", "grant_ribosomes", "proteins"} <= set(rows[0])
    assert max(r["tick"] for r in rows) == 19
    vm = rows[0]["vm"]
    genes = bx.read_trace(trace, vm=vm, genes=["lacZ"] if "coli" in vm else None)
    assert len(genes) == 20 and all(r["vm"] == vm for r in genes)
    with pytest.raises(bx.VMNotFoundError):
        bx.read_trace(trace, vm="nobody")
