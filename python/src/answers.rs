//! The original's answers: an allocation's True or False, a usage as the dict its code
//! reads (ribosomes in the unit asked for).

use crate::convert::Units;
use crate::errors::to_py;
use bioxen::api::{ApiError, ResourceUsage};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// An allocation's answer: True when made, False when over a limit or over what is free
/// (the original's answer), an exception for anything else. Values that are not amounts
/// at all (NaN, negative) are refused with an exception before they get here.
pub fn granted(result: Result<(), ApiError>) -> PyResult<bool> {
    match result {
        Ok(()) => Ok(true),
        Err(ApiError::Resources { .. }) => Ok(false),
        Err(e) => Err(to_py(e)),
    }
}

/// An ATP percentage, refused with an exception if it is not one (NaN, negative).
pub fn percentage_of(p: f64) -> PyResult<f64> {
    if p.is_finite() && p >= 0.0 {
        return Ok(p);
    }
    Err(crate::errors::value_error(format!("an ATP allocation is a percentage ≥ 0, not {p}")))
}

/// A usage as a dict, ribosomes in `units`.
pub fn usage_dict<'py>(
    py: Python<'py>,
    u: &ResourceUsage,
    units: Units,
    chassis: &bioxen::engine::chassis::Chassis,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("atp_percent", u.atp_percent)?;
    d.set_item("ribosomes", units.ribosomes(py, u.ribosomes, chassis)?)?;
    d.set_item("memory_kb", u.memory_kb)?;
    d.set_item("atp_cap_percent", u.atp_cap_percent)?;
    let cap = u.ribosome_cap.map(|c| units.ribosomes(py, c, chassis)).transpose()?;
    d.set_item("ribosome_cap", cap)?;
    d.set_item("genome_kb", u.genome_kb)?;
    d.set_item("atp_demanded", u.atp_demanded)?;
    d.set_item("ribosomes_demanded", units.ribosomes(py, u.ribosomes_demanded, chassis)?)?;
    d.set_item("atp_granted", u.atp_granted)?;
    d.set_item("ribosomes_granted", units.ribosomes(py, u.ribosomes_granted, chassis)?)?;
    Ok(d)
}
