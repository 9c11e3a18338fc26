//! The command-line contract: outputs, exit codes, and bad input.

mod common;
use common::*;
use std::fs;

#[test]
fn run_json_has_the_contract_fields() {
    let o = bioxen(&["run", "scenarios/quickstart.toml", "--ticks", "50", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["digest"].as_str().unwrap().len(), 64);
    assert_eq!(v["seed"], 42);
    assert_eq!(v["ticks"], 50);
    assert_eq!(v["policy"], "proportional");
    assert!(v["vm_ticks_per_second"].as_f64().unwrap() > 0.0);
    let vms = v["vms"].as_array().unwrap();
    assert_eq!(vms.len(), 3);
    for key in ["id", "proteins", "atp_granted", "ribosome_ticks", "divisions", "starved_ticks"] {
        assert!(vms[0].get(key).is_some(), "missing {key}");
    }
}

#[test]
fn overrides_change_the_run_and_the_digest() {
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "scenarios/contention.toml", "--ticks", "30", "--json"];
        args.extend_from_slice(extra);
        serde_json::from_str::<serde_json::Value>(&stdout(&bioxen(&args))).unwrap()
    };
    let base = run(&[]);
    let seeded = run(&["--seed", "43"]);
    let priority = run(&["--policy", "priority"]);
    assert_eq!(seeded["seed"], 43);
    assert_eq!(priority["policy"], "priority");
    assert_ne!(base["digest"], seeded["digest"]);
    assert_ne!(base["digest"], priority["digest"]);
    // The policy really is applied: under strict priority the lowest level (syn3a-c) is
    // starved by the E. coli guests, under fair share it is not.
    let proteins = |v: &serde_json::Value, id: &str| {
        v["vms"].as_array().unwrap().iter().find(|x| x["id"] == id).unwrap()["proteins"].as_u64().unwrap()
    };
    assert!(proteins(&base, "syn3a-c") > 0);
    assert_eq!(proteins(&priority, "syn3a-c"), 0);
    assert_eq!(base["digest"], run(&[])["digest"]);
}

/// `bench --save-scenario` writes the bench's workload: `run` on the file, on either
/// runtime, and `resume` from a checkpoint of it end on the bench's digest.
#[test]
fn a_saved_bench_workload_runs_to_the_bench_digest() {
    let dir = tempfile::tempdir().unwrap();
    let digest_of = |args: &[&str]| -> serde_json::Value {
        let o = bioxen_in(dir.path(), args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()["digest"].clone()
    };
    let bench = ["bench", "--vms", "40", "--ticks", "12", "--organism", "minimal_cell", "--seed", "5"];
    let expected = digest_of(&[&bench[..], &["--json"]].concat());
    let o = bioxen_in(dir.path(), &[&bench[..], &["--save-scenario", "w.toml"]].concat());
    assert!(o.status.success() && stdout(&o).is_empty(), "{}", stderr(&o));
    assert_eq!(digest_of(&["run", "w.toml", "--json"]), expected);
    assert_eq!(digest_of(&["run", "w.toml", "--json", "--runtime", "actors", "--arbiters", "2"]), expected);
    digest_of(&["run", "w.toml", "--json", "--checkpoint-every", "5", "--checkpoint-dir", "cp"]);
    let checkpoint = fs::read_dir(dir.path().join("cp")).unwrap().next().unwrap().unwrap().path();
    assert_eq!(digest_of(&["resume", checkpoint.to_str().unwrap(), "--json"]), expected);
    // Without --json, both end on the same `digest …` line.
    let last_line = |args: &[&str]| stdout(&bioxen_in(dir.path(), args)).lines().last().map(str::to_owned);
    let bench_line = last_line(&bench);
    assert_eq!(bench_line, Some(format!("digest {}", expected.as_str().unwrap())));
    assert_eq!(bench_line, last_line(&["run", "w.toml"]));
}

#[test]
fn table_output_ends_with_the_digest() {
    let o = bioxen(&["run", "scenarios/quickstart.toml", "--ticks", "10"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("syn3a-1") && out.lines().last().unwrap().starts_with("digest "), "{out}");
}

#[test]
fn policies_lists_all_eight() {
    let out = stdout(&bioxen(&["policies"]));
    for p in ["fair", "proportional", "priority", "round-robin", "lottery", "stride", "drf", "credit"] {
        assert!(out.lines().any(|l| l.starts_with(p)), "{p} missing from\n{out}");
    }
}

#[test]
fn replay_of_a_fresh_trace_is_identical_and_export_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("run.bxtr");
    let t = trace.to_str().unwrap();
    let o = bioxen(&["run", "scenarios/contention.toml", "--ticks", "60", "--trace", t, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let digest =
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()["digest"].as_str().unwrap().to_string();
    let r = bioxen(&["replay", t]);
    assert!(r.status.success(), "{}{}", stdout(&r), stderr(&r));
    assert!(stdout(&r).contains(&format!("identical over 60 ticks, digest {digest}")), "{}", stdout(&r));

    let csv = dir.path().join("run.csv");
    let e = bioxen(&["export", t, "--format", "csv", "--out", csv.to_str().unwrap()]);
    assert!(e.status.success(), "{}", stderr(&e));
    let text = fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("tick,vm,state,demand_atp"));
    assert!(lines[1].starts_with("0,coli-big,running,"), "{}", lines[1]);
    // 60 ticks × 7 VMs at first (syn3a-d is created but counts), 8 after tick 100: 8 each.
    assert_eq!(lines.len(), 1 + 60 * 8);
    let j = bioxen(&["export", t, "--format", "jsonl"]);
    let first: serde_json::Value = serde_json::from_str(stdout(&j).lines().next().unwrap()).unwrap();
    assert_eq!(first["vm"], "coli-big");
    assert_eq!(first["tick"], 0);
}

#[test]
fn replay_names_the_first_divergent_tick_vm_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tampered.bxtr");
    let mut sim = simulation(&load("quickstart.toml"));
    write_trace(&path, &mut sim, 20, |record| {
        if record.tick == 13 {
            record.vms[1].grant.ribosomes += 1; // VM index 1 is `syn3a-1`
        }
    });
    let o = bioxen(&["replay", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("diverges at tick 13, VM `syn3a-1`, field grant.ribosomes"), "{}", stdout(&o));
}

const BASE: &str = r#"format_version = 1
[simulation]
seed = 1
ticks = 10
policy = "fair"
[chassis]
kind = "ecoli"
[[vm]]
id = "a"
organism = "syn3a"
"#;

/// Appended to BASE: an event for VM `vm`.
fn event(tick: u64, vm: &str, action: &str) -> String {
    format!("{BASE}[[event]]\ntick = {tick}\nvm = \"{vm}\"\naction = \"{action}\"\n")
}

#[test]
fn bad_inputs_fail_clearly_with_status_2_and_write_nothing() {
    let run: &[&str] = &["run", "s.toml"];
    let many_vms: String = (0..65).map(|i| format!("[[vm]]\nid = \"v{i}\"\norganism = \"syn3a\"\n")).collect();
    // (case, arguments, what stderr must say, scenario text written to s.toml if any)
    let cases: Vec<(&str, &[&str], &str, Option<String>)> = vec![
        ("missing file", &["run", "nope.toml"], "nope.toml:1:1: cannot read scenario", None),
        ("toml syntax", run, "s.toml:3:8: extra `=`", Some(BASE.replace("seed = 1", "seed = = 1"))),
        ("unknown policy", run, "s.toml:5:10: unknown policy `best`", Some(BASE.replace("\"fair\"", "\"best\""))),
        (
            "unknown policy flag",
            &["run", "s.toml", "--policy", "best"],
            "unknown policy `best`; expected one of: fair,",
            Some(BASE.into()),
        ),
        (
            "unknown organism",
            run,
            "s.toml:10:12: unknown organism `human`",
            Some(BASE.replace("\"syn3a\"", "\"human\"")),
        ),
        (
            "duplicate id",
            run,
            "s.toml:12:6: duplicate VM id `a` (first defined at 9:6)",
            Some(format!("{BASE}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n")),
        ),
        ("unknown event VM", run, "s.toml:13:6: event for unknown VM `ghost`", Some(event(1, "ghost", "pause"))),
        (
            "negative quantity",
            run,
            "s.toml:11:16: invalid value: integer `-5`, expected u64",
            Some(format!("{BASE}ribosome_cap = -5\n")),
        ),
        (
            "NaN quantity",
            run,
            "s.toml:11:19: atp_cap_percent must be a percentage in [0, 100], not NaN",
            Some(format!("{BASE}atp_cap_percent = nan\n")),
        ),
        (
            "cap over 100 %",
            run,
            "s.toml:11:19: atp_cap_percent must be a percentage in [0, 100], not 150",
            Some(format!("{BASE}atp_cap_percent = 150.0\n")),
        ),
        ("too many VMs", run, "s.toml:vm: 66 VMs, but the ecoli chassis allows 64", Some(format!("{BASE}{many_vms}"))),
        (
            "genome too large",
            run,
            "s.toml:10:6: VM `a`: its genome is 544 kb, larger than the ecoli chassis DNA space of 500 kb",
            Some(BASE.replace("kind = \"ecoli\"", "kind = \"ecoli\"\ndna_space_kb = 500")),
        ),
        (
            "impossible transition",
            run,
            "s.toml:14:10: at tick 2: cannot resume VM `a`: it is running",
            Some(event(2, "a", "resume")),
        ),
        (
            "zero threads",
            &["run", "s.toml", "--threads", "0"],
            "must be a whole number from 1 to 256",
            Some(BASE.into()),
        ),
        (
            "future format",
            &["validate", "s.toml"],
            "s.toml:1:18: format_version 2 is not supported",
            Some(BASE.replace("format_version = 1", "format_version = 2")),
        ),
        // The defects issue 8 found by trying, each now a clear error.
        (
            "credit overflow: weight 2^32 - 1",
            run,
            "s.toml:13:10: weight must be in 1..=65535 (Xen's range), not 4294967295",
            Some(credit(1_000_000, 4_294_967_295)),
        ),
        (
            "credit overflow: weight 1e9",
            run,
            "s.toml:13:10: weight must be in 1..=65535 (Xen's range), not 1000000000",
            Some(credit(3000, 1_000_000_000)),
        ),
        (
            "credit period past its bound",
            run,
            "s.toml:simulation.policy_params.credit_period_ticks: must be in 1..=1000000, not 1000001",
            Some(credit(1_000_001, 256)),
        ),
        (
            "memory_kb summing past 2^64",
            run,
            "s.toml:vm.memory_kb: the VMs need more than 2^64 kb of DNA space",
            Some(three_vms("memory_kb = 6148914691236517206")),
        ),
        (
            "ribosome reservations summing past 2^64",
            run,
            "s.toml:vm: ribosome reservations add up to more than 2^64",
            Some(three_vms("ribosome_reserve = 9223372036854775807")),
        ),
        ("no VMs", run, "s.toml:vm: the scenario has no [[vm]]", Some(BASE.split("[[vm]]").next().unwrap().into())),
        (
            "a lottery of too many quanta",
            run,
            "s.toml:simulation.policy_params.quanta_per_vm: must be in 1..=1024, not 1000000000",
            Some(BASE.replace("[chassis]", "[simulation.policy_params]\nquanta_per_vm = 1000000000\n[chassis]")),
        ),
        (
            "a pool past its bound",
            run,
            "s.toml:8:13: must be at most 100000000000, not 100000000001",
            Some(BASE.replace("kind = \"ecoli\"", "kind = \"ecoli\"\nribosomes = 100000000001")),
        ),
        ("scenario is a device", &["validate", "/dev/zero"], "/dev/zero:1:1: cannot read scenario: is a device", None),
        (
            "genome file is a device",
            &["validate", "s.toml"],
            "s.toml:11:15: cannot read genome file `/dev/zero`: is a device",
            Some(format!("{BASE}genome_file = \"/dev/zero\"\n")),
        ),
        (
            "genome file is endless random bytes",
            &["validate", "s.toml"],
            "cannot read genome file `/dev/urandom`: is a device",
            Some(format!("{BASE}genome_file = \"/dev/urandom\"\n")),
        ),
        (
            "genome file is not GenBank",
            &["validate", "s.toml"],
            "s.toml:11:15: /etc/passwd: not a GenBank file",
            Some(format!("{BASE}genome_file = \"/etc/passwd\"\n")),
        ),
        (
            "a newborn cell that would more than double in a tick",
            &["validate", "s.toml"],
            "would more than double in one tick of 60 s; use ticks of at most",
            Some(
                format!("{BASE}genome_file = \"tiny.gb\"\n")
                    .replace("policy = \"fair\"", "policy = \"fair\"\ntick_seconds = 60.0"),
            ),
        ),
        (
            "a genome file whose name traces could not tell from a genome and its expression",
            &["validate", "s.toml"],
            "s.toml:11:15: genome file `tiny + 1.gb` has file names that traces could not tell apart",
            Some(format!("{BASE}genome_file = \"tiny + 1.gb\"\n")),
        ),
        ("too many threads", &["run", "s.toml", "--threads", "100000"], "from 1 to 256", Some(BASE.into())),
        ("20,000 threads", &["run", "s.toml", "--threads", "20000"], "from 1 to 256", Some(BASE.into())),
        (
            "too many arbiters",
            &["run", "s.toml", "--runtime", "actors", "--arbiters", "257"],
            "'--arbiters <N>': must be a whole number from 1 to 256",
            Some(BASE.into()),
        ),
        (
            "zero jobs",
            &["sweep", "s.toml", "--seeds", "0..2", "--jobs", "0", "--out", "o"],
            "'--jobs <JOBS>': must be a whole number from 1 to 256",
            Some(BASE.into()),
        ),
        (
            "the trace would overwrite the scenario",
            &["run", "s.toml", "--trace", "s.toml"],
            "--trace s.toml is the input",
            Some(BASE.into()),
        ),
        (
            "the checkpoint directory is a file",
            &["run", "s.toml", "--checkpoint-every", "2", "--checkpoint-dir", "s.toml"],
            "--checkpoint-dir s.toml: is not a directory",
            Some(BASE.into()),
        ),
        (
            "the trace is a directory",
            &["run", "s.toml", "--trace", "."],
            "--trace .: is a directory",
            Some(BASE.into()),
        ),
        ("resume offers no trace", &["resume", "c.bxck", "--trace", "t.bxtr"], "unexpected argument '--trace'", None),
        // Input's words quoted in a message are shown, never acted on by the terminal.
        (
            "an escape sequence in the scenario's name",
            run,
            "s.toml:2:8: name has an unprintable character (\\u{1b})",
            Some(BASE.replace("[simulation]", "name = \"n\\u001b[2J\"\n[simulation]")),
        ),
        (
            "an escape sequence in an unknown policy",
            run,
            "s.toml:5:10: unknown policy `fair\\u{1b}[2J\\u{7}`",
            Some(BASE.replace("\"fair\"", "\"fair\\u001b[2J\\u0007\"")),
        ),
        (
            "a terminal's title in an unknown key",
            run,
            "s.toml:11:1: unknown field `\\u{1b}]0;owned\\u{7}`",
            Some(format!("{BASE}\"\\u001b]0;owned\\u0007\" = 1\n")),
        ),
        (
            "a carriage return and a right-to-left override in a genome file's name",
            &["validate", "s.toml"],
            "cannot read genome file `x\\r\\u{202e}.gb`",
            Some(format!("{BASE}genome_file = \"x\\r\\u202e.gb\"\n")),
        ),
        (
            "a script's seeds past the bound, refused before anything is said or read",
            &["script", "s.toml", "never-read.rhai", "--seeds", "1..100000000"],
            "--seeds 1..100000000: more than 1000000 seeds",
            Some(BASE.into()),
        ),
        (
            "ticks past the bound, with a checkpoint directory to make",
            &["run", "s.toml", "--ticks", "100000001", "--checkpoint-every", "5", "--checkpoint-dir", "ck"],
            "simulation.ticks: ticks must be in 1..=100000000",
            Some(BASE.into()),
        ),
    ];
    for (name, args, message, text) in cases {
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = &text {
            fs::write(dir.path().join("s.toml"), text).unwrap();
        }
        fs::write(dir.path().join("tiny.gb"), TINY_GENBANK).unwrap();
        fs::write(dir.path().join("tiny + 1.gb"), TINY_GENBANK).unwrap();
        let mut args: Vec<&str> = args.to_vec();
        if args[0] == "run" && !args.contains(&"--trace") {
            args.extend(["--trace", "out.bxtr"]);
        }
        let o = bioxen_in(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{name}: status {:?}, stderr {}", o.status, stderr(&o));
        assert!(stderr(&o).contains(message), "{name}: expected `{message}` in\n{}", stderr(&o));
        // Short: our own errors are one line (clap's add usage and hints).
        if !stderr(&o).contains("For more information, try") {
            assert_eq!(stderr(&o).lines().count(), 1, "{name}: {}", stderr(&o));
        }
        assert!(!stderr(&o).contains("root:"), "{name}: a file's lines were echoed");
        let unprintable = stderr(&o).chars().find(|&c| bioxen_engine::text::unprintable(c) && c != '\n' && c != '\t');
        assert_eq!(unprintable, None, "{name}: {:?}", stderr(&o));
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(
            left.iter().all(|n| n == "s.toml" || n == "tiny.gb" || n == "tiny + 1.gb"),
            "{name}: files left behind: {left:?}"
        );
    }
}

/// A credit-policy scenario with this accounting period and VM `a`'s weight.
fn credit(period: u64, weight: u64) -> String {
    BASE.replace("policy = \"fair\"", "policy = \"credit\"")
        .replace("[chassis]", &format!("[simulation.policy_params]\ncredit_period_ticks = {period}\n[chassis]"))
        + format!("weight = {weight}\n[[vm]]\nid = \"b\"\norganism = \"syn3a\"\n").as_str()
}

/// Three VMs `a`, `b`, `c`, each with `line`.
fn three_vms(line: &str) -> String {
    let mut text = BASE.replace("kind = \"ecoli\"", "kind = \"yeast\"");
    text.push_str(&format!("{line}\n"));
    for id in ["b", "c"] {
        text.push_str(&format!("[[vm]]\nid = \"{id}\"\norganism = \"syn3a\"\n{line}\n"));
    }
    text
}

/// A GenBank record of two one-codon genes: a genome of minute proteins, whose newborn
/// cell is a mass a minute of translation would more than double.
const TINY_GENBANK: &str = concat!(
    "LOCUS       TINY                      12 bp    DNA     linear   BCT 01-JAN-2026\n",
    "FEATURES             Location/Qualifiers\n",
    "     CDS             1..6\n",
    "                     /locus_tag=\"T1\"\n",
    "     CDS             7..12\n",
    "                     /locus_tag=\"T2\"\n",
    "ORIGIN\n",
    "        1 atgtaaatgt aa\n",
    "//\n"
);

#[test]
fn the_largest_credit_inputs_now_allowed_run_alike_on_both_runtimes() {
    // What the bounds still allow, at their edge: the credit arithmetic that used to
    // overflow (period 10^6 ticks, weight 65535) runs, and both runtimes agree.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("s.toml"), credit(1_000_000, 65_535)).unwrap();
    let engine = bioxen_in(dir.path(), &["run", "s.toml", "--json"]);
    let actors = bioxen_in(dir.path(), &["run", "s.toml", "--json", "--runtime", "actors", "--arbiters", "2"]);
    assert!(engine.status.success() && actors.status.success(), "{}{}", stderr(&engine), stderr(&actors));
    let digest =
        |o: &std::process::Output| serde_json::from_str::<serde_json::Value>(&stdout(o)).unwrap()["digest"].clone();
    assert_eq!(digest(&engine), digest(&actors));
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("s.toml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let o = without_hanging("validate a FIFO", move || bioxen(&["validate", fifo.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read scenario: is a FIFO"), "{}", stderr(&o));
}

#[test]
fn a_damaged_annotation_gives_a_short_error() {
    // 2 MB of random bytes where a GenBank file should be: one short line, not the
    // parser's quotation of the input.
    let dir = tempfile::tempdir().unwrap();
    let noise: Vec<u8> = (0..2_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    fs::write(dir.path().join("noise.gb"), noise).unwrap();
    fs::write(dir.path().join("s.toml"), format!("{BASE}genome_file = \"noise.gb\"\n")).unwrap();
    let o = bioxen_in(dir.path(), &["validate", "s.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stderr.len() < 200, "{} bytes of error", o.stderr.len());
    if shared_present() {
        // The real annotation with its first sequence line cut short.
        let text = fs::read_to_string(root().join("../shared/data/syn3a/syn3A.gb")).unwrap();
        fs::write(dir.path().join("edited.gb"), text.replacen("ORIGIN", "ORIGIN x", 1)).unwrap();
        fs::write(dir.path().join("s.toml"), format!("{BASE}genome_file = \"edited.gb\"\n")).unwrap();
        let o = bioxen_in(dir.path(), &["validate", "s.toml"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(o.stderr.len() < 200, "{} bytes of error", o.stderr.len());
    }
}

#[test]
fn truncated_corrupt_and_foreign_traces_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.bxtr");
    let o = bioxen(&["run", "scenarios/quickstart.toml", "--ticks", "20", "--trace", trace.to_str().unwrap()]);
    assert!(o.status.success());
    let bytes = fs::read(&trace).unwrap();
    let ends = frame_ends(&bytes);
    let version = bioxen::engine::trace::TRACE_FORMAT_VERSION;
    let newer = format!(
        "BioXen trace format version {}, but this bioxen reads version {version}; it was written by a newer bioxen",
        version ^ 0x10
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated mid-frame", damaged(&bytes, -7, 0), "truncated BioXen trace"),
        ("truncated at a frame boundary", damaged(&bytes, ends[ends.len() - 4] as isize, 0), "truncated BioXen trace"),
        ("empty", Vec::new(), "not a BioXen trace"),
        // The version field's low byte flipped: a newer version (older ones below).
        ("another format version", damaged(&bytes, 8, 0x10), newer.as_str()),
        (
            "huge frame length",
            {
                let mut b = bytes[..12].to_vec();
                b.extend_from_slice(&u32::MAX.to_le_bytes());
                b
            },
            "more than the",
        ),
        ("flipped byte in the header", damaged(&bytes, 40, 0xff), "fails its checksum"),
        ("flipped byte in a tick", damaged(&bytes, -200, 0x01), "fails its checksum"),
    ];
    // Every older version no reader takes: the version field's low byte flipped to it.
    let older = (1..bioxen::engine::trace::TRACE_FORMAT_OLDEST).map(|v| {
        let flip = (version ^ v) as u8;
        ("an older trace", damaged(&bytes, 8, flip), "re-run its scenario with this bioxen")
    });
    let cases: Vec<_> = cases.into_iter().chain(older).collect();
    for (name, content, message) in cases {
        let bad = dir.path().join(format!("{}.bxtr", name.replace(' ', "_")));
        fs::write(&bad, content).unwrap();
        for cmd in ["replay", "export", "plot"] {
            let chart = dir.path().join("chart.svg");
            let mut args = vec![cmd, bad.to_str().unwrap()];
            match cmd {
                "export" => args.extend(["--format", "csv"]),
                "plot" => args.extend(["--out", chart.to_str().unwrap()]),
                _ => {}
            }
            let o = bioxen(&args);
            // Every frame is checksummed: damage is bad input for every reader, not only
            // for replay, which re-runs.
            assert_eq!(o.status.code(), Some(2), "{name}/{cmd}: {}", stderr(&o));
            assert!(!stderr(&o).contains("panicked"), "{name}/{cmd} panicked");
            assert!(stderr(&o).contains(message), "{name}/{cmd}: expected `{message}` in {}", stderr(&o));
        }
    }
    // Older traces still read: a version 7 trace (ticks in frames of their own, written by
    // the bioxen before compressed blocks) replays, exports and plots, and, as version 6 is
    // version 7 without continuation frames, so does the same file marked 6.
    let seven = fs::read("tests/data/quickstart-1s-20-ticks-v7.bxtr").unwrap();
    assert_eq!(seven[8], 7, "the fixture is a version 7 trace");
    for (v, content) in [(7, seven.clone()), (6, damaged(&seven, 8, 7 ^ 6))] {
        let old = dir.path().join(format!("v{v}.bxtr"));
        fs::write(&old, content).unwrap();
        let chart = dir.path().join(format!("v{v}.svg"));
        for args in [
            vec!["replay", old.to_str().unwrap()],
            vec!["export", old.to_str().unwrap(), "--format", "csv"],
            vec!["plot", old.to_str().unwrap(), "--out", chart.to_str().unwrap()],
        ] {
            let o = bioxen(&args);
            assert!(o.status.success(), "a version {v} trace, {}: {}", args[0], stderr(&o));
        }
    }
    // The same run written now (version 8) holds the same ticks.
    let now = dir.path().join("now.bxtr");
    let o = bioxen(&["run", "tests/data/quickstart-1s.toml", "--ticks", "20", "--trace", now.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = |path: &std::path::Path| bioxen(&["export", path.to_str().unwrap(), "--format", "csv"]).stdout;
    assert_eq!(csv(&dir.path().join("v7.bxtr")), csv(&now), "version 7 and 8 traces of one run differ");
    let compressed = fs::read(&now).unwrap().len();
    assert!(compressed < seven.len(), "{compressed} bytes compressed against {} not", seven.len());
}

/// The offsets where each frame of a file ends (a frame is length, payload, CRC-32).
fn frame_ends(bytes: &[u8]) -> Vec<usize> {
    let (mut at, mut ends) = (12, Vec::new());
    while at + 4 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + len + 4;
        ends.push(at);
    }
    ends
}

#[test]
fn export_to_a_file_leaves_nothing_on_a_bad_trace() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.bxtr");
    fs::write(&bad, b"BIOXENTR\x01\0\0\0\x05\0\0\0abc").unwrap();
    let out = dir.path().join("out.csv");
    let o = bioxen(&["export", bad.to_str().unwrap(), "--format", "csv", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "export left files behind");
}

#[test]
fn a_vm_that_never_ran_shows_no_share_of_demand_met() {
    // In contention.toml, syn3a-d waits for a start event at tick 100.
    let o = bioxen(&["run", "scenarios/contention.toml", "--ticks", "50", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let d = v["vms"].as_array().unwrap().iter().find(|x| x["id"] == "syn3a-d").unwrap();
    assert_eq!((d["running_ticks"].as_u64(), d["atp_demand_met"].is_null()), (Some(0), true), "{d}");
    let table = stdout(&bioxen(&["run", "scenarios/contention.toml", "--ticks", "50"]));
    let row = table.lines().find(|l| l.contains("syn3a-d")).unwrap();
    assert!(!row.contains('%'), "{row}");
}
