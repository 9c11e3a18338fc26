//! A VM's configuration as the original library's documents shape it: the organism
//! (`vm_type`), `chassis_type`, `genome_file`, `resource_limits`, `custom_params`, the
//! template's `_template` and `_description`, and an `xcpng` VM's `xcpng_config`.
//!
//! Every key is optional, so a partial configuration (the original's documents pass
//! `{"resource_limits": {"max_ribosomes": 30}}` alone) is merged over the organism's
//! defaults when a VM is created ([`super::ConfigManager::complete`]). Every key is typed,
//! and a key that is neither ours nor the original's is an error naming it and its path.

use super::units::Ribosomes;
use bioxen_engine::chassis::Chassis;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A VM's configuration (all keys optional; see the module's documentation).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmConfig {
    /// The organism this configuration is for (`syn3a`, `ecoli`, `minimal_cell`): the
    /// original's `vm_type` key (its configurations' word for the organism), also read as
    /// `biological_type`.
    #[serde(rename = "vm_type", alias = "biological_type", default, skip_serializing_if = "Option::is_none")]
    pub biological_type: Option<String>,
    /// The chassis it is for (`ecoli`, `yeast`, `orthogonal`): a VM is refused on another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chassis_type: Option<String>,
    /// A GenBank annotation to run instead of the built-in genome (`null` for the built-in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genome_file: Option<PathBuf>,
    /// Measured mean mRNA counts per locus tag (CSV, as the syn3A whole-cell model's
    /// `mRNA_counts.csv`) for the `genome_file`, instead of uniform expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_file: Option<PathBuf>,
    /// The VM's starting caps.
    #[serde(default, skip_serializing_if = "ResourceLimitsConfig::is_empty")]
    pub resource_limits: ResourceLimitsConfig,
    /// The organism's switches.
    #[serde(default, skip_serializing_if = "CustomParams::is_empty")]
    pub custom_params: CustomParams,
    /// Priority under the `priority` policy (higher first; default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// Relative weight (1–65,535; default Xen's 256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// The XCP-ng pool an `xcpng` VM runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xcpng_config: Option<XcpngConfig>,
    /// Marks a file written as a template to edit (the original's `_template`); no effect.
    #[serde(rename = "_template", default, skip_serializing_if = "Option::is_none")]
    pub template: Option<bool>,
    /// What the file is (the original's `_description`); no effect.
    #[serde(rename = "_description", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A VM's starting caps: the original's `resource_limits`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawLimits", into = "RawLimits")]
pub struct ResourceLimitsConfig {
    /// The ATP cap, a percentage of the guests' ATP pool (0–100).
    pub max_atp: Option<f64>,
    /// The ribosome cap: `max_ribosomes` in a file is in the original's units,
    /// `max_ribosomes_per_tick` in the model's (one or the other).
    pub max_ribosomes: Option<Ribosomes>,
    /// The most DNA space beyond its genome the VM may be given, in kb (> 0): the room
    /// plasmids and packages use.
    pub max_memory_kb: Option<u64>,
}

impl ResourceLimitsConfig {
    fn is_empty(&self) -> bool {
        *self == ResourceLimitsConfig::default()
    }
}

/// `resource_limits` as a file has it: each key with one unit.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_atp: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_ribosomes: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_ribosomes_per_tick: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_memory_kb: Option<u64>,
}

impl TryFrom<RawLimits> for ResourceLimitsConfig {
    type Error = String;
    fn try_from(raw: RawLimits) -> Result<Self, String> {
        let max_ribosomes = match (raw.max_ribosomes, raw.max_ribosomes_per_tick) {
            (Some(_), Some(_)) => {
                return Err("give max_ribosomes (the original's units) or max_ribosomes_per_tick, not both".into());
            }
            (Some(x), None) => Some(Ribosomes::Original(x)),
            (None, n) => n.map(Ribosomes::PerTick),
        };
        Ok(ResourceLimitsConfig { max_atp: raw.max_atp, max_ribosomes, max_memory_kb: raw.max_memory_kb })
    }
}

impl From<ResourceLimitsConfig> for RawLimits {
    fn from(l: ResourceLimitsConfig) -> RawLimits {
        let (max_ribosomes, max_ribosomes_per_tick) = match l.max_ribosomes {
            Some(Ribosomes::Original(x)) => (Some(x), None),
            Some(Ribosomes::PerTick(n)) => (None, Some(n)),
            None => (None, None),
        };
        RawLimits { max_atp: l.max_atp, max_ribosomes, max_ribosomes_per_tick, max_memory_kb: l.max_memory_kb }
    }
}

/// The organism's switches: the original's `custom_params`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomParams {
    /// syn3A: run only the essential genes' machinery (a syn3a VM requires it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential_only: Option<bool>,
    /// Operons may be switched; `false` refuses `manage_operons`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operon_management: Option<bool>,
    /// Plasmids may be carried; `false` refuses `install_biological_package`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plasmid_support: Option<bool>,
    /// syn3.0: only the minimal functions (a minimal_cell VM requires it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimal_functions_only: Option<bool>,
    /// The original's debugging switch: kept with the configuration; the simulation is the
    /// same either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_mode: Option<bool>,
    /// The original's syn3A default names `minimal_metabolism`: kept; no effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimization: Option<String>,
    /// The original's minimal-cell default: kept; this library always validates strictly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict_validation: Option<bool>,
}

impl CustomParams {
    fn is_empty(&self) -> bool {
        *self == CustomParams::default()
    }
}

/// What a VM's (completed) configuration sets in the model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Settings {
    pub atp_cap_percent: f64,
    pub ribosome_cap: Option<u64>,
    pub memory_kb: u64,
    pub priority: i32,
    pub weight: u32,
}

impl VmConfig {
    /// What this configuration sets on `chassis` (a key it lacks: no cap, no room, the
    /// scenario's defaults).
    pub(crate) fn settings(&self, chassis: &Chassis) -> Settings {
        let limits = &self.resource_limits;
        Settings {
            atp_cap_percent: limits.max_atp.unwrap_or(100.0),
            ribosome_cap: limits.max_ribosomes.map(|r| r.per_tick(chassis)),
            memory_kb: limits.max_memory_kb.unwrap_or(0),
            priority: self.priority.unwrap_or(0),
            weight: self.weight.unwrap_or(bioxen_engine::scenario::DEFAULT_WEIGHT),
        }
    }
}

/// Where an `xcpng` VM runs: an XCP-ng pool reached through XAPI, then SSH.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XcpngConfig {
    /// The pool master's XAPI address (`https://…`).
    #[serde(default)]
    pub xapi_url: String,
    /// XAPI user.
    #[serde(default)]
    pub username: String,
    /// The password itself (prefer `password_env` or `password_file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The environment variable holding the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// A file holding the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// The user BioXen logs in as on the provisioned VM.
    #[serde(default)]
    pub ssh_user: String,
    /// The template the VM is made from (the original's default, `bioxen-bio-template`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
    /// The private key BioXen logs in with over SSH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key_path: Option<PathBuf>,
    /// The VM's memory, such as "4GB" (binary units; the original's default "2GB").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_memory: Option<String>,
    /// The VM's VCPUs (the original's default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_vcpus: Option<u64>,
    /// The network (UUID) its one interface joins (default: the template's interfaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_uuid: Option<String>,
    /// The storage repository (UUID) its disks are copied to (default: the template's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_repository: Option<String>,
    /// Pins the pool's (self-signed) certificate by its SHA-256 fingerprint, `AB:CD:…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_fingerprint_sha256: Option<String>,
    /// Trusts the pool's certificate through this CA file (PEM) besides the web's roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ca_file: Option<PathBuf>,
    /// The known_hosts file the VM's SSH host key is checked against (default
    /// `~/.ssh/known_hosts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_known_hosts: Option<PathBuf>,
    /// The VM's SSH host key, pinned (`ssh-ed25519 AAAA…`: a template that bakes one in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_host_key: Option<String>,
    /// Accepts any SSH host key from the VM (warned of on every connection).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_accept_any_host_key: bool,
    /// The `bioxen` to run on the VM (default: this one, uploaded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_binary: Option<String>,
    /// How long to wait for the started VM's address, in seconds (default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_timeout_seconds: Option<u64>,
}
