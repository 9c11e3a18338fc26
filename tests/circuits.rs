//! Gene circuits behave as their papers report: the repressilator oscillates, the toggle
//! switch holds and flips, lac rises after IPTG, a GFP reporter falls when its host is
//! starved; and packages, inducers and scripts are deterministic and refuse bad input.

use bioxen::api::{BioVmManager, HostConfig, Runtime};
use bioxen_engine::chassis::ChassisKind;
use bioxen_engine::scenario::{self, NoGenomeFiles};
use bioxen_engine::sim::Simulation;

/// A one-chassis scenario with `vms` (TOML) for `ticks` one-second ticks.
fn scenario(ticks: u64, policy: &str, chassis: &str, vms: &str) -> Simulation {
    let text = format!(
        "format_version = 1\n[simulation]\nseed = 11\nticks = {ticks}\npolicy = \"{policy}\"\n[chassis]\n{chassis}\n{vms}"
    );
    Simulation::new(scenario::parse(&text, "t.toml", &mut NoGenomeFiles).unwrap()).unwrap()
}

/// Runs `sim` to its end, sampling every `every` ticks the proteins of the last `genes`
/// genes of VM `vm` (a package's, installed last).
fn samples(sim: &mut Simulation, vm: usize, genes: usize, every: u64) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    sim.run(|sim, _| {
        if sim.tick() % every == 0 {
            let cell = &sim.vms()[vm];
            let n = cell.genes();
            out.push((n - genes..n).map(|g| cell.proteins_of(g)).collect());
        }
    })
    .unwrap();
    out
}

/// The repressilator in a syn3A cell oscillates: each repressor rises and falls again and
/// again, with a period of the order Elowitz & Leibler report (≈160 ± 40 min; their
/// oscillations were slower than the cell cycle). Measured: the mean time between upward
/// crossings of each protein's mean level.
#[test]
fn the_repressilator_oscillates_with_a_period_of_hours() {
    let mut sim = scenario(
        20 * 3600,
        "fair",
        "kind = \"ecoli\"",
        "[[vm]]\nid = \"c\"\norganism = \"syn3a\"\npackages = [\"repressilator\"]\n",
    );
    let series = samples(&mut sim, 0, 3, 60);
    for (k, name) in ["lacI", "tetR", "cI"].iter().enumerate() {
        let x: Vec<f64> = series.iter().skip(60).map(|s| f64::from(s[k])).collect();
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let ups: Vec<usize> = (1..x.len()).filter(|&i| x[i - 1] < mean && x[i] >= mean).collect();
        assert!(ups.len() >= 5, "{name}: {} rises in 19 h", ups.len());
        let period = (ups[ups.len() - 1] - ups[0]) as f64 / (ups.len() - 1) as f64;
        assert!((80.0..=240.0).contains(&period), "{name}: period {period} min");
        let (low, high) = (x.iter().cloned().fold(f64::MAX, f64::min), x.iter().cloned().fold(0.0, f64::max));
        assert!(high > 10.0 * low.max(1.0), "{name}: from {low} to {high}, not an oscillation");
    }
}

/// The toggle switch holds whichever state an inducer pulse leaves it in: IPTG frees
/// Ptrc-2 (TetR and GFP high, LacI low) and the state outlasts the pulse; aTc flips it
/// back (LacI high; GFP no longer made, diluted by growth).
#[test]
fn the_toggle_switch_holds_and_flips_on_inducer_pulses() {
    let events = |tick: u64, action: &str, more: &str| {
        format!("[[event]]\ntick = {tick}\nvm = \"c\"\naction = \"{action}\"\n{more}\n")
    };
    let vms = format!(
        "[[vm]]\nid = \"c\"\norganism = \"syn3a\"\npackages = [\"toggle\"]\n{}{}{}{}",
        events(7200, "add_inducer", "inducer = \"IPTG\"\nmicromolar = 2000"),
        events(10800, "remove_inducer", "inducer = \"IPTG\""),
        events(21600, "add_inducer", "inducer = \"aTc\"\nmicromolar = 1"),
        events(25200, "remove_inducer", "inducer = \"aTc\""),
    );
    let mut sim = scenario(36000, "fair", "kind = \"ecoli\"", &vms);
    let s = samples(&mut sim, 0, 3, 600); // every 10 min: [lacI, tetR, gfp]
    let at = |minute: usize| &s[minute / 10 - 1];
    // Set: two hours after the pulse ended, TetR and GFP far above LacI.
    for minute in [300, 340] {
        assert!(at(minute)[1] > 10 * at(minute)[0], "min {minute}: {:?}", at(minute));
    }
    // Reset by aTc, and held after it: LacI above TetR an hour after the pulse, twice it
    // three hours on, while TetR (untagged, no longer made) only falls, by dilution.
    assert!(at(480)[0] > at(480)[1], "min 480: {:?}", at(480));
    assert!(at(590)[0] > 2 * at(590)[1], "min 590: {:?}", at(590));
    assert!(at(590)[1] < at(480)[1], "TetR still made: {:?} then {:?}", at(480), at(590));
    // GFP stops being made once reset: it only falls (dilution) from 8 h on.
    assert!(at(590)[2] < at(480)[2], "{:?} then {:?}", at(480), at(590));
}

/// lac genes on the plasmid stay repressed by LacI until IPTG, then rise: proteins made
/// in the half hour after induction dwarf those in the half hour before.
#[test]
fn lac_genes_rise_after_iptg() {
    let vms = "[[vm]]\nid = \"c\"\norganism = \"ecoli\"\nmemory_kb = 4700\npackages = [\"lac\"]\n\
               [[event]]\ntick = 3600\nvm = \"c\"\naction = \"add_inducer\"\ninducer = \"IPTG\"\nmicromolar = 1000\n";
    let mut sim = scenario(5400, "fair", "kind = \"ecoli\"", vms);
    let s = samples(&mut sim, 0, 4, 60); // [lacI, lacZ, lacY, lacA] each minute
    let lacz = |minute: usize| i64::from(s[minute - 1][1]);
    // Before: what divisions and LacI leave (a little, or falling by dilution).
    let before = lacz(59) - lacz(30);
    let after = lacz(89) - lacz(60);
    assert!(after > 20 * before.max(100), "lacZ +{before} before IPTG, +{after} after");
}

/// A GFP reporter's output falls when a competitor with a higher priority takes the host's
/// ribosomes: GFP made by the reporter alone, and beside a priority-10 competitor, on a
/// chassis with ribosomes for about one syn3A cell.
#[test]
fn a_gfp_reporter_dims_when_a_priority_competitor_starves_its_host() {
    let reporter = "[[vm]]\nid = \"reporter\"\norganism = \"syn3a\"\npackages = [\"gfp\"]\n";
    let competitor = "[[vm]]\nid = \"competitor\"\norganism = \"syn3a\"\npriority = 10\n";
    let chassis = "kind = \"orthogonal\"\nribosomes = 300";
    let gfp = |vms: &str, vm: usize| {
        let mut sim = scenario(3600, "priority", chassis, vms);
        samples(&mut sim, vm, 1, 3600)[0][0]
    };
    let alone = gfp(reporter, 0);
    let starved = gfp(&format!("{competitor}{reporter}"), 1);
    assert!(alone > 100, "the reporter made {alone} GFP alone");
    assert!(f64::from(starved) < 0.6 * f64::from(alone), "GFP alone {alone}, beside the competitor {starved}");
}

/// A circuit run gives one digest on 1, 2 and 8 threads, on the actors, and resumed from a
/// checkpoint in the middle.
#[test]
fn circuits_are_deterministic_across_threads_actors_and_resume() {
    let load = || bioxen::files::load_scenario(std::path::Path::new("scenarios/circuits.toml")).unwrap();
    let digest_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| Simulation::new(load()).unwrap().run(|_, _| {}).unwrap())
    };
    let reference = digest_on(1);
    assert_eq!(digest_on(2), reference);
    assert_eq!(digest_on(8), reference);
    // Resumed at tick 1,000 (between the install and the IPTG of the E. coli guest).
    let mut sim = Simulation::new(load()).unwrap();
    for _ in 0..1000 {
        sim.step().unwrap();
    }
    let bytes = bioxen_engine::checkpoint::write(Vec::new(), &sim).unwrap();
    let mut resumed = bioxen_engine::checkpoint::read(bytes.as_slice(), "mid").unwrap();
    assert_eq!(resumed.run(|_, _| {}).unwrap(), reference);
    // The actors.
    let mut actors = bioxen_actors::ActorRuntime::start(
        Simulation::new(load()).unwrap(),
        bioxen_actors::ActorConfig { arbiters: 2 },
    )
    .unwrap();
    actors.run_ticks(load().ticks, |_| {}).unwrap();
    assert_eq!(actors.digest(), reference);
}

fn manager() -> BioVmManager {
    BioVmManager::with_config(HostConfig {
        chassis: ChassisKind::Ecoli.defaults(),
        runtime: Runtime::Engine,
        ..HostConfig::default()
    })
    .unwrap()
}

/// The original's line runs verbatim on an E. coli VM and changes what it expresses: the
/// lac operon, repressed at birth, makes LacZ once switched on.
#[test]
fn the_originals_process_line_switches_lac_on() {
    let lacz_after = |script: Option<&str>| {
        let m = manager();
        m.create_vm("coli", "ecoli", "basic", None).unwrap();
        let vm = m.get_vm("coli").unwrap();
        vm.start().unwrap();
        if let Some(code) = script {
            let outcome = vm.execute_biological_process(code).unwrap();
            assert_eq!(outcome.changes.len(), 1, "{outcome:?}"); // lacZ and lacY share one unit
            assert_eq!(outcome.changes[0].action, "start_transcription lacZ");
        }
        m.run_ticks(3600).unwrap();
        vm.get_protein_count("lacZ").unwrap()
    };
    let off = lacz_after(None);
    let on = lacz_after(Some(r#"start_transcription(["lacZ", "lacY"])"#));
    assert!(on > off + 50, "LacZ {off} without the script, {on} with it");
}

/// A script as a protocol: install GFP, run, induce, run, read; its value, changes and
/// log come back, and the session saved as a scenario replays it to the same digest.
#[test]
fn a_protocol_script_returns_its_readings_and_saves_as_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager();
    m.create_vm("coli", "ecoli", "basic", None).unwrap();
    m.get_vm("coli").unwrap().start().unwrap();
    let code = r#"
        install_package("lac");
        run(1800);
        let before = protein("lac/lacZ");
        add_inducer("IPTG", 1000.0);
        run(1800);
        print(`lacZ ${before} -> ${protein("lac/lacZ")}`);
        #{ before: before, after: protein("lac/lacZ"), minutes: minutes() }
    "#;
    let outcome = m.execute_vm_sync("coli", code).unwrap();
    let before = outcome.value["before"].as_i64().unwrap();
    let after = outcome.value["after"].as_i64().unwrap();
    assert!(after > before + 1000, "{outcome:?}");
    assert_eq!(outcome.value["minutes"].as_f64(), Some(60.0));
    assert_eq!(outcome.ticks_run, 3600);
    assert_eq!(
        outcome.changes.iter().map(|c| (c.tick, c.action.as_str())).collect::<Vec<_>>(),
        [(0, "install lac"), (1800, "add_inducer IPTG 1000 µM")]
    );
    assert_eq!(outcome.log.len(), 1);
    assert_eq!(m.get_vm("coli").unwrap().get_plasmid_count().unwrap(), 4);
    let saved = dir.path().join("session.toml");
    m.save_scenario(&saved).unwrap();
    let mut sim = Simulation::new(bioxen::files::load_scenario(&saved).unwrap()).unwrap();
    let digest = sim.run(|_, _| {}).unwrap();
    assert_eq!(bioxen_engine::record::hex(&digest), m.digest());
}

/// Bad scripts: each a clear error at its line:column, saying the tick it stopped at, and
/// the run unchanged (the same digest as a session that never ran it).
#[test]
fn bad_scripts_are_clear_errors_and_change_nothing() {
    let reference = {
        let m = manager();
        m.create_vm("coli", "ecoli", "basic", None).unwrap();
        m.get_vm("coli").unwrap().start().unwrap();
        m.run_ticks(20).unwrap();
        m.digest()
    };
    let cases = [
        ("syntax error", "start_transcription([\"lacZ\"]\n", "Syntax error"),
        ("runtime error", "let x = 1;\nx.no_such_method();", "2:"),
        ("infinite loop", "let i = 0;\nloop { i += 1; }", "limit of 1000000 operations"),
        ("huge allocation", "let a = [];\na.pad(100000000, 0);", "an array passed its limit of 16384 elements"),
        ("huge string", "let s = \"x\";\nloop { s += s; }", "a string passed its limit of 16384 bytes"),
        ("sleep", "sleep(100000)", "no function sleep"),
        ("unknown gene", "start_transcription([\"lacZ\", \"lacQ\"])", "no gene `lacQ`"),
        ("forbidden function", "let f = open(\"/etc/passwd\");", "no function open"),
        ("eval", "eval(\"1 + 1\")", "1:"),
        ("clock", "let t = timestamp();", "no function timestamp"),
        ("too many ticks", "run(2000000)", "limit of 1000000 ticks"),
        ("change refused", "add_inducer(\"IPTG\", -5.0)", "not within"),
        ("unknown package", "install_package(\"nope\")", "unknown package `nope`"),
        ("package twice", "install_package(\"gfp\");\ninstall_package(\"gfp\");", "already installed"),
        ("wrong organism", "install_package(\"lac\");", "does not support organism"),
    ];
    for (name, code, expected) in cases {
        let m = manager();
        let organism = if name == "wrong organism" { "syn3a" } else { "ecoli" };
        m.create_vm("coli", organism, "basic", None).unwrap();
        m.get_vm("coli").unwrap().start().unwrap();
        let e = m.execute_vm_sync("coli", code).err().unwrap_or_else(|| panic!("{name}: accepted"));
        let text = e.to_string();
        assert!(text.contains(expected), "{name}: `{text}` lacks `{expected}`");
        assert!(text.contains("stopped before tick 0"), "{name}: `{text}`");
        assert!(text.starts_with("script:"), "{name}: `{text}`");
        if organism == "ecoli" {
            m.run_ticks(20).unwrap();
            assert_eq!(m.digest(), reference, "{name}: the failed script changed the run");
        }
    }
}

/// Installing: the errors the issue lists, each leaving the VM as it was.
#[test]
fn package_installs_refuse_what_cannot_be() {
    let m = manager();
    m.create_vm("syn", "syn3a", "basic", None).unwrap();
    let vm = m.get_vm("syn").unwrap();
    let err = |r: Result<(), bioxen::api::ApiError>| r.unwrap_err().to_string();
    assert!(err(vm.install_biological_package("nope")).contains("unknown package `nope`; the packages are: gfp, lac"));
    assert!(err(vm.install_biological_package("lac")).contains("does not support organism syn3a"));
    vm.install_biological_package("gfp").unwrap();
    assert!(err(vm.install_biological_package("gfp")).contains("already installed"));
    let mut config = bioxen::api::ConfigManager::new().load_defaults("syn3a").unwrap();
    config.resource_limits.max_memory_kb = Some(10);
    m.create_vm("small", "syn3a", "basic", Some(config)).unwrap();
    let e = err(m.get_vm("small").unwrap().install_biological_package("repressilator"));
    assert!(e.contains("not enough DNA space") && e.contains("need 23 kb"), "{e}");
    assert_eq!(vm.get_installed_packages(), ["gfp"]);
    assert!(m.get_vm("small").unwrap().get_installed_packages().is_empty());
}

fn bioxen(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bioxen")).args(args).output().unwrap()
}

/// `bioxen packages` lists one line per shipped package; `bioxen script` runs the README's
/// lac script, and a bad script is bad input (exit 2) naming the file's line:column.
#[test]
fn the_packages_and_script_commands() {
    let o = bioxen(&["packages"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    let names: Vec<&str> = out.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(names, ["gfp", "lac", "repressilator", "toggle"]);
    let dir = tempfile::tempdir().unwrap();
    // Saved, the session (the scenario's own VMs, present from tick 0, and the script's
    // changes) replays to the digest the command printed.
    let saved = dir.path().join("saved.toml");
    let o = bioxen(&[
        "script",
        "scenarios/circuits.toml",
        "examples/scripts/lac-induction.rhai",
        "--vm",
        "coli",
        "--json",
        "--save",
        saved.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(json["script"]["value"]["fold"].as_f64().unwrap() >= 2.0, "{json}");
    let replayed = bioxen(&["run", saved.to_str().unwrap(), "--json"]);
    assert!(replayed.status.success(), "{}", String::from_utf8_lossy(&replayed.stderr));
    let replayed: serde_json::Value = serde_json::from_slice(&replayed.stdout).unwrap();
    assert_eq!(replayed["digest"], json["digest"]);
    let bad = dir.path().join("bad.rhai");
    std::fs::write(&bad, "run(10);\nstart_transcription(\"nope\");\n").unwrap();
    let o = bioxen(&["script", "scenarios/circuits.toml", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.rhai:2:") && err.contains("no gene `nope`") && err.contains("stopped before tick 10"),
        "{err}"
    );
    // Without --vm, standard error says which VM the script ran on.
    assert!(err.contains("runs on VM `coli`, the scenario's first"), "{err}");
}

/// `bioxen script --seeds`: one run per seed, in seed order, each with its own value, and
/// the mean ± SD of every number returned; the same seeds give the same lines on any
/// number of jobs. A bad seed list, or `--seeds` with `--save`, is bad input.
#[test]
fn a_script_over_seeds_is_a_distribution() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("grow.rhai");
    std::fs::write(&script, "run(30);\n#{ proteins: metrics().proteins, tick: tick() }\n").unwrap();
    let run = |jobs: &str| {
        let args = ["script", "scenarios/quickstart.toml", script.to_str().unwrap(), "--seeds", "1..5", "--jobs", jobs];
        bioxen(&args)
    };
    let o = run("2");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let seeds: Vec<&str> =
        out.lines().filter(|l| l.starts_with("seed")).map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert_eq!(seeds, ["1", "2", "3", "4"], "{out}");
    assert!(out.contains("\ntick: 30 ± 0 (n = 4)"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("proteins: ") && l.ends_with("(n = 4)")), "{out}");
    assert_eq!(String::from_utf8_lossy(&run("1").stdout), out, "one job and two differ");
    let values: std::collections::BTreeSet<&str> =
        out.lines().filter(|l| l.starts_with("seed")).map(|l| l.split_once("  ").unwrap().1).collect();
    assert_eq!(values.len(), 4, "four seeds, four different cells: {out}");
    for bad in [vec!["--seeds", "5..5"], vec!["--seeds", "1,x"], vec!["--seeds", "1..3", "--save", "s.toml"]] {
        let mut args = vec!["script", "scenarios/quickstart.toml", script.to_str().unwrap()];
        args.extend(bad.iter().copied());
        let o = bioxen(&args);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(o.stdout.is_empty(), "{bad:?}");
    }
}

/// `bioxen packages --dir`: every good package listed, a local one marked (and whether it
/// shadows a shipped one), every bad file reported after the list, exit 2.
#[test]
fn packages_lists_every_good_package_then_every_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let packages = dir.path().join("packages");
    std::fs::create_dir(&packages).unwrap();
    let gfp = std::fs::read_to_string(common_root().join("scenarios/packages/gfp.toml")).unwrap();
    std::fs::write(packages.join("gfp.toml"), &gfp).unwrap();
    std::fs::write(packages.join("mine.toml"), gfp.replace("name = \"gfp\"\nversion", "name = \"mine\"\nversion"))
        .unwrap();
    std::fs::write(packages.join("aaa.toml"), "format_version = 1\n").unwrap();
    std::fs::write(packages.join("zzz.toml"), "not toml at all [").unwrap();
    let o = bioxen(&["packages", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    let names: Vec<&str> = out.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(names, ["gfp", "lac", "mine", "repressilator", "toggle"], "{out}");
    assert!(out.lines().next().unwrap().contains("[local, shadows the shipped one]"), "{out}");
    assert!(out.contains("[local]") && out.contains("[shipped]"), "{out}");
    assert!(err.contains("2 package file(s)") && err.contains("aaa.toml:1:1") && err.contains("zzz.toml:1:"), "{err}");
}

fn common_root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A host's `packages_dir` holds packages of its own, found by name before the shipped
/// ones; without it, the name is unknown.
#[test]
fn a_hosts_packages_dir_offers_its_own_packages() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("packages")).unwrap();
    let gfp = std::fs::read_to_string("scenarios/packages/gfp.toml").unwrap();
    let mine = gfp.replacen("name = \"gfp\"", "name = \"reporter\"", 1);
    std::fs::write(dir.path().join("packages/reporter.toml"), mine).unwrap();
    let host = |packages_dir: Option<std::path::PathBuf>| {
        let m =
            BioVmManager::with_config(HostConfig { runtime: Runtime::Engine, packages_dir, ..HostConfig::default() })
                .unwrap();
        m.create_vm("coli", "ecoli", "basic", None).unwrap();
        m
    };
    let m = host(None);
    let e = m.get_vm("coli").unwrap().install_biological_package("reporter").unwrap_err();
    assert!(e.to_string().contains("unknown package `reporter`"), "{e}");
    let m = host(Some(dir.path().to_path_buf()));
    let vm = m.get_vm("coli").unwrap();
    vm.install_biological_package("reporter").unwrap();
    vm.install_biological_package("lac").unwrap(); // the shipped ones still
    assert_eq!(vm.get_installed_packages(), ["reporter", "lac"]);
}

/// `export --genes`: one VM's rows with its genes' protein molecules, read by re-running the
/// trace — the same numbers a script reads at that tick; an unknown gene writes nothing.
#[test]
fn export_writes_a_vms_genes_from_its_trace() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("c.bxtr");
    let run = bioxen(&["run", "scenarios/circuits.toml", "--ticks", "120", "--trace", trace.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let t = trace.to_str().unwrap();
    let o = bioxen(&["export", t, "--format", "csv", "--genes", "lacI,tetR,cI", "--vm", "oscillator"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = String::from_utf8_lossy(&o.stdout).into_owned();
    let mut lines = csv.lines();
    // Columns by the genes' full names: these are the repressilator package's.
    let header = lines.next().unwrap();
    assert!(
        header.ends_with(",protein:repressilator/lacI,protein:repressilator/tetR,protein:repressilator/cI"),
        "{header}"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 120, "one row a tick, for the one VM");
    assert!(rows.iter().all(|r| r[1] == "oscillator"));
    // The row of tick 99 holds the cell after 100 ticks: what a script reads then.
    let script = dir.path().join("read.rhai");
    std::fs::write(&script, "run(100);\n[protein(\"lacI\"), protein(\"tetR\"), protein(\"cI\")]").unwrap();
    let scenario = dir.path().join("c.toml");
    let text = std::fs::read_to_string(common_root().join("scenarios/circuits.toml")).unwrap();
    std::fs::write(&scenario, text).unwrap();
    let o = bioxen(&["script", scenario.to_str().unwrap(), script.to_str().unwrap(), "--vm", "oscillator", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let read: Vec<String> = json["script"]["value"].as_array().unwrap().iter().map(|v| v.to_string()).collect();
    assert_eq!(rows[99][14..], read.iter().map(String::as_str).collect::<Vec<_>>()[..], "{csv}");
    let jsonl = bioxen(&["export", t, "--format", "jsonl", "--genes", "cI", "--vm", "oscillator"]);
    let last: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&jsonl.stdout).lines().last().unwrap()).unwrap();
    assert!(last["protein"]["repressilator/cI"].is_u64(), "{last}");
    for (args, words) in [
        (&["export", t, "--format", "csv", "--genes", "nope"][..], "no gene `nope`"),
        (&["export", t, "--format", "csv", "--vm", "oscillator"], "--vm goes with --genes"),
        (&["export", t, "--format", "csv", "--genes", "cI", "--vm", "nobody"], "the trace has no VM `nobody`"),
        // The E. coli guest has its own lacZ and the lac plasmid's: a bare name is refused.
        (
            &["export", t, "--format", "csv", "--genes", "lacZ", "--vm", "coli"],
            "write `/lacZ` (the genome's) or `lac/lacZ`",
        ),
    ] {
        let o = bioxen(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains(words), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}: wrote {}", String::from_utf8_lossy(&o.stdout));
    }
}

/// A switch naming `lacZ` in an E. coli guest with the lac plasmid is ambiguous (its own
/// lacZ and the plasmid's): refused at its line:column, naming both ways to say which;
/// `/lacZ` (the genome's) and `lac/lacZ` (the plasmid's) are accepted.
#[test]
fn a_gene_name_that_fits_two_genes_is_refused_in_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = |gene: &str| {
        let path = dir.path().join("s.toml");
        std::fs::write(
            &path,
            format!(
                "format_version = 1\n[simulation]\nseed = 1\nticks = 10\npolicy = \"fair\"\n[chassis]\nkind = \"ecoli\"\n\
                 [[vm]]\nid = \"coli\"\norganism = \"ecoli\"\npackages = [\"lac\"]\nmemory_kb = 4700\n\
                 [[event]]\ntick = 2\nvm = \"coli\"\naction = \"start_transcription\"\ngene = \"{gene}\"\n"
            ),
        )
        .unwrap();
        bioxen(&["validate", path.to_str().unwrap()])
    };
    let o = scenario("lacZ");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("s.toml:17:8:")
            && err.contains("more than one gene `lacZ`: write `/lacZ` (the genome's) or `lac/lacZ`"),
        "{err}"
    );
    for fine in ["/lacZ", "lac/lacZ"] {
        let o = scenario(fine);
        assert!(o.status.success(), "{fine}: {}", String::from_utf8_lossy(&o.stderr));
    }
}
