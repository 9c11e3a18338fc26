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
    let code = bioxen::files::read_text(&a.file, bioxen::files::SCRIPT_BYTES_MAX)?;
    let scenario = bioxen::files::load_scenario(&a.scenario)?;
    let base = a.scenario.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
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

/// API errors as the CLI's: a bad script, package or scenario is bad input (exit 2).
fn api(e: ApiError) -> Error {
    match e {
        ApiError::Files(e) => e,
        ApiError::Sim(e) => Error::from(e),
        other => Error::BadInput(other.to_string()),
    }
}
