//! `bioxen script SCENARIO FILE`: a process script run against one of a scenario's VMs
//! from tick 0, then the rest of the run.

use crate::cli::print;
use bioxen::api::ApiError;
use bioxen::error::{Error, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `bioxen script`.
#[derive(Args, Debug)]
#[command(after_help = "The sandbox: a script may call only the functions listed in docs/scripts.md (BioXen's, \
and the language's arithmetic, strings, arrays, maps and ranges): no files, clock, sleep, network, shell or \
randomness. It is compiled and checked before it runs, and bounded by counted limits, never by time: \
1,000,000 operations, 4,000,000 units of work (an operation, or 256 bytes copied or built), 128 MiB held at \
once, strings of 16 KiB, arrays of 16,384 elements, maps of 1,024 entries, calls 32 deep. A script past one \
stops with exit status 2, naming the limit and its line:column.")]
pub struct ScriptArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// The script (rhai; see docs/scripts.md and the README's "Gene circuits").
    file: PathBuf,
    /// The VM the script acts on (default: the scenario's first: VMs present at tick 0 come first, in id
    /// order; standard error names the one chosen).
    #[arg(long)]
    vm: Option<String>,
    /// Write the run, the script's changes included, as a scenario that replays it.
    #[arg(long)]
    save: Option<PathBuf>,
    /// Run the script once per seed (`0..10`, or a list `1,5,9`), in parallel, each run
    /// stopping where the script returns; print each run's value and, for every number it
    /// returns (alone or as a map's field), the mean ± SD over the seeds.
    #[arg(long, conflicts_with = "save")]
    seeds: Option<String>,
    /// Runs in parallel with --seeds, 1 to 256 [default: all cores].
    #[arg(long, requires = "seeds", value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs the script, then the scenario to its last tick, and prints what the script did
/// and the run's digest.
pub fn script(a: ScriptArgs) -> Result<ExitCode> {
    // The output is checked before any work, as every command's are.
    let save = match &a.save {
        Some(path) => {
            let dest = bioxen::files::destination(path, "--save")?;
            bioxen::files::refuse_overwriting(&dest, "--save", path, &[&a.scenario, &a.file])?;
            Some(dest)
        }
        None => None,
    };
    let seeds = a.seeds.as_deref().map(bioxen::sweep::plan::parse_seeds).transpose()?;
    let code = bioxen::files::read_text(&a.file, bioxen::files::SCRIPT_BYTES_MAX)?;
    let scenario = bioxen::files::load_scenario(&a.scenario)?;
    let base = a.scenario.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
    let seeded = seeds.as_ref().map(|_| scenario.clone());
    let manager = bioxen::api::BioVmManager::from_scenario(scenario, &base).map_err(api)?;
    let vm = match &a.vm {
        Some(id) => id.clone(),
        None => manager.list_vms().first().cloned().unwrap_or_default(),
    };
    // Said on standard error, so that standard output stays the script's (and `--json`'s).
    if a.vm.is_none() {
        eprintln!("script {} runs on VM `{vm}`, the scenario's first (choose another with --vm)", a.file.display());
    }
    let handle = manager.get_vm(&vm).ok_or_else(|| Error::BadInput(format!("--vm: the scenario has no VM `{vm}`")))?;
    if let (Some(seeds), Some(scenario)) = (&seeds, seeded) {
        return over_seeds(&scenario, &base, &vm, (&code, &a.file.display().to_string()), seeds, a.jobs, a.json);
    }
    let outcome = handle.execute_script(&code, &a.file.display().to_string()).map_err(api)?;
    manager.run_ticks(manager.remaining_ticks()).map_err(api)?;
    let digest = manager.digest();
    if let Some(dest) = &save {
        manager.save_scenario_to(dest).map_err(api)?;
    }
    if a.json {
        let json = serde_json::json!({ "script": outcome, "digest": digest });
        print(format_args!("{json}\n"))?;
    } else {
        for c in &outcome.changes {
            print(format_args!("tick {:>8}  {}\n", c.tick, c.action))?;
        }
        for line in &outcome.log {
            print(format_args!("log: {line}\n"))?;
        }
        print(format_args!(
            "value: {}\nticks run by the script: {}\ndigest: {digest}\n",
            outcome.value, outcome.ticks_run
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `bioxen script --seeds`: the script once per seed, then each run's value and the
/// summary of its numbers.
fn over_seeds(
    scenario: &bioxen_engine::scenario::Scenario,
    base: &std::path::Path,
    vm: &str,
    script: (&str, &str),
    seeds: &[u64],
    jobs: Option<u16>,
    json: bool,
) -> Result<ExitCode> {
    use bioxen::seeds;
    let bar = super::run::progress_bar(seeds.len() as u64, 0, json, "seeds");
    let runs = super::with_threads(jobs.map(usize::from), || {
        seeds::run_over_seeds(scenario, base, vm, script, seeds, &|done| bar.set_position(done as u64))
    })?
    .map_err(api)?;
    bar.finish_and_clear();
    let values: Vec<&serde_json::Value> = runs.iter().map(|r| &r.outcome.value).collect();
    let summary = seeds::summarise(&values);
    if json {
        let runs: Vec<_> =
            runs.iter().map(|r| serde_json::json!({ "seed": r.seed, "value": r.outcome.value })).collect();
        print(format_args!("{}\n", serde_json::json!({ "runs": runs, "summary": summary })))?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in &runs {
        print(format_args!("seed {:>6}  {}\n", r.seed, r.outcome.value))?;
    }
    for (name, s) in &summary {
        print(format_args!("{name}: {} ± {} (n = {})\n", significant(s.mean), significant(s.sd), s.n))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `x` with four significant figures (no trailing zeros), without an exponent for
/// everyday magnitudes.
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (3 - libm::floor(libm::log10(x.abs())) as i32).max(0) as usize;
    let text = format!("{x:.digits$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

/// API errors as the CLI's: a bad script, package or scenario is bad input (exit 2).
fn api(e: ApiError) -> Error {
    match e {
        ApiError::Files(e) => e,
        ApiError::Sim(e) => Error::from(e),
        // Its own variant: a runtime failing under a script is no bad input (exit 1).
        ApiError::Script(e) => Error::Script(e),
        other => Error::BadInput(other.to_string()),
    }
}
