//! Replaying a trace: re-run its scenario on the engine and compare every tick.

use crate::error::Result;
use bioxen_engine::record::Divergence;
use bioxen_engine::sim::Simulation;
use bioxen_engine::trace::TraceReader;
use std::io::Read;

/// What a replay found.
#[derive(Clone, Debug, PartialEq)]
pub enum Replay {
    /// Every tick and the end agree.
    Identical {
        /// Ticks compared.
        ticks: u64,
        /// The digest both reached.
        digest: [u8; 32],
    },
    /// A tick differs; `vm` is the VM's id where the difference is in a VM.
    Diverges {
        /// Where.
        at: Divergence,
        /// The VM's id, if any.
        vm: Option<String>,
    },
    /// The records agree, but the trace ends elsewhere: (ticks, digest) recorded and
    /// replayed.
    EndsElsewhere {
        /// Ticks and digest in the trace.
        recorded: (u64, [u8; 32]),
        /// Ticks and digest of the replay.
        replayed: (u64, [u8; 32]),
    },
}

/// Re-runs `trace`'s scenario tick by tick against its records, on the current rayon pool;
/// `progress` is told each tick replayed.
pub fn replay<R: Read>(trace: &mut TraceReader<R>, mut progress: impl FnMut(u64)) -> Result<Replay> {
    let mut sim = Simulation::new(trace.scenario.clone())?;
    loop {
        match trace.next_tick()? {
            Ok(recorded) => {
                // The reader checked the record's shape (ticks in order, within the run).
                let replayed = sim.step()?;
                progress(sim.tick());
                if let Some(at) = recorded.first_difference(&replayed) {
                    let vm = at.vm.and_then(|i| sim.scenario().vms.get(i as usize)).map(|v| v.id.clone());
                    return Ok(Replay::Diverges { at, vm });
                }
            }
            Err(end) => {
                if end.ticks != sim.tick() || end.digest != sim.digest() {
                    return Ok(Replay::EndsElsewhere {
                        recorded: (end.ticks, end.digest),
                        replayed: (sim.tick(), sim.digest()),
                    });
                }
                return Ok(Replay::Identical { ticks: end.ticks, digest: end.digest });
            }
        }
    }
}
