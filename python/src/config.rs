//! `ConfigManager`: the original's static configuration methods, on the library's typed
//! configurations (unknown keys refused, naming them).

use crate::convert::{self, type_name};
use crate::errors::{IntoPy, value_error};
use bioxen::api::ConfigManager;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use std::path::PathBuf;

/// Loads, checks, merges and saves VM configurations (the E. coli chassis' defaults, the
/// original's). Every method is static, as the original's.
#[pyclass(frozen, module = "bioxen_jcvi_vm_lib", name = "ConfigManager")]
pub struct PyConfigManager;

fn configs() -> ConfigManager {
    ConfigManager::new()
}

/// A dict argument as a configuration (None is refused here: a configuration is needed).
fn required(value: &Bound<'_, PyAny>) -> PyResult<bioxen::api::VmConfig> {
    convert::config(Some(value))?.ok_or_else(|| value_error("a configuration dict is needed, not None"))
}

#[pymethods]
impl PyConfigManager {
    /// The original's defaults for an organism, in its shape: `vm_type`, `chassis_type`,
    /// `resource_limits` (the original's units), `custom_params`.
    /// The original named the argument `biological_type` in one document and `vm_type` in
    /// the other: either keyword works.
    #[staticmethod]
    #[pyo3(signature = (biological_type = None, *, vm_type = None))]
    fn load_defaults<'py>(
        py: Python<'py>,
        biological_type: Option<&str>,
        vm_type: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let name = biological_type.or(vm_type).ok_or_else(|| value_error("load_defaults needs an organism"))?;
        convert::to_py(py, &configs().load_defaults(name).py()?)
    }

    /// A configuration from a JSON or TOML file (`FileNotFoundError: Configuration file not
    /// found: P` when there is none; an unknown key names itself and its line:column).
    #[staticmethod]
    fn load_from_file(py: Python<'_>, config_path: PathBuf) -> PyResult<Bound<'_, PyAny>> {
        convert::to_py(py, &configs().load_from_file(&config_path).py()?)
    }

    /// Writes a configuration to a JSON or TOML file, atomically.
    #[staticmethod]
    fn save_to_file(config: Bound<'_, PyAny>, config_path: PathBuf) -> PyResult<()> {
        configs().save_to_file(&required(&config)?, &config_path).py()
    }

    /// True when valid, `ValueError` naming the rule when not. Either of the original's
    /// orders: `(config, vm_type)` with `basic`/`xcpng`, or `(vm_type, config)` where
    /// `vm_type` is the organism and the configuration must name it; by position or by
    /// the keywords `config` and `vm_type`.
    #[staticmethod]
    #[pyo3(signature = (*args, config = None, vm_type = None))]
    fn validate_config(
        args: &Bound<'_, PyTuple>,
        config: Option<Bound<'_, PyAny>>,
        vm_type: Option<Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let given: Vec<Bound<'_, PyAny>> = args.iter().chain(config).chain(vm_type).collect();
        let [first, second] = given.as_slice() else {
            return Err(value_error(format!(
                "validate_config takes a configuration and a type, not {} values",
                given.len()
            )));
        };
        let (name, config) = match (first.cast::<PyString>(), second.cast::<PyString>()) {
            (Ok(name), Err(_)) => (name.to_string(), second),
            (Err(_), Ok(name)) => (name.to_string(), first),
            _ => {
                return Err(value_error(format!(
                    "validate_config takes a configuration dict and a type name, not {} and {}",
                    type_name(first),
                    type_name(second)
                )));
            }
        };
        let config = required(config)?;
        let c = configs();
        match name.as_str() {
            "basic" | "xcpng" => c.validate_config(&config, &name),
            organism => c.validate_organism_config(organism, &config),
        }
        .py()
        .map(|()| true)
    }

    /// `override_config` merged into `base_config`, deeply (nested dicts key by key).
    #[staticmethod]
    fn merge_configs<'py>(
        py: Python<'py>,
        base_config: Bound<'py, PyAny>,
        override_config: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let base = required(&base_config)?;
        if !override_config.is_instance_of::<PyDict>() {
            return Err(value_error(format!("override_config must be a dict, not {}", type_name(&override_config))));
        }
        let over = convert::to_json(&override_config)?;
        convert::to_py(py, &configs().merge_configs(&base, &over).py()?)
    }

    /// Writes an organism's defaults to a file to edit, marked `_template`.
    #[staticmethod]
    fn create_config_template(vm_type: &str, output_path: PathBuf) -> PyResult<()> {
        configs().create_config_template(vm_type, &output_path).py()
    }

    /// The organisms with defaults: `['syn3a', 'ecoli', 'minimal_cell']`.
    #[staticmethod]
    fn get_supported_vm_types() -> Vec<&'static str> {
        bioxen::api::get_supported_biological_types()
    }
}
