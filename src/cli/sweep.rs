//! `bioxen sweep` and `bioxen sweep-merge`.

use super::{SweepArgs, SweepMergeArgs, print, with_threads};
use bioxen::error::Result;
use bioxen::sweep::{self, Sweep, plan};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Mutex;

pub fn sweep(a: SweepArgs) -> Result<ExitCode> {
    let (farm, jobs) = a.farm.farm(a.jobs)?;
    let spec = Sweep {
        scenario: a.scenario.clone(),
        seeds: plan::parse_seeds(&a.seeds)?,
        policies: plan::parse_policies(&a.policies)?,
        sets: plan::parse_sets(&a.set)?,
        shard: a.shard.as_deref().map(plan::parse_shard).transpose()?,
        out: a.out.clone(),
        resume: a.resume,
        command: std::env::args().collect(),
        farm,
    };
    let progress = RunProgress::new("sweep");
    let rows = with_threads(jobs, || sweep::run(&spec, |done, total| progress.show(done, total)))??;
    progress.finish();
    print(format_args!("{}: {} runs → {}\n", a.scenario.display(), rows.len(), a.out.join("results.csv").display()))?;
    Ok(ExitCode::SUCCESS)
}

pub fn merge(a: SweepMergeArgs) -> Result<ExitCode> {
    let rows = sweep::merge(&a.dirs, &a.out)?;
    print(format_args!("merged {} runs → {}\n", rows.len(), a.out.join("results.csv").display()))?;
    Ok(ExitCode::SUCCESS)
}

/// Progress over runs: a bar on a terminal, otherwise a line about every tenth of the
/// way (so a log of a long job shows it is alive).
pub struct RunProgress {
    what: &'static str,
    bar: Mutex<Option<ProgressBar>>,
    terminal: bool,
    last_line: Mutex<usize>,
}

impl RunProgress {
    /// Progress of `what` (`sweep`, `compare`).
    pub fn new(what: &'static str) -> RunProgress {
        RunProgress { what, bar: Mutex::new(None), terminal: std::io::stderr().is_terminal(), last_line: Mutex::new(0) }
    }

    /// `done` of `total` runs finished.
    pub fn show(&self, done: usize, total: usize) {
        if self.terminal {
            let mut b = self.bar.lock().unwrap_or_else(|p| p.into_inner());
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
            let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
            if done == total || done * 10 / total.max(1) > *last * 10 / total.max(1) {
                eprintln!("{}: {done}/{total} runs", self.what);
                *last = done;
            }
        }
    }

    /// Clears the bar.
    pub fn finish(self) {
        if let Some(b) = self.bar.into_inner().unwrap_or_else(|p| p.into_inner()) {
            b.finish_and_clear();
        }
    }
}
