//! `bioxen sweep` and `bioxen sweep-merge`.

use super::{SweepArgs, SweepMergeArgs, with_threads};
use bioxen::sweep::{self, Sweep, SweepError, plan};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Mutex;

/// Exit status 2 for bad arguments, as everywhere else.
fn classify(e: SweepError) -> anyhow::Error {
    match e {
        SweepError::Args(a) => super::BadInput(a.0).into(),
        other => other.into(),
    }
}

/// A bad argument as the CLI's bad input (exit status 2).
fn arg<T>(r: Result<T, plan::SweepArgError>) -> anyhow::Result<T> {
    r.map_err(|e| super::BadInput(e.0).into())
}

pub fn sweep(a: SweepArgs) -> anyhow::Result<ExitCode> {
    let seeds = arg(plan::parse_seeds(&a.seeds))?;
    let policies = arg(plan::parse_policies(&a.policies))?;
    let sets = a.set.iter().map(|s| arg(plan::parse_set(s))).collect::<anyhow::Result<Vec<_>>>()?;
    let shard = a.shard.as_deref().map(|s| arg(plan::parse_shard(s))).transpose()?;
    let spec = Sweep {
        scenario: a.scenario.clone(),
        seeds,
        policies,
        sets,
        shard,
        out: a.out.clone(),
        resume: a.resume,
        command: std::env::args().collect(),
    };
    let bar = Mutex::new(None::<ProgressBar>);
    let terminal = std::io::stderr().is_terminal();
    let last_line = Mutex::new(0usize);
    let progress = |done: usize, total: usize| {
        if terminal {
            let mut b = bar.lock().unwrap_or_else(|p| p.into_inner());
            let b = b.get_or_insert_with(|| {
                let b = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
                b.set_style(
                    ProgressStyle::with_template("{bar:40} {pos}/{len} runs · {elapsed} elapsed · eta {eta}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b
            });
            b.set_position(done as u64);
        } else {
            // Plain lines, about every tenth of the sweep.
            let mut last = last_line.lock().unwrap_or_else(|p| p.into_inner());
            if done == total || done * 10 / total.max(1) > *last * 10 / total.max(1) {
                eprintln!("sweep: {done}/{total} runs");
                *last = done;
            }
        }
    };
    let rows = with_threads(a.jobs, || sweep::run(&spec, progress))?.map_err(classify)?;
    if let Some(b) = bar.into_inner().unwrap_or_else(|p| p.into_inner()) {
        b.finish_and_clear();
    }
    println!("{}: {} runs → {}", a.scenario.display(), rows.len(), a.out.join("results.csv").display());
    Ok(ExitCode::SUCCESS)
}

pub fn merge(a: SweepMergeArgs) -> anyhow::Result<ExitCode> {
    let rows = sweep::merge(&a.dirs, &a.out).map_err(classify)?;
    println!("merged {} runs → {}", rows.len(), a.out.join("results.csv").display());
    Ok(ExitCode::SUCCESS)
}
