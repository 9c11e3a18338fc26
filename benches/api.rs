//! What the library API costs: a call's round trip into the actor runtime, and a
//! 1,000-VM manager's ticks per second against `bioxen run` of the scenario it saves.
//! Run: `cargo bench --bench api` (prints medians; nothing is asserted).

use bioxen::api::{BioVmManager, HostConfig, Runtime};
use std::process::Command;
use std::time::Instant;

const VMS: usize = 1_000;
const TICKS: u64 = 300;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let arbiters = 2;
    // `bioxen bench`'s chassis: room and pools for 1,000 syn3A cells, and DNA space for
    // the 200 kb beyond its genome an API VM has by default (its `max_memory_kb`).
    let mut chassis = bioxen::bench::chassis(VMS as u32, bioxen::engine::biology::Organism::Syn3a);
    chassis.dna_space_kb += VMS as u64 * 200;
    let manager = BioVmManager::with_config(HostConfig {
        seed: 7,
        chassis,
        runtime: Runtime::Actors { arbiters },
        ..HostConfig::default()
    })
    .unwrap();
    let created = Instant::now();
    let vms: Vec<_> =
        (0..VMS).map(|i| manager.create_vm(&format!("vm{i:04}"), "syn3a", "basic", None).unwrap()).collect();
    for vm in &vms {
        vm.start().unwrap();
    }
    println!("created and started {VMS} VMs in {:.2} s", created.elapsed().as_secs_f64());
    manager.run_ticks(1).unwrap(); // the actors start here

    // A call that changes the run: checked where it lands (against the calls already made
    // since the last tick), sent to the coordinator, answered. Batches of 100 calls, a
    // tick between batches (untimed), as a program driving a session would.
    let mut per_call = Vec::new();
    for batch in 0..50 {
        let started = Instant::now();
        for k in 0..100 {
            let vm = &vms[(batch * 100 + k) % VMS];
            if k % 2 == 0 { vm.stop_transcription(&["syn3a_p0001"]) } else { vm.start_transcription(&["syn3a_p0001"]) }
                .unwrap();
        }
        per_call.push(started.elapsed().as_secs_f64() * 1e6 / 100.0);
        manager.run_ticks(1).unwrap();
    }
    println!("schedule call round trip: median {:.1} µs (50 batches of 100)", median(per_call));

    // For scale: the engine-side cost of the same calls, on a host that runs on this
    // thread (no round trip).
    let local = BioVmManager::with_config(HostConfig { runtime: Runtime::Engine, ..HostConfig::default() }).unwrap();
    let cell = local.create_vm("cell", "syn3a", "basic", None).unwrap();
    cell.start().unwrap();
    let mut per_local = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        for k in 0..100 {
            if k % 2 == 0 {
                cell.stop_transcription(&["syn3a_p0001"])
            } else {
                cell.start_transcription(&["syn3a_p0001"])
            }
            .unwrap();
        }
        per_local.push(started.elapsed().as_secs_f64() * 1e6 / 100.0);
        local.run_ticks(1).unwrap();
    }
    println!("the same call on an engine host (no round trip): median {:.1} µs", median(per_local));

    // A one-line process script (the original's line) on an E. coli VM: parsing,
    // the sandbox, resolving the genes, scheduling, on an engine host and on the actors.
    for (runtime, name) in [(Runtime::Engine, "engine"), (Runtime::Actors { arbiters }, "actors")] {
        let host = BioVmManager::with_config(HostConfig { runtime, ..HostConfig::default() }).unwrap();
        let coli = host.create_vm("coli", "ecoli", "basic", None).unwrap();
        coli.start().unwrap();
        host.run_ticks(1).unwrap();
        let mut per_script = Vec::new();
        for _ in 0..20 {
            let started = Instant::now();
            for k in 0..50 {
                let line = if k % 2 == 0 {
                    r#"start_transcription(["lacZ", "lacY"])"#
                } else {
                    r#"stop_transcription(["lacZ", "lacY"])"#
                };
                coli.execute_biological_process(line).unwrap();
            }
            per_script.push(started.elapsed().as_secs_f64() * 1e6 / 50.0);
            host.run_ticks(1).unwrap();
        }
        println!("a one-line script on an {name} host: median {:.1} µs", median(per_script));
    }

    // A call that reads a cell: the coordinator's clock and one VM actor's state.
    let mut per_query = Vec::new();
    for batch in 0..20 {
        let started = Instant::now();
        for k in 0..100 {
            vms[(batch * 100 + k) % VMS].get_biological_metrics().unwrap();
        }
        per_query.push(started.elapsed().as_secs_f64() * 1e6 / 100.0);
    }
    println!("cell query round trip: median {:.1} µs (20 batches of 100)", median(per_query));
    manager.run_ticks(1).unwrap();

    let mut rates = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        manager.run_ticks(TICKS).unwrap();
        rates.push(TICKS as f64 / started.elapsed().as_secs_f64());
    }
    let manager_rate = median(rates);
    println!("manager, {VMS} VMs on {arbiters} arbiters: median {manager_rate:.1} ticks/s (5 runs of {TICKS} ticks)");

    let dir = std::env::temp_dir().join(format!("bioxen-api-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("session.toml");
    manager.save_scenario(&scenario).unwrap();
    let mut cli = Vec::new();
    for _ in 0..5 {
        let out = Command::new(env!("CARGO_BIN_EXE_bioxen"))
            .args(["run", scenario.to_str().unwrap(), "--runtime", "actors", "--arbiters", &arbiters.to_string()])
            .arg("--json")
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let vm_ticks = report["vm_ticks_per_second"].as_f64().unwrap();
        cli.push(vm_ticks / VMS as f64);
    }
    let cli_rate = median(cli);
    println!(
        "bioxen run of the saved scenario ({} ticks): median {cli_rate:.1} ticks/s; manager ÷ run = {:.2}",
        manager.tick(),
        manager_rate / cli_rate
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
