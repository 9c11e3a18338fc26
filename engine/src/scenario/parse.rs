//! Scenario files: TOML text → checked [`Scenario`].
//!
//! Every error names the file and a `line:column` (or, where a rule spans the whole file,
//! the field), and says what is allowed instead. Each value is checked where it is
//! written, with the gate's own rules ([`super::check`]); then the whole scenario passes
//! the gate, [`Scenario::check`], whose errors are placed at the VM or event they concern.

use super::check::{self, CheckError};
use super::limits::{NAME_BYTES_MAX, SCRIPTS_MAX, VMS_MAX};
use super::{
    Action, Allocation, AllocationChange, DEFAULT_WEIGHT, Event, GenomeSource, SCENARIO_FORMAT_VERSION, Scenario,
    TimelineScript, VmSpec,
};
use crate::biology::Organism;
use crate::chassis::{Chassis, ChassisKind};
pub use crate::diagnostic::{ScenarioError, locate};
use crate::genome::{Genome, GenomeOrigin};
use crate::lifecycle::Transition;
use crate::package::{Inducer, Package};
use crate::policy::{PolicyKind, PolicyParams};
use crate::program::{NO_UNIT, Program};
use crate::record::vm_hash;
use crate::text::{shown_name, unprintable};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// Where a scenario's `genome_file`s come from. The engine reads no files: the caller
/// decides where a path as written leads (usually: relative to the scenario file) and
/// how much it may read.
pub trait GenomeFiles {
    /// The genome in the file the scenario names `path`, or why there is none.
    fn genome(&mut self, path: &str) -> Result<Genome, GenomeFileError>;

    /// The text of the expression file the scenario names `path` (a CSV of mean mRNA
    /// count per locus tag; [`crate::expression`]), or why there is none.
    fn expression(&mut self, path: &str) -> Result<String, GenomeFileError>;

    /// The package called `name`, or why there is none. By default the packages shipped
    /// with BioXen ([`crate::package::shipped`]); a caller may look elsewhere first.
    fn package(&mut self, name: &str) -> Result<Package, String> {
        crate::package::shipped(name).ok_or_else(|| unknown_package(name))
    }

    /// The text of the process script file at `path` (as the scenario names it). By
    /// default there are no script files: a caller that reads files reads them.
    fn script(&mut self, path: &str) -> Result<String, String> {
        Err(format!("script file `{}`: this reader of scenarios reads no files", check::excerpt(path)))
    }
}

/// An unknown package, and the names of those shipped.
pub fn unknown_package(name: &str) -> String {
    let names: Vec<&str> = crate::package::SHIPPED.iter().map(|(n, _)| *n).collect();
    format!("unknown package `{}`; the packages are: {}", check::excerpt(name), names.join(", "))
}

/// Why a genome or expression file a scenario names could not be had: the I/O error's
/// kind when reading it failed (so a caller can tell a missing file from a forbidden
/// one), and what went wrong, naming the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct GenomeFileError {
    /// The kind of the I/O error, when reading failed; `None` when the file was read but
    /// cannot be used (not GenBank, not UTF-8), or there are no files to read.
    pub kind: Option<std::io::ErrorKind>,
    /// What went wrong, naming the file.
    pub message: String,
}

impl From<String> for GenomeFileError {
    /// A file that was read but cannot be used.
    fn from(message: String) -> GenomeFileError {
        GenomeFileError { kind: None, message }
    }
}

/// For scenarios that must not name genome files (text with no file beside it).
pub struct NoGenomeFiles;

impl GenomeFiles for NoGenomeFiles {
    fn genome(&mut self, path: &str) -> Result<Genome, GenomeFileError> {
        Err(format!("cannot read genome file `{path}`: this scenario has no files beside it").into())
    }

    fn expression(&mut self, path: &str) -> Result<String, GenomeFileError> {
        Err(format!("cannot read expression file `{path}`: this scenario has no files beside it").into())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    format_version: Spanned<i64>,
    #[serde(default)]
    name: Option<Spanned<String>>,
    simulation: RawSimulation,
    chassis: RawChassis,
    #[serde(default, rename = "vm")]
    vms: Vec<RawVm>,
    #[serde(default, rename = "event")]
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimulation {
    seed: u64,
    ticks: Spanned<u64>,
    tick_seconds: Option<Spanned<f64>>,
    policy: Spanned<String>,
    #[serde(default)]
    policy_params: PolicyParams,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChassis {
    kind: Spanned<String>,
    ribosomes: Option<Spanned<u64>>,
    rnap: Option<Spanned<u64>>,
    atp_per_s: Option<Spanned<u64>>,
    atp_store_max: Option<Spanned<u64>>,
    dna_space_kb: Option<u64>,
    max_vms: Option<u32>,
    reserve_fraction: Option<Spanned<f64>>,
    ribosome_reserve_fraction: Option<Spanned<f64>>,
}

/// The allocation fields that VMs and `set` events share.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllocation {
    weight: Option<Spanned<u32>>,
    priority: Option<i32>,
    atp_cap_percent: Option<Spanned<f64>>,
    atp_reserve_percent: Option<Spanned<f64>>,
    ribosome_cap: Option<u64>,
    ribosome_reserve: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVm {
    id: Spanned<String>,
    organism: Spanned<String>,
    genome_file: Option<Spanned<String>>,
    expression_file: Option<Spanned<String>>,
    memory_kb: Option<Spanned<u64>>,
    autostart: Option<bool>,
    packages: Option<Spanned<Vec<String>>>,
    // Spelled out rather than `#[serde(flatten)] RawAllocation`: flatten loses the spans
    // and `deny_unknown_fields`.
    weight: Option<Spanned<u32>>,
    priority: Option<i32>,
    atp_cap_percent: Option<Spanned<f64>>,
    atp_reserve_percent: Option<Spanned<f64>>,
    ribosome_cap: Option<u64>,
    ribosome_reserve: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    tick: Spanned<u64>,
    vm: Spanned<String>,
    action: Spanned<String>,
    gene: Option<Spanned<String>>,
    operon: Option<Spanned<String>>,
    package: Option<Spanned<String>>,
    inducer: Option<Spanned<String>>,
    micromolar: Option<Spanned<f64>>,
    file: Option<Spanned<String>>,
    code: Option<Spanned<String>>,
    weight: Option<Spanned<u32>>,
    priority: Option<i32>,
    atp_cap_percent: Option<Spanned<f64>>,
    atp_reserve_percent: Option<Spanned<f64>>,
    ribosome_cap: Option<u64>,
    ribosome_reserve: Option<u64>,
}

/// The allocation fields of a raw VM or event, which carry them inline.
macro_rules! raw_allocation {
    ($raw:expr) => {
        RawAllocation {
            weight: $raw.weight.clone(),
            priority: $raw.priority,
            atp_cap_percent: $raw.atp_cap_percent.clone(),
            atp_reserve_percent: $raw.atp_reserve_percent.clone(),
            ribosome_cap: $raw.ribosome_cap,
            ribosome_reserve: $raw.ribosome_reserve,
        }
    };
}

/// Turns byte offsets into `line:column` for one text.
struct Locator<'a> {
    file: &'a str,
    text: &'a str,
}

impl Locator<'_> {
    fn at(&self, span: &Range<usize>, message: impl Into<String>) -> ScenarioError {
        locate(self.text, self.file, span, message)
    }

    fn field(&self, field: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError { file: self.file.to_string(), where_: field.to_string(), message: message.into() }
    }

    /// Checks a spanned value with one of the gate's rules, placing its error at the value.
    fn rule<T>(&self, value: &Spanned<T>, rule: impl FnOnce(&T) -> Result<(), String>) -> Result<(), ScenarioError> {
        rule(value.get_ref()).map_err(|m| self.at(&value.span(), m))
    }

    /// An optional value as written, checked with `rule` where it is; `None` if absent.
    fn checked<T: Copy>(
        &self,
        value: &Option<Spanned<T>>,
        rule: impl FnOnce(T) -> Result<(), String>,
    ) -> Result<Option<T>, ScenarioError> {
        value.as_ref().map(|v| self.rule(v, |&x| rule(x)).map(|()| *v.get_ref())).transpose()
    }
}

/// Parses and checks scenario text. `file` names it in errors; `files` reads the genome
/// files it names.
pub fn parse(text: &str, file: &str, files: &mut dyn GenomeFiles) -> Result<Scenario, ScenarioError> {
    let loc = Locator { file, text };
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        // The parser's own words, cut short: they can quote the offending input.
        loc.at(&span, check::excerpt_of(e.message().trim(), 200))
    })?;
    let (name, tick_seconds, policy) = simulation_header(&raw, file, &loc)?;
    let sim = &raw.simulation;
    let chassis = resolve_chassis(&raw.chassis, &loc)?;
    if raw.vms.is_empty() {
        return Err(loc.field("vm", "the scenario has no [[vm]]: a run needs at least one guest"));
    }
    if raw.vms.len() > VMS_MAX as usize {
        return Err(loc.field("vm", format!("{} VMs, more than the {VMS_MAX} allowed", raw.vms.len())));
    }
    let mut genomes = GenomeTable::default();
    let mut vms = resolve_vms(&raw.vms, &loc, files, &mut genomes)?;
    vms.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let mut packages = PackageTable::default();
    let installs = resolve_installs(&raw, &vms, &loc, files, &mut packages)?;
    // A VM whose DNA space is not given gets room for its genome and every package it
    // installs.
    // A set, not a scan per VM: a million VMs would make that 10¹² comparisons.
    let given: std::collections::BTreeSet<&str> =
        raw.vms.iter().filter(|v| v.memory_kb.is_some()).map(|v| v.id.get_ref().as_str()).collect();
    for ((spec, _), installs) in vms.iter_mut().zip(&installs) {
        if !given.contains(spec.id.as_str()) {
            spec.memory_kb += installs.iter().map(|&(p, _)| packages.list[p as usize].dna_kb()).sum::<u64>();
        }
    }
    let programs = Programs { genomes: &genomes.genomes, tick_seconds, compiled: BTreeMap::new() };
    let context = EventContext { vms: &vms, ticks: *sim.ticks.get_ref(), packages: &packages, installs: &installs };
    let (mut events, mut event_spans) = resolve_events(&raw.events, &context, &loc, programs)?;
    add_vm_installs(&raw, &vms, &packages, &mut events, &mut event_spans);
    let scripts = resolve_scripts(&raw.events, &loc, files)?;
    let vm_spans: BTreeMap<String, Range<usize>> = vms.iter().map(|(v, span)| (v.id.clone(), span.clone())).collect();
    let vms = in_canonical_order(vms, &mut events);
    let mut scenario = Scenario {
        format_version: SCENARIO_FORMAT_VERSION,
        name,
        seed: sim.seed,
        ticks: *sim.ticks.get_ref(),
        tick_seconds,
        policy,
        policy_params: sim.policy_params,
        chassis,
        vms: vms.into_iter().map(|(spec, _)| spec).collect(),
        events,
        genomes: genomes.genomes,
        packages: packages.list,
        scripts: Vec::new(),
    };
    name_scripts_and_creations(&mut scenario, scripts);
    // The gate, its errors placed at the VM or event they are about where there is one.
    scenario.check().map_err(|e| place(e, &loc, &vm_spans, &event_spans))?;
    Ok(scenario)
}

/// The file's format version, name and `[simulation]` table checked: the run's name, its
/// tick length and its policy.
fn simulation_header(raw: &RawScenario, file: &str, loc: &Locator) -> Result<(String, f64, PolicyKind), ScenarioError> {
    if *raw.format_version.get_ref() != i64::from(SCENARIO_FORMAT_VERSION) {
        return Err(loc.at(
            &raw.format_version.span(),
            format!(
                "format_version {} is not supported; this bioxen reads format_version = {SCENARIO_FORMAT_VERSION}",
                raw.format_version.get_ref()
            ),
        ));
    }
    let name = match &raw.name {
        Some(n) => {
            shown_name(n.get_ref(), NAME_BYTES_MAX).map_err(|m| loc.at(&n.span(), format!("name {m}")))?;
            n.get_ref().clone()
        }
        None => file_stem(file),
    };
    let sim = &raw.simulation;
    loc.rule(&sim.ticks, |&t| check::ticks(t))?;
    let tick_seconds = loc.checked(&sim.tick_seconds, check::tick_seconds)?.unwrap_or(1.0);
    let policy = PolicyKind::from_name(sim.policy.get_ref()).ok_or_else(|| {
        let message =
            format!("unknown policy `{}`; expected one of: {}", check::excerpt(sim.policy.get_ref()), policy_names());
        loc.at(&sim.policy.span(), message)
    })?;
    check::policy_params(&sim.policy_params).map_err(|e| loc.field(&e.field, e.message))?;
    Ok((name, tick_seconds, policy))
}

/// What needs the VMs' final order: each timeline script's VM index (scripts name their VM
/// by id until then) and each `create` event's hash of its VM's configuration.
fn name_scripts_and_creations(scenario: &mut Scenario, scripts: Vec<(String, TimelineScript)>) {
    scenario.scripts = scripts
        .into_iter()
        .map(|(id, script)| TimelineScript { vm: scenario.vm_index(&id).unwrap_or(usize::MAX) as u32, ..script })
        .collect();
    // Each `create` carries the hash of its VM's configuration, which needs the scenario.
    let hashes: Vec<[u8; 32]> = scenario.vms.iter().map(|v| vm_hash(scenario, v)).collect();
    for e in &mut scenario.events {
        if let Action::Create(hash) = &mut e.action {
            *hash = hashes[e.vm as usize];
        }
    }
}

/// Where in the file a gate error belongs: at the event or VM its field names (ids may
/// hold dots: the longest id the field starts with is the VM), or at the field itself.
fn place(
    e: CheckError,
    loc: &Locator,
    vm_spans: &BTreeMap<String, Range<usize>>,
    event_spans: &[Range<usize>],
) -> ScenarioError {
    let event = e.field.strip_prefix("event[").and_then(|r| r.strip_suffix(']')?.parse::<usize>().ok());
    if let Some(span) = event.and_then(|i| event_spans.get(i)) {
        return loc.at(span, e.message);
    }
    let vm = e.field.strip_prefix("vm.").and_then(|rest| {
        vm_spans
            .iter()
            .filter(|(id, _)| rest == id.as_str() || rest.starts_with(&format!("{id}.")))
            .max_by_key(|(id, _)| id.len())
    });
    match vm {
        Some((id, span)) => loc.at(span, format!("VM `{id}`: {}", e.message)),
        None => loc.field(&e.field, e.message),
    }
}

fn file_stem(file: &str) -> String {
    let stem = std::path::Path::new(file).file_stem().map(|s| s.to_string_lossy().into_owned());
    // The file's own name may hold what the gate refuses in a name: shown as `_`.
    let stem: String =
        stem.unwrap_or_else(|| "scenario".into()).chars().map(|c| if unprintable(c) { '_' } else { c }).collect();
    // A name is at most NAME_BYTES_MAX bytes; cut at a character boundary.
    let mut end = stem.len().min(NAME_BYTES_MAX);
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    stem[..end].to_string()
}

fn policy_names() -> String {
    PolicyKind::ALL.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
}

fn resolve_chassis(raw: &RawChassis, loc: &Locator) -> Result<Chassis, ScenarioError> {
    let kind = ChassisKind::ALL.into_iter().find(|k| k.name() == raw.kind.get_ref()).ok_or_else(|| {
        let names: Vec<_> = ChassisKind::ALL.iter().map(|k| k.name()).collect();
        let message =
            format!("unknown chassis `{}`; expected one of: {}", check::excerpt(raw.kind.get_ref()), names.join(", "));
        loc.at(&raw.kind.span(), message)
    })?;
    let mut c = kind.defaults();
    for (field, value) in [
        (&mut c.ribosomes, &raw.ribosomes),
        (&mut c.rnap, &raw.rnap),
        (&mut c.atp_per_s, &raw.atp_per_s),
        (&mut c.atp_store_max, &raw.atp_store_max),
    ] {
        *field = loc.checked(value, check::pool)?.unwrap_or(*field);
    }
    c.dna_space_kb = raw.dna_space_kb.unwrap_or(c.dna_space_kb);
    c.max_vms = raw.max_vms.unwrap_or(c.max_vms);
    for (field, value) in [
        (&mut c.reserve_fraction, &raw.reserve_fraction),
        (&mut c.ribosome_reserve_fraction, &raw.ribosome_reserve_fraction),
    ] {
        *field = loc.checked(value, check::fraction)?.unwrap_or(*field);
    }
    check::chassis(&c).map_err(|e| loc.field(&e.field, e.message))?;
    Ok(c)
}

/// An allocation change as written, each value checked where it is.
fn change_of(raw: &RawAllocation, loc: &Locator) -> Result<AllocationChange, ScenarioError> {
    Ok(AllocationChange {
        weight: loc.checked(&raw.weight, check::weight)?,
        priority: raw.priority,
        atp_cap_percent: loc.checked(&raw.atp_cap_percent, |x| check::percent("atp_cap_percent", x))?,
        atp_reserve_percent: loc.checked(&raw.atp_reserve_percent, |x| check::percent("atp_reserve_percent", x))?,
        ribosome_cap: raw.ribosome_cap,
        ribosome_reserve: raw.ribosome_reserve,
    })
}

/// The annotated genomes of a scenario, each once: by the path as written, and by content
/// (two paths to one file give one genome).
#[derive(Default)]
struct GenomeTable {
    genomes: Vec<Genome>,
    by_path: BTreeMap<(String, Option<String>), u32>,
    by_content: BTreeMap<[u8; 32], u32>,
}

impl GenomeTable {
    /// The index of the genome in `path`, with the measured expression in `expression` if
    /// given (an error there names the expression file).
    fn index_of(
        &mut self,
        path: &str,
        expression: Option<&str>,
        files: &mut dyn GenomeFiles,
    ) -> Result<u32, (bool, String)> {
        let key = (path.to_string(), expression.map(str::to_string));
        if let Some(&i) = self.by_path.get(&key) {
            return Ok(i);
        }
        let mut genome = files.genome(path).map_err(|e| (false, e.message))?;
        // The path as written, not as resolved: where the checkout lives must not reach
        // the scenario (nor, through it, any trace).
        genome.origin = GenomeOrigin::annotation(path);
        if let Some(e) = expression {
            let text = files.expression(e).map_err(|e| (true, e.message))?;
            let counts = crate::expression::parse(&text, e).map_err(|m| (true, m))?;
            let applied = crate::expression::apply(&mut genome, &counts);
            if applied.measured == 0 {
                return Err((
                    true,
                    format!("expression file `{}` measures none of the genome's genes", check::excerpt(e)),
                ));
            }
            genome.origin =
                GenomeOrigin::Annotation { genome_file: path.to_string(), expression_file: Some(e.to_string()) };
        }
        check::genome(&genome).map_err(|m| (false, format!("genome file `{}` {m}", check::excerpt(path))))?;
        let content = genome.content_hash();
        let i = match self.by_content.get(&content) {
            Some(&i) => i,
            None => {
                let i = self.genomes.len() as u32;
                self.genomes.push(genome);
                self.by_content.insert(content, i);
                i
            }
        };
        self.by_path.insert(key, i);
        Ok(i)
    }
}

fn resolve_vms(
    raw: &[RawVm],
    loc: &Locator,
    files: &mut dyn GenomeFiles,
    genomes: &mut GenomeTable,
) -> Result<Vec<(VmSpec, Range<usize>)>, ScenarioError> {
    let mut seen: BTreeMap<&str, Range<usize>> = BTreeMap::new();
    let mut vms = Vec::with_capacity(raw.len());
    for v in raw {
        loc.rule(&v.id, |id| check::vm_id(id))?;
        let id = v.id.get_ref().as_str();
        if let Some(first) = seen.get(id) {
            let f = loc.at(first, "");
            return Err(loc.at(&v.id.span(), format!("duplicate VM id `{id}` (first defined at {})", f.where_)));
        }
        seen.insert(id, v.id.span());
        let organism = Organism::from_name(v.organism.get_ref()).ok_or_else(|| {
            let names: Vec<_> = Organism::ALL.iter().map(|o| o.name()).collect();
            let message = format!(
                "unknown organism `{}`; expected one of: {}",
                check::excerpt(v.organism.get_ref()),
                names.join(", ")
            );
            loc.at(&v.organism.span(), message)
        })?;
        let genome = match (&v.genome_file, &v.expression_file) {
            (None, None) => GenomeSource::Builtin,
            (None, Some(e)) => {
                return Err(loc.at(&e.span(), "an expression_file measures an annotation: name its genome_file too"));
            }
            (Some(f), e) => {
                let index = genomes.index_of(f.get_ref(), e.as_ref().map(|e| e.get_ref().as_str()), files);
                GenomeSource::Annotation(index.map_err(|(at_expression, m)| match (at_expression, e) {
                    (true, Some(e)) => loc.at(&e.span(), m),
                    _ => loc.at(&f.span(), m),
                })?)
            }
        };
        let genome_kb = match genome {
            GenomeSource::Builtin => organism.profile().genome_kb(),
            GenomeSource::Annotation(i) => genomes.genomes[i as usize].length_kb(),
        };
        let memory_kb = match &v.memory_kb {
            None => genome_kb,
            Some(m) if *m.get_ref() >= genome_kb => *m.get_ref(),
            Some(m) => {
                return Err(
                    loc.at(&m.span(), format!("memory_kb {} is less than the genome's {genome_kb} kb", m.get_ref()))
                );
            }
        };
        let mut allocation = Allocation::default();
        change_of(&raw_allocation!(v), loc)?.apply(&mut allocation);
        allocation.weight = v.weight.as_ref().map_or(DEFAULT_WEIGHT, |w| *w.get_ref());
        check::allocation(&allocation).map_err(|m| loc.at(&v.id.span(), format!("VM `{id}`: {m}")))?;
        let spec = VmSpec {
            id: id.to_string(),
            organism,
            genome,
            memory_kb,
            autostart: v.autostart.unwrap_or(true),
            allocation,
        };
        vms.push((spec, v.id.span()));
    }
    Ok(vms)
}

/// The VMs in the scenario's canonical order — those present at tick 0 sorted by id (as
/// `vms` comes), then those `create` events bring in, in the order of those events — with
/// the events' VM indices renumbered to match.
fn in_canonical_order(vms: Vec<(VmSpec, Range<usize>)>, events: &mut [Event]) -> Vec<(VmSpec, Range<usize>)> {
    let mut placed = vec![false; vms.len()];
    for e in events.iter().filter(|e| matches!(e.action, Action::Create(_))) {
        placed[e.vm as usize] = true;
    }
    let mut order: Vec<u32> = (0..vms.len() as u32).filter(|&i| !placed[i as usize]).collect();
    // In the order of the `create` events; a VM created twice (the gate's to refuse)
    // keeps its first place.
    for e in events.iter().filter(|e| matches!(e.action, Action::Create(_))) {
        if std::mem::take(&mut placed[e.vm as usize]) {
            order.push(e.vm);
        }
    }
    let mut new_index = vec![0u32; vms.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old as usize] = new as u32;
    }
    for e in events.iter_mut() {
        e.vm = new_index[e.vm as usize];
    }
    let mut slots: Vec<Option<(VmSpec, Range<usize>)>> = vms.into_iter().map(Some).collect();
    order.iter().map(|&old| slots[old as usize].take().expect("each VM once")).collect()
}

/// Each (genome, organism)'s program, compiled when an event first names one of its genes.
struct Programs<'a> {
    genomes: &'a [Genome],
    tick_seconds: f64,
    compiled: BTreeMap<(GenomeSource, Organism), Program>,
}

impl Programs<'_> {
    fn of(&mut self, vm: &VmSpec) -> (&Program, std::borrow::Cow<'_, Genome>) {
        let genome = match vm.genome {
            GenomeSource::Builtin => std::borrow::Cow::Owned(Genome::builtin(vm.organism)),
            GenomeSource::Annotation(i) => std::borrow::Cow::Borrowed(&self.genomes[i as usize]),
        };
        let tick_seconds = self.tick_seconds;
        let program = self
            .compiled
            .entry((vm.genome, vm.organism))
            .or_insert_with(|| Program::compile(&genome, vm.organism, vm.genome, tick_seconds));
        (program, genome)
    }
}

/// The transcription unit an event's `gene` or `operon` names in VM `vm`'s genome or, for a
/// gene the genome lacks, in the packages the VM installs (in install order: a package's
/// units follow the genome's and those of the packages before it).
fn unit_of(
    e: &RawEvent,
    vm: usize,
    context: &EventContext,
    programs: &mut Programs,
    loc: &Locator,
) -> Result<u32, ScenarioError> {
    let spec = &context.vms[vm].0;
    let (program, genome) = programs.of(spec);
    match (&e.gene, &e.operon) {
        (Some(gene), None) => {
            gene_unit_of(gene.get_ref(), vm, context, (program, &genome)).map_err(|m| loc.at(&gene.span(), m))
        }
        (None, Some(operon)) => {
            let name = operon.get_ref();
            genome
                .genes
                .iter()
                .position(|g| g.operon.as_deref() == Some(name.as_str()))
                .map(|g| program.gene_unit[g])
                .filter(|&u| u != NO_UNIT)
                .ok_or_else(|| {
                    loc.at(
                        &operon.span(),
                        format!("VM `{}`'s genome has no operon `{}`", spec.id, check::excerpt(name)),
                    )
                })
        }
        _ => Err(loc.at(&e.action.span(), "a transcription switch names either one `gene` or one `operon`")),
    }
}

/// The transcription unit of the gene `name` names in VM `vm`'s program, or what is wrong
/// with the name. `package/gene` names a package's gene, `/gene` the genome's; a bare name
/// must name one gene only (the API reads gene names by the same rule): the genome's, or
/// failing that the first package's that has it, in install order.
fn gene_unit_of(
    name: &str,
    vm: usize,
    context: &EventContext,
    (program, genome): (&Program, &Genome),
) -> Result<u32, String> {
    let id = &context.vms[vm].0.id;
    let (in_package, bare) = match name.split_once('/') {
        Some(("", g)) => (None, g),
        Some((p, g)) => (Some(p), g),
        None => (None, name),
    };
    let genome_only = name.starts_with('/');
    let installs = &context.installs[vm];
    let host = if in_package.is_some() { None } else { genome.gene_index(bare) };
    let shadowed = |p: &(u32, _)| context.packages.list[p.0 as usize].gene_index(bare).is_some();
    let g = match host {
        Some(_) if !genome_only && installs.iter().any(shadowed) => {
            let b = check::excerpt(bare);
            let packages =
                installs.iter().filter(|p| shadowed(p)).map(|&(p, _)| &context.packages.list[p as usize].name);
            let choices: Vec<String> = packages.map(|p| format!("`{p}/{b}`")).collect();
            return Err(format!(
                "VM `{id}` has more than one gene `{b}`: write `/{b}` (the genome's) or {}",
                choices.join(" or ")
            ));
        }
        Some(g) => g,
        None if genome_only => return Err(unknown_gene(genome, bare, id)),
        None => {
            let mut first = program.units();
            for &(p, _) in installs {
                let package = &context.packages.list[p as usize];
                if in_package.is_none_or(|n| n == package.name)
                    && let Some(g) = package.gene_index(bare)
                {
                    let promoter = package.promoters.iter().position(|pr| pr.genes.contains(&(g as u32)));
                    return Ok((first + promoter.unwrap_or(0)) as u32);
                }
                first += package.promoters.len();
            }
            return Err(match in_package {
                Some(p) => format!(
                    "VM `{id}` installs no package `{}` with a gene `{}`",
                    check::excerpt(p),
                    check::excerpt(bare)
                ),
                None => unknown_gene(genome, bare, id),
            });
        }
    };
    match program.gene_unit[g] {
        NO_UNIT => {
            Err(format!("gene `{}` codes for a stable RNA, which the model does not switch", check::excerpt(bare)))
        }
        unit => Ok(unit),
    }
}

/// An unknown gene, and the genome's closest names.
pub(crate) fn unknown_gene(genome: &Genome, name: &str, vm: &str) -> String {
    let close = genome.close_matches(name, 3);
    let hint = if close.is_empty() { String::new() } else { format!("; close matches: {}", close.join(", ")) };
    format!("VM `{vm}`'s genome has no gene `{}`{hint}", check::excerpt(name))
}

/// What resolving events needs besides the events: the VMs (sorted by id), the run's
/// length, the scenario's packages and each VM's installs.
struct EventContext<'a> {
    vms: &'a [(VmSpec, Range<usize>)],
    ticks: u64,
    packages: &'a PackageTable,
    installs: &'a [Installs],
}

/// The scenario's packages, each once, by name.
#[derive(Default)]
struct PackageTable {
    list: Vec<Package>,
    by_name: BTreeMap<String, u32>,
}

impl PackageTable {
    fn index_of(&mut self, name: &str, files: &mut dyn GenomeFiles) -> Result<u32, String> {
        if let Some(&i) = self.by_name.get(name) {
            return Ok(i);
        }
        let package = files.package(name)?;
        let i = self.list.len() as u32;
        self.list.push(package);
        self.by_name.insert(name.to_string(), i);
        Ok(i)
    }
}

/// One VM's installs: each package's index and where the file names it.
type Installs = Vec<(u32, Range<usize>)>;

/// Each VM's installs, in the order they apply (its `packages`, then its `install` events
/// by tick, file order within a tick), each package resolved: what the names its switches
/// use can refer to.
fn resolve_installs(
    raw: &RawScenario,
    vms: &[(VmSpec, Range<usize>)],
    loc: &Locator,
    files: &mut dyn GenomeFiles,
    packages: &mut PackageTable,
) -> Result<Vec<Installs>, ScenarioError> {
    let mut installs: Vec<Installs> = vec![Vec::new(); vms.len()];
    for v in &raw.vms {
        let Some(list) = &v.packages else { continue };
        let Ok(vm) = vms.binary_search_by(|(s, _)| s.id.as_str().cmp(v.id.get_ref())) else { continue };
        for name in list.get_ref() {
            let p = packages.index_of(name, files).map_err(|m| loc.at(&list.span(), m))?;
            installs[vm].push((p, list.span()));
        }
    }
    let mut events: Vec<&RawEvent> = raw.events.iter().filter(|e| e.action.get_ref() == "install").collect();
    events.sort_by_key(|e| *e.tick.get_ref());
    for e in events {
        let Ok(vm) = vms.binary_search_by(|(s, _)| s.id.as_str().cmp(e.vm.get_ref())) else { continue };
        let Some(name) = &e.package else {
            return Err(loc.at(&e.action.span(), "an `install` event names its `package`"));
        };
        let p = packages.index_of(name.get_ref(), files).map_err(|m| loc.at(&name.span(), m))?;
        installs[vm].push((p, name.span()));
    }
    Ok(installs)
}

/// The `install` events of the VMs' `packages`: at tick 0 for a VM present then (before
/// the file's events), right after its `create` event for one created later.
fn add_vm_installs(
    raw: &RawScenario,
    vms: &[(VmSpec, Range<usize>)],
    packages: &PackageTable,
    events: &mut Vec<Event>,
    spans: &mut Vec<Range<usize>>,
) {
    let mut at_start = Vec::new();
    for v in &raw.vms {
        let Some(list) = &v.packages else { continue };
        let Ok(vm) = vms.binary_search_by(|(s, _)| s.id.as_str().cmp(v.id.get_ref())) else { continue };
        let new: Vec<Event> = list
            .get_ref()
            .iter()
            .filter_map(|name| packages.by_name.get(name))
            .map(|&p| Event {
                tick: 0,
                vm: vm as u32,
                action: Action::Install { hash: packages.list[p as usize].content_hash() },
            })
            .collect();
        let created = events.iter().position(|e| e.vm == vm as u32 && matches!(e.action, Action::Create(_)));
        match created {
            Some(at) => {
                let tick = events[at].tick;
                for (k, e) in new.into_iter().enumerate() {
                    events.insert(at + 1 + k, Event { tick, ..e });
                    spans.insert(at + 1 + k, list.span());
                }
            }
            None => at_start.extend(new.into_iter().map(|e| (e, list.span()))),
        }
    }
    // Sorted by VM, as the VMs are.
    at_start.sort_by_key(|(e, _)| e.vm);
    for (k, (e, span)) in at_start.into_iter().enumerate() {
        events.insert(k, e);
        spans.insert(k, span);
    }
}

/// The events, sorted by tick (file order within a tick), and the span of each one's
/// action in that sorted order. `create` events carry a placeholder hash until the
/// scenario is whole.
fn resolve_events(
    raw: &[RawEvent],
    context: &EventContext,
    loc: &Locator,
    mut programs: Programs,
) -> Result<(Vec<Event>, Vec<Range<usize>>), ScenarioError> {
    let (vms, ticks) = (context.vms, context.ticks);
    let mut events = Vec::with_capacity(raw.len());
    for e in raw {
        let vm = event_vm(e, vms, ticks, loc)?;
        if e.action.get_ref() == "script" {
            continue; // resolve_scripts
        }
        if let Some(f) = e.file.as_ref().or(e.code.as_ref()) {
            return Err(loc.at(&f.span(), "`file` and `code` belong on a `script` event"));
        }
        let change = change_of(&raw_allocation!(e), loc)?;
        let action = match e.action.get_ref().as_str() {
            "start" => Action::Lifecycle(Transition::Start),
            "pause" => Action::Lifecycle(Transition::Pause),
            "resume" => Action::Lifecycle(Transition::Resume),
            "stop" => Action::Lifecycle(Transition::Stop),
            "destroy" => Action::Lifecycle(Transition::Destroy),
            "create" => Action::Create([0; 32]),
            "start_transcription" | "activate_operon" => {
                Action::Transcription { unit: unit_of(e, vm, context, &mut programs, loc)?, on: true }
            }
            "stop_transcription" | "repress_operon" => {
                Action::Transcription { unit: unit_of(e, vm, context, &mut programs, loc)?, on: false }
            }
            "install" => {
                // Resolved with the VM's installs (an event without a package is refused there).
                let name = e.package.as_ref().map(|p| p.get_ref().as_str()).unwrap_or_default();
                let package = context.packages.by_name.get(name).copied().unwrap_or(0);
                Action::Install { hash: context.packages.list[package as usize].content_hash() }
            }
            "add_inducer" | "remove_inducer" => inducer_action(e, loc)?,
            "set" if change != AllocationChange::default() => Action::Set(change),
            "set" => {
                return Err(loc.at(
                    &e.action.span(),
                    "a `set` event must change at least one of weight, priority, atp_cap_percent, \
                     atp_reserve_percent, ribosome_cap, ribosome_reserve",
                ));
            }
            other => {
                return Err(loc.at(
                    &e.action.span(),
                    format!(
                        "unknown action `{}`; expected one of: create, start, pause, resume, stop, destroy, set, \
                         start_transcription, stop_transcription, activate_operon, repress_operon, install, \
                         add_inducer, remove_inducer, script",
                        check::excerpt(other)
                    ),
                ));
            }
        };
        fields_belong(e, &action, change, loc)?;
        events.push((Event { tick: *e.tick.get_ref(), vm: vm as u32, action }, e.action.span()));
    }
    // Stable: file order within a tick.
    events.sort_by_key(|(e, _)| e.tick);
    Ok(events.into_iter().unzip())
}

/// The index of the VM an event names, once its tick is within the run.
fn event_vm(e: &RawEvent, vms: &[(VmSpec, Range<usize>)], ticks: u64, loc: &Locator) -> Result<usize, ScenarioError> {
    if *e.tick.get_ref() >= ticks {
        return Err(loc.at(
            &e.tick.span(),
            format!("event at tick {} is after the run's last tick {}", e.tick.get_ref(), ticks - 1),
        ));
    }
    let name = e.vm.get_ref();
    vms.binary_search_by(|(v, _)| v.id.as_str().cmp(name))
        .map_err(|_| loc.at(&e.vm.span(), format!("event for unknown VM `{}`", check::excerpt(name))))
}

/// An `add_inducer` or `remove_inducer` event's action: its inducer named, and a
/// concentration above 0 to add, none to remove.
fn inducer_action(e: &RawEvent, loc: &Locator) -> Result<Action, ScenarioError> {
    let Some(name) = &e.inducer else {
        return Err(loc.at(&e.action.span(), format!("an inducer event names its `inducer` ({})", Inducer::names())));
    };
    let inducer = Inducer::from_name(name.get_ref()).ok_or_else(|| {
        loc.at(
            &name.span(),
            format!("unknown inducer `{}`; expected one of: {}", check::excerpt(name.get_ref()), Inducer::names()),
        )
    })?;
    let micromolar = match (e.action.get_ref().as_str(), &e.micromolar) {
        ("add_inducer", Some(m)) => {
            loc.rule(m, |&x| check::inducer(x))?;
            if *m.get_ref() == 0.0 {
                return Err(
                    loc.at(&m.span(), "add_inducer needs a concentration above 0 µM (remove_inducer removes it)")
                );
            }
            *m.get_ref()
        }
        ("add_inducer", None) => {
            return Err(loc.at(&e.action.span(), "add_inducer needs `micromolar`, the concentration in µM"));
        }
        (_, Some(m)) => return Err(loc.at(&m.span(), "remove_inducer takes no `micromolar`")),
        (_, None) => 0.0,
    };
    Ok(Action::Inducer { inducer, micromolar })
}

/// Each optional field of an event on the action it belongs to, and on no other.
fn fields_belong(e: &RawEvent, action: &Action, change: AllocationChange, loc: &Locator) -> Result<(), ScenarioError> {
    if !matches!(action, Action::Set(_)) && change != AllocationChange::default() {
        return Err(loc.at(&e.action.span(), "allocation fields belong on a `set` event"));
    }
    if !matches!(action, Action::Transcription { .. }) && (e.gene.is_some() || e.operon.is_some()) {
        return Err(loc.at(&e.action.span(), "`gene` and `operon` belong on a transcription switch"));
    }
    if !matches!(action, Action::Install { .. }) && e.package.is_some() {
        return Err(loc.at(&e.action.span(), "`package` belongs on an `install` event"));
    }
    if !matches!(action, Action::Inducer { .. }) && (e.inducer.is_some() || e.micromolar.is_some()) {
        return Err(loc.at(&e.action.span(), "`inducer` and `micromolar` belong on add_inducer and remove_inducer"));
    }
    Ok(())
}

/// The `script` events (their ticks and VMs already checked by [`resolve_events`]), each
/// with its VM's id and its source: `file` read through `files`, or `code` inline. Sorted
/// by tick, file order within a tick.
fn resolve_scripts(
    raw: &[RawEvent],
    loc: &Locator,
    files: &mut dyn GenomeFiles,
) -> Result<Vec<(String, TimelineScript)>, ScenarioError> {
    let mut scripts = Vec::new();
    for e in raw.iter().filter(|e| e.action.get_ref() == "script") {
        let others = e.gene.is_some()
            || e.operon.is_some()
            || e.package.is_some()
            || e.inducer.is_some()
            || e.micromolar.is_some()
            || change_of(&raw_allocation!(e), loc)? != AllocationChange::default();
        if others {
            return Err(loc.at(&e.action.span(), "a `script` event takes `file` or `code`, and nothing else"));
        }
        let (name, code, span) = match (&e.file, &e.code) {
            (Some(path), None) => {
                let name = path.get_ref().clone();
                if name.len() > NAME_BYTES_MAX {
                    return Err(loc.at(&path.span(), format!("the path is longer than {NAME_BYTES_MAX} bytes")));
                }
                let code = files.script(&name).map_err(|m| loc.at(&path.span(), m))?;
                (name, code, path.span())
            }
            (None, Some(code)) => {
                let at = loc.at(&e.action.span(), "").where_;
                // At most 40 characters of the file's name: within NAME_BYTES_MAX.
                (format!("{}:{at} (inline script)", check::excerpt(loc.file)), code.get_ref().clone(), code.span())
            }
            _ => {
                return Err(loc.at(
                    &e.action.span(),
                    "a `script` event gives its script as `file` (a path beside the scenario) or `code`, one of them",
                ));
            }
        };
        check::script_text(&code).map_err(|m| loc.at(&span, m))?;
        let script = TimelineScript { tick: *e.tick.get_ref(), vm: 0, name, code };
        scripts.push((e.vm.get_ref().clone(), script));
    }
    if scripts.len() > SCRIPTS_MAX {
        return Err(loc.field("event", format!("{} scripts, more than the {SCRIPTS_MAX} allowed", scripts.len())));
    }
    // Stable: file order within a tick.
    scripts.sort_by_key(|(_, s)| s.tick);
    Ok(scripts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
format_version = 1
[simulation]
seed = 1
ticks = 10
policy = "fair"
[chassis]
kind = "ecoli"
[[vm]]
id = "b"
organism = "syn3a"
[[vm]]
id = "a"
organism = "minimal_cell"
weight = 512
"#;

    fn err(text: &str) -> ScenarioError {
        parse(text, "t.toml", &mut NoGenomeFiles).unwrap_err()
    }

    #[test]
    fn good_scenario_resolves_sorted() {
        let s = parse(GOOD, "t.toml", &mut NoGenomeFiles).unwrap();
        assert_eq!(s.vms.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(s.vms[0].allocation.weight, 512);
        assert_eq!(s.name, "t");
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let e = err(&GOOD.replace("\"fair\"", "\"fastest\""));
        assert_eq!(e.where_, "6:10");
        assert!(e.message.contains("unknown policy `fastest`"), "{e}");
        let e = err(&format!("{GOOD}[[vm]]\nid = \"a\"\norganism = \"syn3a\"\n"));
        assert!(e.message.contains("duplicate VM id `a` (first defined at 13:6)"), "{e}");
        let e = err(&format!("{GOOD}[[event]]\ntick = 3\nvm = \"a\"\naction = \"resume\"\n"));
        assert!(e.message.contains("cannot resume VM `a`: it is running"), "{e}");
        assert_eq!(e.where_, "19:10");
    }

    /// A VM created by an event comes after the VMs present at tick 0, whatever its id,
    /// and is absent until then; the new actions' mistakes are errors at their place.
    #[test]
    fn created_vms_and_switches_resolve_and_their_mistakes_are_placed() {
        use crate::lifecycle::Lifecycle;
        let base = GOOD.replace("organism = \"syn3a\"", "organism = \"ecoli\"\nautostart = false");
        let late = format!("{base}[[event]]\ntick = 2\nvm = \"b\"\naction = \"create\"\n");
        let s = parse(&late, "t.toml", &mut NoGenomeFiles).unwrap();
        assert_eq!(s.vms.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        let first = base.replace("id = \"b\"", "id = \"0\"");
        let s = parse(
            &format!("{first}[[event]]\ntick = 2\nvm = \"0\"\naction = \"create\"\n"),
            "t.toml",
            &mut NoGenomeFiles,
        )
        .unwrap();
        assert_eq!(s.vms.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), ["a", "0"], "created VMs come last");
        assert_eq!(s.initial_states(), [Lifecycle::Running, Lifecycle::Absent]);
        let switch = |action: &str, what: &str| {
            format!("{late}[[event]]\ntick = 3\nvm = \"b\"\naction = \"{action}\"\n{what}\n")
        };
        let s = parse(&switch("start_transcription", "gene = \"lacA\""), "t.toml", &mut NoGenomeFiles).unwrap();
        assert_eq!(s.events[1].action, Action::Transcription { unit: 0, on: true });
        let s = parse(&switch("repress_operon", "operon = \"trp\""), "t.toml", &mut NoGenomeFiles).unwrap();
        assert_eq!(s.events[1].action, Action::Transcription { unit: 1, on: false });
        for (text, message) in [
            (switch("start_transcription", "gene = \"lacz\""), "no gene `lacz`; close matches: lacZ"),
            (switch("start_transcription", "gene = \"ecoli_t022\""), "codes for a stable RNA"),
            (switch("activate_operon", "operon = \"ara\""), "has no operon `ara`"),
            (switch("start_transcription", ""), "names either one `gene` or one `operon`"),
            (switch("start", "gene = \"lacZ\""), "`gene` and `operon` belong on a transcription switch"),
            (
                format!("{base}[[event]]\ntick = 1\nvm = \"b\"\naction = \"start\"\n{}", &late[base.len()..]),
                "it is not created yet",
            ),
            (
                late.replace("organism = \"ecoli\"\nautostart = false", "organism = \"ecoli\""),
                "cannot start automatically",
            ),
            (format!("{late}[[event]]\ntick = 4\nvm = \"b\"\naction = \"create\"\n"), "more than one `create`"),
        ] {
            let e = err(&text);
            assert!(e.to_string().contains(message), "expected `{message}` in: {e}");
        }
    }

    /// An expression file needs its genome file; one that cannot be read or parsed is an
    /// error at its own line.
    #[test]
    fn expression_files_are_checked_where_they_are_named() {
        struct Files(&'static str);
        impl GenomeFiles for Files {
            fn genome(&mut self, _: &str) -> Result<Genome, GenomeFileError> {
                Ok(Genome::builtin(Organism::Syn3a))
            }
            fn expression(&mut self, _: &str) -> Result<String, GenomeFileError> {
                Ok(self.0.to_string())
            }
        }
        let with = |lines: &str| GOOD.replace("organism = \"minimal_cell\"", &format!("organism = \"syn3a\"\n{lines}"));
        let e = err(&with("expression_file = \"m.csv\""));
        assert!(e.to_string().contains("t.toml:15:19: an expression_file measures an annotation"), "{e}");
        let both = with("genome_file = \"g.gb\"\nexpression_file = \"m.csv\"");
        let e = parse(&both, "t.toml", &mut Files(",LocusTag,Count\n0,syn3a_p0001,x\n")).unwrap_err();
        assert!(e.to_string().contains("t.toml:16:19: m.csv:2: count `x` is not a number"), "{e}");
        let e = parse(&both, "t.toml", &mut Files(",LocusTag,Count\n0,nothing,1\n")).unwrap_err();
        assert!(e.to_string().contains("measures none of the genome's genes"), "{e}");
        let s = parse(&both, "t.toml", &mut Files(",LocusTag,Count\n0,syn3a_p0001,4\n")).unwrap();
        assert_eq!(s.genomes[0].expression.as_ref().unwrap()[0], Some(4.0));
    }
}
