//! The engine-facing mirror of a VM: what the engine will run for it from the next tick —
//! lifecycle, allocation, repressed units, program and genome, packages, inducers, recent
//! growth — and how its genes are named. It knows nothing of the original library's
//! configuration: the API's entry wraps it (`api::host::VmEntry`), and the runner hands a
//! timeline script one made from the cell ([`VmMirror::of_cell`]).

use bioxen_engine::cell::Cell;
use bioxen_engine::genome::Genome;
use bioxen_engine::lifecycle::Lifecycle;
use bioxen_engine::package::Inducer;
use bioxen_engine::program::Program;
use bioxen_engine::record::VmRecord;
use bioxen_engine::scenario::{Allocation, Scenario};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// A VM as the engine will run it from the next tick.
pub(crate) struct VmMirror {
    pub id: String,
    /// Lifecycle, allocation and repressed units as they will be from the next tick.
    pub lifecycle: Lifecycle,
    pub allocation: Allocation,
    pub units_off: BTreeSet<u32>,
    /// Its program from the next tick (its genome's, with what it installs).
    pub program: Arc<Program>,
    pub genome: Arc<Genome>,
    /// Packages installed from the next tick (indices into the scenario's packages), and
    /// inducers in its medium (µM).
    pub installed: Vec<u32>,
    pub inducers: BTreeMap<Inducer, f64>,
    /// The genes its packages add after the genome's, as (package, gene) names.
    pub package_genes: Vec<(String, String)>,
    /// The last record of the VM, and its recent growth (for the growth phase).
    pub last: Option<VmRecord>,
    pub growth: VecDeque<(u64, f64)>,
}

impl VmMirror {
    /// A VM as created: before its first tick, its program's units as at birth.
    pub fn new(id: &str, allocation: Allocation, program: Arc<Program>, genome: Arc<Genome>) -> VmMirror {
        VmMirror {
            id: id.to_string(),
            lifecycle: Lifecycle::Created,
            allocation,
            units_off: program.units_off_at_birth.iter().copied().collect(),
            program,
            genome,
            installed: Vec::new(),
            inducers: BTreeMap::new(),
            package_genes: Vec::new(),
            last: None,
            growth: VecDeque::new(),
        }
    }

    /// VM `vm` of `scenario` as its cell `cell` is at a tick boundary: what a timeline
    /// script reads (its allocation is its spec's: a script does not read it).
    pub fn of_cell(scenario: &Scenario, vm: usize, cell: &Cell) -> VmMirror {
        let spec = &scenario.vms[vm];
        let genome = Arc::new(scenario.genome_of(spec).into_owned());
        let mut program = Program::compile(&genome, spec.organism, spec.genome, scenario.tick_seconds);
        let (mut installed, mut package_genes) = (Vec::new(), Vec::new());
        for &p in cell.installed() {
            let Some(package) = scenario.packages.get(p as usize) else { continue };
            program.install(package);
            installed.push(p);
            package_genes.extend(package.genes.iter().map(|g| (package.name.clone(), g.name.clone())));
        }
        let mut mirror = VmMirror::new(&spec.id, spec.allocation, Arc::new(program), genome);
        (mirror.lifecycle, mirror.installed, mirror.package_genes) = (cell.lifecycle, installed, package_genes);
        mirror
    }

    /// The gene called `name` in the VM's program, or why there is none: a gene of its
    /// genome (by name or id), or of a package it installs. `package/gene` names a
    /// package's gene and `/gene` the genome's; a bare name must name one gene only, so
    /// that `lacZ` in a cell with the genome's lacZ and the lac plasmid's is an error
    /// naming both, never a silent pick.
    pub fn gene(&self, name: &str) -> Result<usize, String> {
        let base = self.genome.genes.len();
        let in_packages = |package: Option<&str>, gene: &str| -> Vec<usize> {
            let named = |(p, g): &(String, String)| package.is_none_or(|n| n == p) && g == gene;
            self.package_genes.iter().enumerate().filter(|(_, pg)| named(pg)).map(|(i, _)| base + i).collect()
        };
        let found: Vec<usize> = match name.split_once('/') {
            Some(("", gene)) => self.genome.gene_index(gene).into_iter().collect(),
            Some((package, gene)) => in_packages(Some(package), gene),
            None => self.genome.gene_index(name).into_iter().chain(in_packages(None, name)).collect(),
        };
        match found[..] {
            [g] => Ok(g),
            [] => Err(self.unknown_gene(name)),
            _ => {
                let choices: Vec<String> = found
                    .iter()
                    .map(|&g| {
                        if g < base { format!("`/{name}` (the genome's)") } else { format!("`{}`", self.gene_name(g)) }
                    })
                    .collect();
                Err(format!("VM `{}` has more than one gene `{name}`: write {}", self.id, choices.join(" or ")))
            }
        }
    }

    /// The name of gene `g` of the VM's program (`package/gene` for a package's).
    pub fn gene_name(&self, g: usize) -> String {
        match self.genome.genes.get(g) {
            Some(gene) => gene.name.clone(),
            None => self
                .package_genes
                .get(g - self.genome.genes.len())
                .map_or_else(String::new, |(p, n)| format!("{p}/{n}")),
        }
    }

    /// The operon of gene `g`, if it is a genome gene in one.
    pub fn operon_of(&self, g: usize) -> Option<String> {
        self.genome.genes.get(g).and_then(|gene| gene.operon.clone())
    }

    /// An error for a gene the VM has not: its closest names.
    pub fn unknown_gene(&self, name: &str) -> String {
        let mut close = self.genome.close_matches(name, 3);
        close.extend(
            self.package_genes.iter().filter(|(_, g)| g.eq_ignore_ascii_case(name)).map(|(p, g)| format!("{p}/{g}")),
        );
        let hint = if close.is_empty() { String::new() } else { format!("; close matches: {}", close.join(", ")) };
        format!("VM `{}`'s genome has no gene `{name}`{hint}", self.id)
    }
}
