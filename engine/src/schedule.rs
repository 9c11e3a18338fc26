//! Events scheduled between ticks: how a program driving a run (an API session) changes
//! it. Each call becomes a timeline event at the next tick, so the run stays the run of a
//! scenario — the scenario with those events — and saving it loses nothing.
//!
//! An event is checked where it lands, against the state its VM will be in once the
//! events already scheduled have applied: the same rules as the gate's timeline, for one
//! event, so that a session never schedules what the gate would refuse of its saved
//! scenario. Both runtimes (the engine's [`crate::sim::Simulation::schedule`], the actors'
//! coordinator) call [`check`].

use crate::lifecycle::{Lifecycle, LifecycleError, Transition};
use crate::scenario::limits::EVENTS_MAX;
use crate::scenario::{Action, Allocation, AllocationChange, Event, Scenario, check as rules};
use crate::sim::SimError;

/// The events of `scenario` not yet applied when `next_event` is the next to apply.
pub fn pending(scenario: &Scenario, next_event: usize) -> &[Event] {
    &scenario.events[next_event.min(scenario.events.len())..]
}

/// The lifecycle transition an action makes, if any.
pub fn transition_of(action: Action) -> Option<Transition> {
    match action {
        Action::Lifecycle(t) => Some(t),
        Action::Create(_) => Some(Transition::Create),
        Action::Set(_) | Action::Transcription { .. } => None,
    }
}

/// VM `vm`'s state once the pending events have applied to `state`, its state now.
pub fn projected_lifecycle(pending: &[Event], vm: usize, mut state: Lifecycle) -> Lifecycle {
    for e in pending.iter().filter(|e| e.vm as usize == vm) {
        if let Some(t) = transition_of(e.action) {
            state = state.after(t).unwrap_or(state);
        }
    }
    state
}

/// Every VM's allocation once the pending `set` events have applied to `allocations`.
pub fn projected_allocations(pending: &[Event], allocations: &[Allocation]) -> Vec<Allocation> {
    let mut projected = allocations.to_vec();
    for e in pending {
        if let (Action::Set(c), Some(a)) = (e.action, projected.get_mut(e.vm as usize)) {
            c.apply(a);
        }
    }
    projected
}

/// Checks `action` for VM `vm` as an event at `tick`, the next tick of a run of
/// `scenario` whose next event to apply is `next_event`, whose VMs' states now are `lifecycle(i)` and
/// allocations `allocations`; `units` is the number of transcription units of `vm`'s
/// genome. Creation is not an event one schedules ([`crate::sim::Simulation::create`]).
#[allow(clippy::too_many_arguments)] // the run's state, spelled out: each runtime keeps it its own way
pub fn check(
    scenario: &Scenario,
    tick: u64,
    next_event: usize,
    lifecycle: impl Fn(usize) -> Option<Lifecycle>,
    allocations: &[Allocation],
    units: usize,
    vm: usize,
    action: Action,
) -> Result<(), SimError> {
    let (Some(spec), Some(now)) = (scenario.vms.get(vm), lifecycle(vm)) else {
        return Err(SimError::NoSuchVm { tick, vm: vm as u32 });
    };
    let refuse = |message: String| SimError::Refused { tick, vm: spec.id.clone(), message };
    if scenario.events.len() >= EVENTS_MAX {
        return Err(refuse(format!("the timeline already holds {EVENTS_MAX} events, the most a scenario may")));
    }
    let pending = pending(scenario, next_event);
    let state = projected_lifecycle(pending, vm, now);
    match action {
        Action::Create(_) | Action::Lifecycle(Transition::Create) => {
            Err(refuse("a VM is created by adding it to the run, not by an event for it".into()))
        }
        Action::Lifecycle(t) => match state.after(t) {
            Some(_) => Ok(()),
            None => Err(SimError::Lifecycle {
                tick,
                source: LifecycleError { vm: spec.id.clone(), state: Some(state), transition: t },
            }),
        },
        Action::Set(_) | Action::Transcription { .. } if state == Lifecycle::Absent => {
            Err(refuse("it is not created yet".into()))
        }
        Action::Transcription { unit, .. } if unit as usize >= units => {
            Err(refuse(format!("transcription unit #{unit}, but its genome has {units}")))
        }
        Action::Transcription { .. } => Ok(()),
        Action::Set(c) => {
            if c == AllocationChange::default() {
                return Err(refuse("a `set` must change at least one setting".into()));
            }
            rules::change(&c).map_err(&refuse)?;
            let mut projected = projected_allocations(pending, allocations);
            c.apply(&mut projected[vm]);
            rules::allocation(&projected[vm])
                .and_then(|()| rules::reservations(projected.iter(), &scenario.chassis))
                .map_err(&refuse)
        }
    }
}
