//! The library's errors as Python exceptions, each a subclass of the built-in one the
//! original raised for it (`ValueError`, `FileNotFoundError`, `NotImplementedError`,
//! `RuntimeError`), so `except ValueError:` in its users' code still catches them.

use bioxen::api::ApiError;
use pyo3::create_exception;
use pyo3::exceptions::{PyFileNotFoundError, PyNotImplementedError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

create_exception!(bioxen_jcvi_vm_lib, ConfigError, PyValueError, "A type, configuration or value that cannot be used.");
create_exception!(bioxen_jcvi_vm_lib, VMNotFoundError, PyValueError, "No VM with this id (`VM x not found`).");
create_exception!(bioxen_jcvi_vm_lib, WrongOrganismError, PyValueError, "A call for another organism.");
create_exception!(
    bioxen_jcvi_vm_lib,
    ResourceError,
    PyValueError,
    "A resource request over a limit or over what is free."
);
create_exception!(bioxen_jcvi_vm_lib, GenomeError, PyValueError, "A gene, operon or package the VM does not have.");
create_exception!(
    bioxen_jcvi_vm_lib,
    ConfigFileNotFoundError,
    PyFileNotFoundError,
    "A configuration file that does not exist (`Configuration file not found: p`)."
);
create_exception!(bioxen_jcvi_vm_lib, NotAvailableError, PyNotImplementedError, "A feature this build does not have.");
create_exception!(bioxen_jcvi_vm_lib, SimulationError, PyRuntimeError, "The simulation, its runtime or a file failed.");
create_exception!(bioxen_jcvi_vm_lib, ProcessError, PyRuntimeError, "A process script failed.");
create_exception!(bioxen_jcvi_vm_lib, RemoteError, PyRuntimeError, "A remote host or XCP-ng pool failed.");

/// The Python exception for `e`, with its message.
pub fn to_py(e: ApiError) -> PyErr {
    let message = e.to_string();
    match e {
        ApiError::UnsupportedBiologicalType(_)
        | ApiError::UnsupportedVmType(_)
        | ApiError::XcpngConfigMissing
        | ApiError::Limit(_)
        | ApiError::Config { .. }
        | ApiError::Vm(_) => ConfigError::new_err(message),
        ApiError::VmNotFound(_) => VMNotFoundError::new_err(message),
        ApiError::WrongOrganism { .. } => WrongOrganismError::new_err(message),
        ApiError::Resources { .. } => ResourceError::new_err(message),
        ApiError::Genome(_) | ApiError::Package(_) => GenomeError::new_err(message),
        ApiError::FileNotFound(_) => ConfigFileNotFoundError::new_err(message),
        ApiError::NotAvailable(_) => NotAvailableError::new_err(message),
        ApiError::Script(_) => ProcessError::new_err(message),
        ApiError::Remote(_) | ApiError::Xcpng(_) => RemoteError::new_err(message),
        ApiError::Sim(_) | ApiError::Actors(_) | ApiError::Files(_) => SimulationError::new_err(message),
    }
}

/// A library error (`bioxen::Error`: files, scenarios, runs) as a Python exception.
pub fn from_library(e: bioxen::Error) -> PyErr {
    let message = e.to_string();
    match e {
        // Bad input: a scenario, a trace or a checkpoint that cannot be used.
        bioxen::Error::Scenario(_) | bioxen::Error::Format(_) | bioxen::Error::Checkpoint(_) => {
            ConfigError::new_err(message)
        }
        bioxen::Error::Script(_) => ProcessError::new_err(message),
        bioxen::Error::Io { ref source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            ConfigFileNotFoundError::new_err(message)
        }
        _ => SimulationError::new_err(message),
    }
}

/// A `ValueError`-kind [`ConfigError`] with `message`.
pub fn value_error(message: impl Into<String>) -> PyErr {
    ConfigError::new_err(message.into())
}

/// `Result<T, ApiError>` to `PyResult<T>`.
pub trait IntoPy<T> {
    /// The result with a Python exception.
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, ApiError> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// Adds every exception to module `m`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("VMNotFoundError", py.get_type::<VMNotFoundError>())?;
    m.add("WrongOrganismError", py.get_type::<WrongOrganismError>())?;
    m.add("ResourceError", py.get_type::<ResourceError>())?;
    m.add("GenomeError", py.get_type::<GenomeError>())?;
    m.add("ConfigFileNotFoundError", py.get_type::<ConfigFileNotFoundError>())?;
    m.add("NotAvailableError", py.get_type::<NotAvailableError>())?;
    m.add("SimulationError", py.get_type::<SimulationError>())?;
    m.add("ProcessError", py.get_type::<ProcessError>())?;
    m.add("RemoteError", py.get_type::<RemoteError>())?;
    Ok(())
}
