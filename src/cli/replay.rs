//! `bioxen replay`: re-run a trace's scenario and compare every tick.

use super::run::progress_bar;
use super::{ReplayArgs, print, with_threads};
use bioxen::error::Result;
use bioxen::files;
use bioxen::replay::{self, Replay};
use bioxen_engine::record::hex;
use std::process::ExitCode;

pub fn replay(a: ReplayArgs) -> Result<ExitCode> {
    let mut trace = files::open_trace(&a.trace)?;
    let path = a.trace.display().to_string();
    let bar = progress_bar(trace.scenario.ticks, 0, false, "ticks");
    let found = with_threads(a.threads, || replay::replay(&mut trace, |t| bar.set_position(t)))??;
    bar.finish_and_clear();
    match found {
        Replay::Identical { ticks, digest } => {
            print(format_args!("{path}: identical over {ticks} ticks, digest {}\n", hex(&digest)))?;
            Ok(ExitCode::SUCCESS)
        }
        Replay::Diverges { at, vm } => {
            let vm = vm.map(|id| format!(", VM `{id}`")).unwrap_or_default();
            print(format_args!(
                "{path}: diverges at tick {}{vm}, field {}: trace has {}, replay gives {}\n",
                at.tick, at.field, at.expected, at.actual
            ))?;
            Ok(ExitCode::from(1))
        }
        Replay::EndsElsewhere { recorded, replayed } => {
            print(format_args!(
                "{path}: diverges at the end: trace has {} ticks and digest {}, replay {} and {}\n",
                recorded.0,
                hex(&recorded.1),
                replayed.0,
                hex(&replayed.1)
            ))?;
            Ok(ExitCode::from(1))
        }
    }
}
