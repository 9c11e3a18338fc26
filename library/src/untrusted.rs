//! The command line's input paths, each as a function of arbitrary bytes: what the fuzz
//! targets in `fuzz/` drive, and what `tests/fuzz_regressions.rs` replays their crash
//! inputs through. Every function returns normally whatever the bytes; a panic is a bug
//! (an invariant that did not hold, or an input the gate let through that the engine could
//! not handle). Work is bounded: a few ticks, a small plan.

use crate::export;
#[cfg(feature = "charts")]
use crate::plot;
use crate::replay;
use crate::sweep::plan;
use bioxen_actors::{ActorConfig, ActorRuntime};
use bioxen_engine::checkpoint;
use bioxen_engine::scenario::{self, NoGenomeFiles};
use bioxen_engine::sim::Simulation;
use bioxen_engine::trace::TraceReader;

/// Ticks each input runs: enough to go through every phase, rationing and the timeline.
const TICKS: u64 = 3;

/// Scenario text → its placement table cut out → validate → run a few ticks (`bioxen
/// validate`, `bioxen run`).
pub fn scenario_text(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    // As a scenario file is read: the placement table first, blanked so that every other
    // byte keeps its offset (and so every error its line:column).
    let Ok((text, _)) = crate::placement::strip(text, "fuzz.toml") else { return };
    assert_eq!(text.len(), bytes.len(), "cutting out the placement table moved the text");
    let Ok(s) = scenario::parse(&text, "fuzz.toml", &mut NoGenomeFiles) else { return };
    // What parsed passed the gate: the engine must take it. The runner runs its timeline
    // scripts (in the sandbox) as `bioxen run` does.
    let sim = Simulation::new(s).expect("a parsed scenario passes the gate again");
    let _ = crate::driver::Runner::Engine(Box::new(sim)).run_ticks(TICKS, |_| true).outcome;
}

/// Script text → compiled and checked, then run as a session script twice (the same
/// outcome and digest: nothing in the sandbox varies between runs) and as a timeline
/// script, within small limits so that each input stays quick.
pub fn script_text(bytes: &[u8]) {
    let Ok(code) = std::str::from_utf8(bytes) else { return };
    let limits = crate::script::ScriptLimits { operations: 20_000, work: 50_000, ticks: 5, ..Default::default() };
    let fixed = || scenario::parse(SCRIPT_SCENARIO, "fuzz.toml", &mut NoGenomeFiles).expect("a fixed scenario");
    let session = || {
        let m = crate::api::BioVmManager::from_scenario(fixed(), std::path::Path::new("/nonexistent"))
            .expect("a fixed scenario");
        let vm = m.get_vm("a").expect("the fixed scenario's VM");
        let outcome = vm.execute_script_within(code, "fuzz.rhai", limits).map_err(|e| e.to_string());
        (outcome.map(|o| (o.changes, o.value, o.log, o.ticks_run)), m.digest())
    };
    assert_eq!(session(), session(), "one script, run twice, did two different things");
    let mut s = fixed();
    let script = scenario::TimelineScript { tick: 1, vm: 0, name: "fuzz.rhai".into(), code: code.to_string() };
    s.scripts.push(script);
    let Ok(sim) = Simulation::new(s) else { return };
    let Ok(mut runner) = crate::driver::Runner::new(sim, None) else { return };
    let _ = runner.run_ticks(TICKS + 2, |_| true).outcome;
}

/// The scenario [`script_text`] runs scripts against.
const SCRIPT_SCENARIO: &str = "format_version = 1\n[simulation]\nseed = 1\nticks = 8\npolicy = \"fair\"\n\
                               [chassis]\nkind = \"ecoli\"\n[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n\
                               memory_kb = 700\n[[vm]]\nid = \"b\"\norganism = \"minimal_cell\"\n";

/// Package text → parse and check → install into a VM of each organism it supports and run
/// a few ticks (`bioxen packages`, a scenario's `packages/`).
pub fn package_text(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let Ok(package) = bioxen_engine::package::parse(text, "fuzz.toml") else { return };
    for organism in package.organisms.clone() {
        let vm = format!("[[vm]]\nid = \"v\"\norganism = \"{}\"\nmemory_kb = 1000000000\n", organism.name());
        let text = format!(
            "format_version = 1\n[simulation]\nseed = 1\nticks = {TICKS}\npolicy = \"fair\"\n[chassis]\nkind = \"yeast\"\ndna_space_kb = 1000000000\n{vm}"
        );
        let mut s = scenario::parse(&text, "fuzz.toml", &mut NoGenomeFiles).expect("a fixed scenario");
        let (_, action, _) = bioxen_engine::sim::with_package(&mut s, package.clone());
        s.events.push(bioxen_engine::scenario::Event { tick: 0, vm: 0, action });
        // A checked package installs wherever its organisms allow, and runs.
        let mut sim = Simulation::new(s).expect("a checked package passes the gate");
        for _ in 0..TICKS {
            sim.step().expect("a tick with a checked package");
        }
    }
}

/// A GenBank file's bytes, and after a line `%%` an expression file's text → the genome of
/// a VM of each organism, through the gate (the scenario's `genome_file` and
/// `expression_file`) → a few ticks. What the gate lets through the engine must run.
pub fn genome_files(bytes: &[u8]) {
    let split = bytes.windows(4).position(|w| w == b"\n%%\n");
    let (genbank, expression) = match split {
        Some(i) => (&bytes[..i + 1], Some(&bytes[i + 4..])),
        None => (bytes, None),
    };
    let mut files = FuzzGenomeFiles { genbank, expression };
    let expression_line = if expression.is_some() { "expression_file = \"g.csv\"\n" } else { "" };
    for organism in ["syn3a", "ecoli", "minimal_cell"] {
        let text = format!(
            "format_version = 1\n[simulation]\nseed = 1\nticks = {TICKS}\npolicy = \"fair\"\n[chassis]\nkind = \"yeast\"\n\
             dna_space_kb = 1000000000\n[[vm]]\nid = \"g\"\norganism = \"{organism}\"\nmemory_kb = 1000000000\n\
             genome_file = \"g.gb\"\n{expression_line}"
        );
        // A genome one organism refuses (a newborn that would outgrow a tick) may suit another.
        let Ok(s) = scenario::parse(&text, "fuzz.toml", &mut files) else { continue };
        let mut sim = Simulation::new(s).expect("a parsed scenario passes the gate again");
        for _ in 0..TICKS {
            sim.step().expect("a tick of a genome the gate took");
        }
    }
}

/// The genome and expression files of [`genome_files`]' input, whatever path a scenario
/// names.
struct FuzzGenomeFiles<'a> {
    genbank: &'a [u8],
    expression: Option<&'a [u8]>,
}

impl scenario::GenomeFiles for FuzzGenomeFiles<'_> {
    fn genome(&mut self, path: &str) -> Result<bioxen_engine::genome::Genome, scenario::GenomeFileError> {
        Ok(bioxen_engine::genbank::parse(self.genbank, path).map_err(|e| e.to_string())?)
    }

    fn expression(&mut self, path: &str) -> Result<String, scenario::GenomeFileError> {
        let text = self.expression.and_then(|b| std::str::from_utf8(b).ok());
        Ok(text.ok_or_else(|| format!("expression file `{path}` is not UTF-8 text"))?.to_string())
    }
}

/// The frames of `bytes` (a file of one of our formats, read leniently: lengths as
/// written, what follows a frame taken as its checksum whatever it is), written again with
/// valid checksums; a checkpoint's closing frame also gets the BLAKE3 its file needs. So
/// a fuzzer's mutations reach the decoders, the gate and restore behind the checksums,
/// which random bytes almost never pass.
pub fn with_valid_checksums(bytes: &[u8], checkpoint: bool) -> Option<Vec<u8>> {
    let (preamble, mut frames) = frames_of(bytes)?;
    let mut out = preamble.to_vec();
    let end = if checkpoint { frames.pop() } else { None };
    for frame in &frames {
        out.extend_from_slice(&framed(frame));
    }
    if end.is_some() {
        out.extend_from_slice(&framed(blake3::hash(&out).as_bytes()));
    }
    Some(out)
}

/// The preamble of `bytes` and its frames' payloads, read leniently (lengths as written,
/// cut at the end of the bytes; what follows a payload skipped as its checksum).
fn frames_of(bytes: &[u8]) -> Option<(&[u8], Vec<&[u8]>)> {
    let (preamble, mut rest) = (bytes.get(..12)?, bytes.get(12..)?);
    let mut frames = Vec::new();
    while rest.len() >= 4 {
        let len = (u32::from_le_bytes(rest[..4].try_into().ok()?) as usize).min(rest.len() - 4);
        frames.push(&rest[4..4 + len]);
        rest = rest.get(4 + len + 4..).unwrap_or(&[]);
    }
    Some((preamble, frames))
}

/// One frame as the codec writes it (length, payload, CRC-32), without its file's preamble.
fn framed(payload: &[u8]) -> Vec<u8> {
    let mut w = bioxen_engine::codec::FrameWriter::new(Vec::new(), &[0; 8], 0).expect("writing to memory");
    let _ = w.frame(payload);
    w.finish().expect("writing to memory").split_off(12)
}

/// Hosts file text → its hosts ([`bioxen_remote::hosts::parse`]).
pub fn hosts_text(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = bioxen_remote::hosts::parse(text, "hosts.toml");
    }
}

/// A VM configuration's text, as JSON and as TOML; what parses is completed over each
/// organism's defaults and checked for both VM types, as `create_vm` does.
pub fn config_text(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let configs = crate::api::ConfigManager::new();
    for parsed in [crate::api::config_from_json(text, "c.json"), crate::api::config_from_toml(text, "c.toml")] {
        let Ok(config) = parsed else { continue };
        for organism in crate::api::get_supported_biological_types() {
            for vm_type in crate::api::get_supported_vm_types() {
                let _ = configs.complete(Some(&config), organism, vm_type);
            }
        }
    }
}

/// A peer's wire stream, as it is and with valid checksums: its preamble and hello read
/// and checked against this build's, as a coordinator or a worker does before any work
/// ([`bioxen_remote::handshake`]). Refusals are the expected outcome; a panic is a bug.
pub fn wire_stream(bytes: &[u8]) {
    use bioxen_remote::handshake::Hello;
    use bioxen_remote::wire::WireReader;
    static OURS: std::sync::OnceLock<Hello> = std::sync::OnceLock::new();
    let ours = OURS.get_or_init(Hello::ours);
    let read = |bytes: &[u8]| {
        let Ok(mut r) = WireReader::open(bytes, "the peer") else { return };
        if let Ok(theirs) = r.receive::<Hello>("its hello") {
            let _ = ours.check(&theirs, "the peer");
        }
    };
    read(bytes);
    worker_and_coordinator(bytes);
    if let Some(fixed) = with_valid_checksums(bytes, false) {
        read(&fixed);
        worker_and_coordinator(&fixed);
    }
}

/// The stream as a worker reads it (every request served: blocks hosted in actors, ticks
/// run, cells sent, small whole runs run) and as a coordinator reads a worker's answers
/// (a finished run read as the checkpoint it is).
fn worker_and_coordinator(bytes: &[u8]) {
    use bioxen_remote::handshake::Hello;
    use bioxen_remote::protocol::FromWorker;
    use bioxen_remote::wire::WireReader;
    let _ = bioxen_remote::worker::serve_within(bytes, std::io::sink(), 1, 20_000);
    let Ok(mut r) = WireReader::open(bytes, "the worker") else { return };
    if r.receive::<Hello>("its hello").is_err() {
        return;
    }
    while let Ok(m) = r.receive::<FromWorker>("a message") {
        if let FromWorker::Finished(run) = m {
            let _ = bioxen_engine::checkpoint::read(run.as_slice(), "a finished run");
        }
    }
}

/// Trace bytes, as they are and with valid checksums → [`trace_file`]; and the bytes as
/// the inside of a trace's compressed block ([`trace_of_raw_block`]).
pub fn trace_bytes(bytes: &[u8]) {
    trace_file(bytes);
    if let Some(fixed) = with_valid_checksums(bytes, false) {
        trace_file(&fixed);
    }
    trace_file(&trace_of_raw_block(bytes));
}

/// The scenario of [`trace_of_raw_block`]'s traces: 3 syn3A VMs, 8 ticks.
pub fn raw_block_scenario() -> bioxen_engine::scenario::Scenario {
    use bioxen_engine::{biology::Organism, policy::PolicyKind};
    crate::bench::scenario(3, 8, Organism::Syn3a, PolicyKind::Fair, 1)
}

/// A trace (format 8) of [`raw_block_scenario`] whose ticks are `raw`, compressed as one
/// block: mutated compressed bytes almost never decompress, so this is how the fuzzer
/// reaches the frames and columns inside a block.
pub fn trace_of_raw_block(raw: &[u8]) -> Vec<u8> {
    static HEAD: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let head = HEAD.get_or_init(|| {
        // The header and the scenario as the writer makes them: all but the last frame
        // (the block holding the closing frame) of an empty trace.
        let trace = bioxen_engine::trace::TraceWriter::new(Vec::new(), &raw_block_scenario())
            .and_then(|w| w.finish([0; 32]))
            .expect("writing to memory");
        let (preamble, frames) = frames_of(&trace).expect("a whole trace");
        let mut head = preamble.to_vec();
        frames[..frames.len() - 1].iter().for_each(|f| head.extend_from_slice(&framed(f)));
        head
    });
    let mut payload = (raw.len() as u32).to_le_bytes().to_vec();
    payload.extend(zstd::bulk::compress(raw, 1).expect("compressing in memory"));
    let mut trace = head.clone();
    trace.extend_from_slice(&framed(&payload));
    trace
}

/// Checkpoint bytes, as they are and with valid checksums → [`checkpoint_file`].
pub fn checkpoint_bytes(bytes: &[u8]) {
    checkpoint_file(bytes);
    if let Some(fixed) = with_valid_checksums(bytes, true) {
        checkpoint_file(&fixed);
    }
}

/// A trace file → `bioxen replay`, `export` (both formats) and, with the `charts`
/// feature, `plot` (both formats).
pub fn trace_file(bytes: &[u8]) {
    let Ok(mut trace) = TraceReader::new(bytes, "fuzz.bxtr") else { return };
    let _ = replay::replay(&mut trace, |_| {});
    for format in [export::Format::Csv, export::Format::Jsonl] {
        let Ok(mut trace) = TraceReader::new(bytes, "fuzz.bxtr") else { return };
        let _ = export::rows(&mut trace, format, &mut std::io::sink(), |_| {});
    }
    #[cfg(feature = "charts")]
    {
        let Ok(mut trace) = TraceReader::new(bytes, "fuzz.bxtr") else { return };
        let mut records = Vec::new();
        while let Ok(Ok(r)) = trace.next_tick() {
            records.push(r);
        }
        for format in [plot::Format::Svg, plot::Format::Png] {
            let _ = plot::trace_bytes(format, &trace.scenario, &records);
        }
    }
}

/// A checkpoint file → `bioxen resume` on both runtimes: a few ticks each, and the same
/// digest (the runtimes must agree on whatever the reader accepts).
pub fn checkpoint_file(bytes: &[u8]) {
    let Ok(mut engine) = checkpoint::read(bytes, "fuzz.bxck") else { return };
    let sim = checkpoint::read(bytes, "fuzz.bxck").expect("read twice, the same bytes");
    let mut actors = ActorRuntime::start(sim, ActorConfig { arbiters: 2 }).expect("the actor runtime starts");
    let mut engine_error = None;
    for _ in 0..TICKS {
        if engine.finished() {
            break;
        }
        if let Err(e) = engine.step() {
            engine_error = Some(e.to_string());
            break;
        }
    }
    let ran = actors.run_ticks(TICKS, |_| {});
    match (&engine_error, ran) {
        (None, Ok(())) => assert_eq!(engine.digest(), actors.digest(), "the runtimes disagree on a checkpoint"),
        (Some(e), Err(a)) => assert_eq!(e, &a.to_string(), "the runtimes fail differently"),
        (e, a) => panic!("one runtime failed and the other did not: engine {e:?}, actors {a:?}"),
    }
    actors.stop();
}

/// Most runs a fuzzed plan may have: planning itself is bounded ([`plan::RUNS_MAX`]), but
/// a fuzz run needs to stay quick.
const FUZZ_RUNS_MAX: usize = 4096;

/// `bioxen sweep` and `compare` arguments (NUL-separated: seeds, policies, shard, then
/// `--set`s) → parsing, the plan, and each combination's scenario, on a fixed scenario.
pub fn sweep_arguments(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let mut args = text.split('\0');
    let (seeds, policies, shard) = (args.next().unwrap_or(""), args.next().unwrap_or(""), args.next().unwrap_or(""));
    let sets: Vec<String> = args.map(str::to_string).collect();
    let _ = plan::parse_shard(shard);
    let (Ok(seeds), Ok(policies), Ok(sets)) =
        (plan::parse_seeds(seeds), plan::parse_policies(policies), plan::parse_sets(&sets))
    else {
        return;
    };
    let combinations = sets.iter().try_fold(1usize, |n, a| n.checked_mul(a.values.len()));
    let runs = combinations.and_then(|c| c.checked_mul(seeds.len())?.checked_mul(policies.len()));
    if runs.is_none_or(|r| r > FUZZ_RUNS_MAX) {
        return;
    }
    let Ok(runs) = plan::plan(&seeds, &policies, &sets) else { return };
    let mut done = std::collections::BTreeSet::new();
    for r in &runs {
        if done.insert(r.set.clone()) {
            let _ = plan::scenario_for(SCENARIO, "fuzz.toml", std::path::Path::new("/nonexistent"), &sets, r);
        }
    }
}

/// The scenario `--set` edits in [`sweep_arguments`]: every section a key can name.
const SCENARIO: &str = r#"format_version = 1
[simulation]
seed = 1
ticks = 10
policy = "fair"
[simulation.policy_params]
quantum_ticks = 3
[chassis]
kind = "ecoli"
[[vm]]
id = "a"
organism = "syn3a"
[[vm]]
id = "b.c"
organism = "minimal_cell"
weight = 512
[[event]]
tick = 2
vm = "a"
action = "pause"
"#;

/// An XCP-ng pool's answer, as the XAPI client reads it (`bioxen_xcpng::client`), and
/// what provisioning takes from it: records' numbers (as numbers or strings), floats
/// (`Infinity` included), a guest's networks. Refusals are expected; a panic is a bug.
pub fn xapi_answer(bytes: &[u8]) {
    use bioxen_xcpng::json;
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    if let Ok(Ok(result)) = bioxen_xcpng::client::read_answer(text) {
        let _ = bioxen_xcpng::provision::pick_ip(&result);
        for value in result.as_object().into_iter().flat_map(|m| m.values()) {
            let _ = (json::int(value), json::float(value), json::text(value));
            for field in value.as_object().into_iter().flat_map(|m| m.values()) {
                let _ = (json::int(field), json::float(field), json::params(Some(field)));
            }
        }
    }
}
