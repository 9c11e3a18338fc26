//! Why a simulation cannot start or go on, and why a restored state does not fit its
//! scenario: the errors every phase of a tick may return, beside none of them, so that the
//! tick's phases and the scheduling of events can name them without reaching up to the
//! simulation.

use crate::diagnostic::CheckError;
use crate::lifecycle::LifecycleError;
use crate::scenario::limits::EVENTS_MAX;
use crate::vm::VmStateError;

/// A simulation that cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario does not pass the gate ([`Scenario::check`](crate::scenario::Scenario::check)).
    #[error("the scenario is not usable: {0}")]
    Invalid(#[from] CheckError),
    /// A lifecycle event was impossible.
    #[error("at tick {tick}: {source}")]
    Lifecycle {
        /// The tick.
        tick: u64,
        /// What was impossible.
        source: LifecycleError,
    },
    /// One change of a batch scheduled together ([`crate::schedule::schedule_all`]) was
    /// refused: which (its place in the batch), and why. Nothing of the batch applied.
    #[error("{source}")]
    InBatch {
        /// The refused change's index in the batch.
        index: usize,
        /// Why it was refused.
        source: Box<SimError>,
    },
    /// More commands between two ticks than a tick's record may carry.
    #[error("more than {EVENTS_MAX} commands before tick {tick}")]
    TooManyCommands {
        /// The next tick.
        tick: u64,
    },
    /// An event names a VM that does not exist (only a scenario that skipped the gate).
    #[error("at tick {tick}: an event for VM #{vm}, which does not exist")]
    NoSuchVm {
        /// The tick.
        tick: u64,
        /// The VM index.
        vm: u32,
    },
    /// A restored state does not fit its scenario.
    #[error("the state does not fit its scenario: {0}")]
    State(#[from] StateError),
    /// A timeline script is due and no runtime has run it
    /// ([`crate::schedule::resolve_script`]): the engine runs no scripts itself.
    #[error("at tick {tick}: the timeline's script `{name}` is due, and scripts run outside the engine (`bioxen run`)")]
    ScriptDue {
        /// The tick.
        tick: u64,
        /// The script's name.
        name: String,
    },
    /// An event that cannot be scheduled for a VM now.
    #[error("before tick {tick}: VM `{vm}`: {message}")]
    Refused {
        /// The next tick.
        tick: u64,
        /// The VM's id.
        vm: String,
        /// Why not.
        message: String,
    },
}

/// What makes a restored state unusable with its scenario.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not one state and one allocation per VM.
    #[error("{states} VM states and {allocations} allocations for {vms} VMs")]
    VmCount {
        /// VM states.
        states: usize,
        /// Allocations.
        allocations: usize,
        /// VMs in the scenario.
        vms: usize,
    },
    /// The tick and the timeline position do not agree with the scenario.
    #[error("tick {tick} with {next_event} of {events} events applied does not fit a run of {ticks} ticks")]
    Position {
        /// Ticks run.
        tick: u64,
        /// Events applied.
        next_event: usize,
        /// Events in the timeline.
        events: usize,
        /// Ticks in the run.
        ticks: u64,
    },
    /// A pending command names no VM, or there are too many.
    #[error("commands for VMs that do not exist, or more than {EVENTS_MAX}")]
    Commands,
    /// The hypervisor's state does not fit (policy, parameters, ATP store).
    #[error("scheduler: {0}")]
    Scheduler(String),
    /// A VM's allocation is not valid.
    #[error("VM `{vm}`'s allocation: {message}")]
    Allocation {
        /// The VM's id.
        vm: String,
        /// What is wrong.
        message: String,
    },
    /// A VM's cell does not fit its genome or the run.
    #[error("VM `{vm}`: {source}")]
    Vm {
        /// The VM's id.
        vm: String,
        /// What is wrong.
        source: VmStateError,
    },
}
