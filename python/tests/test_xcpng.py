"""The documents' XCP-ng usage, as written, against the test pool of the XCP-ng work (a
real HTTPS XAPI server on loopback and a real SSH host in a network namespace, run by
`examples/xcpng_test_pool.rs`): only the placeholders (the pool's address, the key's
path) are the test pool's, with the keys that say how to trust it."""

import json
import os
import subprocess

import pytest

from conftest import REPO


@pytest.fixture
def pool():
    binary = REPO / "target" / "debug" / "examples" / "xcpng_test_pool"
    if not binary.is_file():
        pytest.skip(f"no {binary}: run cargo build --examples first")
    server = subprocess.Popen([str(binary), "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    first = json.loads(server.stdout.readline())
    if "skipped" in first:
        server.communicate()
        if os.environ.get("BIOXEN_REQUIRE_SSHD"):
            pytest.fail(f"BIOXEN_REQUIRE_SSHD is set but the test pool cannot run: {first['skipped']}")
        pytest.skip(first["skipped"])
    yield first
    out, _ = server.communicate()
    # Nothing left in the pool but its template.
    assert json.loads(out.strip().splitlines()[-1]) == {"vms_left": 1}


def test_the_documents_xcpng_usage(pool):
    from bioxen_jcvi_vm_lib import create_bio_vm

    # XCP-ng configuration (required for vm_type="xcpng")
    xcpng_config = {
        "xcpng_config": {
            "xapi_url": pool["xapi_url"],
            "username": "root",
            "password": "secure_password",
            "template_name": "bioxen-bio-template",
            "ssh_user": "root",
            "ssh_key_path": pool["ssh_key_path"],
            "vm_memory": "4GB",
            "vm_vcpus": 4,
            # How to trust the test pool and its VM, and the worker to upload.
            "tls_fingerprint_sha256": pool["tls_fingerprint_sha256"],
            "ssh_known_hosts": pool["ssh_known_hosts"],
            "worker_binary": pool["worker_binary"],
            "ip_timeout_seconds": pool["ip_timeout_seconds"],
        }
    }

    # Create XCP-ng biological VM (runs basic VM inside full virtual machine)
    vm = create_bio_vm("isolated_ecoli", "ecoli", "xcpng", xcpng_config)
    with pytest.raises(ValueError, match="XCP-ng VM not started or IP not available"):
        vm.execute_biological_process('start_transcription(["lacZ", "lacY"])')

    # Start the VM (creates XCP-ng VM then starts biological VM inside it)
    vm.start()

    # Execute biological process via SSH
    result = vm.execute_biological_process('start_transcription(["lacZ", "lacY"])')
    print(f"Transcription result: {result}")
    vm.run_ticks(5)
    assert vm.get_status()["state"] == "running"
    assert vm.get_biological_metrics()["operon_status"]["lac"] is True

    # Clean up
    vm.destroy()
    assert result["changes"] == [{"tick": 0, "action": "start_transcription lacZ"}]
