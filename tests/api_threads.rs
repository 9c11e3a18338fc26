//! Dropping a manager (and its VMs' handles) stops the actor runtime's threads. In a test
//! binary of its own, so no other test's threads are counted.

use bioxen::api::{BioVmManager, HostConfig, Runtime};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

fn session() {
    let manager =
        BioVmManager::with_config(HostConfig { runtime: Runtime::Actors { arbiters: 3 }, ..HostConfig::default() })
            .unwrap();
    let vm = manager.create_vm("cell", "syn3a", "basic", None).unwrap();
    vm.start().unwrap();
    manager.run_ticks(5).unwrap();
    assert!(threads() >= 4, "the actors run on threads of their own");
    drop(manager);
    // The VM's handle keeps the host alive until it goes too.
    vm.run_ticks(1).unwrap();
}

#[test]
fn dropping_a_manager_stops_its_threads() {
    // The first session starts what stays for the process (rayon's global pool).
    session();
    let before = threads();
    session();
    assert_eq!(threads(), before, "threads left behind by a dropped manager");
}
