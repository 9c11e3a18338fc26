//! A scenario as a TOML file: what [`super::BioVmManager::save_scenario`] writes, read
//! back by the normal parser (and its gate) to the same scenario.

use super::error::{ApiError, ApiResult};
use bioxen_engine::biology::Organism;
use bioxen_engine::genome::Genome;
use bioxen_engine::program::Program;
use bioxen_engine::scenario::{Action, GenomeSource, Scenario};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Serialize)]
struct File {
    format_version: u32,
    name: String,
    simulation: Simulation,
    chassis: Chassis,
    vm: Vec<Vm>,
    event: Vec<Event>,
}

/// A scenario file's `[simulation]` table.
#[derive(Serialize)]
pub(crate) struct Simulation {
    seed: u64,
    ticks: u64,
    tick_seconds: f64,
    policy: &'static str,
    policy_params: bioxen_engine::policy::PolicyParams,
}

/// A scenario file's `[chassis]` table.
#[derive(Serialize)]
pub(crate) struct Chassis {
    kind: &'static str,
    ribosomes: u64,
    rnap: u64,
    atp_per_s: u64,
    atp_store_max: u64,
    dna_space_kb: u64,
    max_vms: u32,
    reserve_fraction: f64,
    ribosome_reserve_fraction: f64,
}

impl Simulation {
    /// `scenario`'s run settings.
    pub(crate) fn of(scenario: &Scenario) -> Simulation {
        Simulation {
            seed: scenario.seed,
            ticks: scenario.ticks,
            tick_seconds: scenario.tick_seconds,
            policy: scenario.policy.name(),
            policy_params: scenario.policy_params,
        }
    }
}

impl Chassis {
    /// `c`, every field written out (the kind's defaults are not assumed).
    pub(crate) fn of(c: &bioxen_engine::chassis::Chassis) -> Chassis {
        Chassis {
            kind: c.kind.name(),
            ribosomes: c.ribosomes,
            rnap: c.rnap,
            atp_per_s: c.atp_per_s,
            atp_store_max: c.atp_store_max,
            dna_space_kb: c.dna_space_kb,
            max_vms: c.max_vms,
            reserve_fraction: c.reserve_fraction,
            ribosome_reserve_fraction: c.ribosome_reserve_fraction,
        }
    }
}

#[derive(Serialize)]
struct Vm {
    id: String,
    organism: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    genome_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expression_file: Option<String>,
    memory_kb: u64,
    autostart: bool,
    weight: u32,
    priority: i32,
    atp_cap_percent: f64,
    atp_reserve_percent: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ribosome_cap: Option<u64>,
    ribosome_reserve: u64,
}

#[derive(Serialize, Default)]
struct Event {
    tick: u64,
    vm: String,
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    gene: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    operon: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inducer: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    micromolar: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    weight: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    atp_cap_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    atp_reserve_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ribosome_cap: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ribosome_reserve: Option<u64>,
}

/// `scenario` as scenario-file text. `genome_file(i)` is where annotation `i` is, with its
/// expression file if it has one (written as absolute paths, so the file works from
/// anywhere).
pub fn to_toml(
    scenario: &Scenario,
    genome_file: impl Fn(u32) -> Option<(PathBuf, Option<PathBuf>)>,
) -> ApiResult<String> {
    let vms = scenario.vms.iter().map(|v| vm_of(v, &genome_file)).collect::<ApiResult<Vec<Vm>>>()?;
    // Each (genome, organism)'s genome and program once, however many switches name it.
    let mut compiled: BTreeMap<(GenomeSource, Organism), (Genome, Program)> = BTreeMap::new();
    // Each VM's packages so far, for naming their units.
    let mut installed: Vec<Vec<u32>> = vec![Vec::new(); scenario.vms.len()];
    let events = scenario
        .events
        .iter()
        .map(|e| {
            let spec = &scenario.vms[e.vm as usize];
            let mut out = Event { tick: e.tick, vm: spec.id.clone(), action: e.action.name(), ..Event::default() };
            match e.action {
                Action::Set(c) => {
                    (out.weight, out.priority, out.atp_cap_percent) = (c.weight, c.priority, c.atp_cap_percent);
                    (out.atp_reserve_percent, out.ribosome_cap, out.ribosome_reserve) =
                        (c.atp_reserve_percent, c.ribosome_cap, c.ribosome_reserve);
                }
                Action::Transcription { unit, on } => {
                    name_switch(scenario, (e.vm as usize, unit, on), &mut compiled, &installed[e.vm as usize], &mut out)
                }
                Action::Install { hash } => {
                    let package = scenario.package_index(&hash).expect("the gate checked it");
                    installed[e.vm as usize].push(package);
                    out.package = Some(scenario.packages[package as usize].name.clone());
                }
                Action::Inducer { inducer, micromolar } => {
                    out.inducer = Some(inducer.name());
                    out.micromolar = (micromolar > 0.0).then_some(micromolar);
                }
                Action::Lifecycle(_) | Action::Create(_) => {}
            }
            out
        })
        .collect();
    let file = File {
        format_version: scenario.format_version,
        name: scenario.name.clone(),
        simulation: Simulation::of(scenario),
        chassis: Chassis::of(&scenario.chassis),
        vm: vms,
        event: events,
    };
    let body = toml::to_string(&file).map_err(|e| ApiError::Vm(format!("cannot write the scenario: {e}")))?;
    Ok(format!("# A BioXen API session, saved by BioVmManager::save_scenario.\n{body}"))
}

/// A VM as its `[[vm]]` table; `genome_file(i)` is where annotation `i` is.
fn vm_of(
    v: &bioxen_engine::scenario::VmSpec,
    genome_file: &impl Fn(u32) -> Option<(PathBuf, Option<PathBuf>)>,
) -> ApiResult<Vm> {
    let (genome_file, expression_file) = match v.genome {
        GenomeSource::Builtin => (None, None),
        GenomeSource::Annotation(i) => {
            let (g, e) =
                genome_file(i).ok_or_else(|| ApiError::Vm(format!("VM `{}`'s genome file is not known", v.id)))?;
            (Some(g.display().to_string()), e.map(|e| e.display().to_string()))
        }
    };
    let a = &v.allocation;
    Ok(Vm {
        id: v.id.clone(),
        organism: v.organism.name(),
        genome_file,
        expression_file,
        memory_kb: v.memory_kb,
        autostart: v.autostart,
        weight: a.weight,
        priority: a.priority,
        atp_cap_percent: a.atp_cap_percent,
        atp_reserve_percent: a.atp_reserve_percent,
        ribosome_cap: a.ribosome_cap,
        ribosome_reserve: a.ribosome_reserve,
    })
}

/// Names the unit of a transcription switch so the parser finds this unit again: its
/// operon, or its gene by name (by id where the name is ambiguous; `/name` where a package
/// has a gene so called), or a package promoter's first gene qualified by the package.
fn name_switch(
    scenario: &Scenario,
    (vm, unit, on): (usize, u32, bool),
    compiled: &mut BTreeMap<(GenomeSource, Organism), (Genome, Program)>,
    installed: &[u32],
    out: &mut Event,
) {
    let spec = &scenario.vms[vm];
    // Name the unit so the parser finds this unit again: its operon, or its
    // gene by name (by id where the name is ambiguous).
    let (genome, program) = compiled.entry((spec.genome, spec.organism)).or_insert_with(|| {
        let genome = scenario.genome_of(spec).into_owned();
        let program = Program::compile(&genome, spec.organism, spec.genome, scenario.tick_seconds);
        (genome, program)
    });
    if unit as usize >= program.units() {
        // A package's promoter: its first gene, qualified by the package.
        let mut first = program.units();
        for &p in installed {
            let package = &scenario.packages[p as usize];
            if (unit as usize) < first + package.promoters.len() {
                let promoter = &package.promoters[unit as usize - first];
                let gene = &package.genes[promoter.genes[0] as usize].name;
                out.gene = Some(format!("{}/{gene}", package.name));
                break;
            }
            first += package.promoters.len();
        }
        return;
    }
    let g = program.unit(unit as usize)[0] as usize;
    let gene = &genome.genes[g];
    match &gene.operon {
        Some(operon) => {
            out.operon = Some(operon.clone());
            out.action = if on { "activate_operon" } else { "repress_operon" };
        }
        None => {
            let name = if genome.gene_index(&gene.name) == Some(g) { &gene.name } else { &gene.id };
            // `/name` where a package has a gene so called: a bare name must
            // name one gene only.
            let shadowed = scenario.packages.iter().any(|p| p.gene_index(name).is_some());
            out.gene = Some(if shadowed { format!("/{name}") } else { name.clone() });
        }
    }
}
