//! The prompts (inquire: arrow keys, type-to-filter, defaults shown) and what backing out
//! of one means: Esc or Ctrl-C in a prompt goes back to the menu, never out of the program.

use bioxen::api::{ApiError, BioVmManager, BiologicalVm};
use bioxen::engine::lifecycle::Lifecycle;
use inquire::error::InquireError;

/// Why an action stopped before its end.
pub enum Stop {
    /// The user backed out of a prompt (Esc, Ctrl-C).
    Back,
    /// It failed: the message to show in the menu.
    Failed(String),
}

impl From<InquireError> for Stop {
    fn from(e: InquireError) -> Stop {
        match e {
            InquireError::OperationCanceled | InquireError::OperationInterrupted => Stop::Back,
            other => Stop::Failed(other.to_string()),
        }
    }
}

impl From<ApiError> for Stop {
    fn from(e: ApiError) -> Stop {
        Stop::Failed(e.to_string())
    }
}

/// An action's outcome.
pub type Step<T = ()> = Result<T, Stop>;

/// One of `options`.
pub fn choose<T: std::fmt::Display>(message: &str, options: Vec<T>) -> Step<T> {
    Ok(inquire::Select::new(message, options).with_page_size(12).prompt()?)
}

/// A line of text, with a default shown.
pub fn text(message: &str, default: &str) -> Step<String> {
    let mut prompt = inquire::Text::new(message);
    if !default.is_empty() {
        prompt = prompt.with_default(default);
    }
    Ok(prompt.prompt()?)
}

/// A number of type `T`, asked again until it parses.
pub fn number<T>(message: &str, help: &str) -> Step<T>
where
    T: Clone + std::str::FromStr + std::fmt::Display,
{
    Ok(inquire::CustomType::<T>::new(message)
        .with_help_message(help)
        .with_error_message("that is not a number of the kind asked for")
        .prompt()?)
}

/// Yes or no, with a default.
pub fn confirm(message: &str, default: bool) -> Step<bool> {
    Ok(inquire::Confirm::new(message).with_default(default).prompt()?)
}

/// A VM to act on, among those not destroyed (`what` says what for).
pub fn vm(manager: &BioVmManager, what: &str) -> Step<BiologicalVm> {
    let live: Vec<VmChoice> = manager
        .list_vms()
        .into_iter()
        .filter_map(|id| manager.get_vm(&id))
        .filter(|vm| vm.get_status().state != Lifecycle::Destroyed)
        .map(VmChoice)
        .collect();
    if live.is_empty() {
        return Err(Stop::Failed("there is no VM yet: create one first".into()));
    }
    Ok(choose(&format!("Which VM {what}?"), live)?.0)
}

/// A VM as a choice reads: its id, organism and state.
pub struct VmChoice(pub BiologicalVm);

impl std::fmt::Display for VmChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let vm = &self.0;
        write!(f, "{} ({}, {})", vm.id(), vm.get_biological_type(), vm.get_status().state.name())
    }
}

/// Comma- or space-separated names.
pub fn names(message: &str) -> Step<Vec<String>> {
    let line = text(message, "")?;
    let names: Vec<String> = line.split([',', ' ']).filter(|s| !s.is_empty()).map(str::to_string).collect();
    if names.is_empty() {
        return Err(Stop::Failed("no name given".into()));
    }
    Ok(names)
}
