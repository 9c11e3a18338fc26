//! `bioxen bench`: throughput on a generated workload.

use super::{BenchArgs, parse_policy, print, with_threads};
use bioxen::bench;
use bioxen::driver::Runner;
use bioxen::error::{Error, Result};
use bioxen::files;
use bioxen_engine::biology::Organism;
use bioxen_engine::policy::PolicyKind;
use bioxen_engine::record::hex;
use bioxen_engine::sim::Simulation;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

pub fn bench(a: BenchArgs) -> Result<ExitCode> {
    let organism = Organism::from_name(&a.organism).ok_or_else(|| {
        let names: Vec<_> = Organism::ALL.iter().map(|o| o.name()).collect();
        Error::BadInput(format!("unknown organism `{}`; expected one of: {}", a.organism, names.join(", ")))
    })?;
    let policy = parse_policy(&a.policy)?;
    if let Some(path) = &a.save_scenario {
        return save_scenario(&a, path, organism, policy);
    }
    let scenario = bench::scenario(a.vms, a.ticks, organism, policy, a.seed);
    let genes = bioxen_engine::genome::Genome::builtin(organism).genes.len() as u64;
    let threads = a.threads.unwrap_or_else(rayon::current_num_threads);
    let actors = a.runtime.actors()?;
    let runtime = a.runtime.describe(threads)?;
    let (setup_seconds, run_seconds, digest) = with_threads(a.threads, move || -> Result<_> {
        let started = Instant::now();
        let mut runner = Runner::new(Simulation::new(scenario)?, actors)?;
        let setup = started.elapsed().as_secs_f64();
        let bar = super::run::progress_bar(runner.scenario().ticks, 0, a.json, "ticks");
        let started = Instant::now();
        runner
            .run_ticks(u64::MAX, |record| {
                bar.set_position(record.tick + 1);
                true
            })
            .outcome?;
        let run = started.elapsed().as_secs_f64();
        bar.finish_and_clear();
        let digest = runner.digest();
        drop(runner);
        Ok((setup, run, digest))
    })??;
    let vm_ticks = u64::from(a.vms) * a.ticks;
    let vm_ticks_per_second = vm_ticks as f64 / run_seconds;
    if a.json {
        let result = serde_json::json!({
            "vms": a.vms,
            "ticks": a.ticks,
            "organism": organism.name(),
            "policy": policy.name(),
            "threads": threads,
            "runtime": runtime,
            "setup_seconds": setup_seconds,
            "run_seconds": run_seconds,
            "vm_ticks_per_second": vm_ticks_per_second,
            "gene_ticks_per_second": vm_ticks_per_second * genes as f64,
            "peak_rss_bytes": bench::peak_rss_bytes(),
            "digest": hex(&digest),
        });
        print(format_args!("{result}\n"))?;
    } else {
        print(format_args!(
            "{} × {} VMs, {} ticks, {} policy, {runtime}: {:.0} VM-ticks/s ({:.3e} gene-ticks/s); setup {:.2} s, run {:.2} s; peak RSS {}\ndigest {}\n",
            a.vms,
            organism.name(),
            a.ticks,
            policy.name(),
            vm_ticks_per_second,
            vm_ticks_per_second * genes as f64,
            setup_seconds,
            run_seconds,
            bench::peak_rss_bytes().map_or("unknown".into(), |b| format!("{:.1} MiB", b as f64 / 1048576.0)),
            hex(&digest),
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--save-scenario`: the workload as a scenario file, through the one output rule.
fn save_scenario(a: &BenchArgs, path: &Path, organism: Organism, policy: PolicyKind) -> Result<ExitCode> {
    let destination = files::destination(path, "--save-scenario")?;
    let text = bench::scenario_text(a.vms, a.ticks, organism, policy, a.seed)?;
    files::write_output(&destination, |w| {
        w.write_all(text.as_bytes()).map_err(|e| Error::io("the bench's scenario", e))
    })?;
    Ok(ExitCode::SUCCESS)
}
