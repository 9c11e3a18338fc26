//! `BioVMManager` (alias `VMManager`): one host, its VMs and its clock, as a context
//! manager.

use crate::convert::{self, Units};
use crate::errors::{IntoPy, value_error};
use crate::resources::PyResources;
use crate::run;
use crate::vm::wrap;
use bioxen::api::{BioVmManager, HostConfig, Runtime};
use bioxen::engine::chassis::{Chassis, ChassisKind};
use bioxen::engine::lifecycle::Lifecycle;
use bioxen::engine::policy::PolicyKind;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::path::PathBuf;

/// One host (a chassis, a scheduling policy, a seed) and the VMs competing on it. Time
/// moves only through `run_ticks` and `run_for`; a session saves as a scenario that
/// `bioxen run` replays to its digest.
#[pyclass(frozen, module = "bioxen_jcvi_vm_lib", name = "BioVMManager")]
pub struct PyManager {
    inner: BioVmManager,
}

/// A chassis by name (`ecoli`, `yeast`, `orthogonal`), or as a dict of its `kind` and the
/// fields a scenario's `[chassis]` table may set (`ribosomes`, `rnap`, `atp_per_s`,
/// `atp_store_max`, `dna_space_kb`, `max_vms`, `reserve_fraction`,
/// `ribosome_reserve_fraction`); the host checks the values as a scenario's.
fn chassis_of(value: &Bound<'_, PyAny>) -> PyResult<Chassis> {
    let kind = |name: &str| {
        ChassisKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| value_error(format!("unknown chassis {name:?}: ecoli, yeast, orthogonal")))
    };
    if let Ok(name) = value.extract::<String>() {
        return Ok(kind(&name)?.defaults());
    }
    let Ok(table) = value.cast::<PyDict>() else {
        return Err(value_error(format!("chassis is a name or a dict, not {}", convert::type_name(value))));
    };
    let name: String = table.get_item("kind")?.ok_or_else(|| value_error("chassis: `kind` is required"))?.extract()?;
    let mut c = kind(&name)?.defaults();
    for (key, v) in table.iter() {
        let key: String = key.extract()?;
        let at = |e: PyErr| value_error(format!("chassis.{key}: {e}"));
        match key.as_str() {
            "kind" => {}
            "ribosomes" => c.ribosomes = v.extract().map_err(at)?,
            "rnap" => c.rnap = v.extract().map_err(at)?,
            "atp_per_s" => c.atp_per_s = v.extract().map_err(at)?,
            "atp_store_max" => c.atp_store_max = v.extract().map_err(at)?,
            "dna_space_kb" => c.dna_space_kb = v.extract().map_err(at)?,
            "max_vms" => c.max_vms = v.extract().map_err(at)?,
            "reserve_fraction" => c.reserve_fraction = v.extract().map_err(at)?,
            "ribosome_reserve_fraction" => c.ribosome_reserve_fraction = v.extract().map_err(at)?,
            other => return Err(value_error(format!("chassis: unknown field `{other}`"))),
        }
    }
    Ok(c)
}

/// The host a manager's keywords describe.
fn host_config(
    chassis: &Bound<'_, PyAny>,
    policy: &str,
    seed: u64,
    tick_seconds: f64,
    runtime: &str,
    arbiters: Option<usize>,
) -> PyResult<HostConfig> {
    let chassis = chassis_of(chassis)?;
    let names: Vec<&str> = PolicyKind::ALL.iter().map(|p| p.name()).collect();
    let policy = PolicyKind::from_name(policy)
        .ok_or_else(|| value_error(format!("unknown policy {policy:?}: {}", names.join(", "))))?;
    let runtime = match (runtime, arbiters) {
        ("actors", Some(arbiters)) => Runtime::Actors { arbiters },
        ("actors", None) => Runtime::default(),
        ("engine", None) => Runtime::Engine,
        ("engine", Some(_)) => return Err(value_error("arbiters are the actors' threads: the engine has none")),
        (other, _) => return Err(value_error(format!("runtime is \"actors\" or \"engine\", not {other:?}"))),
    };
    Ok(HostConfig { chassis, policy, seed, tick_seconds, runtime, ..HostConfig::default() })
}

/// `create_vm`'s arguments in either of the original's orders: `(biological_type,
/// vm_type, config)`, or its other document's `(vm_type=<organism>, config)` with the
/// configuration where the VM type would be.
fn original_order<'py>(
    biological_type: &str,
    vm_type: Option<Bound<'py, PyAny>>,
    config: Option<Bound<'py, PyAny>>,
) -> PyResult<(String, String, Option<Bound<'py, PyAny>>)> {
    let Some(vm_type) = vm_type.filter(|v| !v.is_none()) else {
        return Ok((biological_type.to_string(), "basic".into(), config));
    };
    if vm_type.is_instance_of::<PyDict>() {
        if config.as_ref().is_some_and(|c| !c.is_none()) {
            return Err(value_error("create_vm was given two configurations"));
        }
        return Ok((biological_type.to_string(), "basic".into(), Some(vm_type)));
    }
    let kind: String = vm_type
        .extract()
        .map_err(|_| value_error(format!("vm_type is basic or xcpng, not {}", convert::type_name(&vm_type))))?;
    if bioxen::api::validate_biological_type(&kind) && !bioxen::api::validate_vm_type(&kind) {
        if biological_type != "syn3a" && biological_type != kind {
            return Err(value_error(format!("biological_type {biological_type:?} and vm_type {kind:?} disagree")));
        }
        return Ok((kind, "basic".into(), config));
    }
    Ok((biological_type.to_string(), kind, config))
}

#[pymethods]
impl PyManager {
    /// A host: the E. coli chassis, fair share, seed 1, one-second ticks, on the actors,
    /// unless told otherwise. `chassis` is a name or a dict (`{"kind": "ecoli",
    /// "dna_space_kb": 10**6, "max_vms": 1000}`). `debug_mode` is the original's keyword:
    /// accepted, no effect.
    #[new]
    #[allow(clippy::too_many_arguments, reason = "the keywords of a Python constructor, each optional")]
    #[pyo3(signature = (debug_mode = false, *, chassis = None, policy = "fair", seed = 1, tick_seconds = 1.0, runtime = "actors", arbiters = None))]
    fn new(
        py: Python<'_>,
        debug_mode: bool,
        chassis: Option<Bound<'_, PyAny>>,
        policy: &str,
        seed: u64,
        tick_seconds: f64,
        runtime: &str,
        arbiters: Option<usize>,
    ) -> PyResult<PyManager> {
        let _ = debug_mode;
        let chassis = chassis.unwrap_or_else(|| PyString::new(py, "ecoli").into_any());
        let config = host_config(&chassis, policy, seed, tick_seconds, runtime, arbiters)?;
        Ok(PyManager { inner: BioVmManager::with_config(config).py()? })
    }

    /// Makes VM `vm_id` (created but not started, from the next tick). `config` is a dict
    /// merged over the organism's defaults; an xcpng VM's must hold `xcpng_config`. The
    /// original's other document called the organism `vm_type` and passed the
    /// configuration third: `create_vm("x", vm_type="syn3a")` and `create_vm("x", "syn3a",
    /// {...})` mean what they meant there (an organism is never a VM type).
    #[pyo3(signature = (vm_id, biological_type = "syn3a", vm_type = None, config = None))]
    fn create_vm(
        &self,
        py: Python<'_>,
        vm_id: &str,
        biological_type: &str,
        vm_type: Option<Bound<'_, PyAny>>,
        config: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let (organism, kind, config) = original_order(biological_type, vm_type, config)?;
        let config = convert::config(config.as_ref())?;
        let vm = self.inner.create_vm(vm_id, &organism, &kind, config).py()?;
        wrap(py, vm)
    }

    /// VM `vm_id`, or None.
    fn get_vm(&self, py: Python<'_>, vm_id: &str) -> PyResult<Option<Py<PyAny>>> {
        self.inner.get_vm(vm_id).map(|vm| wrap(py, vm)).transpose()
    }

    /// `{vm_id: vm_type}` of the VMs not destroyed, in the order they were made.
    fn list_vms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for id in self.inner.list_vms() {
            let Some(vm) = self.inner.get_vm(&id) else { continue };
            if vm.get_status().state != Lifecycle::Destroyed {
                d.set_item(id, vm.get_vm_type())?;
            }
        }
        Ok(d)
    }

    /// Destroys VM `vm_id` at the next tick. True when done, False when there is no such
    /// VM (as the original).
    fn terminate_vm(&self, py: Python<'_>, vm_id: &str) -> PyResult<bool> {
        match self.inner.get_vm(vm_id) {
            None => Ok(false),
            Some(vm) if vm.get_status().state == Lifecycle::Destroyed => Ok(false),
            Some(_) => py.detach(|| self.inner.terminate_vm(vm_id)).py().map(|()| true),
        }
    }

    /// VM `vm_id`'s resource manager, or None.
    fn get_vm_resource_manager(&self, vm_id: &str) -> Option<PyResources> {
        self.inner.get_vm_resource_manager(vm_id).ok().map(PyResources::of)
    }

    /// What is left to reserve on the host.
    #[pyo3(signature = (units = "original"))]
    fn get_available_resources<'py>(&self, py: Python<'py>, units: &str) -> PyResult<Bound<'py, PyDict>> {
        let units = Units::parse(units)?;
        let a = self.inner.get_available_resources();
        let chassis = self.inner.chassis();
        let d = PyDict::new(py);
        d.set_item("atp_percent", a.atp_percent)?;
        d.set_item("ribosomes", units.ribosomes(py, a.ribosomes, &chassis)?)?;
        d.set_item("memory_kb", a.memory_kb)?;
        Ok(d)
    }

    /// Runs every VM for `n` ticks with the GIL released; `callback(tick)` after each if
    /// given (False stops). Ctrl-C raises KeyboardInterrupt at a tick boundary and leaves
    /// the manager usable. Returns the ticks run.
    #[pyo3(signature = (n, callback = None))]
    fn run_ticks(&self, py: Python<'_>, n: u64, callback: Option<Py<PyAny>>) -> PyResult<u64> {
        run::ticks(py, &self.inner, n, callback)
    }

    /// Runs for a simulated duration (seconds or a `timedelta`). Returns the ticks run.
    fn run_for(&self, py: Python<'_>, duration: Bound<'_, PyAny>) -> PyResult<u64> {
        run::duration(py, &self.inner, &duration)
    }

    /// Ticks run.
    fn tick(&self) -> u64 {
        self.inner.tick()
    }

    /// The run's digest so far (hex): what `bioxen run` gives the saved scenario.
    fn digest(&self) -> String {
        self.inner.digest()
    }

    /// `engine_version`, `seed`, `tick` and `digest`.
    fn provenance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.inner.provenance())
    }

    /// The session's run metrics so far (as `bioxen run --json`), without saving or
    /// re-running it, with the engine version.
    fn run_summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let summary = py.detach(|| self.inner.run_summary()).py()?;
        let d = convert::to_py(py, &summary)?;
        d.set_item("engine_version", bioxen::engine::ENGINE_VERSION)?;
        Ok(d)
    }

    /// Writes the session as a scenario file (atomically).
    fn save_scenario(&self, path: PathBuf) -> PyResult<()> {
        self.inner.save_scenario(&path).py()
    }

    /// Records a trace of the session to `path` from now (before the first tick).
    fn record_trace(&self, path: PathBuf) -> PyResult<()> {
        self.inner.record_trace(&path).py()
    }

    /// Finishes the trace being recorded; returns its path.
    fn finish_trace(&self) -> PyResult<PathBuf> {
        self.inner.finish_trace().py()
    }

    /// Runs a process script against VM `vm_id` and waits for it.
    fn execute_vm_sync<'py>(&self, py: Python<'py>, vm_id: &str, code: &str) -> PyResult<Bound<'py, PyDict>> {
        let vm = self.inner.get_vm(vm_id).ok_or(bioxen::api::ApiError::VmNotFound(vm_id.into())).py()?;
        let vm = wrap(py, vm)?;
        let vm = vm.bind(py).cast::<crate::vm::PyBiologicalVm>()?.clone();
        vm.call_method1("execute_biological_process", (code,))?.cast_into::<PyDict>().map_err(Into::into)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Leaves the `with` block: nothing to undo (the session stays readable); the
    /// exception, if any, goes on.
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        false
    }

    fn __repr__(&self) -> String {
        format!("<BioVMManager: {} VMs, tick {}>", self.inner.list_vms().len(), self.inner.tick())
    }
}
