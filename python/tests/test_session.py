"""Sessions from Python: saved as a scenario that `bioxen run` replays to the same digest;
time moving only when asked (ticks, seconds, timedelta); a per-tick callback; Ctrl-C at a
tick boundary, leaving the manager usable; and the same digest on both runtimes."""

import _thread
import datetime
import os
import signal

import pytest

from bioxen_jcvi_vm_lib import BioResourceManager, BioVMManager
from conftest import bioxen_run_digest


def session(runtime: str) -> BioVMManager:
    manager = BioVMManager(seed=7, runtime=runtime, policy="proportional")
    a = manager.create_vm("a", "syn3a")
    b = manager.create_vm("b", "ecoli", "basic", {"resource_limits": {"max_ribosomes": 40}})
    a.start()
    b.start()
    BioResourceManager(a).allocate_ribosomes(12)
    assert manager.run_ticks(10) == 10
    b.start_transcription(["lacZ"])
    assert b.install_biological_package("gfp")["installed"]
    assert manager.run_for(datetime.timedelta(seconds=5)) == 5
    a.pause()
    assert manager.run_for(2.5) == 3
    return manager


@pytest.mark.parametrize("runtime", ["actors", "engine"])
def test_a_saved_session_replays_to_its_digest(tmp_path, runtime):
    manager = session(runtime)
    path = tmp_path / "session.toml"
    manager.save_scenario(path)
    assert manager.tick() == 18
    assert bioxen_run_digest(path) == manager.digest()
    summary = manager.run_summary()
    assert summary["digest"] == manager.digest() and summary["engine_version"]
    assert {vm["id"] for vm in summary["vms"]} == {"a", "b"}


def test_both_runtimes_agree():
    assert session("actors").digest() == session("engine").digest()


def test_a_callback_sees_every_tick_and_can_stop_the_run():
    manager = BioVMManager(runtime="engine")
    vm = manager.create_vm("a", "syn3a")
    vm.start()
    seen = []

    def each(tick):
        seen.append((tick, vm.get_protein_count("syn3a_p0001")))
        return tick < 7

    assert manager.run_ticks(100, each) == 7
    assert [t for t, _ in seen] == list(range(1, 8)) and manager.tick() == 7
    with pytest.raises(ZeroDivisionError):
        manager.run_ticks(5, lambda tick: 1 / 0)
    assert manager.tick() == 8


@pytest.mark.parametrize("interrupt", ["interrupt_main", "sigint"])
def test_ctrl_c_stops_at_a_tick_boundary_and_the_manager_goes_on(tmp_path, interrupt):
    manager = BioVMManager(seed=3)
    manager.create_vm("a", "minimal_cell").start()

    def each(tick):
        if tick == 40:
            if interrupt == "sigint":
                os.kill(os.getpid(), signal.SIGINT)
            else:
                _thread.interrupt_main()
        return True

    with pytest.raises(KeyboardInterrupt):
        manager.run_ticks(100_000, each)
    # Python runs the handler as the callback returns: the run stops at that boundary.
    assert manager.tick() == 40
    assert manager.run_ticks(9) == 9
    path = tmp_path / "interrupted.toml"
    manager.save_scenario(path)
    assert bioxen_run_digest(path) == manager.digest()


def test_time_moves_only_when_asked_and_bounds_are_refused_at_once():
    manager = BioVMManager()
    vm = manager.create_vm("a", "syn3a")
    vm.start()
    assert manager.tick() == 0 and vm.get_status()["tick"] == 0
    with pytest.raises(ValueError):
        manager.run_ticks(10**12)
    with pytest.raises(ValueError):
        manager.run_for(datetime.timedelta(days=10**6))
    with pytest.raises(ValueError):
        manager.run_for(float("nan"))
    assert manager.tick() == 0


def test_ctrl_c_without_a_callback(tmp_path):
    import threading

    manager = BioVMManager(seed=5, runtime="engine")
    manager.create_vm("a", "minimal_cell").start()

    def interrupt_once_running():
        while manager.tick() < 20:
            pass
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_running, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        manager.run_ticks(10**7)
    reached = manager.tick()
    assert 20 <= reached < 10**7
    path = tmp_path / "s.toml"
    manager.save_scenario(path)
    assert bioxen_run_digest(path) == manager.digest()
