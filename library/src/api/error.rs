//! What an API call can fail with. The factory's messages keep the original library's
//! wording (its users match on them); every other message names the VM, the call and the
//! numbers involved.

use bioxen_actors::ActorError;
use bioxen_engine::sim::SimError;

/// Why an API call failed. Nothing changes when a call fails.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `biological_type` is not one of [`super::get_supported_biological_types`].
    #[error("Unsupported biological type: {0}. Supported: ['syn3a', 'ecoli', 'minimal_cell']")]
    UnsupportedBiologicalType(String),
    /// `vm_type` is not one of [`super::get_supported_vm_types`].
    #[error("Unsupported VM type: {0}. Supported: ['basic', 'xcpng']")]
    UnsupportedVmType(String),
    /// An `xcpng` VM asked for without its `xcpng_config`.
    #[error("XCP-ng VM type requires config parameter with xcpng_config")]
    XcpngConfigMissing,
    /// A request past a limit (ticks to run, a duration), naming it.
    #[error("{0}")]
    Limit(String),
    /// A feature this build does not have (said plainly, never pretended).
    #[error("{0} is not available in this build")]
    NotAvailable(String),
    /// A configuration that cannot be used: the key's path (`xcpng_config.xapi_url`) or
    /// the file and line:column, and why.
    #[error("{at}: {message}")]
    Config {
        /// The key's path, or `file:line:column`.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// An organism-specific call on another organism.
    #[error("{call} is for {supported} VMs; VM `{vm}` is {organism}")]
    WrongOrganism {
        /// The call.
        call: &'static str,
        /// The VM.
        vm: String,
        /// Its organism.
        organism: &'static str,
        /// The organisms that support the call.
        supported: String,
    },
    /// A resource request over a limit or over what is free, naming both numbers.
    #[error("VM `{vm}`: {message}")]
    Resources {
        /// The VM.
        vm: String,
        /// The request and the bound it passes.
        message: String,
    },
    /// A gene or operon the VM's genome does not have (with close matches).
    #[error("{0}")]
    Genome(String),
    /// No VM with this id on the host (the original's message).
    #[error("VM {0} not found")]
    VmNotFound(String),
    /// A configuration file that does not exist (the original's message).
    #[error("Configuration file not found: {}", .0.display())]
    FileNotFound(std::path::PathBuf),
    /// A VM already there, or a session that cannot be saved or traced yet.
    #[error("{0}")]
    Vm(String),
    /// The simulation refused the change (an impossible transition, an allocation the
    /// gate refuses) or could not go on.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The actor runtime failed.
    #[error(transparent)]
    Actors(#[from] ActorError),
    /// A process script failed (line:column, and the tick it stopped at).
    #[error(transparent)]
    Script(#[from] crate::script::ScriptError),
    /// A package that cannot be installed (unknown, or a bad file).
    #[error("{0}")]
    Package(String),
    /// A remote VM whose worker cannot be reached or used (SSH, the handshake).
    #[error("{0}")]
    Remote(String),
    /// An XCP-ng pool refused or failed (XAPI's code and parameters kept).
    #[error("XCP-ng: {0}")]
    Xcpng(#[from] bioxen_xcpng::XapiError),
    /// Reading or writing a file failed.
    #[error(transparent)]
    Files(#[from] crate::Error),
}

/// The result of an API call.
pub type ApiResult<T> = Result<T, ApiError>;
