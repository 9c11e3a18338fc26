//! Python values to the library's and back: configurations (dicts, bounded in depth and
//! size, so a self-referencing dict is an error, never a crash), durations, units, and any
//! `Serialize` result as the dicts and lists Python code reads.

use crate::errors::value_error;
use bioxen::api::Ribosomes;
use bioxen::engine::chassis::Chassis;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDelta, PyDeltaAccess, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::Serialize;
use std::time::Duration;

/// The deepest a configuration may nest (the original's are three deep).
const DEPTH_MAX: usize = 16;
/// The most values a configuration may hold.
const VALUES_MAX: usize = 10_000;

/// A Python configuration (a dict of dicts, lists, strings, numbers, bools, None and
/// paths) as JSON, refusing what JSON cannot say (NaN, a non-string key), deeper than
/// [`DEPTH_MAX`] or larger than [`VALUES_MAX`].
pub fn to_json(value: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    let mut budget = VALUES_MAX;
    walk(value, 0, &mut budget, "config")
}

fn walk(v: &Bound<'_, PyAny>, depth: usize, budget: &mut usize, at: &str) -> PyResult<serde_json::Value> {
    use serde_json::Value;
    if depth > DEPTH_MAX {
        return Err(value_error(format!("{at}: nested more than {DEPTH_MAX} deep")));
    }
    *budget = budget.checked_sub(1).ok_or_else(|| value_error(format!("{at}: more than {VALUES_MAX} values")))?;
    if v.is_none() {
        return Ok(Value::Null);
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(Value::from(i));
        }
        let u: u64 = v.extract().map_err(|_| value_error(format!("{at}: {v} is too large")))?;
        return Ok(Value::from(u));
    }
    if v.is_instance_of::<PyFloat>() {
        let x: f64 = v.extract()?;
        return serde_json::Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| value_error(format!("{at}: {x} is not a number a configuration can hold")));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(Value::String(v.extract()?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut out = serde_json::Map::new();
        for (k, item) in d.iter() {
            let key: String =
                k.extract().map_err(|_| value_error(format!("{at}: a key must be a string, not {}", type_name(&k))))?;
            let value = walk(&item, depth + 1, budget, &format!("{at}.{key}"))?;
            out.insert(key, value);
        }
        return Ok(Value::Object(out));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items: Vec<Bound<'_, PyAny>> = v.try_iter()?.collect::<PyResult<_>>()?;
        let values = items.iter().map(|item| walk(item, depth + 1, budget, at)).collect::<PyResult<_>>()?;
        return Ok(Value::Array(values));
    }
    // A path (pathlib.Path, anything with __fspath__).
    if v.hasattr("__fspath__")? {
        return Ok(Value::String(v.call_method0("__fspath__")?.extract()?));
    }
    Err(value_error(format!("{at}: a configuration cannot hold a {}", type_name(v))))
}

/// The name of `v`'s type, for errors.
pub fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type().name().map_or_else(|_| "value".into(), |n| n.to_string())
}

/// A configuration dict (or None) as the library's.
pub fn config(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<bioxen::api::VmConfig>> {
    let Some(value) = value.filter(|v| !v.is_none()) else { return Ok(None) };
    if !value.is_instance_of::<PyDict>() {
        return Err(value_error(format!("config must be a dict, not {}", type_name(value))));
    }
    let json = to_json(value)?;
    bioxen::api::from_json_value(json).map(Some).map_err(crate::errors::to_py)
}

/// Any `Serialize` value as Python dicts, lists and numbers.
pub fn to_py<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(|e| crate::errors::SimulationError::new_err(e.to_string()))
}

/// Seconds (an int or float) or a `datetime.timedelta`, as a duration.
pub fn duration(value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let seconds: f64 = if let Ok(delta) = value.cast::<PyDelta>() {
        f64::from(delta.get_days()) * 86_400.0
            + f64::from(delta.get_seconds())
            + f64::from(delta.get_microseconds()) * 1e-6
    } else if value.is_instance_of::<PyBool>() {
        return Err(value_error("a duration is seconds or a timedelta, not a bool"));
    } else {
        value
            .extract()
            .map_err(|_| value_error(format!("a duration is seconds or a timedelta, not {}", type_name(value))))?
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| value_error(format!("a duration of {seconds} s cannot be run")))
}

/// The unit a call speaks ribosomes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Units {
    /// The original library's (shares of its 80-ribosome pool), as floats.
    Original,
    /// The model's: ribosomes per tick, as ints.
    Model,
}

impl Units {
    /// `"original"` or `"model"`.
    pub fn parse(name: &str) -> PyResult<Units> {
        match name {
            "original" => Ok(Units::Original),
            "model" => Ok(Units::Model),
            other => Err(value_error(format!("units is \"original\" or \"model\", not {other:?}"))),
        }
    }

    /// `per_tick` ribosomes in this unit on `chassis`.
    pub fn ribosomes<'py>(self, py: Python<'py>, per_tick: u64, chassis: &Chassis) -> PyResult<Bound<'py, PyAny>> {
        Ok(match self {
            Units::Original => PyFloat::new(py, Ribosomes::PerTick(per_tick).original(chassis)).into_any(),
            Units::Model => per_tick.into_pyobject(py)?.into_any(),
        })
    }

    /// A Python number of ribosomes in this unit.
    pub fn take(self, count: &Bound<'_, PyAny>) -> PyResult<Ribosomes> {
        if count.is_instance_of::<PyBool>() {
            return Err(value_error("a number of ribosomes is a number, not a bool"));
        }
        let r =
            match self {
                Units::Original => Ribosomes::Original(count.extract().map_err(|_| {
                    value_error(format!("a number of ribosomes is a number, not {}", type_name(count)))
                })?),
                Units::Model => Ribosomes::PerTick(
                    count
                        .extract()
                        .map_err(|_| value_error(format!("ribosomes per tick are a whole number ≥ 0, not {count}")))?,
                ),
            };
        r.check().map_err(value_error)
    }
}
