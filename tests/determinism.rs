//! Invariants 1–3: same scenario and seed, same digest, whatever the threads; per-VM streams
//! independent of the other VMs.

mod common;
use bioxen::engine::record::TickRecord;
use bioxen::engine::scenario::{self, Scenario};
use bioxen::engine::sim::Simulation;
use common::*;
use proptest::prelude::*;

#[test]
fn digest_does_not_depend_on_thread_count() {
    for name in ["quickstart.toml", "contention.toml"] {
        let mut s = scenario::load(&root().join("scenarios").join(name)).unwrap();
        s.ticks = 150;
        let one = digest(&s, 1);
        assert_eq!(one, digest(&s, 2), "{name}: 1 vs 2 threads");
        assert_eq!(one, digest(&s, 8), "{name}: 1 vs 8 threads");
    }
}

#[test]
fn many_vms_split_across_threads_give_one_digest() {
    // Enough VMs that rayon really splits the work (64 VMs per task minimum).
    let s = bioxen::bench::scenario(
        300,
        30,
        bioxen::engine::biology::Organism::Syn3a,
        bioxen::engine::policy::PolicyKind::Lottery,
        5,
    );
    assert_eq!(digest(&s, 1), digest(&s, 2));
    assert_eq!(digest(&s, 1), digest(&s, 8));
}

fn trajectory_of(s: &Scenario, id: &str) -> Vec<String> {
    let index = s.vm_index(id).unwrap() as u32;
    let mut sim = Simulation::new(s.clone());
    let mut out = Vec::new();
    sim.run(|_, r: &TickRecord| {
        let v = r.vms.iter().find(|v| v.vm == index).unwrap();
        // Everything but the index, which shifts when VMs are added before it.
        out.push(format!("{:?}", &v.fields()[..12]));
    })
    .unwrap();
    out
}

#[test]
fn adding_a_vm_does_not_change_another_vms_draws() {
    let alone = parse(&format!("{ROOMY}[[vm]]\nid = \"m\"\norganism = \"syn3a\"\n"));
    let crowded = parse(&format!(
        "{ROOMY}[[vm]]\nid = \"a\"\norganism = \"ecoli\"\n[[vm]]\nid = \"m\"\norganism = \"syn3a\"\n[[vm]]\nid = \"z\"\norganism = \"minimal_cell\"\n"
    ));
    // The yeast chassis has room for all three, so `m` gets what it asks each tick either
    // way, and its whole trajectory depends on its own stream only.
    assert_eq!(trajectory_of(&alone, "m"), trajectory_of(&crowded, "m"));
}

#[test]
fn a_different_seed_gives_a_different_run() {
    let mut s = parse(&format!("{ROOMY}[[vm]]\nid = \"m\"\norganism = \"syn3a\"\n"));
    let a = digest(&s, 1);
    s.seed += 1;
    assert_ne!(a, digest(&s, 1));
}

/// A random small scenario: organisms, policies, caps, reservations, and a timeline that
/// plays only legal transitions.
fn scenario_strategy() -> impl Strategy<Value = String> {
    let vm = (
        0usize..3,
        1u32..1000,
        -2i32..3,
        proptest::option::of(1u32..100),
        proptest::option::of(0u64..3000),
        any::<bool>(),
    );
    (
        any::<u64>(),
        0usize..8,
        0usize..3,
        proptest::collection::vec(vm, 1..5),
        proptest::collection::vec((0u64..40, 0usize..5, 0usize..6), 0..10),
    )
        .prop_map(|(seed, policy, chassis, vms, events)| {
            let policy = bioxen::engine::policy::PolicyKind::ALL[policy].name();
            let chassis = ["ecoli", "yeast", "orthogonal"][chassis];
            let mut text = format!(
                "format_version = 1\n[simulation]\nseed = {seed}\nticks = 40\npolicy = \"{policy}\"\n[simulation.policy_params]\nquantum_ticks = 3\ncredit_period_ticks = 7\n[chassis]\nkind = \"{chassis}\"\n"
            );
            let organisms = ["syn3a", "ecoli", "minimal_cell"];
            let mut states = Vec::new();
            for (i, (o, w, p, cap, ribocap, autostart)) in vms.iter().enumerate() {
                text.push_str(&format!("[[vm]]\nid = \"vm{i}\"\norganism = \"{}\"\nweight = {w}\npriority = {p}\nautostart = {autostart}\n", organisms[*o]));
                if let Some(c) = cap {
                    text.push_str(&format!("atp_cap_percent = {c}\n"));
                }
                if let Some(r) = ribocap {
                    text.push_str(&format!("ribosome_cap = {r}\n"));
                }
                states.push(if *autostart { "running" } else { "created" });
            }
            let mut events = events;
            events.sort_by_key(|e| e.0);
            for (tick, vm, action) in events {
                let vm = vm % vms.len();
                let (action, next) = match (states[vm], action) {
                    ("created", 0..=2) => ("start", "running"),
                    ("running", 0 | 1) => ("pause", "paused"),
                    ("running", 2) => ("stop", "stopped"),
                    ("paused", 0 | 1) => ("resume", "running"),
                    ("paused", 2) => ("stop", "stopped"),
                    ("stopped" | "created", 3) => ("destroy", "destroyed"),
                    (s, 4 | 5) if s != "destroyed" => {
                        text.push_str(&format!("[[event]]\ntick = {tick}\nvm = \"vm{vm}\"\naction = \"set\"\nweight = {}\npriority = {}\n", 1 + tick, action));
                        continue;
                    }
                    _ => continue,
                };
                states[vm] = next;
                text.push_str(&format!("[[event]]\ntick = {tick}\nvm = \"vm{vm}\"\naction = \"{action}\"\n"));
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_scenarios_are_thread_count_independent(text in scenario_strategy()) {
        let s = parse(&text);
        prop_assert_eq!(digest(&s, 1), digest(&s, 4));
    }
}
