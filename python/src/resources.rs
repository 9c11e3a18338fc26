//! `BioResourceManager`: a VM's reservations, in the original's units unless told
//! otherwise, answering True or False as the original did.

use crate::answers::{granted, percentage_of, usage_dict};
use crate::convert::Units;
use crate::vm::PyBiologicalVm;
use bioxen::api::BioResourceManager;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The resource manager of a VM: its reservations of ATP (percent of the guests' pool),
/// ribosomes (the original's units, or the model's with `units="model"`) and DNA space
/// (kb), within its organism's limits and what the host has free.
#[pyclass(frozen, module = "bioxen_jcvi_vm_lib", name = "BioResourceManager")]
pub struct PyResources {
    inner: BioResourceManager,
}

#[pymethods]
impl PyResources {
    #[new]
    fn new(vm: PyRef<'_, PyBiologicalVm>) -> PyResources {
        PyResources { inner: BioResourceManager::new(&vm.vm) }
    }

    /// Reserves `percentage` of the guests' ATP each tick. True when made, False when over
    /// the organism's limit or what is free.
    fn allocate_atp(&self, percentage: f64) -> PyResult<bool> {
        granted(self.inner.allocate_atp(percentage_of(percentage)?))
    }

    /// Reserves `count` ribosomes each tick: the original's units (a float; 20 of them are
    /// a quarter of the chassis' pool), or ribosomes per tick with `units="model"`. True
    /// when made, False when over the limit or what is free.
    #[pyo3(signature = (count, units = "original"))]
    fn allocate_ribosomes(&self, count: Bound<'_, PyAny>, units: &str) -> PyResult<bool> {
        let count = Units::parse(units)?.take(&count)?;
        granted(self.inner.allocate_ribosomes(count))
    }

    /// Reserves `kb` of DNA space beyond the genome. True when made.
    fn allocate_memory(&self, kb: u64) -> PyResult<bool> {
        granted(self.inner.allocate_memory(kb))
    }

    /// The VM's reservations, caps and last grant.
    #[pyo3(signature = (units = "original"))]
    fn get_resource_usage<'py>(&self, py: Python<'py>, units: &str) -> PyResult<Bound<'py, PyDict>> {
        usage_dict(py, &self.inner.get_resource_usage(), Units::parse(units)?, &self.inner.chassis())
    }

    /// What is left to reserve on the host: `atp_percent`, `ribosomes`, `memory_kb`.
    #[pyo3(signature = (units = "original"))]
    fn get_available_resources<'py>(&self, py: Python<'py>, units: &str) -> PyResult<Bound<'py, PyDict>> {
        let a = self.inner.get_available_resources();
        let d = PyDict::new(py);
        d.set_item("atp_percent", a.atp_percent)?;
        d.set_item("ribosomes", Units::parse(units)?.ribosomes(py, a.ribosomes, &self.inner.chassis())?)?;
        d.set_item("memory_kb", a.memory_kb)?;
        Ok(d)
    }

    /// The most this VM may reserve: `max_atp`, `max_ribosomes`, `max_memory_kb`.
    #[pyo3(signature = (units = "original"))]
    fn get_resource_limits<'py>(&self, py: Python<'py>, units: &str) -> PyResult<Bound<'py, PyDict>> {
        let l = self.inner.get_resource_limits();
        let d = PyDict::new(py);
        d.set_item("max_atp", l.atp_percent)?;
        d.set_item("max_ribosomes", Units::parse(units)?.ribosomes(py, l.ribosomes, &self.inner.chassis())?)?;
        d.set_item("max_memory_kb", l.memory_kb)?;
        Ok(d)
    }

    /// Reserves the original's targets for the VM's organism (syn3a 60 % ATP and 10
    /// ribosomes, ecoli 80 % and 25, minimal_cell 50 % and 8). True when both were made.
    fn optimize_resources_for_biological_type(&self) -> PyResult<bool> {
        granted(self.inner.optimize_resources_for_biological_type().map(|_| ()))
    }
}

impl PyResources {
    /// The resource manager of `inner`'s VM.
    pub fn of(inner: BioResourceManager) -> PyResources {
        PyResources { inner }
    }
}
