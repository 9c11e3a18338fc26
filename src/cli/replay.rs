//! `bioxen replay`: re-run a trace's scenario and compare every tick.

use super::{ReplayArgs, with_threads};
use bioxen_engine::record::hex;
use bioxen_engine::sim::Simulation;
use bioxen_engine::trace::TraceReader;
use std::process::ExitCode;

pub fn replay(a: ReplayArgs) -> anyhow::Result<ExitCode> {
    let mut trace = TraceReader::open(&a.trace)?;
    let scenario = trace.header.scenario.clone();
    let path = a.trace.display().to_string();
    with_threads(a.threads, move || -> anyhow::Result<ExitCode> {
        let mut sim = Simulation::new(scenario);
        loop {
            match trace.next_tick()? {
                Ok(recorded) => {
                    if sim.finished() {
                        println!(
                            "{path}: diverges at tick {}: the trace has more ticks than its scenario",
                            recorded.tick
                        );
                        return Ok(ExitCode::from(1));
                    }
                    let replayed = sim.step()?;
                    if let Some(d) = recorded.first_difference(&replayed) {
                        let vm =
                            d.vm.and_then(|i| sim.scenario().vms.get(i as usize)).map(|v| format!(", VM `{}`", v.id));
                        println!(
                            "{path}: diverges at tick {}{}, field {}: trace has {}, replay gives {}",
                            d.tick,
                            vm.unwrap_or_default(),
                            d.field,
                            d.expected,
                            d.actual
                        );
                        return Ok(ExitCode::from(1));
                    }
                }
                Err(end) => {
                    if end.ticks != sim.tick() || end.digest != sim.digest() {
                        println!(
                            "{path}: diverges at the end: trace has {} ticks and digest {}, replay {} and {}",
                            end.ticks,
                            hex(&end.digest),
                            sim.tick(),
                            hex(&sim.digest())
                        );
                        return Ok(ExitCode::from(1));
                    }
                    println!("{path}: identical over {} ticks, digest {}", end.ticks, hex(&end.digest));
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    })?
}
