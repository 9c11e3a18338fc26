//! The compiled programs of a run's VMs: one per (genome, organism, packages installed),
//! shared by every VM that has them.

use crate::program::Program;
use crate::scenario::{GenomeSource, Scenario, VmSpec};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Each VM's program, compiled once per (genome, organism, packages installed) and shared.
#[derive(Default)]
pub struct Programs {
    cache: BTreeMap<(GenomeSource, crate::biology::Organism, Vec<u32>), Arc<Program>>,
}

impl Programs {
    /// The program of `vm` of `scenario` with `installed` packages (indices the scenario
    /// has, each once).
    pub fn of(&mut self, scenario: &Scenario, vm: &VmSpec, installed: &[u32]) -> Arc<Program> {
        let key = (vm.genome, vm.organism, installed.to_vec());
        let program = self.cache.entry(key).or_insert_with(|| {
            let packages: Vec<_> = installed.iter().map(|&p| &scenario.packages[p as usize]).collect();
            let genome = scenario.genome_of(vm);
            Arc::new(Program::compile_with(&genome, vm.organism, vm.genome, scenario.tick_seconds, &packages))
        });
        Arc::clone(program)
    }
}
