//! Events scheduled between ticks: how a program driving a run (an API session) changes
//! it. Each call becomes a timeline event at the next tick, so the run stays the run of a
//! scenario — the scenario with those events — and saving it loses nothing.
//!
//! An event is checked where it lands, against the state its VM will be in once the
//! events already scheduled have applied: the same rules as the gate's timeline, for one
//! event, so that a session never schedules what the gate would refuse of its saved
//! scenario. Both runtimes (the engine's [`crate::sim::Simulation::schedule`], the actors'
//! coordinator) call `check`.

use crate::error::SimError;
use crate::lifecycle::{Lifecycle, LifecycleError, Transition};
use crate::package::Package;
use crate::scenario::limits::EVENTS_MAX;
use crate::scenario::{Action, Allocation, AllocationChange, Event, Scenario, check as rules};

/// The events of `scenario` not yet applied when `next_event` is the next to apply, up to
/// and including those at `tick` (the ones an event added at `tick` comes after).
pub(crate) fn pending(scenario: &Scenario, next_event: usize, tick: u64) -> &[Event] {
    let end = scenario.events.partition_point(|e| e.tick <= tick);
    &scenario.events[next_event.min(end)..end]
}

/// Something to schedule: an action, or a package to install (added to the scenario's
/// packages if it has none of that content).
#[derive(Clone, Debug, PartialEq)]
pub enum Scheduled {
    /// An event's action.
    Action(Action),
    /// Install this package.
    Install(Package),
}

/// What [`schedule_all`] needs of the run besides the scenario: where the run is and what
/// its VMs are now.
pub struct RunState<'a, L: Fn(usize) -> Option<Lifecycle>> {
    /// The next tick.
    pub tick: u64,
    /// The next event to apply.
    pub next_event: usize,
    /// Each VM's lifecycle now.
    pub lifecycle: L,
    /// Each VM's allocation now.
    pub allocations: &'a [Allocation],
    /// Each VM's transcription units now.
    pub units: &'a dyn Fn(usize) -> usize,
    /// Each VM's installed packages now.
    pub installed: &'a dyn Fn(usize) -> Vec<u32>,
}

/// Adds `items` to `scenario`'s timeline at the next tick, together or not at all: each is
/// checked where it lands, after the items before it (`check`), and inserted after the
/// events already at that tick; if any is refused, the scenario is left as it was. Where
/// the timeline holds later events (a scenario's own), the whole timeline passes the gate
/// again, so no later event is made impossible. Returns the actions added, in order.
pub fn schedule_all<L: Fn(usize) -> Option<Lifecycle>>(
    scenario: &mut Scenario,
    run: &RunState<'_, L>,
    items: Vec<(usize, Scheduled)>,
) -> Result<Vec<Action>, SimError> {
    let (events_before, packages_before) = (scenario.events.len(), scenario.packages.len());
    let start = scenario.events.partition_point(|e| e.tick <= run.tick);
    let mut added = Vec::with_capacity(items.len());
    let batch = items.len() > 1;
    let outcome = (|| {
        for (index, (vm, item)) in items.into_iter().enumerate() {
            let action = match item {
                Scheduled::Action(a) => a,
                Scheduled::Install(p) => crate::scenario::with_package(scenario, p).1,
            };
            let installed = (run.installed)(vm);
            let units = (run.units)(vm);
            check(scenario, run.tick, run.next_event, &run.lifecycle, run.allocations, units, &installed, vm, action)
                .map_err(|e| if batch { SimError::InBatch { index, source: Box::new(e) } } else { e })?;
            scenario.events.insert(start + added.len(), Event { tick: run.tick, vm: vm as u32, action });
            added.push(action);
        }
        if scenario.events.len() > start + added.len()
            && let Err(e) = scenario.check()
        {
            let refused = later_event_refused(scenario, run.tick, e);
            return Err(match culprit(scenario, start, added.len()) {
                Some(index) if batch => SimError::InBatch { index, source: Box::new(refused) },
                _ => refused,
            });
        }
        Ok(())
    })();
    match outcome {
        Ok(()) => Ok(added),
        Err(e) => {
            scenario.events.drain(start..start + added.len());
            scenario.packages.truncate(packages_before);
            debug_assert_eq!(scenario.events.len(), events_before);
            Err(e)
        }
    }
}

/// Which of the `n` events a batch inserted at `start` first makes the timeline fail the
/// gate (asked only once the whole batch has failed it): each prefix is checked in turn.
fn culprit(scenario: &mut Scenario, start: usize, n: usize) -> Option<usize> {
    let rest: Vec<Event> = scenario.events.drain(start..start + n).collect();
    let mut found = None;
    for (k, event) in rest.iter().enumerate() {
        scenario.events.insert(start + k, *event);
        if scenario.check().is_err() {
            found = Some(k);
            break;
        }
    }
    let inserted = found.map_or(n, |k| k + 1);
    scenario.events.splice(start + inserted..start + inserted, rest[inserted..].iter().copied());
    found
}

/// The gate's refusal of the timeline once a batch is in it, said of the later event the
/// batch would make impossible (by its tick, VM and action, never by its index in memory).
fn later_event_refused(scenario: &Scenario, tick: u64, e: crate::scenario::CheckError) -> SimError {
    let event = e.field.strip_prefix("event[").and_then(|r| r.strip_suffix(']')?.parse::<usize>().ok());
    match event.and_then(|i| scenario.events.get(i)) {
        Some(later) => SimError::Refused {
            tick,
            vm: scenario.vms.get(later.vm as usize).map_or_else(String::new, |v| v.id.clone()),
            message: format!(
                "the timeline's `{}` event at tick {} would then be impossible: {}",
                later.action.name(),
                later.tick,
                e.message
            ),
        },
        None => SimError::Invalid(e),
    }
}

/// Resolves the timeline script due at `run.tick` (the scenario's first) into `items`: they
/// are scheduled as [`schedule_all`] schedules them, after the tick's events, and the
/// script leaves the timeline; if any is refused, nothing changes and the script stays.
pub fn resolve_script<L: Fn(usize) -> Option<Lifecycle>>(
    scenario: &mut Scenario,
    run: &RunState<'_, L>,
    items: Vec<(usize, Scheduled)>,
) -> Result<Vec<Action>, SimError> {
    let Some(script) = scenario.scripts.first() else {
        return Err(SimError::Refused {
            tick: run.tick,
            vm: String::new(),
            message: "no timeline script is left to resolve".into(),
        });
    };
    if script.tick != run.tick {
        let vm = scenario.vms.get(script.vm as usize).map_or_else(String::new, |v| v.id.clone());
        return Err(SimError::Refused {
            tick: run.tick,
            vm,
            message: format!("the next timeline script, `{}`, is due at tick {}", script.name, script.tick),
        });
    }
    let added = schedule_all(scenario, run, items)?;
    scenario.scripts.remove(0);
    Ok(added)
}

/// The lifecycle transition an action makes, if any.
pub fn transition_of(action: Action) -> Option<Transition> {
    match action {
        Action::Lifecycle(t) => Some(t),
        Action::Create(_) => Some(Transition::Create),
        Action::Set(_) | Action::Transcription { .. } | Action::Install { .. } | Action::Inducer { .. } => None,
    }
}

/// VM `vm`'s state once the pending events have applied to `state`, its state now.
pub(crate) fn projected_lifecycle(pending: &[Event], vm: usize, mut state: Lifecycle) -> Lifecycle {
    for e in pending.iter().filter(|e| e.vm as usize == vm) {
        if let Some(t) = transition_of(e.action) {
            state = state.after(t).unwrap_or(state);
        }
    }
    state
}

/// Every VM's allocation once the pending `set` events have applied to `allocations`.
pub(crate) fn projected_allocations(pending: &[Event], allocations: &[Allocation]) -> Vec<Allocation> {
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
/// program now and `installed` the packages it has installed. Creation is not an event one
/// schedules ([`crate::sim::Simulation::create`]).
#[allow(clippy::too_many_arguments)] // the run's state, spelled out: each runtime keeps it its own way
pub(crate) fn check(
    scenario: &Scenario,
    tick: u64,
    next_event: usize,
    lifecycle: impl Fn(usize) -> Option<Lifecycle>,
    allocations: &[Allocation],
    units: usize,
    installed: &[u32],
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
    let pending = pending(scenario, next_event, tick);
    let state = projected_lifecycle(pending, vm, now);
    // What the VM will have installed, and its units, once the pending installs apply.
    let mut projected_installed = installed.to_vec();
    projected_installed.extend(pending.iter().filter(|e| e.vm as usize == vm).filter_map(|e| match e.action {
        Action::Install { hash } => scenario.package_index(&hash),
        _ => None,
    }));
    let units = units + rules::units_with(scenario, 0, &projected_installed[installed.len()..]);
    if !matches!(action, Action::Lifecycle(_) | Action::Create(_))
        && let Some(why) = rules::not_there(state, action)
    {
        return Err(refuse(format!("it {why}")));
    }
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
        Action::Install { hash } => {
            rules::install(scenario, spec, &projected_installed, hash).map(drop).map_err(&refuse)
        }
        Action::Inducer { micromolar, .. } => rules::inducer(micromolar).map_err(&refuse),
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
