//! `BiologicalVM`, `BasicBiologicalVM` and `XCPngBiologicalVM`: the original's VM classes
//! over `bioxen::api::BiologicalVm`, answering with its bools, dicts and lists.

use crate::answers::usage_dict;
use crate::convert::{self, Units};
use crate::errors::{IntoPy, to_py, value_error};
use crate::run;
use bioxen::api::{ApiError, BiologicalMetrics, BiologicalType, BiologicalVm};
use bioxen::engine::lifecycle::Lifecycle;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A biological VM: one guest genome in a host cell. Made by `create_bio_vm` or a
/// `BioVMManager`; its calls take effect at the next tick, and time moves only through
/// `run_ticks` and `run_for`.
#[pyclass(subclass, frozen, module = "bioxen_jcvi_vm_lib", name = "BiologicalVM")]
pub struct PyBiologicalVm {
    pub vm: BiologicalVm,
}

/// A VM running on this machine's BioXen hypervisor.
#[pyclass(extends = PyBiologicalVm, frozen, module = "bioxen_jcvi_vm_lib", name = "BasicBiologicalVM")]
pub struct PyBasicVm;

/// A VM whose cell runs in an XCP-ng VM made from a template when it starts.
#[pyclass(extends = PyBiologicalVm, frozen, module = "bioxen_jcvi_vm_lib", name = "XCPngBiologicalVM")]
pub struct PyXcpngVm;

/// `vm` as the Python class of its VM type.
pub fn wrap(py: Python<'_>, vm: BiologicalVm) -> PyResult<Py<PyAny>> {
    let xcpng = vm.get_vm_type() == "xcpng";
    let base = PyClassInitializer::from(PyBiologicalVm { vm });
    Ok(match xcpng {
        false => Py::new(py, base.add_subclass(PyBasicVm))?.into_any(),
        true => Py::new(py, base.add_subclass(PyXcpngVm))?.into_any(),
    })
}

/// A lifecycle call's answer: True when made, False when the VM's state refuses it (as the
/// original's hypervisor answered), an exception for anything else.
fn made(result: Result<(), ApiError>) -> PyResult<bool> {
    match result {
        Ok(()) => Ok(true),
        Err(ApiError::Sim(_)) => Ok(false),
        Err(e) => Err(to_py(e)),
    }
}

impl PyBiologicalVm {
    /// The original's refusal of an xcpng VM's remote calls before it has started.
    fn started_if_xcpng(&self) -> PyResult<()> {
        if self.vm.get_vm_type() == "xcpng" && self.vm.get_status().state == Lifecycle::Created {
            return Err(value_error("XCP-ng VM not started or IP not available"));
        }
        Ok(())
    }

    fn provenance_into(&self, py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<()> {
        let p = self.vm.manager().provenance();
        let p = convert::to_py(py, &p)?;
        d.update(p.cast::<pyo3::types::PyMapping>()?)
    }

    fn chassis(&self) -> bioxen::engine::chassis::Chassis {
        bioxen::api::BioResourceManager::new(&self.vm).chassis()
    }
}

#[pymethods]
impl PyBiologicalVm {
    /// The VM's id.
    #[getter]
    fn vm_id(&self) -> String {
        self.vm.id().to_string()
    }

    /// Its organism (`syn3a`, `ecoli`, `minimal_cell`).
    #[getter(biological_type)]
    fn organism(&self) -> &'static str {
        self.vm.get_biological_type()
    }

    /// The configuration it was made with (its organism's defaults merged under what was
    /// given), as a dict.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.vm.get_config())
    }

    /// `basic` or `xcpng`.
    fn get_vm_type(&self) -> &'static str {
        self.vm.get_vm_type()
    }

    /// `syn3a`, `ecoli` or `minimal_cell`.
    fn get_biological_type(&self) -> &'static str {
        self.vm.get_biological_type()
    }

    /// Starts it at the next tick (an xcpng VM's XCP-ng VM is made first; the GIL is
    /// released meanwhile). True when made, False when its state refuses it.
    fn start(&self, py: Python<'_>) -> PyResult<bool> {
        made(py.detach(|| self.vm.start()))
    }

    /// Pauses it at the next tick.
    fn pause(&self) -> PyResult<bool> {
        made(self.vm.pause())
    }

    /// Resumes it at the next tick.
    fn resume(&self) -> PyResult<bool> {
        made(self.vm.resume())
    }

    /// Stops it at the next tick.
    fn stop(&self) -> PyResult<bool> {
        made(self.vm.stop())
    }

    /// Destroys it at the next tick (an xcpng VM's XCP-ng VM is torn down).
    fn destroy(&self, py: Python<'_>) -> PyResult<bool> {
        made(py.detach(|| self.vm.destroy()))
    }

    /// Its status: `state`, `tick`, `atp_percent`, `allocated_ribosomes` (granted last tick,
    /// in `units`), `essential_genes`, `plasmid_count`, `growth_phase`, `operon_status`,
    /// `function_status`, and the engine version, seed and digest.
    #[pyo3(signature = (units = "original"))]
    fn get_status<'py>(&self, py: Python<'py>, units: &str) -> PyResult<Bound<'py, PyDict>> {
        let units = Units::parse(units)?;
        let d = PyDict::new(py);
        let status = self.vm.get_status();
        d.set_item("vm_id", &status.id)?;
        d.set_item("biological_type", self.vm.get_biological_type())?;
        d.set_item("vm_type", self.vm.get_vm_type())?;
        d.set_item("state", status.state.name())?;
        d.set_item("atp_percent", self.vm.get_atp_level())?;
        d.set_item("allocated_ribosomes", units.ribosomes(py, self.vm.get_ribosome_allocation(), &self.chassis())?)?;
        d.set_item("essential_genes", self.vm.get_essential_genes().unwrap_or_default())?;
        d.set_item("plasmid_count", self.vm.get_plasmid_count().unwrap_or(0))?;
        d.set_item("growth_phase", self.vm.get_growth_phase().0.name())?;
        d.set_item("operon_status", operon_status(py, &self.vm)?)?;
        d.set_item("function_status", function_status(py, &self.vm)?)?;
        d.set_item("installed_packages", self.vm.get_installed_packages())?;
        self.provenance_into(py, &d)?;
        Ok(d)
    }

    /// Runs a process script (see the README's scripts) at the tick boundary: a dict of its
    /// `value`, `log`, `changes` (each `tick` and `action`), `ticks_run`, `tick`, and the
    /// engine version, seed and digest after it.
    fn execute_biological_process<'py>(&self, py: Python<'py>, process_code: &str) -> PyResult<Bound<'py, PyDict>> {
        self.started_if_xcpng()?;
        let outcome = py.detach(|| self.vm.execute_biological_process(process_code)).py()?;
        let d = PyDict::new(py);
        d.set_item("value", convert::to_py(py, &outcome.value)?)?;
        d.set_item("log", outcome.log)?;
        d.set_item("changes", convert::to_py(py, &outcome.changes)?)?;
        d.set_item("ticks_run", outcome.ticks_run)?;
        d.set_item("tick", outcome.tick)?;
        self.provenance_into(py, &d)?;
        Ok(d)
    }

    /// Installs a package (`gfp`, `lac`, `toggle`, `repressilator`, or one of the host's
    /// packages directory) at the next tick: a dict of `package`, `installed` (True) and
    /// `installed_packages`.
    fn install_biological_package<'py>(&self, py: Python<'py>, package_name: &str) -> PyResult<Bound<'py, PyDict>> {
        self.started_if_xcpng()?;
        self.vm.install_biological_package(package_name).py()?;
        let d = PyDict::new(py);
        d.set_item("package", package_name)?;
        d.set_item("installed", true)?;
        d.set_item("installed_packages", self.vm.get_installed_packages())?;
        Ok(d)
    }

    /// The packages installed from the next tick.
    fn get_installed_packages(&self) -> Vec<String> {
        self.vm.get_installed_packages()
    }

    /// The organism's measures, with the original's keys: syn3a `atp_level`,
    /// `essential_genes` (names), `ribosome_allocation`; ecoli `plasmid_count`,
    /// `growth_phase`, `operon_status`; minimal_cell `minimal_functions`,
    /// `function_status`; and the engine version, seed and digest.
    #[pyo3(signature = (units = "original"))]
    fn get_biological_metrics<'py>(&self, py: Python<'py>, units: &str) -> PyResult<Bound<'py, PyDict>> {
        let units = Units::parse(units)?;
        self.started_if_xcpng()?;
        let d = PyDict::new(py);
        match self.vm.get_biological_metrics().py()? {
            BiologicalMetrics::Syn3a { atp_level, essential_genes_expressed, ribosome_allocation, .. } => {
                d.set_item("atp_level", atp_level)?;
                d.set_item("essential_genes", self.vm.get_essential_genes().py()?)?;
                d.set_item("essential_genes_expressed", essential_genes_expressed)?;
                d.set_item("ribosome_allocation", units.ribosomes(py, ribosome_allocation, &self.chassis())?)?;
            }
            BiologicalMetrics::Ecoli { plasmid_count, growth_phase, .. } => {
                d.set_item("plasmid_count", plasmid_count)?;
                d.set_item("growth_phase", growth_phase.name())?;
                d.set_item("operon_status", operon_status(py, &self.vm)?)?;
            }
            BiologicalMetrics::MinimalCell { functions } => {
                d.set_item("minimal_functions", functions.iter().map(|f| f.name).collect::<Vec<_>>())?;
                d.set_item("function_status", function_status(py, &self.vm)?)?;
            }
        }
        self.provenance_into(py, &d)?;
        Ok(d)
    }

    /// Switches transcription of genes on from the next tick (a gene in an operon
    /// switches the operon). True when made.
    fn start_transcription(&self, gene_ids: Vec<String>) -> PyResult<bool> {
        let genes: Vec<&str> = gene_ids.iter().map(String::as_str).collect();
        self.vm.start_transcription(&genes).py().map(|_| true)
    }

    /// Switches transcription of genes off from the next tick. True when made.
    fn stop_transcription(&self, gene_ids: Vec<String>) -> PyResult<bool> {
        let genes: Vec<&str> = gene_ids.iter().map(String::as_str).collect();
        self.vm.stop_transcription(&genes).py().map(|_| true)
    }

    /// The essential genes' names (syn3a and minimal_cell; `[]` for ecoli, as the
    /// original).
    fn get_essential_genes(&self) -> Vec<String> {
        self.vm.get_essential_genes().unwrap_or_default()
    }

    /// Activates (`activate`) or represses (`repress`) operons (ecoli; `ValueError:
    /// Operons not supported for X` on another organism). True when made.
    fn manage_operons(&self, operon_ids: Vec<String>, action: &str) -> PyResult<bool> {
        if self.vm.biological_type() != BiologicalType::Ecoli {
            return Err(crate::errors::WrongOrganismError::new_err(format!(
                "Operons not supported for {}",
                self.vm.get_biological_type()
            )));
        }
        let operons: Vec<&str> = operon_ids.iter().map(String::as_str).collect();
        self.vm.manage_operons(&operons, action).py().map(|_| true)
    }

    /// Plasmids carried from the next tick (ecoli; 0 for another organism, as the
    /// original).
    fn get_plasmid_count(&self) -> usize {
        self.vm.get_plasmid_count().unwrap_or(0)
    }

    /// Reserves any of ATP (percent), ribosomes (in `units`) and DNA space (kb), all or
    /// none: as the original's `allocate_resources({"atp": 50.0, "ribosomes": 10,
    /// "memory_kb": 100})` (`atp_percent` and `memory` also read), or as keywords. True
    /// when made, False when over a limit or over what is free.
    #[pyo3(signature = (resources = None, *, atp_percent = None, ribosomes = None, memory_kb = None, units = "original"))]
    fn allocate_resources(
        &self,
        resources: Option<Bound<'_, PyDict>>,
        atp_percent: Option<f64>,
        ribosomes: Option<Bound<'_, PyAny>>,
        memory_kb: Option<u64>,
        units: &str,
    ) -> PyResult<bool> {
        let (mut atp_percent, mut ribosomes, mut memory_kb) = (atp_percent, ribosomes, memory_kb);
        for (key, value) in resources.iter().flat_map(|d| d.iter()) {
            match key.extract::<String>().unwrap_or_default().as_str() {
                "atp" | "atp_percent" => atp_percent = Some(value.extract()?),
                "ribosomes" => ribosomes = Some(value),
                "memory" | "memory_kb" => memory_kb = Some(value.extract()?),
                _ => {
                    return Err(value_error(format!(
                        "allocate_resources takes atp (percent), ribosomes and memory_kb, not {key}"
                    )));
                }
            }
        }
        let ribosomes = ribosomes.map(|r| Units::parse(units)?.take(&r)).transpose()?;
        let atp_percent = atp_percent.map(crate::answers::percentage_of).transpose()?;
        crate::answers::granted(self.vm.allocate_resources(atp_percent, ribosomes, memory_kb))
    }

    /// Its reservations, caps and last grant (ribosomes in `units`).
    #[pyo3(signature = (units = "original"))]
    fn get_resource_usage<'py>(&self, py: Python<'py>, units: &str) -> PyResult<Bound<'py, PyDict>> {
        usage_dict(py, &self.vm.get_resource_usage(), Units::parse(units)?, &self.chassis())
    }

    /// ATP granted as a percentage of ATP asked in its last tick.
    fn get_atp_level(&self) -> f64 {
        self.vm.get_atp_level()
    }

    /// Protein molecules of a gene (`lacZ`, or a package's `gfp`) in the cell now.
    fn get_protein_count(&self, gene: &str) -> PyResult<u32> {
        self.vm.get_protein_count(gene).py()
    }

    /// Adds an inducer (`IPTG`, `aTc`) at `micromolar` µM from the next tick.
    fn add_inducer(&self, inducer: &str, micromolar: f64) -> PyResult<bool> {
        self.vm.add_inducer(inducer, micromolar).py().map(|()| true)
    }

    /// Removes an inducer from the next tick.
    fn remove_inducer(&self, inducer: &str) -> PyResult<bool> {
        self.vm.remove_inducer(inducer).py().map(|()| true)
    }

    /// `(phase, growth rate per hour)`: `lag`, `exponential` or `stationary`.
    fn get_growth_phase(&self) -> (&'static str, f64) {
        let (phase, rate) = self.vm.get_growth_phase();
        (phase.name(), rate)
    }

    /// Runs its host (every VM on it) for `n` ticks with the GIL released; `callback(tick)`
    /// after each, if given (a False answer stops the run there). Ctrl-C raises
    /// KeyboardInterrupt at a tick boundary. Returns the ticks run.
    #[pyo3(signature = (n, callback = None))]
    fn run_ticks(&self, py: Python<'_>, n: u64, callback: Option<Py<PyAny>>) -> PyResult<u64> {
        run::ticks(py, &self.vm.manager(), n, callback)
    }

    /// Runs its host for a simulated duration (seconds or a `timedelta`; whole ticks,
    /// rounded up). Returns the ticks run.
    fn run_for(&self, py: Python<'_>, duration: Bound<'_, PyAny>) -> PyResult<u64> {
        run::duration(py, &self.vm.manager(), &duration)
    }

    fn __repr__(&self) -> String {
        format!("<{} {} ({})>", self.vm.get_vm_type(), self.vm.id(), self.vm.get_biological_type())
    }
}

/// `{operon: active}` for an ecoli VM, `{}` otherwise.
fn operon_status<'py>(py: Python<'py>, vm: &BiologicalVm) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for o in vm.get_operon_status().unwrap_or_default() {
        d.set_item(o.name, o.active)?;
    }
    Ok(d)
}

/// `{function: active | impaired | inactive}` for a minimal_cell VM, `{}` otherwise.
fn function_status<'py>(py: Python<'py>, vm: &BiologicalVm) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for f in vm.get_minimal_functions().unwrap_or_default() {
        d.set_item(f.name, f.status)?;
    }
    Ok(d)
}
