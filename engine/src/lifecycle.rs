//! The VM lifecycle: (absent →) created → running ⇄ paused → stopped → destroyed.
//!
//! A VM whose scenario creates it at a later tick (a `create` event, as an API session
//! saves a VM made after tick 0) is *absent* until then: it has no record, asks for
//! nothing and draws nothing, exactly as if it were not in the scenario at all.

use serde::{Deserialize, Serialize};

/// Where a VM is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// Defined, holding its DNA space, not yet started.
    #[default]
    Created,
    /// Asking for and receiving resources every tick.
    Running,
    /// Frozen: no demand, no advance, no draws.
    Paused,
    /// Finished; can only be destroyed.
    Stopped,
    /// Gone; its DNA space is free.
    Destroyed,
    /// Not yet created: its `create` event is still to come. Last, so the codes of the
    /// other states are those of traces written before it existed.
    Absent,
}

/// A request to change a VM's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// created → running.
    Start,
    /// running → paused.
    Pause,
    /// paused → running.
    Resume,
    /// running or paused → stopped.
    Stop,
    /// created or stopped → destroyed.
    Destroy,
    /// absent → created: what a `create` event does (see [`crate::scenario::Action::Create`],
    /// the only way a scenario asks for it).
    Create,
}

impl Lifecycle {
    /// Lower-case name, as in scenario files and traces.
    pub fn name(self) -> &'static str {
        match self {
            Lifecycle::Created => "created",
            Lifecycle::Running => "running",
            Lifecycle::Paused => "paused",
            Lifecycle::Stopped => "stopped",
            Lifecycle::Destroyed => "destroyed",
            Lifecycle::Absent => "absent",
        }
    }

    /// Compact code used in trace records.
    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    /// The state whose [`Lifecycle::code`] is `code`.
    pub(crate) fn from_code(code: u64) -> Option<Lifecycle> {
        const ALL: [Lifecycle; 6] = [
            Lifecycle::Created,
            Lifecycle::Running,
            Lifecycle::Paused,
            Lifecycle::Stopped,
            Lifecycle::Destroyed,
            Lifecycle::Absent,
        ];
        let state = *ALL.get(usize::try_from(code).ok()?)?;
        debug_assert_eq!(u64::from(state.code()), code);
        Some(state)
    }

    /// Whether the VM exists in this state, so has a record: neither destroyed nor absent.
    pub fn exists(self) -> bool {
        !matches!(self, Lifecycle::Destroyed | Lifecycle::Absent)
    }

    /// The state a transition leads to, or `None` if it is impossible from here (an absent
    /// VM has no transition but its creation).
    pub fn after(self, t: Transition) -> Option<Lifecycle> {
        use Lifecycle::*;
        match (self, t) {
            (Created, Transition::Start) => Some(Running),
            (Running, Transition::Pause) => Some(Paused),
            (Paused, Transition::Resume) => Some(Running),
            (Running | Paused, Transition::Stop) => Some(Stopped),
            (Created | Stopped, Transition::Destroy) => Some(Destroyed),
            (Absent, Transition::Create) => Some(Created),
            _ => None,
        }
    }
}

impl Transition {
    /// Lower-case name, as in scenario files.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Transition::Start => "start",
            Transition::Pause => "pause",
            Transition::Resume => "resume",
            Transition::Stop => "stop",
            Transition::Destroy => "destroy",
            Transition::Create => "create",
        }
    }
}

/// An impossible transition, naming the VM and the state it was in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} VM `{vm}`: {why}", action = transition.name(), why = match state {
    Some(Lifecycle::Absent) => "it is not created yet".to_string(),
    Some(s) => format!("it is {}", s.name()),
    None => "there is no such VM".to_string(),
})]
pub struct LifecycleError {
    /// The VM (its id, or `#index` when there is no VM at that index).
    pub(crate) vm: String,
    /// Its state when the transition was asked for; `None` when there is no such VM.
    pub(crate) state: Option<Lifecycle>,
    /// What was asked.
    pub(crate) transition: Transition,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_transitions_exist() {
        use Lifecycle::*;
        use Transition::*;
        let allowed = [
            (Created, Start, Running),
            (Running, Pause, Paused),
            (Paused, Resume, Running),
            (Running, Stop, Stopped),
            (Paused, Stop, Stopped),
            (Created, Destroy, Destroyed),
            (Stopped, Destroy, Destroyed),
            (Absent, Create, Created),
        ];
        for s in [Created, Running, Paused, Stopped, Destroyed, Absent] {
            for t in [Start, Pause, Resume, Stop, Destroy, Create] {
                let expected = allowed.iter().find(|(a, b, _)| *a == s && *b == t).map(|x| x.2);
                assert_eq!(s.after(t), expected, "{s:?} {t:?}");
            }
        }
    }
}
