//! `bioxen compare` and `bioxen plot`.

mod common;
use common::*;
use std::fs;

#[test]
fn compare_ranks_every_policy_with_intervals_and_draws_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("c.svg");
    let o = bioxen(&[
        "compare",
        "scenarios/contention.toml",
        "--seeds",
        "0..4",
        "--policies",
        "all",
        "--json",
        "--plot",
        chart.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 8);
    let means: Vec<f64> = rows.iter().map(|r| r["proteins_total"]["mean"].as_f64().unwrap()).collect();
    assert!(means.windows(2).all(|w| w[0] >= w[1]), "not ranked: {means:?}");
    for r in rows {
        assert_eq!(r["runs"], 4);
        assert!(r["jain_fairness"]["half_width"].as_f64().unwrap() >= 0.0);
    }
    // Strict priority starves the lowest level; fair share does not.
    let worst = |p: &str| rows.iter().find(|r| r["policy"] == p).unwrap()["worst_demand_met"]["mean"].as_f64().unwrap();
    assert_eq!(worst("priority"), 0.0);
    assert!(worst("fair") > 0.3);
    let svg = fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("round-robin") && svg.contains("95 % CI"), "chart lacks labels");
}

#[test]
fn plot_draws_every_vm_and_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.bxtr");
    let chart = dir.path().join("t.svg");
    assert!(bioxen(&["run", "scenarios/contention.toml", "--trace", trace.to_str().unwrap()]).status.success());
    let o = bioxen(&["plot", trace.to_str().unwrap(), "--out", chart.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = fs::read_to_string(&chart).unwrap();
    for label in
        ["coli-big", "syn3a-d", "pause minimal-1", "resume minimal-1", "simulated time (minutes)", "ATP granted"]
    {
        assert!(svg.contains(label), "chart lacks `{label}`");
    }
}

#[test]
fn chart_and_axis_errors_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let gif = dir.path().join("c.gif");
    let cases: [(&[&str], &str); 3] = [
        (
            &["compare", "scenarios/quickstart.toml", "--seeds", "0..2", "--plot", gif.to_str().unwrap()],
            "charts are written as .svg or .png",
        ),
        (&["compare", "scenarios/quickstart.toml", "--seeds", "9..1"], "the range is empty"),
        (&["plot", "scenarios/quickstart.toml", "--out", "x.svg"], "not a BioXen trace"),
    ];
    for (args, message) in cases {
        let o = bioxen(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }
    assert!(!gif.exists());
}

/// The charts in docs/ are what this binary draws from the commands the README gives
/// (the trace's path is not in the chart). Re-draw them after a deliberate change with
/// `BIOXEN_BLESS=1 cargo test --test experiments`.
#[test]
fn the_charts_in_docs_are_what_the_binary_draws() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("contention.bxtr");
    let (compare, plot) = (dir.path().join("compare.svg"), dir.path().join("trace.svg"));
    let runs: [&[&str]; 3] = [
        &[
            "compare",
            "scenarios/contention.toml",
            "--policies",
            "all",
            "--seeds",
            "0..20",
            "--plot",
            compare.to_str().unwrap(),
        ],
        &["run", "scenarios/contention.toml", "--trace", trace.to_str().unwrap()],
        &["plot", trace.to_str().unwrap(), "--out", plot.to_str().unwrap()],
    ];
    for args in runs {
        let o = bioxen(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    for (drawn, shipped) in [(&compare, "docs/contention-compare.svg"), (&plot, "docs/contention-trace.svg")] {
        let drawn = fs::read_to_string(drawn).unwrap();
        if std::env::var_os("BIOXEN_BLESS").is_some() {
            fs::write(root().join(shipped), &drawn).unwrap();
            continue;
        }
        let shipped_text = fs::read_to_string(root().join(shipped)).unwrap();
        assert!(drawn == shipped_text, "{shipped} is stale: re-draw it (BIOXEN_BLESS=1 cargo test --test experiments)");
    }
}
