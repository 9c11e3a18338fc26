//! The grounding check: a syn3A VM given syn3A's own resources divides every 105 min ± 30 %
//! (Breuer et al. 2019; Thornburg et al. 2022).

mod common;
use common::*;

#[test]
fn syn3a_with_its_own_resources_doubles_in_105_minutes() {
    // ~500 ribosomes and 187 RNA polymerases (Thornburg et al. 2022), ATP not limiting, no
    // host reserve: the cell has exactly its own machinery.
    let text = r#"
format_version = 1
[simulation]
seed = 2022
ticks = 36000
policy = "fair"
[chassis]
kind = "ecoli"
ribosomes = 500
rnap = 187
atp_per_s = 1000000000
atp_store_max = 1000000000
reserve_fraction = 0.0
ribosome_reserve_fraction = 0.0
[[vm]]
id = "syn3a"
organism = "syn3a"
"#;
    let o = {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("g.toml"), text).unwrap();
        bioxen_in(dir.path(), &["run", "g.toml", "--json"])
    };
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let vm = &v["vms"][0];
    let divisions = vm["divisions"].as_u64().unwrap();
    let doubling = vm["mean_doubling_minutes"].as_f64().unwrap();
    assert!(divisions >= 4, "only {divisions} divisions in 10 h");
    assert!((73.5..=136.5).contains(&doubling), "mean doubling {doubling:.1} min, outside 105 ± 30 %");
    assert_eq!(vm["starved_ticks"], 0);
}
