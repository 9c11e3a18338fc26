//! `ConfigManager`: the original library's defaults, configuration files in JSON or TOML,
//! validation with its messages, and deep merging (the shape is [`super::vm_config`]).
//!
//! Every key is typed and every unknown key is an error naming it and its path (a typo in
//! a configuration must never be silently ignored).

use super::error::{ApiError, ApiResult};
use super::types::{BiologicalType, VmType};
use super::units::Ribosomes;
use super::vm_config::{CustomParams, ResourceLimitsConfig, VmConfig};
use crate::files;
use bioxen_engine::chassis::{Chassis, ChassisKind};
use std::path::Path;

/// The most bytes a configuration file may have.
pub const CONFIG_BYTES_MAX: u64 = 1 << 20;

/// Loads, checks, merges and saves VM configurations, with defaults for one chassis (the
/// one a `chassis_type` must name).
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

    /// The original library's defaults for `biological_type` (its `vm_type`), in its shape
    /// and units: syn3a max ATP 70 %, 15 ribosomes, 200 kb, essential_only; ecoli 90 %, 30,
    /// 500 kb, operon_management and plasmid_support; minimal_cell 60 %, 12, 100 kb,
    /// minimal_functions_only. Ribosomes are the original's units ([`Ribosomes::Original`]),
    /// the same share of this chassis' pool; `chassis_type` is this manager's chassis.
    ///
    /// ```
    /// use bioxen::api::{ConfigManager, Ribosomes};
    /// let syn3a = ConfigManager::new().load_defaults("syn3a")?;
    /// let limits = syn3a.resource_limits;
    /// assert_eq!((limits.max_atp, limits.max_ribosomes), (Some(70.0), Some(Ribosomes::Original(15.0))));
    /// assert_eq!(syn3a.custom_params.essential_only, Some(true));
    /// # Ok::<(), bioxen::api::ApiError>(())
    /// ```
    pub fn load_defaults(&self, biological_type: &str) -> ApiResult<VmConfig> {
        let t = BiologicalType::parse(biological_type)
            .map_err(|_| config_error("vm_type", format!("No default config for VM type: {biological_type}")))?;
        let (atp, ribosomes, memory) = match t {
            BiologicalType::Syn3a => (70.0, 15.0, 200),
            BiologicalType::Ecoli => (90.0, 30.0, 500),
            BiologicalType::MinimalCell => (60.0, 12.0, 100),
        };
        let on = |organism: BiologicalType| (t == organism).then_some(true);
        Ok(VmConfig {
            biological_type: Some(t.name().to_string()),
            chassis_type: Some(self.chassis.kind.name().to_string()),
            resource_limits: ResourceLimitsConfig {
                max_atp: Some(atp),
                max_ribosomes: Some(Ribosomes::Original(ribosomes)),
                max_memory_kb: Some(memory),
            },
            custom_params: CustomParams {
                essential_only: on(BiologicalType::Syn3a),
                operon_management: on(BiologicalType::Ecoli),
                plasmid_support: on(BiologicalType::Ecoli),
                minimal_functions_only: on(BiologicalType::MinimalCell),
                ..CustomParams::default()
            },
            ..VmConfig::default()
        })
    }

    /// The configuration a VM of `biological_type` and `vm_type` gets from `config`: its
    /// keys merged over the organism's defaults ([`ConfigManager::merge_configs`]), then
    /// checked as a whole ([`ConfigManager::validate_for`]) and against this chassis.
    ///
    /// ```
    /// use bioxen::api::{ConfigManager, Ribosomes};
    /// let configs = ConfigManager::new();
    /// let partial = serde_json::json!({"resource_limits": {"max_ribosomes": 30}, "custom_params": {"debug_mode": true}});
    /// let config = configs.complete(Some(&bioxen::api::from_json_value(partial)?), "syn3a", "basic")?;
    /// assert_eq!(config.resource_limits.max_ribosomes, Some(Ribosomes::Original(30.0)));
    /// assert_eq!(config.resource_limits.max_atp, Some(70.0)); // the syn3a default
    /// # Ok::<(), bioxen::api::ApiError>(())
    /// ```
    pub fn complete(&self, config: Option<&VmConfig>, biological_type: &str, vm_type: &str) -> ApiResult<VmConfig> {
        let defaults = self.load_defaults(biological_type)?;
        let config = match config {
            None => defaults,
            Some(c) => {
                let over = serde_json::to_value(c).map_err(|e| config_error("config", e.to_string()))?;
                self.merge_configs(&defaults, &over)?
            }
        };
        if let Some(named) = config.chassis_type.as_deref().filter(|&n| n != self.chassis.kind.name()) {
            return Err(config_error(
                "chassis_type",
                format!("the configuration is for the {named} chassis; this host is {}", self.chassis.kind.name()),
            ));
        }
        self.validate_for(&config, biological_type, vm_type)?;
        Ok(config)
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

    /// Checks `config` for a VM of `vm_type` (`basic` or `xcpng`), each key it has with the
    /// original's messages: `max_ribosomes must be positive`, `max_atp must be between 0
    /// and 100`, `max_memory_kb must be positive`; weight in 1–65,535; a known
    /// `chassis_type`; for the organism it names, `Syn3A VMs require essential_only=True`
    /// and `Minimal cell VMs require minimal_functions_only=True`; an xcpng VM's
    /// `xcpng_config` needs xapi_url, username, a password (or password_env,
    /// password_file) and ssh_user.
    pub fn validate_config(&self, config: &VmConfig, vm_type: &str) -> ApiResult<()> {
        let vm_type = VmType::parse(vm_type)?;
        if let Some(t) = &config.biological_type {
            let t = BiologicalType::parse(t).map_err(|e| config_error("vm_type", e.to_string()))?;
            organism_requirements(config, t)?;
        }
        if let Some(c) = config.chassis_type.as_deref().filter(|c| ChassisKind::ALL.iter().all(|k| k.name() != *c)) {
            return Err(config_error("chassis_type", format!("unknown chassis {c:?} (ecoli, yeast, orthogonal)")));
        }
        check_limits(&config.resource_limits)?;
        if let Some(w) = config.weight.filter(|w| !(1..=bioxen_engine::scenario::limits::WEIGHT_MAX).contains(w)) {
            return Err(config_error("weight", format!("must be in 1..=65535, not {w}")));
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
            return Err(config_error("vm_type", format!("Config vm_type {named} doesn't match {}", t.name())));
        }
        self.validate_config(config, vm_type)?;
        organism_requirements(config, t)
    }

    /// The original's second `validate_config(vm_type, config)`, where `vm_type` is the
    /// organism: the configuration must name it (`Missing required config field:
    /// vm_type`), then [`ConfigManager::validate_for`] a basic VM.
    pub fn validate_organism_config(&self, biological_type: &str, config: &VmConfig) -> ApiResult<()> {
        if config.biological_type.is_none() {
            return Err(config_error("vm_type", "Missing required config field: vm_type"));
        }
        self.validate_for(config, biological_type, "basic")
    }

    /// `overrides` merged into `base`, deeply (a nested table is merged key by key; any
    /// other value replaces; a ribosome cap in either unit replaces the base's in both),
    /// then checked as a whole: an unknown key in `overrides` is an error naming its path.
    pub fn merge_configs(&self, base: &VmConfig, overrides: &serde_json::Value) -> ApiResult<VmConfig> {
        let mut merged = serde_json::to_value(base).map_err(|e| config_error("config", e.to_string()))?;
        let sets_ribosomes = overrides
            .get("resource_limits")
            .and_then(|l| l.as_object())
            .is_some_and(|l| l.contains_key("max_ribosomes") || l.contains_key("max_ribosomes_per_tick"));
        if let (true, Some(limits)) =
            (sets_ribosomes, merged.get_mut("resource_limits").and_then(|l| l.as_object_mut()))
        {
            limits.remove("max_ribosomes");
            limits.remove("max_ribosomes_per_tick");
        }
        deep_merge(&mut merged, overrides);
        from_json_value(merged)
    }

    /// Writes `biological_type`'s defaults to `path` (JSON or TOML by extension), as a
    /// starting point to edit, marked as the original marked them (`_template`,
    /// `_description`).
    pub fn create_config_template(&self, biological_type: &str, path: impl AsRef<Path>) -> ApiResult<()> {
        let mut defaults = self.load_defaults(biological_type)?;
        defaults.template = Some(true);
        defaults.description = Some(format!("Configuration template for {biological_type} biological VM"));
        self.save_to_file(&defaults, path)
    }
}

/// The original's resource-limit rules, each key checked if it is there.
fn check_limits(limits: &ResourceLimitsConfig) -> ApiResult<()> {
    let at = |key: &str| format!("resource_limits.{key}");
    if let Some(r) = limits.max_ribosomes {
        let key = match r {
            Ribosomes::Original(_) => "max_ribosomes",
            Ribosomes::PerTick(_) => "max_ribosomes_per_tick",
        };
        r.check().map_err(|m| config_error(at(key), m))?;
        if r.is_zero() {
            return Err(config_error(at(key), "max_ribosomes must be positive"));
        }
    }
    if let Some(atp) = limits.max_atp.filter(|a| !(a.is_finite() && (0.0..=100.0).contains(a))) {
        let shown = bioxen_engine::scenario::number(atp);
        return Err(config_error(at("max_atp"), format!("max_atp must be between 0 and 100, not {shown}")));
    }
    if limits.max_memory_kb == Some(0) {
        return Err(config_error(at("max_memory_kb"), "max_memory_kb must be positive"));
    }
    Ok(())
}

/// syn3a requires essential_only, minimal_cell requires minimal_functions_only (each
/// refused only when set false, as the original did).
fn organism_requirements(config: &VmConfig, t: BiologicalType) -> ApiResult<()> {
    let params = &config.custom_params;
    match t {
        BiologicalType::Syn3a if params.essential_only == Some(false) => {
            Err(config_error("custom_params.essential_only", "Syn3A VMs require essential_only=True"))
        }
        BiologicalType::MinimalCell if params.minimal_functions_only == Some(false) => Err(config_error(
            "custom_params.minimal_functions_only",
            "Minimal cell VMs require minimal_functions_only=True",
        )),
        _ => Ok(()),
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

pub(crate) fn from_json_text(text: &str, file: &str) -> ApiResult<VmConfig> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let key = path_of(e.path());
        let inner = e.into_inner();
        let message = format!("{} (key `{key}`)", strip_position(&inner.to_string()));
        config_error(format!("{file}:{}:{}", inner.line(), inner.column()), message)
    })
}

pub(crate) fn from_toml_text(text: &str, file: &str) -> ApiResult<VmConfig> {
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
