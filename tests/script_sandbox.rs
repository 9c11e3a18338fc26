//! The script sandbox is an allow-list: every function the script engine can call is one
//! `docs/scripts.md` lists, and the other way round.

mod common;

use std::collections::BTreeSet;

/// The names listed in docs/scripts.md between its `<!-- callable -->` markers.
fn documented() -> BTreeSet<String> {
    let text = std::fs::read_to_string(common::root().join("docs/scripts.md")).unwrap();
    let start = text.find("<!-- callable:begin -->").expect("docs/scripts.md lists the callable functions");
    let end = text.find("<!-- callable:end -->").unwrap();
    text[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .flat_map(|l| l.split("`, `").map(|n| n.trim_end_matches(['`', ',', ' ']).to_string()).collect::<Vec<_>>())
        .filter(|n| !n.is_empty())
        .collect()
}

#[test]
fn every_callable_function_is_documented_and_nothing_else() {
    let engine = bioxen::script::checker();
    let callable = bioxen::script::sandbox::callable(&engine);
    if std::env::var_os("BIOXEN_PRINT_CALLABLE").is_some() {
        for name in &callable {
            println!("{name}");
        }
    }
    let documented = documented();
    let undocumented: Vec<_> = callable.difference(&documented).collect();
    let missing: Vec<_> = documented.difference(&callable).collect();
    assert!(undocumented.is_empty(), "callable but not in docs/scripts.md: {undocumented:?}");
    assert!(missing.is_empty(), "in docs/scripts.md but not callable: {missing:?}");
    for forbidden in ["sleep", "eval", "Fn", "call", "curry", "timestamp", "parse_json", "exit"] {
        assert!(!callable.contains(forbidden), "{forbidden} is callable");
    }
}

/// Every example script compiles and calls only what the sandbox allows (they are long
/// runs, measured by hand; this keeps them from rotting between measurements).
#[test]
fn every_example_script_compiles_in_the_sandbox() {
    let mut checked = 0;
    for dir in ["examples/scripts", "examples/timeline"] {
        for entry in std::fs::read_dir(common::root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rhai") {
                let code = std::fs::read_to_string(&path).unwrap();
                bioxen::script::check(&code, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
                checked += 1;
            }
        }
    }
    assert!(checked >= 5, "{checked} scripts");
    let e = bioxen::script::check("let x = 1;\nsleep(5);", "bad.rhai").unwrap_err();
    assert!(e.to_string().starts_with("bad.rhai:2:"), "{e}");
}
