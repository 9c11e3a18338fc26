//! `ConfigManager`: a VM's configuration, typed, with the original library's defaults,
//! files in JSON or TOML, validation and deep merging.
//!
//! Every key is typed and every unknown key is an error naming it and its path (a typo in
//! a configuration must never be silently ignored).

use super::error::{ApiError, ApiResult};
use super::resources::original_ribosomes;
use super::types::{BiologicalType, VmType};
use crate::files;
use bioxen_engine::chassis::{Chassis, ChassisKind};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The most bytes a configuration file may have.
pub const CONFIG_BYTES_MAX: u64 = 1 << 20;

/// A VM's configuration. Missing keys take the organism's defaults
/// ([`ConfigManager::load_defaults`]) when a VM is created.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmConfig {
    /// The organism this configuration is for (`syn3a`, `ecoli`, `minimal_cell`), when it
    /// says: [`ConfigManager::load_defaults`] fills it in, and validation then checks the
    /// organism's own requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biological_type: Option<String>,
    /// The VM's starting ATP cap, a percentage of the guests' ATP pool (0–100).
    pub max_atp: f64,
    /// The VM's starting ribosome cap, ribosomes per tick (> 0).
    pub max_ribosomes: u64,
    /// The most DNA space beyond its genome the VM may be given, in kb (> 0): the room
    /// plasmids and packages use.
    pub max_memory_kb: u64,
    /// Priority under the `priority` policy (higher first).
    #[serde(default)]
    pub priority: i32,
    /// Relative weight (1–65,535; Xen's default 256).
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// syn3A: run only the essential genes' machinery (required for syn3a).
    #[serde(default)]
    pub essential_only: bool,
    /// E. coli: operons may be switched.
    #[serde(default)]
    pub operon_management: bool,
    /// E. coli: plasmids may be carried.
    #[serde(default)]
    pub plasmid_support: bool,
    /// syn3.0: only the minimal functions (required for minimal_cell).
    #[serde(default)]
    pub minimal_functions_only: bool,
    /// A GenBank annotation to run instead of the built-in genome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genome_file: Option<PathBuf>,
    /// Measured mean mRNA counts per locus tag (CSV, as the syn3A whole-cell model's
    /// `mRNA_counts.csv`) for the `genome_file`, instead of uniform expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_file: Option<PathBuf>,
    /// The remote host of an `xcpng` VM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xcpng_config: Option<XcpngConfig>,
}

fn default_weight() -> u32 {
    bioxen_engine::scenario::DEFAULT_WEIGHT
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

/// Loads, checks, merges and saves VM configurations, with defaults for one chassis
/// (ribosome numbers are per tick of that chassis: see the README's table of units).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConfigManager {
    chassis: Chassis,
}

impl Default for ConfigManager {
    /// The E. coli chassis, the original library's default host.
    fn default() -> Self {
        ConfigManager { chassis: ChassisKind::Ecoli.defaults() }
    }
}

impl ConfigManager {
    /// A manager for VMs on the E. coli chassis.
    pub fn new() -> ConfigManager {
        ConfigManager::default()
    }

    /// A manager whose defaults are for `chassis`.
    pub fn for_chassis(chassis: Chassis) -> ConfigManager {
        ConfigManager { chassis }
    }

    /// The original library's defaults for `biological_type`: syn3a max ATP 70 %, 15
    /// ribosomes, essential_only; ecoli 90 %, 30, operon_management and plasmid_support;
    /// minimal_cell 60 %, 12, minimal_functions_only. Ribosome counts are the original's,
    /// as the same share of this chassis' pool; memory the original's limits.
    ///
    /// ```
    /// use bioxen::api::ConfigManager;
    /// let syn3a = ConfigManager::new().load_defaults("syn3a")?;
    /// assert_eq!((syn3a.max_atp, syn3a.max_ribosomes, syn3a.essential_only), (70.0, 7_500, true));
    /// # Ok::<(), bioxen::api::ApiError>(())
    /// ```
    pub fn load_defaults(&self, biological_type: &str) -> ApiResult<VmConfig> {
        let t = BiologicalType::parse(biological_type)?;
        let (atp, ribosomes, memory) = match t {
            BiologicalType::Syn3a => (70.0, 15, 200),
            BiologicalType::Ecoli => (90.0, 30, 500),
            BiologicalType::MinimalCell => (60.0, 12, 100),
        };
        Ok(VmConfig {
            biological_type: Some(t.name().to_string()),
            max_atp: atp,
            max_ribosomes: original_ribosomes(ribosomes, &self.chassis),
            max_memory_kb: memory,
            priority: 0,
            weight: default_weight(),
            essential_only: t == BiologicalType::Syn3a,
            operon_management: t == BiologicalType::Ecoli,
            plasmid_support: t == BiologicalType::Ecoli,
            minimal_functions_only: t == BiologicalType::MinimalCell,
            genome_file: None,
            expression_file: None,
            xcpng_config: None,
        })
    }

    /// Reads a configuration from a JSON (`.json`) or TOML (`.toml`) file. Errors name the
    /// file, the line:column and the key's path.
    pub fn load_from_file(&self, path: impl AsRef<Path>) -> ApiResult<VmConfig> {
        let path = path.as_ref();
        let bytes = files::read_input(path, CONFIG_BYTES_MAX).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ApiError::FileNotFound(path.to_path_buf()),
            _ => config_error(path.display(), e.to_string()),
        })?;
        let text = String::from_utf8(bytes).map_err(|_| config_error(path.display(), "is not UTF-8 text"))?;
        let config = match Format::of(path)? {
            Format::Json => from_json_text(&text, &path.display().to_string())?,
            Format::Toml => from_toml_text(&text, &path.display().to_string())?,
        };
        Ok(config)
    }

    /// Writes `config` to a JSON or TOML file (by extension), atomically: the file is
    /// whole or unchanged.
    pub fn save_to_file(&self, config: &VmConfig, path: impl AsRef<Path>) -> ApiResult<()> {
        let path = path.as_ref();
        let text = match Format::of(path)? {
            Format::Json => serde_json::to_string_pretty(config).map_err(|e| config_error("config", e.to_string()))?,
            Format::Toml => toml::to_string_pretty(config).map_err(|e| config_error("config", e.to_string()))?,
        };
        files::write_file(path, |w| w.write_all(text.as_bytes()).map_err(|e| crate::Error::io(path.display(), e)))?;
        Ok(())
    }

    /// Checks `config` for a VM of `vm_type` (`basic` or `xcpng`): max_ribosomes > 0,
    /// 0 ≤ max_atp ≤ 100, max_memory_kb > 0, weight in 1–65,535; for the organism its
    /// `biological_type` names, syn3a requires essential_only and minimal_cell
    /// minimal_functions_only; xcpng requires xapi_url, username, a password (or
    /// password_env, password_file) and ssh_user.
    pub fn validate_config(&self, config: &VmConfig, vm_type: &str) -> ApiResult<()> {
        let vm_type = VmType::parse(vm_type)?;
        if let Some(t) = &config.biological_type {
            self.organism_requirements(config, BiologicalType::parse(t)?)?;
        }
        if config.max_ribosomes == 0 {
            return Err(config_error("max_ribosomes", "must be more than 0"));
        }
        if !(config.max_atp.is_finite() && (0.0..=100.0).contains(&config.max_atp)) {
            return Err(config_error(
                "max_atp",
                format!("must be a percentage in [0, 100], not {}", bioxen_engine::scenario::number(config.max_atp)),
            ));
        }
        if config.max_memory_kb == 0 {
            return Err(config_error("max_memory_kb", "must be more than 0"));
        }
        if !(1..=bioxen_engine::scenario::limits::WEIGHT_MAX).contains(&config.weight) {
            return Err(config_error("weight", format!("must be in 1..=65535, not {}", config.weight)));
        }
        if vm_type == VmType::Xcpng {
            let x = config.xcpng_config.as_ref().ok_or(ApiError::XcpngConfigMissing)?;
            for (key, value) in [("xapi_url", &x.xapi_url), ("username", &x.username), ("ssh_user", &x.ssh_user)] {
                if value.trim().is_empty() {
                    return Err(config_error(format!("xcpng_config.{key}"), "is required"));
                }
            }
            if x.password.is_none() && x.password_env.is_none() && x.password_file.is_none() {
                return Err(config_error(
                    "xcpng_config.password",
                    "is required (or password_env, naming an environment variable, or password_file)",
                ));
            }
            crate::xcpng::check(x)?;
        }
        Ok(())
    }

    /// [`ConfigManager::validate_config`] for a VM of `biological_type`: the configuration
    /// must be for that organism (if it names one) and meet its requirements.
    pub fn validate_for(&self, config: &VmConfig, biological_type: &str, vm_type: &str) -> ApiResult<()> {
        let t = BiologicalType::parse(biological_type)?;
        if let Some(named) = config.biological_type.as_deref().filter(|&n| n != t.name()) {
            return Err(config_error(
                "biological_type",
                format!("the configuration is for {named}, the VM is {}", t.name()),
            ));
        }
        self.validate_config(config, vm_type)?;
        self.organism_requirements(config, t)
    }

    /// syn3a requires essential_only, minimal_cell requires minimal_functions_only.
    fn organism_requirements(&self, config: &VmConfig, t: BiologicalType) -> ApiResult<()> {
        match t {
            BiologicalType::Syn3a if !config.essential_only => {
                Err(config_error("essential_only", "syn3a VMs require essential_only = true"))
            }
            BiologicalType::MinimalCell if !config.minimal_functions_only => {
                Err(config_error("minimal_functions_only", "minimal_cell VMs require minimal_functions_only = true"))
            }
            _ => Ok(()),
        }
    }

    /// `overrides` merged into `base`, deeply (a nested table is merged key by key; any
    /// other value replaces), then checked as a whole: an unknown key in `overrides` is an
    /// error naming its path.
    pub fn merge_configs(&self, base: &VmConfig, overrides: &serde_json::Value) -> ApiResult<VmConfig> {
        let mut merged = serde_json::to_value(base).map_err(|e| config_error("config", e.to_string()))?;
        deep_merge(&mut merged, overrides);
        from_json_value(merged)
    }

    /// Writes `biological_type`'s defaults to `path` (JSON or TOML by extension), as a
    /// starting point to edit.
    pub fn create_config_template(&self, biological_type: &str, path: impl AsRef<Path>) -> ApiResult<()> {
        let defaults = self.load_defaults(biological_type)?;
        self.save_to_file(&defaults, path)
    }
}

/// `over` merged into `base`: objects key by key, recursively; anything else replaces.
pub fn deep_merge(base: &mut serde_json::Value, over: &serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (key, value) in o {
                match b.get_mut(key) {
                    Some(slot) => deep_merge(slot, value),
                    None => {
                        b.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (slot, value) => *slot = value.clone(),
    }
}

/// A configuration from a JSON value (`merge_configs`' overrides, a program's literal),
/// errors naming the key's path.
pub fn from_json_value(value: serde_json::Value) -> ApiResult<VmConfig> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = path_of(e.path());
        config_error(at, e.into_inner().to_string())
    })
}

fn from_json_text(text: &str, file: &str) -> ApiResult<VmConfig> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let key = path_of(e.path());
        let inner = e.into_inner();
        let message = format!("{} (key `{key}`)", strip_position(&inner.to_string()));
        config_error(format!("{file}:{}:{}", inner.line(), inner.column()), message)
    })
}

fn from_toml_text(text: &str, file: &str) -> ApiResult<VmConfig> {
    let de = toml::Deserializer::parse(text).map_err(|e| toml_error(text, file, &e, "."))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = path_of(e.path());
        toml_error(text, file, e.inner(), &key)
    })
}

fn toml_error(text: &str, file: &str, e: &toml::de::Error, key: &str) -> ApiError {
    let start = e.span().map_or(0, |s| s.start.min(text.len()));
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    config_error(format!("{file}:{line}:{column}"), format!("{} (key `{key}`)", e.message().trim()))
}

/// serde_json's messages end with " at line L column C", which the error's place says.
fn strip_position(message: &str) -> &str {
    message.find(" at line ").map_or(message, |i| &message[..i])
}

fn path_of(path: &serde_path_to_error::Path) -> String {
    let p = path.to_string();
    if p.is_empty() { ".".into() } else { p }
}

pub(crate) fn config_error(at: impl std::fmt::Display, message: impl Into<String>) -> ApiError {
    ApiError::Config { at: at.to_string(), message: message.into() }
}

enum Format {
    Json,
    Toml,
}

impl Format {
    fn of(path: &Path) -> ApiResult<Format> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Ok(Format::Json),
            Some("toml") => Ok(Format::Toml),
            _ => Err(config_error(path.display(), "a configuration file ends in .json or .toml")),
        }
    }
}
