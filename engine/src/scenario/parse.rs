//! Scenario files: TOML text → checked [`Scenario`].
//!
//! Every error names the file and a line:column (or, where a rule spans the whole file,
//! the field), and says what is allowed instead.

use super::{
    Action, Allocation, AllocationChange, DEFAULT_WEIGHT, Event, GenomeSource, SCENARIO_FORMAT_VERSION, Scenario,
    VmSpec,
};
use crate::biology::Organism;
use crate::chassis::ChassisKind;
use crate::genome::Genome;
use crate::lifecycle::{Lifecycle, Transition};
use crate::policy::{PolicyKind, PolicyParams};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// A scenario that cannot be used, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{where_}: {message}")]
pub struct ScenarioError {
    /// The file (or `<input>`).
    pub file: String,
    /// `line:column`, or the field name when the problem is not at one place.
    pub where_: String,
    /// What is wrong.
    pub message: String,
}

/// Largest scenario file accepted: scenarios are hand-written or generated lists of VMs;
/// 64 MiB holds hundreds of thousands. Bounds what a wrong path can make us read.
pub const SCENARIO_BYTES_MAX: u64 = 64 * 1024 * 1024;

/// Longest simulated tick: mRNA half-lives are a few minutes, so a tick much longer
/// than a minute would let a message decay and be translated in the same step.
pub const TICK_SECONDS_MAX: f64 = 60.0;

/// Reads and checks a scenario file. Relative `genome_file` paths are relative to the file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let fail = |message: String| ScenarioError { file: file.clone(), where_: "1:1".into(), message };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read scenario: {e}")))?;
    if meta.len() > SCENARIO_BYTES_MAX {
        return Err(fail(format!("scenario is {} bytes, more than the {SCENARIO_BYTES_MAX} accepted", meta.len())));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read scenario: {e}")))?;
    parse(&text, &file, path.parent().unwrap_or(Path::new(".")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    format_version: Spanned<i64>,
    #[serde(default)]
    name: Option<String>,
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
    ribosomes: Option<u64>,
    rnap: Option<u64>,
    atp_per_s: Option<u64>,
    atp_store_max: Option<u64>,
    dna_space_kb: Option<u64>,
    max_vms: Option<u32>,
    reserve_fraction: Option<Spanned<f64>>,
    ribosome_reserve_fraction: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVm {
    id: Spanned<String>,
    organism: Spanned<String>,
    genome_file: Option<Spanned<String>>,
    memory_kb: Option<Spanned<u64>>,
    autostart: Option<bool>,
    weight: Option<Spanned<u32>>,
    priority: Option<i32>,
    atp_cap_percent: Option<Spanned<f64>>,
    atp_reserve_percent: Option<Spanned<f64>>,
    ribosome_cap: Option<u64>,
    ribosome_reserve: Option<u64>,
}

/// The allocation fields that VMs and `set` events share.
struct RawAllocation {
    weight: Option<Spanned<u32>>,
    priority: Option<i32>,
    atp_cap_percent: Option<Spanned<f64>>,
    atp_reserve_percent: Option<Spanned<f64>>,
    ribosome_cap: Option<u64>,
    ribosome_reserve: Option<u64>,
}

/// Both raw VMs and raw events carry the allocation fields inline (serde's `flatten`
/// would lose their spans).
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    tick: Spanned<u64>,
    vm: Spanned<String>,
    action: Spanned<String>,
    weight: Option<Spanned<u32>>,
    priority: Option<i32>,
    atp_cap_percent: Option<Spanned<f64>>,
    atp_reserve_percent: Option<Spanned<f64>>,
    ribosome_cap: Option<u64>,
    ribosome_reserve: Option<u64>,
}

/// Turns byte offsets into `line:column` for one text.
struct Locator<'a> {
    file: &'a str,
    text: &'a str,
}

impl Locator<'_> {
    fn at(&self, span: &Range<usize>, message: impl Into<String>) -> ScenarioError {
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ScenarioError { file: self.file.to_string(), where_: format!("{line}:{column}"), message: message.into() }
    }

    fn field(&self, field: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError { file: self.file.to_string(), where_: field.to_string(), message: message.into() }
    }
}

/// Parses and checks scenario text. `file` names it in errors; `base` resolves relative
/// genome paths.
pub fn parse(text: &str, file: &str, base: &Path) -> Result<Scenario, ScenarioError> {
    let loc = Locator { file, text };
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        loc.at(&span, e.message().trim().to_string())
    })?;
    if *raw.format_version.get_ref() != i64::from(SCENARIO_FORMAT_VERSION) {
        return Err(loc.at(
            &raw.format_version.span(),
            format!(
                "format_version {} is not supported; this bioxen reads format_version = {SCENARIO_FORMAT_VERSION}",
                raw.format_version.get_ref()
            ),
        ));
    }
    let sim = &raw.simulation;
    if *sim.ticks.get_ref() == 0 {
        return Err(loc.at(&sim.ticks.span(), "ticks must be at least 1"));
    }
    let tick_seconds = match &sim.tick_seconds {
        None => 1.0,
        Some(t) => {
            let v = *t.get_ref();
            if !(v.is_finite() && v > 0.0 && v <= TICK_SECONDS_MAX) {
                return Err(
                    loc.at(&t.span(), format!("tick_seconds must be a number in (0, {TICK_SECONDS_MAX}], not {v}"))
                );
            }
            v
        }
    };
    let policy = PolicyKind::from_name(sim.policy.get_ref()).ok_or_else(|| {
        loc.at(
            &sim.policy.span(),
            format!("unknown policy `{}`; expected one of: {}", sim.policy.get_ref(), policy_names()),
        )
    })?;
    let p = sim.policy_params;
    if p.quantum_ticks == 0 || p.quanta_per_vm == 0 || p.credit_period_ticks == 0 {
        return Err(loc.field(
            "simulation.policy_params",
            "quantum_ticks, quanta_per_vm and credit_period_ticks must be at least 1",
        ));
    }
    let chassis = resolve_chassis(&raw.chassis, &loc)?;
    let vms = resolve_vms(&raw.vms, &loc, base, &chassis)?;
    let events = resolve_events(&raw.events, &vms, *sim.ticks.get_ref(), &loc)?;
    Ok(Scenario {
        format_version: SCENARIO_FORMAT_VERSION,
        name: raw.name.clone().unwrap_or_else(|| file_stem(file)),
        seed: sim.seed,
        ticks: *sim.ticks.get_ref(),
        tick_seconds,
        policy,
        policy_params: p,
        chassis,
        vms: vms.into_iter().map(|(spec, _)| spec).collect(),
        events,
    })
}

fn file_stem(file: &str) -> String {
    Path::new(file).file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
}

fn policy_names() -> String {
    PolicyKind::ALL.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
}

fn fraction(value: &Option<Spanned<f64>>, default: f64, loc: &Locator) -> Result<f64, ScenarioError> {
    match value {
        None => Ok(default),
        Some(v) if v.get_ref().is_finite() && (0.0..1.0).contains(v.get_ref()) => Ok(*v.get_ref()),
        Some(v) => Err(loc.at(&v.span(), format!("a reserve fraction must be in [0, 1), not {}", v.get_ref()))),
    }
}

fn resolve_chassis(raw: &RawChassis, loc: &Locator) -> Result<crate::chassis::Chassis, ScenarioError> {
    let kind = ChassisKind::ALL.into_iter().find(|k| k.name() == raw.kind.get_ref()).ok_or_else(|| {
        let names: Vec<_> = ChassisKind::ALL.iter().map(|k| k.name()).collect();
        loc.at(
            &raw.kind.span(),
            format!("unknown chassis `{}`; expected one of: {}", raw.kind.get_ref(), names.join(", ")),
        )
    })?;
    let mut c = kind.defaults();
    c.ribosomes = raw.ribosomes.unwrap_or(c.ribosomes);
    c.rnap = raw.rnap.unwrap_or(c.rnap);
    c.atp_per_s = raw.atp_per_s.unwrap_or(c.atp_per_s);
    c.atp_store_max = raw.atp_store_max.unwrap_or(c.atp_store_max);
    c.dna_space_kb = raw.dna_space_kb.unwrap_or(c.dna_space_kb);
    c.max_vms = raw.max_vms.unwrap_or(c.max_vms);
    c.reserve_fraction = fraction(&raw.reserve_fraction, c.reserve_fraction, loc)?;
    c.ribosome_reserve_fraction = fraction(&raw.ribosome_reserve_fraction, c.ribosome_reserve_fraction, loc)?;
    if c.max_vms == 0 {
        return Err(loc.field("chassis.max_vms", "must be at least 1"));
    }
    Ok(c)
}

fn percent(value: &Option<Spanned<f64>>, name: &str, loc: &Locator) -> Result<Option<f64>, ScenarioError> {
    match value {
        None => Ok(None),
        Some(v) if v.get_ref().is_finite() && (0.0..=100.0).contains(v.get_ref()) => Ok(Some(*v.get_ref())),
        Some(v) => Err(loc.at(&v.span(), format!("{name} must be a percentage in [0, 100], not {}", v.get_ref()))),
    }
}

fn change_of(raw: &RawAllocation, loc: &Locator) -> Result<AllocationChange, ScenarioError> {
    if let Some(w) = &raw.weight
        && *w.get_ref() == 0
    {
        return Err(loc.at(&w.span(), "weight must be at least 1"));
    }
    Ok(AllocationChange {
        weight: raw.weight.as_ref().map(|w| *w.get_ref()),
        priority: raw.priority,
        atp_cap_percent: percent(&raw.atp_cap_percent, "atp_cap_percent", loc)?,
        atp_reserve_percent: percent(&raw.atp_reserve_percent, "atp_reserve_percent", loc)?,
        ribosome_cap: raw.ribosome_cap,
        ribosome_reserve: raw.ribosome_reserve,
    })
}

/// Checks one allocation against the pools; `what` names it in errors.
fn check_allocation(a: &Allocation, what: &str, loc: &Locator) -> Result<(), ScenarioError> {
    if a.atp_reserve_percent > a.atp_cap_percent {
        return Err(loc.field(
            what,
            format!("atp_reserve_percent {} is above atp_cap_percent {}", a.atp_reserve_percent, a.atp_cap_percent),
        ));
    }
    if let Some(cap) = a.ribosome_cap
        && a.ribosome_reserve > cap
    {
        return Err(loc.field(what, format!("ribosome_reserve {} is above ribosome_cap {cap}", a.ribosome_reserve)));
    }
    Ok(())
}

fn resolve_vms(
    raw: &[RawVm],
    loc: &Locator,
    base: &Path,
    chassis: &crate::chassis::Chassis,
) -> Result<Vec<(VmSpec, Range<usize>)>, ScenarioError> {
    let mut seen: BTreeMap<&str, Range<usize>> = BTreeMap::new();
    let mut vms = Vec::with_capacity(raw.len());
    let mut loaded: BTreeMap<String, Genome> = BTreeMap::new();
    for v in raw {
        let id = v.id.get_ref().as_str();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            return Err(
                loc.at(&v.id.span(), format!("VM id `{id}` must be non-empty letters, digits, `-`, `_` or `.`"))
            );
        }
        if let Some(first) = seen.get(id) {
            let f = loc.at(first, "");
            return Err(loc.at(&v.id.span(), format!("duplicate VM id `{id}` (first defined at {})", f.where_)));
        }
        seen.insert(id, v.id.span());
        let organism = Organism::from_name(v.organism.get_ref()).ok_or_else(|| {
            let names: Vec<_> = Organism::ALL.iter().map(|o| o.name()).collect();
            loc.at(
                &v.organism.span(),
                format!("unknown organism `{}`; expected one of: {}", v.organism.get_ref(), names.join(", ")),
            )
        })?;
        let genome = match &v.genome_file {
            None => GenomeSource::Builtin,
            Some(f) => {
                let path = base.join(f.get_ref());
                let key = path.display().to_string();
                let genome = match loaded.get(&key) {
                    Some(g) => g.clone(),
                    None => {
                        let mut g = crate::genbank::load(&path).map_err(|e| loc.at(&f.span(), e.to_string()))?;
                        // The path as written, not as resolved: where the checkout lives must
                        // not reach the scenario's hash, hence the digest.
                        g.source = f.get_ref().clone();
                        loaded.insert(key, g.clone());
                        g
                    }
                };
                GenomeSource::File(genome)
            }
        };
        let genome_kb = match &genome {
            GenomeSource::Builtin => organism.profile().genome_kb(),
            GenomeSource::File(g) => g.length_kb(),
        };
        if genome_kb > chassis.dna_space_kb {
            return Err(loc.at(
                &v.id.span(),
                format!(
                    "VM `{id}`: its genome is {genome_kb} kb, larger than the {} chassis DNA space of {} kb",
                    chassis.kind.name(),
                    chassis.dna_space_kb
                ),
            ));
        }
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
        check_allocation(&allocation, &format!("vm.{id}"), loc)?;
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
    if vms.len() > chassis.max_vms as usize {
        return Err(loc.field(
            "vm",
            format!(
                "{} VMs, but the {} chassis allows {} (chassis.max_vms)",
                vms.len(),
                chassis.kind.name(),
                chassis.max_vms
            ),
        ));
    }
    let memory_total: u64 = vms.iter().map(|(v, _)| v.memory_kb).sum();
    if memory_total > chassis.dna_space_kb {
        return Err(loc.field(
            "vm.memory_kb",
            format!("the VMs need {memory_total} kb of DNA space, but the chassis has {} kb", chassis.dna_space_kb),
        ));
    }
    check_reservations(vms.iter().map(|(v, _)| &v.allocation), chassis, loc, "vm")?;
    vms.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    Ok(vms)
}

fn check_reservations<'a>(
    allocations: impl Iterator<Item = &'a Allocation> + Clone,
    chassis: &crate::chassis::Chassis,
    loc: &Locator,
    what: &str,
) -> Result<(), ScenarioError> {
    let atp: f64 = allocations.clone().map(|a| a.atp_reserve_percent).sum();
    if atp > 100.0 {
        return Err(loc.field(what, format!("ATP reservations add up to {atp} %, more than 100 %")));
    }
    let ribosomes: u64 = allocations.map(|a| a.ribosome_reserve).sum();
    let available = (chassis.ribosomes as f64 * (1.0 - chassis.ribosome_reserve_fraction)).floor() as u64;
    if ribosomes > available {
        return Err(loc.field(
            what,
            format!("ribosome reservations add up to {ribosomes}, more than the {available} the chassis offers guests"),
        ));
    }
    Ok(())
}

fn resolve_events(
    raw: &[RawEvent],
    vms: &[(VmSpec, Range<usize>)],
    ticks: u64,
    loc: &Locator,
) -> Result<Vec<Event>, ScenarioError> {
    let mut events = Vec::with_capacity(raw.len());
    let mut spans = Vec::with_capacity(raw.len());
    for e in raw {
        let name = e.vm.get_ref();
        let vm = vms
            .binary_search_by(|(v, _)| v.id.as_str().cmp(name))
            .map_err(|_| loc.at(&e.vm.span(), format!("event for unknown VM `{name}`")))?;
        if *e.tick.get_ref() >= ticks {
            return Err(loc.at(
                &e.tick.span(),
                format!("event at tick {} is after the run's last tick {}", e.tick.get_ref(), ticks - 1),
            ));
        }
        let change = change_of(&raw_allocation!(e), loc)?;
        let action = match e.action.get_ref().as_str() {
            "start" => Action::Lifecycle(Transition::Start),
            "pause" => Action::Lifecycle(Transition::Pause),
            "resume" => Action::Lifecycle(Transition::Resume),
            "stop" => Action::Lifecycle(Transition::Stop),
            "destroy" => Action::Lifecycle(Transition::Destroy),
            "set" if change != AllocationChange::default() => Action::Set(change),
            "set" => return Err(loc.at(&e.action.span(), "a `set` event must change at least one of weight, priority, atp_cap_percent, atp_reserve_percent, ribosome_cap, ribosome_reserve")),
            other => {
                return Err(loc.at(&e.action.span(), format!("unknown action `{other}`; expected one of: start, pause, resume, stop, destroy, set")));
            }
        };
        if matches!(action, Action::Lifecycle(_)) && change != AllocationChange::default() {
            return Err(loc.at(&e.action.span(), "allocation fields belong on a `set` event"));
        }
        events.push(Event { tick: *e.tick.get_ref(), vm: vm as u32, action });
        spans.push(e.action.span());
    }
    // Stable: file order within a tick.
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| events[i].tick);
    // Play the timeline to find impossible transitions and broken allocations before
    // anything runs.
    let mut states: Vec<Lifecycle> =
        vms.iter().map(|(v, _)| if v.autostart { Lifecycle::Running } else { Lifecycle::Created }).collect();
    let mut allocations: Vec<Allocation> = vms.iter().map(|(v, _)| v.allocation).collect();
    for &i in &order {
        let (e, span) = (&events[i], &spans[i]);
        let id = &vms[e.vm as usize].0.id;
        match e.action {
            Action::Lifecycle(t) => {
                let state = states[e.vm as usize];
                states[e.vm as usize] = state.after(t).ok_or_else(|| {
                    loc.at(span, format!("at tick {}: cannot {} VM `{id}`: it is {}", e.tick, t.name(), state.name()))
                })?;
            }
            Action::Set(change) => {
                change.apply(&mut allocations[e.vm as usize]);
                let a = &allocations[e.vm as usize];
                check_allocation(a, &format!("event at tick {} for VM `{id}`", e.tick), loc)
                    .map_err(|err| loc.at(span, err.message))?;
            }
        }
    }
    Ok(order.into_iter().map(|i| events[i]).collect())
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
        parse(text, "t.toml", Path::new(".")).unwrap_err()
    }

    #[test]
    fn good_scenario_resolves_sorted() {
        let s = parse(GOOD, "t.toml", Path::new(".")).unwrap();
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
    }
}
