//! Runs rebuilt from values: a whole run's saved state ([`SavedRun`]), a contiguous part
//! of its VMs ([`Part`]), or a run one VM at a time as its cells arrive ([`Restorer`]).
//!
//! Every way goes through the one gate, in one order: the scenario
//! ([`Scenario::check`]), the counts, the host's side (its position in the run and the
//! timeline, its commands, the scheduler's state), every allocation, every cell's
//! packages, and each cell as it becomes a VM ([`Vm::from_cell`]). A [`Restorer`] turns
//! each cell into a VM as it comes and keeps the first refusal of each kind, so that its
//! error is the one a whole [`SavedRun`] would have had, while never holding every cell and
//! every VM at once (a cell is a plain vector per gene, ~3.6 kB for syn3A, the VM it
//! becomes ~2 kB: a million-VM checkpoint read whole would hold both).

use crate::cell::Cell;
use crate::error::{SimError, StateError};
use crate::program::Program;
use crate::programs::Programs;
use crate::scenario::limits::EVENTS_MAX;
use crate::scenario::{Allocation, Scenario, VmSpec, check};
use crate::sim::{HostState, Simulation};
use crate::vm::Vm;
use std::sync::Arc;

/// A whole run between ticks as a value: the host's side and every VM's cell, in VM
/// order. What a checkpoint stores and a runtime's snapshot returns;
/// [`Simulation::restore`] turns it back into a run, through the gate.
#[derive(Clone, Debug)]
pub struct SavedRun {
    /// Everything but the cells.
    pub host: HostState,
    /// Each VM's cell, in scenario order.
    pub cells: Vec<Cell>,
}

/// The host's side against the scenario, allocations aside: its position in the run and
/// the timeline, its commands and the scheduler's state.
fn check_host(h: &HostState, scenario: &Scenario) -> Result<(), StateError> {
    let n = scenario.vms.len();
    // Events before `next_event` have applied (their ticks are past), the others not.
    let events = &scenario.events;
    // A script whose tick is past has been resolved into events and removed.
    let position_fits = h.tick <= scenario.ticks
        && h.next_event <= events.len()
        && events[..h.next_event].iter().all(|e| e.tick < h.tick)
        && events[h.next_event..].iter().all(|e| e.tick >= h.tick)
        && scenario.scripts.iter().all(|s| s.tick >= h.tick);
    if !position_fits {
        return Err(StateError::Position {
            tick: h.tick,
            next_event: h.next_event,
            events: events.len(),
            ticks: scenario.ticks,
        });
    }
    if h.commands.len() > EVENTS_MAX || h.commands.iter().any(|c| c.vm as usize >= n) {
        return Err(StateError::Commands);
    }
    let scheduler = &h.hypervisor;
    scheduler.policy.check(scenario.policy, &scenario.policy_params, n).map_err(StateError::Scheduler)?;
    if scheduler.atp_store > scenario.chassis.atp_store_max {
        return Err(StateError::Scheduler(format!(
            "an ATP store of {}, more than the chassis' {}",
            scheduler.atp_store, scenario.chassis.atp_store_max
        )));
    }
    Ok(())
}

fn check_allocation(a: &Allocation, spec: &VmSpec) -> Result<(), StateError> {
    check::allocation(a).map_err(|message| StateError::Allocation { vm: spec.id.clone(), message })
}

/// Refuses a cell whose packages are not ones the scenario has, each once (its program is
/// compiled from them before the cell itself is checked).
fn check_packages(cell: &Cell, spec: &VmSpec, scenario: &Scenario) -> Result<(), StateError> {
    let installed = cell.installed();
    let fits = installed
        .iter()
        .enumerate()
        .all(|(k, &p)| (p as usize) < scenario.packages.len() && !installed[..k].contains(&p));
    if !fits {
        return Err(StateError::Vm { vm: spec.id.clone(), source: crate::vm::VmStateError::Packages });
    }
    Ok(())
}

/// VMs rebuilt from their cells one at a time, in VM order, each through the gate as it
/// comes; the first refusal of each kind is kept, and after any refusal no more VMs are
/// built (the result is an error), though packages are still checked, since a package
/// refusal anywhere comes before a cell's.
struct Vms {
    programs: Programs,
    /// The index of the next cell's VM.
    next: usize,
    tick: u64,
    built: Vec<Arc<Program>>,
    vms: Vec<Vm>,
    packages: Option<StateError>,
    cell: Option<StateError>,
}

impl Vms {
    fn new(first: usize, tick: u64, capacity: usize) -> Vms {
        Vms {
            programs: Programs::default(),
            next: first,
            tick,
            built: Vec::with_capacity(capacity),
            vms: Vec::with_capacity(capacity),
            packages: None,
            cell: None,
        }
    }

    /// Takes the next VM's cell; `build` false only checks its packages.
    fn push(&mut self, scenario: &Scenario, cell: Cell, build: bool) {
        let Some(spec) = scenario.vms.get(self.next) else { return };
        self.next += 1;
        if self.packages.is_none() {
            self.packages = check_packages(&cell, spec, scenario).err();
        }
        if !build || self.packages.is_some() || self.cell.is_some() {
            return;
        }
        let program = self.programs.of(scenario, spec, cell.installed());
        match Vm::from_cell(cell, &program, self.tick, scenario.tick_seconds) {
            Ok(vm) => {
                self.built.push(program);
                self.vms.push(vm);
            }
            Err(source) => self.cell = Some(StateError::Vm { vm: spec.id.clone(), source }),
        }
    }

    fn finish(self) -> Result<(Vec<Arc<Program>>, Vec<Vm>), StateError> {
        match self.packages.or(self.cell) {
            Some(e) => Err(e),
            None => Ok((self.built, self.vms)),
        }
    }
}

impl Simulation {
    /// The whole run now as a value (for checkpoints and other runtimes).
    pub fn saved(&self) -> SavedRun {
        SavedRun { host: self.host().clone(), cells: self.vms().iter().map(Vm::cell).collect() }
    }

    /// Continues a run from its saved state (a checkpoint's, another runtime's). Both pass
    /// the gate, in its one order (the module's docs), each cell as it becomes a VM
    /// ([`Vm::from_cell`]), so a state from untrusted bytes runs like any other.
    pub fn restore(scenario: Scenario, saved: SavedRun) -> Result<Simulation, SimError> {
        let SavedRun { mut host, cells } = saved;
        let allocations = std::mem::take(&mut host.allocations);
        if allocations.len() != cells.len() {
            scenario.check()?;
            let vms = scenario.vms.len();
            return Err(StateError::VmCount { states: cells.len(), allocations: allocations.len(), vms }.into());
        }
        let mut restorer = Restorer::new(scenario, host);
        for (allocation, cell) in allocations.into_iter().zip(cells) {
            restorer.push(allocation, cell);
        }
        restorer.finish()
    }
}

/// A contiguous part of a run's VMs, restored where they advance (a remote worker's): the
/// VMs `first..first + vms.len()` and their compiled programs.
pub struct Part {
    /// The index of the first VM.
    pub first: usize,
    /// Each VM's compiled program.
    pub programs: Vec<Arc<Program>>,
    /// The VMs.
    pub vms: Vec<Vm>,
}

impl Part {
    /// Restores VMs `first..first + cells.len()` of `scenario` at `tick` from their cells,
    /// through the gate [`Simulation::restore`] uses (the scenario, then each cell's
    /// packages and the cell itself), so that cells from untrusted bytes run like any
    /// other.
    pub fn restore(scenario: &Scenario, first: usize, cells: Vec<Cell>, tick: u64) -> Result<Part, SimError> {
        scenario.check()?;
        let end = first.saturating_add(cells.len());
        if scenario.vms.get(first..end).is_none() {
            return Err(StateError::VmCount { states: end, allocations: end, vms: scenario.vms.len() }.into());
        }
        let mut vms = Vms::new(first, tick, cells.len());
        for cell in cells {
            vms.push(scenario, cell, true);
        }
        let (programs, vms) = vms.finish()?;
        Ok(Part { first, programs, vms })
    }
}

/// A run rebuilt one VM at a time, as its allocations and cells arrive in VM order (from a
/// checkpoint's frames, from a runtime's actors), so that no more than one cell is held
/// beside the VMs already built. [`Restorer::finish`] reports what a whole [`SavedRun`]'s
/// restore would have: the first refusal in the gate's order.
pub struct Restorer {
    scenario: Scenario,
    host: HostState,
    /// The scenario's refusal by the gate.
    gate: Option<SimError>,
    /// The host's refusal, allocations aside.
    host_refused: Option<StateError>,
    allocation: Option<StateError>,
    cells: usize,
    vms: Vms,
}

impl Restorer {
    /// Starts restoring `scenario` at `host`'s state, whose allocations must be empty:
    /// each comes with its VM's cell ([`Restorer::push`]).
    pub fn new(scenario: Scenario, host: HostState) -> Restorer {
        let gate = scenario.check().err().map(SimError::from);
        let host_refused = if gate.is_none() { check_host(&host, &scenario).err() } else { None };
        let capacity = if gate.is_none() && host_refused.is_none() { scenario.vms.len() } else { 0 };
        let vms = Vms::new(0, host.tick, capacity);
        Restorer { scenario, host, gate, host_refused, allocation: None, cells: 0, vms }
    }

    /// Takes the next VM's allocation and cell; the VM is built now, unless something
    /// before it was refused (the result will be that refusal).
    pub fn push(&mut self, allocation: Allocation, cell: Cell) {
        self.cells += 1;
        let index = self.host.allocations.len();
        self.host.allocations.push(allocation);
        if self.gate.is_some() || self.host_refused.is_some() {
            return;
        }
        if let (None, Some(spec)) = (&self.allocation, self.scenario.vms.get(index)) {
            self.allocation = check_allocation(&self.host.allocations[index], spec).err();
        }
        self.vms.push(&self.scenario, cell, self.allocation.is_none());
    }

    /// The scenario being restored.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The run, or the first refusal in the gate's order.
    pub fn finish(self) -> Result<Simulation, SimError> {
        if let Some(e) = self.gate {
            return Err(e);
        }
        let (n, allocations) = (self.scenario.vms.len(), self.host.allocations.len());
        if self.cells != n || allocations != n {
            return Err(StateError::VmCount { states: self.cells, allocations, vms: n }.into());
        }
        if let Some(e) = self.host_refused.or(self.allocation) {
            return Err(e.into());
        }
        let (programs, vms) = self.vms.finish()?;
        Ok(Simulation::of_parts(self.scenario, programs, self.host, vms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{NoGenomeFiles, parse};

    fn four() -> Scenario {
        let mut text = String::from(
            "format_version = 1\n[simulation]\nseed = 3\nticks = 10\npolicy = \"fair\"\n[chassis]\nkind = \"ecoli\"\n",
        );
        for (i, organism) in ["syn3a", "minimal_cell", "syn3a", "syn3a"].iter().enumerate() {
            text.push_str(&format!("[[vm]]\nid = \"v{i}\"\norganism = \"{organism}\"\n"));
        }
        parse(&text, "four.toml", &mut NoGenomeFiles).unwrap()
    }

    /// Every check over the whole saved run, in the gate's order: the counts, the host's
    /// side, every allocation and every cell's packages.
    fn check_whole(saved: &SavedRun, scenario: &Scenario) -> Result<(), StateError> {
        let n = scenario.vms.len();
        let h = &saved.host;
        if saved.cells.len() != n || h.allocations.len() != n {
            return Err(StateError::VmCount { states: saved.cells.len(), allocations: h.allocations.len(), vms: n });
        }
        check_host(h, scenario)?;
        for (a, spec) in h.allocations.iter().zip(&scenario.vms) {
            check_allocation(a, spec)?;
        }
        for (cell, spec) in saved.cells.iter().zip(&scenario.vms) {
            check_packages(cell, spec, scenario)?;
        }
        Ok(())
    }

    /// The gate as it was before cells were restored one at a time: every check over the
    /// whole saved run, then each cell in order.
    fn whole(scenario: &Scenario, saved: SavedRun) -> Result<usize, String> {
        let refused = |e: StateError| SimError::from(e).to_string();
        scenario.check().map_err(|e| SimError::from(e).to_string())?;
        check_whole(&saved, scenario).map_err(refused)?;
        let mut programs = Programs::default();
        for (cell, spec) in saved.cells.into_iter().zip(&scenario.vms) {
            let program = programs.of(scenario, spec, cell.installed());
            Vm::from_cell(cell, &program, saved.host.tick, scenario.tick_seconds)
                .map_err(|source| refused(StateError::Vm { vm: spec.id.clone(), source }))?;
        }
        Ok(scenario.vms.len())
    }

    /// Every combination of a bad host, a bad allocation, bad packages and a bad cell (each
    /// at every VM) and a missing cell or allocation: restoring one cell at a time refuses
    /// with the very error the whole run's checks give, and restores what they accept.
    #[test]
    fn one_cell_at_a_time_refuses_as_the_whole_run_does() {
        let scenario = four();
        let mut sim = Simulation::new(scenario.clone()).unwrap();
        for _ in 0..3 {
            sim.step().unwrap();
        }
        let good = sim.saved();
        let at = [None, Some(0), Some(1), Some(2), Some(3)];
        let mut refusals = std::collections::BTreeSet::new();
        for host in [false, true] {
            for allocation in at {
                for packages in at {
                    for cell in at {
                        for count in 0..3 {
                            let mut saved = good.clone();
                            if host {
                                saved.host.tick = scenario.ticks + 1;
                            }
                            if let Some(i) = allocation {
                                saved.host.allocations[i].weight = 0;
                            }
                            if let Some(i) = packages {
                                saved.cells[i].installed = vec![9];
                            }
                            if let Some(i) = cell {
                                saved.cells[i].proteins.push(1);
                            }
                            match count {
                                1 => drop(saved.cells.pop()),
                                2 => drop(saved.host.allocations.pop()),
                                _ => {}
                            }
                            let expected = whole(&scenario, saved.clone());
                            let got = Simulation::restore(scenario.clone(), saved)
                                .map(|s| s.vms().len())
                                .map_err(|e| e.to_string());
                            assert_eq!(
                                got, expected,
                                "host {host}, {allocation:?} {packages:?} {cell:?}, count {count}"
                            );
                            refusals.insert(got.err().map(|e| e.split(':').take(2).collect::<String>()));
                        }
                    }
                }
            }
        }
        // Each kind of refusal was met, and the good run restored.
        assert!(refusals.len() >= 8, "{refusals:#?}");
        assert!(refusals.contains(&None));
    }

    /// A run restored one VM at a time is the run it was saved from.
    #[test]
    fn a_restored_run_goes_on_as_the_run_it_was_saved_from() {
        let mut sim = Simulation::new(four()).unwrap();
        for _ in 0..4 {
            sim.step().unwrap();
        }
        let mut restored = Simulation::restore(four(), sim.saved()).unwrap();
        assert_eq!(restored.saved().cells, sim.saved().cells);
        assert_eq!(restored.run(|_, _| {}).unwrap(), sim.run(|_, _| {}).unwrap());
    }
}
