//! `bioxen_jcvi_vm_lib`: the original BioXen_jcvi_vm_lib's Python API over the bioxen
//! library, so its users' code runs unchanged, deterministically and fast. It calls the
//! library and re-implements nothing of the model: this crate only turns Python values
//! into the library's types and the library's answers into the original's bools, dicts and
//! lists (and its exceptions into subclasses of the built-in ones the original raised).

mod answers;
mod config;
mod convert;
mod errors;
mod experiments;
mod manager;
mod resources;
mod run;
mod vm;

use errors::IntoPy;
use pyo3::prelude::*;

/// Makes a VM on a host of its own: the original's `create_bio_vm` (alias `create_vm`).
/// `ValueError` with the original's messages for an unknown type and for an xcpng VM
/// without `xcpng_config`.
#[pyfunction]
#[pyo3(signature = (vm_id, biological_type, vm_type = "basic", config = None))]
fn create_bio_vm(
    py: Python<'_>,
    vm_id: &str,
    biological_type: &str,
    vm_type: &str,
    config: Option<Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let config = convert::config(config.as_ref())?;
    let vm = bioxen::api::create_bio_vm(vm_id, biological_type, vm_type, config).py()?;
    vm::wrap(py, vm)
}

/// Makes a VM of the organism `config` names (its `vm_type`; syn3a when none), called
/// `<vm_type>_<organism>_vm`: the original's `create_biological_vm`.
#[pyfunction]
#[pyo3(signature = (vm_type = "basic", config = None))]
fn create_biological_vm(py: Python<'_>, vm_type: &str, config: Option<Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let config = convert::config(config.as_ref())?;
    let vm = bioxen::api::create_biological_vm(vm_type, config).py()?;
    vm::wrap(py, vm)
}

/// Makes and starts a basic VM with its organism's defaults, `quick_<type>` unless named:
/// the original's `quick_start_vm(biological_type, vm_id=None)`, also taking its other
/// document's keywords (`vm_type="syn3a"` for the organism).
#[pyfunction]
#[pyo3(signature = (biological_type = None, vm_id = None, vm_type = None))]
fn quick_start_vm(
    py: Python<'_>,
    biological_type: Option<&str>,
    vm_id: Option<&str>,
    vm_type: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let organism = match (biological_type, vm_type) {
        (Some(b), Some(v)) if b != v => {
            return Err(errors::value_error(format!("biological_type {b:?} and vm_type {v:?} disagree")));
        }
        (Some(t), _) | (None, Some(t)) => t,
        (None, None) => "syn3a",
    };
    let vm = bioxen::api::quick_start_vm(organism, vm_id).py()?;
    vm::wrap(py, vm)
}

/// `['syn3a', 'ecoli', 'minimal_cell']`.
#[pyfunction]
fn get_supported_biological_types() -> Vec<&'static str> {
    bioxen::api::get_supported_biological_types()
}

/// `['basic', 'xcpng']`.
#[pyfunction]
fn get_supported_vm_types() -> Vec<&'static str> {
    bioxen::api::get_supported_vm_types()
}

/// Whether `biological_type` is supported.
#[pyfunction]
fn validate_biological_type(biological_type: &Bound<'_, PyAny>) -> bool {
    biological_type.extract::<String>().is_ok_and(|t| bioxen::api::validate_biological_type(&t))
}

/// Whether `vm_type` is supported.
#[pyfunction]
fn validate_vm_type(vm_type: &Bound<'_, PyAny>) -> bool {
    vm_type.extract::<String>().is_ok_and(|t| bioxen::api::validate_vm_type(&t))
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ENGINE_VERSION", bioxen::engine::ENGINE_VERSION)?;
    m.add("ORIGINAL_RIBOSOME_POOL", bioxen::api::ORIGINAL_RIBOSOME_POOL)?;
    m.add_function(wrap_pyfunction!(create_bio_vm, m)?)?;
    m.add_function(wrap_pyfunction!(create_biological_vm, m)?)?;
    m.add_function(wrap_pyfunction!(quick_start_vm, m)?)?;
    m.add_function(wrap_pyfunction!(get_supported_biological_types, m)?)?;
    m.add_function(wrap_pyfunction!(get_supported_vm_types, m)?)?;
    m.add_function(wrap_pyfunction!(validate_biological_type, m)?)?;
    m.add_function(wrap_pyfunction!(validate_vm_type, m)?)?;
    m.add_class::<vm::PyBiologicalVm>()?;
    m.add_class::<vm::PyBasicVm>()?;
    m.add_class::<vm::PyXcpngVm>()?;
    m.add_class::<resources::PyResources>()?;
    m.add_class::<config::PyConfigManager>()?;
    m.add_class::<manager::PyManager>()?;
    errors::register(m)?;
    experiments::register(m)
}
