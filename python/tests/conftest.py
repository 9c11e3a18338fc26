"""Shared fixtures: the repository, the `bioxen` command the Rust build made, and the
scenarios shipped with the repository."""

import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def bioxen_binary() -> pathlib.Path:
    """The `bioxen` command: $BIOXEN_BIN, else the workspace's debug build (cargo test
    builds it before the Python tests run)."""
    given = os.environ.get("BIOXEN_BIN")
    path = pathlib.Path(given) if given else REPO / "target" / "debug" / "bioxen"
    if not path.is_file():
        pytest.skip(f"no bioxen binary at {path}: run cargo build first")
    return path


def bioxen_run_digest(scenario: pathlib.Path) -> str:
    """The digest `bioxen run --json` gives a scenario file."""
    out = subprocess.run(
        [str(bioxen_binary()), "run", str(scenario), "--json"], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)["digest"]


@pytest.fixture
def scenarios() -> pathlib.Path:
    return REPO / "scenarios"
