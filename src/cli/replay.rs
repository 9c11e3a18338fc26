//! `bioxen replay`: re-run a trace's scenario and compare every tick.

use super::run::progress_bar;
use super::{ReplayArgs, print, with_threads};
use bioxen::error::Result;
use bioxen::files;
use bioxen_engine::record::hex;
use bioxen_engine::sim::Simulation;
use std::process::ExitCode;

pub fn replay(a: ReplayArgs) -> Result<ExitCode> {
    let mut trace = files::open_trace(&a.trace)?;
    let scenario = trace.scenario.clone();
    let path = a.trace.display().to_string();
    with_threads(a.threads, move || -> Result<ExitCode> {
        let mut sim = Simulation::new(scenario)?;
        let bar = progress_bar(sim.scenario().ticks, 0, false, "ticks");
        loop {
            match trace.next_tick()? {
                Ok(recorded) => {
                    // The reader checked the record's shape (ticks in order, within the run).
                    let replayed = sim.step()?;
                    bar.set_position(sim.tick());
                    if let Some(d) = recorded.first_difference(&replayed) {
                        bar.finish_and_clear();
                        let vm =
                            d.vm.and_then(|i| sim.scenario().vms.get(i as usize)).map(|v| format!(", VM `{}`", v.id));
                        print(format_args!(
                            "{path}: diverges at tick {}{}, field {}: trace has {}, replay gives {}\n",
                            d.tick,
                            vm.unwrap_or_default(),
                            d.field,
                            d.expected,
                            d.actual
                        ))?;
                        return Ok(ExitCode::from(1));
                    }
                }
                Err(end) => {
                    bar.finish_and_clear();
                    if end.ticks != sim.tick() || end.digest != sim.digest() {
                        print(format_args!(
                            "{path}: diverges at the end: trace has {} ticks and digest {}, replay {} and {}\n",
                            end.ticks,
                            hex(&end.digest),
                            sim.tick(),
                            hex(&sim.digest())
                        ))?;
                        return Ok(ExitCode::from(1));
                    }
                    print(format_args!("{path}: identical over {} ticks, digest {}\n", end.ticks, hex(&end.digest)))?;
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    })?
}
