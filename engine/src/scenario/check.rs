//! The gate: [`Scenario::check`], and the rules it is made of.
//!
//! Each rule is a small function returning what is wrong in words; [`Scenario::check`]
//! applies them all and names the field, and the TOML parser applies the same functions
//! where it can name a `line:column` instead. So a rule is written once.

use super::limits::*;
use super::{Action, Allocation, AllocationChange, GenomeSource, SCENARIO_FORMAT_VERSION, Scenario, VmSpec};
use crate::biology::Organism;
use crate::chassis::Chassis;
pub use crate::diagnostic::CheckError;
pub use crate::diagnostic::number;
pub(crate) use crate::diagnostic::{excerpt, excerpt_of};
use crate::genome::{GeneKind, Genome};
use crate::lifecycle::Lifecycle;
use crate::lifecycle::Transition;
use crate::package::INDUCER_UM_MAX;
use crate::policy::PolicyParams;
use crate::program::Program;
use crate::record::vm_hash;
use crate::text::shown_name;
use std::collections::{BTreeMap, BTreeSet};

fn fail(field: impl Into<String>, message: impl Into<String>) -> CheckError {
    CheckError { field: field.into(), message: message.into() }
}

/// Ticks: 1 to [`TICKS_MAX`].
pub(crate) fn ticks(n: u64) -> Result<(), String> {
    if (1..=TICKS_MAX).contains(&n) { Ok(()) } else { Err(format!("ticks must be in 1..={TICKS_MAX}, not {n}")) }
}

/// Tick length: a number in (0, [`TICK_SECONDS_MAX`]].
pub(crate) fn tick_seconds(v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 && v <= TICK_SECONDS_MAX {
        Ok(())
    } else {
        Err(format!("tick_seconds must be a number in (0, {TICK_SECONDS_MAX}], not {}", number(v)))
    }
}

/// A policy parameter in 1..=`max`.
fn parameter(name: &str, v: u32, max: u32) -> Result<(), CheckError> {
    if (1..=max).contains(&v) {
        Ok(())
    } else {
        Err(fail(format!("simulation.policy_params.{name}"), format!("must be in 1..={max}, not {v}")))
    }
}

/// The policies' parameters, each within its bound.
pub(crate) fn policy_params(p: &PolicyParams) -> Result<(), CheckError> {
    parameter("quantum_ticks", p.quantum_ticks, QUANTUM_TICKS_MAX)?;
    parameter("quanta_per_vm", p.quanta_per_vm, QUANTA_PER_VM_MAX)?;
    parameter("credit_period_ticks", p.credit_period_ticks, CREDIT_PERIOD_TICKS_MAX)
}

/// A pool: at most [`POOL_MAX`].
pub(crate) fn pool(v: u64) -> Result<(), String> {
    if v <= POOL_MAX { Ok(()) } else { Err(format!("must be at most {POOL_MAX}, not {v}")) }
}

/// A reserve fraction: a number in [0, 1).
pub(crate) fn fraction(v: f64) -> Result<(), String> {
    if v.is_finite() && (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("a reserve fraction must be in [0, 1), not {}", number(v)))
    }
}

/// The chassis: every pool bounded, the VM limit and DNA space in range.
pub(crate) fn chassis(c: &Chassis) -> Result<(), CheckError> {
    for (name, v) in
        [("ribosomes", c.ribosomes), ("rnap", c.rnap), ("atp_per_s", c.atp_per_s), ("atp_store_max", c.atp_store_max)]
    {
        pool(v).map_err(|m| fail(format!("chassis.{name}"), m))?;
    }
    if c.dna_space_kb > DNA_SPACE_KB_MAX {
        return Err(fail(
            "chassis.dna_space_kb",
            format!("must be at most {DNA_SPACE_KB_MAX}, not {}", c.dna_space_kb),
        ));
    }
    if !(1..=VMS_MAX).contains(&c.max_vms) {
        return Err(fail("chassis.max_vms", format!("must be in 1..={VMS_MAX}, not {}", c.max_vms)));
    }
    fraction(c.reserve_fraction).map_err(|m| fail("chassis.reserve_fraction", m))?;
    fraction(c.ribosome_reserve_fraction).map_err(|m| fail("chassis.ribosome_reserve_fraction", m))
}

/// A VM id: 1 to [`NAME_BYTES_MAX`] letters, digits, `-`, `_` or `.`.
pub(crate) fn vm_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= NAME_BYTES_MAX
        && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("VM id `{}` must be 1 to {NAME_BYTES_MAX} letters, digits, `-`, `_` or `.`", excerpt(id)))
    }
}

/// A weight: 1 to [`WEIGHT_MAX`].
pub(crate) fn weight(w: u32) -> Result<(), String> {
    if (1..=WEIGHT_MAX).contains(&w) {
        Ok(())
    } else {
        Err(format!("weight must be in 1..={WEIGHT_MAX} (Xen's range), not {w}"))
    }
}

/// A percentage: a number in [0, 100].
pub(crate) fn percent(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && (0.0..=100.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("{name} must be a percentage in [0, 100], not {}", number(v)))
    }
}

/// The values an allocation change sets, each in range.
pub(crate) fn change(c: &AllocationChange) -> Result<(), String> {
    if let Some(w) = c.weight {
        weight(w)?;
    }
    if let Some(v) = c.atp_cap_percent {
        percent("atp_cap_percent", v)?;
    }
    if let Some(v) = c.atp_reserve_percent {
        percent("atp_reserve_percent", v)?;
    }
    Ok(())
}

/// One allocation: its values in range, and no reservation above its cap.
pub(crate) fn allocation(a: &Allocation) -> Result<(), String> {
    weight(a.weight)?;
    percent("atp_cap_percent", a.atp_cap_percent)?;
    percent("atp_reserve_percent", a.atp_reserve_percent)?;
    if a.atp_reserve_percent > a.atp_cap_percent {
        return Err(format!(
            "atp_reserve_percent {} is above atp_cap_percent {}",
            a.atp_reserve_percent, a.atp_cap_percent
        ));
    }
    if let Some(cap) = a.ribosome_cap
        && a.ribosome_reserve > cap
    {
        return Err(format!("ribosome_reserve {} is above ribosome_cap {cap}", a.ribosome_reserve));
    }
    Ok(())
}

/// The reservations of all VMs together: at most 100 % of the ATP and at most the
/// ribosomes the chassis offers its guests. Summed with checked arithmetic.
pub(crate) fn reservations<'a>(allocations: impl Iterator<Item = &'a Allocation>, c: &Chassis) -> Result<(), String> {
    let (mut atp, mut ribosomes) = (0.0f64, 0u64);
    for a in allocations {
        atp += a.atp_reserve_percent;
        ribosomes = ribosomes
            .checked_add(a.ribosome_reserve)
            .ok_or_else(|| "ribosome reservations add up to more than 2^64".to_string())?;
    }
    if atp > 100.0 {
        return Err(format!("ATP reservations add up to {atp} %, more than 100 %"));
    }
    let available = (c.ribosomes as f64 * (1.0 - c.ribosome_reserve_fraction)).floor() as u64;
    if ribosomes > available {
        return Err(format!(
            "ribosome reservations add up to {ribosomes}, more than the {available} the chassis offers guests"
        ));
    }
    Ok(())
}

/// A genome: 1 to [`GENES_MAX`] genes, at least one coding for a protein, each gene 1 to
/// [`GENE_BP_MAX`] bp, names within [`NAME_BYTES_MAX`] bytes.
pub(crate) fn genome(g: &Genome) -> Result<(), String> {
    if g.genes.is_empty() || g.genes.len() > GENES_MAX {
        return Err(format!("has {} genes; a genome has 1 to {GENES_MAX}", g.genes.len()));
    }
    if !g.genes.iter().any(|x| x.kind == GeneKind::Protein) {
        return Err("has no protein-coding gene".into());
    }
    if g.length_bp == 0 || g.length_kb() > DNA_SPACE_KB_MAX {
        return Err(format!("is {} bp long; a genome has 1 bp to {DNA_SPACE_KB_MAX} kb", g.length_bp));
    }
    g.origin.check(NAME_BYTES_MAX * 16)?;
    if let Some(e) = &g.expression {
        if e.len() != g.genes.len() {
            return Err(format!("has {} expression counts for {} genes", e.len(), g.genes.len()));
        }
        if let Some(v) =
            e.iter().flatten().find(|v| !(v.is_finite() && (0.0..=crate::expression::COUNT_MAX).contains(*v)))
        {
            return Err(format!(
                "has an expression count of {}, outside [0, {}]",
                number(*v),
                number(crate::expression::COUNT_MAX)
            ));
        }
    }
    if g.repressed.len() > g.genes.len() {
        return Err(format!("has {} repressed operons, more than its genes", g.repressed.len()));
    }
    let operons: BTreeSet<&String> = g.genes.iter().filter_map(|x| x.operon.as_ref()).collect();
    if let Some(r) = g.repressed.iter().find(|r| !operons.contains(r)) {
        return Err(format!("represses operon `{}`, which none of its genes is in", excerpt(r)));
    }
    for x in &g.genes {
        if !(1..=GENE_BP_MAX).contains(&x.length_bp) {
            return Err(format!("gene `{}` is {} bp; genes have 1 to {GENE_BP_MAX}", excerpt(&x.id), x.length_bp));
        }
        for n in [Some(&x.id), Some(&x.name), x.operon.as_ref()].into_iter().flatten() {
            shown_name(n, NAME_BYTES_MAX).map_err(|m| format!("gene name `{}` {m}", excerpt(n)))?;
        }
    }
    Ok(())
}

/// A newborn cell of this genome and organism at most doubles its protein mass in one
/// tick even when granted all it asks for. Beyond that a cell could outgrow its own
/// division (it divides at most once a tick), growing without bound; and it is no longer
/// a simulation at this tick length.
pub(crate) fn growth(program: &Program, organism: Organism, tick_seconds: f64) -> Result<(), String> {
    let profile = organism.profile();
    let per_tick = profile.active_ribosomes() * profile.elongation_aa_per_s * tick_seconds;
    let mass = program.reference_mass_aa.max(1) as f64;
    if per_tick <= mass {
        return Ok(());
    }
    let longest = (mass / (profile.active_ribosomes() * profile.elongation_aa_per_s)).floor();
    Err(format!(
        "a newborn {} cell of this genome ({mass} amino acids of protein) would more than double in one tick of {tick_seconds} s; \
         use ticks of at most {longest} s",
        organism.name()
    ))
}

/// Shortens a name quoted in an error message: at most 40 characters.
/// Why `action` (a change to a cell) cannot apply to a VM in `state`: it is not created
/// yet, or it is destroyed (a destroyed VM takes no more changes, as it cannot be started).
pub(crate) fn not_there(state: Lifecycle, action: Action) -> Option<String> {
    match state {
        Lifecycle::Absent => Some("is not created yet".into()),
        Lifecycle::Destroyed => Some(format!("is destroyed: no `{}` applies to it", action.name())),
        _ => None,
    }
}

/// An `install` of the package hashing to `hash` into `vm`, which has `installed` already:
/// the scenario holds that package, its replicon works in the VM's organism, it is not
/// installed yet, and the VM's DNA space holds its genome, what it has installed and the
/// new plasmid's copies. Returns the package's index.
pub(crate) fn install(s: &Scenario, vm: &VmSpec, installed: &[u32], hash: [u8; 32]) -> Result<u32, String> {
    let Some(package) = s.package_index(&hash) else {
        return Err("the `install` event's hash is none of the scenario's packages".into());
    };
    let p = &s.packages[package as usize];
    if !p.supports(vm.organism) {
        let names: Vec<_> = p.organisms.iter().map(|o| o.name()).collect();
        return Err(format!(
            "package `{}` does not support organism {} (it supports {})",
            excerpt(&p.name),
            vm.organism.name(),
            names.join(", ")
        ));
    }
    if installed.iter().any(|&i| s.packages.get(i as usize).is_some_and(|q| q.name == p.name)) {
        return Err(format!("package `{}` is already installed in VM `{}`", excerpt(&p.name), vm.id));
    }
    // A built-in genome has its profile's protein and RNA genes.
    let profile = vm.organism.profile();
    let genome_genes =
        s.annotation(vm.genome).map_or((profile.protein_genes + profile.rna_genes) as usize, |g| g.genes.len());
    let genes = genome_genes
        + installed.iter().filter_map(|&i| s.packages.get(i as usize)).map(|q| q.genes.len()).sum::<usize>()
        + p.genes.len();
    if genes > GENES_MAX {
        return Err(format!(
            "VM `{}` would have {genes} genes with package `{}`, more than the {GENES_MAX} a cell may",
            vm.id,
            excerpt(&p.name)
        ));
    }
    let genome_kb = s.genome_kb(vm);
    let plasmids_kb: u64 = installed.iter().filter_map(|&i| s.packages.get(i as usize)).map(|q| q.dna_kb()).sum();
    let needed = genome_kb + plasmids_kb + p.dna_kb();
    if needed > vm.memory_kb {
        return Err(format!(
            "not enough DNA space in VM `{}` for package `{}`: its {} copies need {} kb, and the genome ({genome_kb} kb) \
             and packages installed ({plasmids_kb} kb) leave {} of its {} kb (memory_kb; the chassis has {} kb in all)",
            vm.id,
            excerpt(&p.name),
            p.copies,
            p.dna_kb(),
            vm.memory_kb.saturating_sub(genome_kb + plasmids_kb),
            vm.memory_kb,
            s.chassis.dna_space_kb
        ));
    }
    Ok(package)
}

/// An inducer concentration: finite, 0 (removed) to [`INDUCER_UM_MAX`] µM.
pub(crate) fn inducer(micromolar: f64) -> Result<(), String> {
    if micromolar.is_finite() && (0.0..=INDUCER_UM_MAX).contains(&micromolar) {
        Ok(())
    } else {
        Err(format!("inducer concentration {} µM is not within 0..={INDUCER_UM_MAX}", number(micromolar)))
    }
}

/// Transcription units of `vm`'s program with `installed`: its genome's, `base`, and each
/// package's promoters.
pub(crate) fn units_with(s: &Scenario, base: usize, installed: &[u32]) -> usize {
    base + installed.iter().filter_map(|&i| s.packages.get(i as usize)).map(|p| p.promoters.len()).sum::<usize>()
}

/// Plays the timeline from tick 0: every event for a VM that exists, in tick order, every
/// transition possible when it applies (a VM absent until its `create` event has no other
/// event before it), every `create` carrying its VM's hash, every switch naming a unit of
/// the VM's genome, and every allocation (and the reservations together) valid after each
/// `set`. The error names the event by its index in [`Scenario::events`]. Events at or
/// past the run's last tick are allowed (a run made shorter than its timeline, `run
/// --ticks`, never reaches them); a scenario file may not hold them, which its parser
/// checks.
pub(crate) fn timeline(s: &Scenario, units: &BTreeMap<(GenomeSource, Organism), usize>) -> Result<(), (usize, String)> {
    let mut states = s.initial_states();
    let mut allocations: Vec<Allocation> = s.vms.iter().map(|v| v.allocation).collect();
    let mut installed: Vec<Vec<u32>> = vec![Vec::new(); s.vms.len()];
    let mut previous_tick = 0;
    for (i, e) in s.events.iter().enumerate() {
        if e.tick < previous_tick {
            return Err((i, format!("event at tick {} comes after one at tick {previous_tick}", e.tick)));
        }
        previous_tick = e.tick;
        let Some(vm) = s.vms.get(e.vm as usize) else {
            return Err((i, format!("event for VM #{}, but there are {} VMs", e.vm, s.vms.len())));
        };
        let index = e.vm as usize;
        if !matches!(e.action, Action::Lifecycle(_) | Action::Create(_))
            && let Some(why) = not_there(states[index], e.action)
        {
            return Err((i, format!("at tick {}: VM `{}` {why}", e.tick, vm.id)));
        }
        let transition = effect(s, e, units, &mut installed, &mut allocations).map_err(|m| (i, m))?;
        if let Some(t) = transition {
            let state = states[index];
            states[index] = state.after(t).ok_or_else(|| {
                let why = if state == Lifecycle::Absent {
                    "it is not created yet".to_string()
                } else {
                    format!("it is {}", state.name())
                };
                (i, format!("at tick {}: cannot {} VM `{}`: {why}", e.tick, t.name(), vm.id))
            })?;
        }
    }
    Ok(())
}

/// What event `e` does besides a lifecycle transition, checked against the timeline so far
/// (`installed` and `allocations` as they are before it, updated): the transition it makes,
/// if any, or why it cannot apply.
fn effect(
    s: &Scenario,
    e: &super::Event,
    units: &BTreeMap<(GenomeSource, Organism), usize>,
    installed: &mut [Vec<u32>],
    allocations: &mut [Allocation],
) -> Result<Option<Transition>, String> {
    let (index, vm) = (e.vm as usize, &s.vms[e.vm as usize]);
    let transition = match e.action {
        Action::Lifecycle(Transition::Create) => {
            return Err("a VM is created by a `create` event, not a transition".into());
        }
        Action::Lifecycle(t) => Some(t),
        Action::Create(hash) => {
            if hash != vm_hash(s, vm) {
                return Err(format!("the `create` event's hash is not VM `{}`'s configuration", vm.id));
            }
            Some(Transition::Create)
        }
        Action::Install { hash } => {
            let package = install(s, vm, &installed[index], hash).map_err(|m| format!("at tick {}: {m}", e.tick))?;
            installed[index].push(package);
            None
        }
        Action::Inducer { micromolar, .. } => {
            inducer(micromolar)?;
            None
        }
        Action::Transcription { unit, .. } => {
            let base = units.get(&(vm.genome, vm.organism)).copied().unwrap_or(0);
            let count = units_with(s, base, &installed[index]);
            if unit as usize >= count {
                return Err(format!("transcription unit #{unit}, but VM `{}`'s genome has {count}", vm.id));
            }
            None
        }
        Action::Set(c) => {
            change(&c)?;
            if c == AllocationChange::default() {
                return Err("a `set` event must change at least one setting".into());
            }
            c.apply(&mut allocations[index]);
            allocation(&allocations[index])
                .and_then(|()| reservations(allocations.iter(), &s.chassis))
                .map_err(|m| format!("at tick {}, after setting VM `{}`: {m}", e.tick, vm.id))?;
            None
        }
    };
    Ok(transition)
}

/// The timeline's scripts: within their bounds, in tick order, each for a VM that
/// exists. What a script does is checked when it runs, where its actions land.
pub(crate) fn scripts(s: &Scenario) -> Result<(), (usize, String)> {
    if s.scripts.len() > SCRIPTS_MAX {
        return Err((SCRIPTS_MAX, format!("{} scripts, more than the {SCRIPTS_MAX} allowed", s.scripts.len())));
    }
    let (mut previous_tick, mut total) = (0, 0usize);
    for (i, script) in s.scripts.iter().enumerate() {
        if script.tick < previous_tick {
            return Err((i, format!("script at tick {} comes after one at tick {previous_tick}", script.tick)));
        }
        previous_tick = script.tick;
        if script.vm as usize >= s.vms.len() {
            return Err((i, format!("script for VM #{}, but there are {} VMs", script.vm, s.vms.len())));
        }
        shown_name(&script.name, NAME_BYTES_MAX).map_err(|m| (i, format!("its name {m}")))?;
        script_text(&script.code).map_err(|m| (i, m))?;
        total = total.saturating_add(script.code.len());
        if total > SCRIPTS_TOTAL_BYTES_MAX {
            return Err((i, format!("the scripts hold more than {SCRIPTS_TOTAL_BYTES_MAX} bytes together")));
        }
    }
    Ok(())
}

/// One script's source: within [`SCRIPT_BYTES_MAX`].
pub(crate) fn script_text(code: &str) -> Result<(), String> {
    if code.len() > SCRIPT_BYTES_MAX {
        return Err(format!("the script is {} bytes, more than the {SCRIPT_BYTES_MAX} allowed", code.len()));
    }
    Ok(())
}

impl Scenario {
    /// The one gate: everything that makes a scenario usable, checked with no overflow and
    /// within the bounds of [`super::limits`]. [`super::parse`], trace and checkpoint
    /// decoding, [`crate::sim::Simulation::new`] and [`crate::sim::Simulation::restore`]
    /// all call it.
    pub fn check(&self) -> Result<(), CheckError> {
        if self.format_version != SCENARIO_FORMAT_VERSION {
            return Err(fail(
                "format_version",
                format!("{} is not supported; this bioxen reads {SCENARIO_FORMAT_VERSION}", self.format_version),
            ));
        }
        shown_name(&self.name, NAME_BYTES_MAX).map_err(|m| fail("name", m))?;
        ticks(self.ticks).map_err(|m| fail("simulation.ticks", m))?;
        tick_seconds(self.tick_seconds).map_err(|m| fail("simulation.tick_seconds", m))?;
        policy_params(&self.policy_params)?;
        chassis(&self.chassis)?;
        let units = self.check_genomes()?;
        self.check_packages()?;
        self.check_vms()?;
        if self.events.len() > EVENTS_MAX {
            return Err(fail("event", format!("{} events, more than the {EVENTS_MAX} allowed", self.events.len())));
        }
        self.check_vm_order()?;
        timeline(self, &units).map_err(|(i, m)| fail(format!("event[{i}]"), m))?;
        scripts(self).map_err(|(i, m)| fail(format!("script[{i}]"), m))
    }

    /// VMs present at tick 0 come first, sorted by id; then the VMs `create` events bring
    /// in, in the order of those events, each created once and not started automatically.
    /// Every id once. The order is canonical, so that a session and its saved scenario
    /// number their VMs alike.
    fn check_vm_order(&self) -> Result<(), CheckError> {
        let (mut creations, mut created) = (Vec::new(), BTreeSet::new());
        for e in &self.events {
            if let Action::Create(_) = e.action {
                let Some(v) = self.vms.get(e.vm as usize) else { continue }; // the timeline names it
                if !created.insert(e.vm) {
                    return Err(fail(format!("vm.{}", v.id), "is created by more than one `create` event"));
                }
                if v.autostart {
                    return Err(fail(
                        format!("vm.{}.autostart", v.id),
                        "a VM brought in by a `create` event cannot start automatically; start it with a `start` event",
                    ));
                }
                creations.push(e.vm);
            }
        }
        let present = self.vms.len() - creations.len();
        let mut ids = BTreeSet::new();
        for (i, v) in self.vms.iter().enumerate() {
            if !ids.insert(v.id.as_str()) {
                return Err(fail(format!("vm.{}", v.id), "the id is used by more than one VM"));
            }
            if i > 0 && i < present && self.vms[i - 1].id >= v.id {
                return Err(fail(format!("vm.{}", v.id), "VMs present at tick 0 must be sorted by id"));
            }
        }
        if creations.iter().enumerate().any(|(k, &vm)| vm as usize != present + k) {
            return Err(fail(
                "vm",
                "VMs created by events must follow the VMs present at tick 0, in the order of their `create` events",
            ));
        }
        Ok(())
    }

    /// Checks every genome, and every (genome, organism) a VM runs; returns the number of
    /// transcription units of each such pair, for the timeline's switches.
    fn check_genomes(&self) -> Result<BTreeMap<(GenomeSource, Organism), usize>, CheckError> {
        if self.genomes.len() > VMS_MAX as usize {
            return Err(fail("genomes", format!("{} genomes, more than the {VMS_MAX} allowed", self.genomes.len())));
        }
        for (i, g) in self.genomes.iter().enumerate() {
            genome(g).map_err(|m| fail(format!("genome[{i}] ({})", excerpt(&g.origin.text())), m))?;
        }
        // Each annotated genome once per organism that runs it: the growth rule depends
        // on both.
        let mut units = BTreeMap::new();
        for v in &self.vms {
            if let std::collections::btree_map::Entry::Vacant(slot) = units.entry((v.genome, v.organism)) {
                let program = Program::compile(&self.genome_of(v), v.organism, v.genome, self.tick_seconds);
                growth(&program, v.organism, self.tick_seconds).map_err(|m| fail(format!("vm.{}", v.id), m))?;
                slot.insert(program.units());
            }
        }
        Ok(units)
    }

    fn check_packages(&self) -> Result<(), CheckError> {
        if self.packages.len() > EVENTS_MAX {
            return Err(fail(
                "packages",
                format!("{} packages, more than the {EVENTS_MAX} allowed", self.packages.len()),
            ));
        }
        for (i, p) in self.packages.iter().enumerate() {
            p.check().map_err(|m| fail(format!("package[{i}] ({})", excerpt(&p.name)), m))?;
            // An install names its package by content and a script by name: one of each.
            if self.packages[..i].iter().any(|q| q.name == p.name) {
                return Err(fail(format!("package[{i}]"), format!("a second package called `{}`", excerpt(&p.name))));
            }
        }
        Ok(())
    }

    fn check_vms(&self) -> Result<(), CheckError> {
        let c = &self.chassis;
        if self.vms.len() > c.max_vms as usize {
            return Err(fail(
                "vm",
                format!(
                    "{} VMs, but the {} chassis allows {} (chassis.max_vms)",
                    self.vms.len(),
                    c.kind.name(),
                    c.max_vms
                ),
            ));
        }
        let mut memory_total = 0u64;
        for v in &self.vms {
            vm_id(&v.id).map_err(|m| fail("vm.id", m))?;
            let field = |name: &str| format!("vm.{}.{name}", v.id);
            if let GenomeSource::Annotation(g) = v.genome
                && g as usize >= self.genomes.len()
            {
                return Err(fail(field("genome"), format!("genome #{g}, but there are {}", self.genomes.len())));
            }
            let genome_kb = self.genome_kb(v);
            if genome_kb > c.dna_space_kb {
                return Err(fail(
                    field("genome"),
                    format!(
                        "its genome is {genome_kb} kb, larger than the {} chassis DNA space of {} kb",
                        c.kind.name(),
                        c.dna_space_kb
                    ),
                ));
            }
            if v.memory_kb < genome_kb {
                return Err(fail(
                    field("memory_kb"),
                    format!("{} is less than the genome's {genome_kb} kb", v.memory_kb),
                ));
            }
            memory_total = memory_total.saturating_add(v.memory_kb);
            allocation(&v.allocation).map_err(|m| fail(field("allocation"), m))?;
        }
        if memory_total > c.dna_space_kb {
            return Err(fail(
                "vm.memory_kb",
                format!(
                    "the VMs need {} kb of DNA space, but the chassis has {} kb",
                    if memory_total == u64::MAX { "more than 2^64".to_string() } else { memory_total.to_string() },
                    c.dna_space_kb
                ),
            ));
        }
        reservations(self.vms.iter().map(|v| &v.allocation), c).map_err(|m| fail("vm", m))
    }
}
