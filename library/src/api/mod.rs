//! The library API of the original BioXen (BioXen_jcvi_vm_lib), in Rust, on the actor
//! runtime — and, unlike the original, working.
//!
//! - The factory: [`create_bio_vm`], [`create_biological_vm`], [`quick_start_vm`] and the
//!   validators, with the original's error messages.
//! - [`BiologicalVm`]: lifecycle, resources, the organism's measures, transcription
//!   switches. [`BioResourceManager`]: reservations within the original's limits.
//!   [`ConfigManager`]: typed configuration in JSON or TOML. [`BioVmManager`]: one host
//!   (chassis, policy, seed) and its competing VMs.
//! - **Time** moves only when the caller says ([`BioVmManager::run_ticks`],
//!   [`BioVmManager::run_for`], or the same on a VM); calls in between take effect at the
//!   next tick boundary.
//! - **A session is a scenario**: every call that changes the simulation is an event at
//!   the tick it takes effect, so [`BioVmManager::save_scenario`] writes a scenario that
//!   `bioxen run` replays to the session's digest, bit for bit, and a trace recorded during
//!   the session ([`BioVmManager::record_trace`]) replays with `bioxen replay`.
//! - **Units**: ATP is a percentage of the guests' pool and DNA is kb, as the original
//!   had them; a ribosome number says its unit ([`Ribosomes`]): the original's (shares of
//!   its 80-ribosome pool, mapped to the same share of the chassis) or ribosomes per tick.
//!
//! ```
//! use bioxen::api::{create_bio_vm, BioResourceManager, Ribosomes};
//! let vm = create_bio_vm("my_syn3a_vm", "syn3a", "basic", None)?;
//! let resources = BioResourceManager::new(&vm);
//! resources.allocate_atp(75.0)?;
//! resources.allocate_ribosomes(Ribosomes::Original(20.0))?;
//! vm.start()?;
//! vm.run_ticks(30)?;
//! assert_eq!(vm.get_resource_usage().atp_percent, 75.0);
//! # Ok::<(), bioxen::api::ApiError>(())
//! ```

mod clock;
mod config;
mod error;
pub(crate) mod host;
mod manager;
mod resources;
pub(crate) mod save;
mod session;
mod types;
mod units;
mod vm;
mod vm_config;

pub use clock::{ClockStatus, PACE_MAX, PACE_MIN, Pace};
pub use config::{ConfigManager, from_json_value};
pub(crate) use config::{from_json_text as config_from_json, from_toml_text as config_from_toml};
pub use error::{ApiError, ApiResult};
pub use host::{HostConfig, Runtime};
pub use manager::{BioVmManager, Provenance, TickView};
pub use resources::{
    AvailableResources, BioResourceManager, ResourceLimits, ResourceUsage, resource_limits, resource_targets,
};
pub use types::{BiologicalType, VmType};
pub use units::{ORIGINAL_RIBOSOME_POOL, ORIGINAL_UNITS_MAX, Ribosomes};
pub use vm::{
    BiologicalMetrics, BiologicalVm, EXPONENTIAL_FRACTION, GrowthPhase, MinimalFunction, OperonStatus, Switched,
    VmStatus,
};
pub use vm_config::{CustomParams, ResourceLimitsConfig, VmConfig, XcpngConfig};

/// Creates VM `vm_id` on a host of its own (the defaults of [`HostConfig`]): the
/// original's `create_bio_vm`. `config` defaults to the organism's
/// ([`ConfigManager::load_defaults`]). Errors keep the original's wording:
/// `Unsupported biological type: X. Supported: [...]`, `Unsupported VM type: X.
/// Supported: ['basic', 'xcpng']`, `XCP-ng VM type requires config parameter with
/// xcpng_config`. An `xcpng` VM runs in an XCP-ng VM made when it starts ([`crate::xcpng`]).
///
/// ```
/// use bioxen::api::create_bio_vm;
/// let vm = create_bio_vm("coli", "ecoli", "basic", None)?;
/// assert_eq!((vm.get_biological_type(), vm.get_vm_type()), ("ecoli", "basic"));
/// let e = create_bio_vm("x", "plant", "basic", None).unwrap_err();
/// assert_eq!(e.to_string(), "Unsupported biological type: plant. Supported: ['syn3a', 'ecoli', 'minimal_cell']");
/// # Ok::<(), bioxen::api::ApiError>(())
/// ```
pub fn create_bio_vm(
    vm_id: &str,
    biological_type: &str,
    vm_type: &str,
    config: Option<VmConfig>,
) -> ApiResult<BiologicalVm> {
    BiologicalType::parse(biological_type)?;
    VmType::parse(vm_type)?;
    BioVmManager::new()?.create_vm(vm_id, biological_type, vm_type, config)
}

/// Creates a VM of `vm_type` whose organism is the one `config` names
/// (`config.biological_type`; syn3a when there is no config or it names none), called
/// `<vm_type>_<biological_type>_vm`: the original's `create_biological_vm(vm_type,
/// config)`. (The original's documented default is syn3a; a second assignment in its code
/// overrode it with ecoli, which this does not copy.)
pub fn create_biological_vm(vm_type: &str, config: Option<VmConfig>) -> ApiResult<BiologicalVm> {
    VmType::parse(vm_type)?;
    let biological_type =
        config.as_ref().and_then(|c| c.biological_type.clone()).unwrap_or_else(|| "syn3a".to_string());
    let id = format!("{vm_type}_{biological_type}_vm");
    create_bio_vm(&id, &biological_type, vm_type, config)
}

/// Creates a `basic` VM with its organism's defaults, called `quick_<type>` unless
/// `vm_id` is given, and starts it: the original's `quick_start_vm(biological_type,
/// vm_id=None)` (which only created it; starting is what its name promises).
pub fn quick_start_vm(biological_type: &str, vm_id: Option<&str>) -> ApiResult<BiologicalVm> {
    let id = vm_id.map_or_else(|| format!("quick_{biological_type}"), str::to_string);
    let vm = create_bio_vm(&id, biological_type, "basic", None)?;
    vm.start()?;
    Ok(vm)
}

/// `["syn3a", "ecoli", "minimal_cell"]`.
pub fn get_supported_biological_types() -> Vec<&'static str> {
    BiologicalType::ALL.iter().map(|t| t.name()).collect()
}

/// `["basic", "xcpng"]`.
pub fn get_supported_vm_types() -> Vec<&'static str> {
    VmType::ALL.iter().map(|t| t.name()).collect()
}

/// Whether `name` is a supported biological type.
pub fn validate_biological_type(name: &str) -> bool {
    BiologicalType::parse(name).is_ok()
}

/// Whether `name` is a supported VM type.
pub fn validate_vm_type(name: &str) -> bool {
    VmType::parse(name).is_ok()
}
