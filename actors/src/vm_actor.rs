//! One VM: its engine state, its program and its random stream, advanced on each grant.

use crate::messages::{Advanced, FailNextGrant, Failed, Grant, TakeVm};
use crate::relay::{Collect, Relay, file_report};
use actix::{Actor, Addr, Context, Handler};
use bioxen_engine::program::Program;
use bioxen_engine::tick;
use bioxen_engine::vm::Vm;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// The actor of one VM.
pub struct VmActor {
    /// Index in the scenario.
    pub index: u32,
    /// The cell (its stream inside). Copied on the arbiter's thread when the actor starts,
    /// VM after VM, so that each cell — its struct, its gene vectors and then its actor —
    /// lies in one stretch of memory, the stretches in the order the arbiter advances the
    /// VMs. Measured at 10,000 VMs: +6 % median VM-ticks/s (+17 % on the slowest runs) over
    /// cells left where the engine built them, and +24 % at 100,000, for ~45 % more peak
    /// memory there (the engine's copies are freed but stay with its allocator).
    pub vm: Box<Vm>,
    /// Its compiled genome.
    pub program: Arc<Program>,
    /// Simulated seconds per tick.
    pub tick_seconds: f64,
    /// This arbiter's relay: reports go to its inbox, and the last one of a batch tells it.
    pub relay: Addr<Relay>,
    /// Set by [`FailNextGrant`].
    pub fail_next_grant: bool,
}

impl Handler<FailNextGrant> for VmActor {
    type Result = ();

    fn handle(&mut self, _: FailNextGrant, _: &mut Context<Self>) {
        self.fail_next_grant = true;
    }
}

impl Actor for VmActor {
    type Context = Context<Self>;
}

impl Handler<Grant> for VmActor {
    type Result = ();

    fn handle(&mut self, g: Grant, _: &mut Context<Self>) {
        let (index, tick_seconds) = (self.index, self.tick_seconds);
        let (vm, program) = (&mut self.vm, &self.program);
        let fail = std::mem::take(&mut self.fail_next_grant);
        // A panic in the biology must become an error naming the VM and tick, not a hang
        // of the tick waiting for this VM's report.
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            assert!(!fail, "injected failure");
            let record = tick::advance(index as usize, vm, program, g.demand, g.grant, tick_seconds);
            (record, vm.next_demand())
        }));
        let report = match outcome {
            Ok((record, next_demand)) => Ok(Advanced { tick: g.tick, record, next_demand }),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                Err(Failed { tick: g.tick, vm: index, message })
            }
        };
        if file_report(g.tick, report) {
            self.relay.do_send(Collect { tick: g.tick });
        }
    }
}

impl Handler<TakeVm> for VmActor {
    type Result = ();

    fn handle(&mut self, m: TakeVm, _: &mut Context<Self>) {
        // The caller may have given up (shutdown); nothing to do then.
        let _ = m.reply.send((self.index, (*self.vm).clone()));
    }
}
