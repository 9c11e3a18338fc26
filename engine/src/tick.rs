//! The phases of a tick, as functions. Every runtime runs a tick by calling these, in
//! this order, and nothing else: the engine's loop ([`crate::sim::Simulation::step_into`])
//! calls them one after the other on one machine; the actor runtime calls phase 1 in its
//! coordinator, phase 2 in its scheduler, phase 3 in its VM actors and relays (one block
//! per arbiter) and phase 4 back in its coordinator. A remote worker needs phase 3 only.
//!
//! 1. [`apply_due_events`]: the timeline's events for this tick change lifecycles, cells
//!    (transcription switches, inducers, installed packages) and allocations, and are
//!    listed for the tick's record (after any command given since the last tick, which
//!    applied when it was given).
//! 2. [`ration`]: the guests' pools offered (the ATP made this tick plus the store), and
//!    every running VM's demand rationed in VM order under the policy: the tick's
//!    [`TickHead`] and a grant per running VM.
//! 3. `advance_records` (or, one VM at a time, [`advance`] then [`Block::push`]): each
//!    running VM advances with its grant, drawing only from its own stream, and works out
//!    its next demand; every VM that exists (neither absent nor destroyed) is recorded and encoded, in VM order,
//!    into its block.
//! 4. [`finish`]: the head and the blocks, in VM order, are chained into the digest — the
//!    same bytes as the canonical encoding of the whole [`TickRecord`], which a debug
//!    assertion checks — and assembled into the record.
//!
//! Phases 1, 2 and 4 are sequential; phase 3 touches each VM alone, so its blocks can run
//! anywhere (threads, arbiters, hosts) and in any order.

use crate::codec;
use crate::error::SimError;
use crate::hypervisor::Hypervisor;
use crate::lifecycle::{Lifecycle, LifecycleError, Transition};
use crate::package::{Inducer, Package};
use crate::program::Program;
pub use crate::record::TickHead;
use crate::record::{EventRecord, TickRecord, VmRecord, digest_chain, digest_chain_pieces};
use crate::resources::Resources;
use crate::scenario::{Action, Allocation, Scenario};
use crate::vm::Vm;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Whatever holds the VMs' lifecycle states: the engine's VMs, or a runtime's mirror of them.
pub trait Lifecycles {
    /// VM `vm`'s state, if there is such a VM.
    fn lifecycle_mut(&mut self, vm: usize) -> Option<&mut Lifecycle>;
}

impl Lifecycles for [Vm] {
    fn lifecycle_mut(&mut self, vm: usize) -> Option<&mut Lifecycle> {
        self.get_mut(vm).map(|v| &mut v.lifecycle)
    }
}

impl Lifecycles for [Lifecycle] {
    fn lifecycle_mut(&mut self, vm: usize) -> Option<&mut Lifecycle> {
        self.get_mut(vm)
    }
}

/// A change phase 1 makes to one cell, besides its lifecycle: what timeline events other
/// than transitions and `set`s do. Plain data, so a runtime can carry it to where the cell
/// is (the actors send it to the VM's actor with the tick).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CellChange {
    /// Switch a transcription unit on or off.
    Transcription {
        /// The unit.
        unit: u32,
        /// On or off.
        on: bool,
    },
    /// Set an inducer's concentration (µM; 0 removes it).
    Inducer {
        /// Which.
        inducer: Inducer,
        /// µM.
        micromolar: f64,
    },
    /// Install a package: its index in the scenario, and its contents.
    Install {
        /// Index in the scenario's packages.
        index: u32,
        /// The package.
        package: Package,
    },
}

/// Applies `change` to a cell and its program: the one definition, which every runtime
/// calls where the cell is. Installing gives the cell a program of its own: its old one
/// with the package appended ([`Program::install`]).
pub fn change_cell(vm: &mut Vm, program: &mut Arc<Program>, change: &CellChange) {
    match change {
        CellChange::Transcription { unit, on } => vm.switch_transcription(*unit, *on),
        CellChange::Inducer { inducer, micromolar } => vm.set_inducer(*inducer, *micromolar),
        CellChange::Install { index, package } => {
            Arc::make_mut(program).install(package);
            vm.install(*index, program);
        }
    }
}

/// Checks `change` against the cell it is for by the gate's rules — a unit the cell has,
/// an inducer level the gate takes, a package that passes the package gate, works in the
/// cell's organism, is not installed yet and keeps the cell within the genes a cell may
/// have. [`change_cell`] trusts its input (the gate checked the events it comes from); a
/// runtime given changes from elsewhere (a remote worker's coordinator) checks them here
/// first.
pub fn check_change(vm: &Vm, program: &Program, change: &CellChange) -> Result<(), String> {
    match change {
        CellChange::Transcription { unit, .. } if *unit as usize >= program.units() => {
            Err(format!("transcription unit #{unit}, but the cell has {}", program.units()))
        }
        CellChange::Transcription { .. } => Ok(()),
        CellChange::Inducer { micromolar, .. } => crate::scenario::check::inducer(*micromolar),
        CellChange::Install { index, package } => {
            package.check().map_err(|e| format!("package: {e}"))?;
            if !package.supports(program.organism) {
                return Err(format!(
                    "package `{}` does not support organism {}",
                    package.name,
                    program.organism.name()
                ));
            }
            if vm.installed().contains(index) {
                return Err(format!("package #{index} is already installed"));
            }
            let genes = program.genes() + package.genes.len();
            if genes > crate::scenario::limits::GENES_MAX {
                return Err(format!("the cell would have {genes} genes, more than a cell may"));
            }
            Ok(())
        }
    }
}

/// Whatever holds the VMs' cells as phase 1 changes them: their lifecycles and the other
/// changes events make ([`CellChange`]). The engine changes its own cells
/// (`LocalCells`); a runtime that keeps cells elsewhere (the actors) forwards the change to
/// where the cell is, to apply before the VM's next advance.
pub trait Cells: Lifecycles {
    /// Makes `change` to VM `vm`'s cell; false if there is no such VM.
    fn change(&mut self, vm: usize, change: CellChange) -> bool;
}

/// Cells held here, with their programs: the engine's.
pub(crate) struct LocalCells<'a> {
    /// The cells, in VM order.
    pub(crate) vms: &'a mut [Vm],
    /// Each cell's program.
    pub(crate) programs: &'a mut [Arc<Program>],
}

impl Lifecycles for LocalCells<'_> {
    fn lifecycle_mut(&mut self, vm: usize) -> Option<&mut Lifecycle> {
        self.vms.lifecycle_mut(vm)
    }
}

impl Cells for LocalCells<'_> {
    fn change(&mut self, vm: usize, change: CellChange) -> bool {
        match (self.vms.get_mut(vm), self.programs.get_mut(vm)) {
            (Some(cell), Some(program)) => {
                change_cell(cell, program, &change);
                true
            }
            _ => false,
        }
    }
}

/// Moves VM `vm` through transition `t`, or says why it cannot, naming the VM and its
/// state. The one place a lifecycle changes, for every runtime and for direct commands.
pub fn apply_transition(
    scenario: &Scenario,
    lifecycles: &mut (impl Lifecycles + ?Sized),
    vm: usize,
    t: Transition,
) -> Result<(), LifecycleError> {
    let id = || scenario.vms.get(vm).map_or_else(|| format!("#{vm}"), |v| v.id.clone());
    let Some(state) = lifecycles.lifecycle_mut(vm) else {
        return Err(LifecycleError { vm: id(), state: None, transition: t });
    };
    *state = state.after(t).ok_or_else(|| LifecycleError { vm: id(), state: Some(*state), transition: t })?;
    Ok(())
}

/// Phase 1: applies the timeline events due at `tick` (those not yet applied, in scenario
/// order), advancing `next_event`; refuses while a timeline script due by `tick` is
/// unresolved ([`SimError::ScriptDue`]): transitions and creations change the cells'
/// lifecycles, transcription switches the cells, `set` events `allocations`. Each is
/// appended to `applied`, for the tick's record.
pub fn apply_due_events(
    scenario: &Scenario,
    next_event: &mut usize,
    tick: u64,
    cells: &mut (impl Cells + ?Sized),
    allocations: &mut [Allocation],
    applied: &mut Vec<EventRecord>,
) -> Result<(), SimError> {
    if let Some(script) = scenario.script_due(tick) {
        return Err(SimError::ScriptDue { tick, name: script.name.clone() });
    }
    while let Some(event) = scenario.events.get(*next_event) {
        if event.tick > tick {
            break;
        }
        let vm = event.vm as usize;
        match event.action {
            Action::Lifecycle(t) => {
                apply_transition(scenario, cells, vm, t).map_err(|source| SimError::Lifecycle { tick, source })?
            }
            Action::Create(_) => apply_transition(scenario, cells, vm, Transition::Create)
                .map_err(|source| SimError::Lifecycle { tick, source })?,
            Action::Transcription { unit, on } => {
                if !cells.change(vm, CellChange::Transcription { unit, on }) {
                    return Err(SimError::NoSuchVm { tick, vm: event.vm });
                }
            }
            Action::Inducer { inducer, micromolar } => {
                if !cells.change(vm, CellChange::Inducer { inducer, micromolar }) {
                    return Err(SimError::NoSuchVm { tick, vm: event.vm });
                }
            }
            Action::Install { hash } => {
                let installed = scenario
                    .package_index(&hash)
                    .map(|index| CellChange::Install { index, package: scenario.packages[index as usize].clone() });
                if !installed.is_some_and(|change| cells.change(vm, change)) {
                    return Err(SimError::NoSuchVm { tick, vm: event.vm });
                }
            }
            Action::Set(change) => {
                let allocation = allocations.get_mut(vm).ok_or(SimError::NoSuchVm { tick, vm: event.vm })?;
                change.apply(allocation);
            }
        }
        applied.push(EventRecord { vm: event.vm, action: event.action });
        *next_event += 1;
    }
    Ok(())
}

/// What a VM asks for this tick: its next demand if it is running, nothing otherwise.
pub fn demand(state: Lifecycle, next_demand: Resources) -> Option<Resources> {
    (state == Lifecycle::Running).then_some(next_demand)
}

/// Phase 2: offers the guests' pools (this tick's ATP and the store's) and rations the
/// demands in `slots` (one per VM, `None` for a VM that does not run; see [`demand`]) under
/// the policy, in VM order, each running VM's demand replaced by its grant in place, so
/// that a runtime reuses one vector tick after tick. `events` are the tick's from phase 1,
/// carried into the returned head.
pub fn ration(
    scenario: &Scenario,
    hypervisor: &mut Hypervisor,
    tick: u64,
    events: Vec<EventRecord>,
    slots: &mut [Option<Resources>],
    allocations: &[Allocation],
) -> TickHead {
    let pool = hypervisor.offer(&scenario.chassis, scenario.tick_seconds);
    hypervisor.ration_in_place(tick, pool, slots, allocations, scenario.chassis.atp_store_max);
    TickHead { tick, pool, atp_store: hypervisor.atp_store, events }
}

/// Phase 3 for one running VM: advances VM `index` with its grant, works out its next
/// demand, and returns its record. The record says `running` whatever `vm.lifecycle`
/// holds: only running VMs are granted, and a runtime may keep lifecycles elsewhere (the
/// actors keep them in the coordinator, not in each VM's copy).
pub fn advance(
    index: usize,
    vm: &mut Vm,
    program: &Program,
    demand: Resources,
    grant: Resources,
    tick_seconds: f64,
) -> VmRecord {
    vm.advance(program, demand, grant, tick_seconds);
    vm.refresh_demand(program, tick_seconds);
    VmRecord { state: Lifecycle::Running, ..VmRecord::of(index, vm, Some(demand), Some(grant)) }
}

/// A contiguous block of a tick's VM records and their canonical encoding: exactly the
/// bytes they add to the encoding of the whole record. Made where the VMs advance, so
/// encoding runs in parallel like the biology.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The VM records, in VM order.
    pub(crate) records: Vec<VmRecord>,
    /// Their encodings, concatenated.
    pub(crate) bytes: Vec<u8>,
}

impl Block {
    /// Records and encodes one VM, unless it does not exist (a VM destroyed, or absent
    /// until its `create` event, has no record).
    pub fn push(&mut self, record: VmRecord) {
        if record.state.exists() {
            record.encode_into(&mut self.bytes);
            self.records.push(record);
        }
    }

    /// Records one VM without encoding it (as [`Block::push`], bytes left empty): for a
    /// block whose encoding is made elsewhere — a remote worker's, which the coordinator
    /// encodes from the records it receives.
    pub fn push_unencoded(&mut self, record: VmRecord) {
        if record.state.exists() {
            self.records.push(record);
        }
    }

    /// The block's records, in VM order.
    pub fn records(&self) -> &[VmRecord] {
        &self.records
    }

    /// Appends `other`, the next contiguous block, to this one.
    pub fn append(&mut self, other: &Block) {
        self.records.extend_from_slice(&other.records);
        self.bytes.extend_from_slice(&other.bytes);
    }

    /// Empties the block, keeping its allocations for the next tick.
    pub fn clear(&mut self) {
        self.records.clear();
        self.bytes.clear();
    }
}

/// Phase 3 for a block of VMs, `first` being the index of `vms[0]`: every VM with a grant
/// advances ([`advance`]) on the demand it made ([`Vm::next_demand`], unchanged since phase
/// 2 read it); every VM's record goes to its place in `records` (an idle one with its
/// unchanged cell and no demand or grant), and the records of the VMs that exist are
/// encoded into `bytes` (cleared first). Writing in place, rather than into a block copied
/// into the tick's record afterwards, keeps one copy of the records, not two. With
/// `PREFETCH`, each VM's next neighbour is fetched into cache while it advances
/// ([`crate::prefetch`]).
pub(crate) fn advance_records<const PREFETCH: bool>(
    first: usize,
    vms: &mut [Vm],
    programs: &[Arc<Program>],
    grants: &[Option<Resources>],
    tick_seconds: f64,
    records: &mut [VmRecord],
    bytes: &mut Vec<u8>,
) {
    bytes.clear();
    for k in 0..vms.len().min(records.len()) {
        if PREFETCH && let Some(next) = vms.get(k + 1) {
            next.prefetch();
        }
        let (vm, out) = (&mut vms[k], &mut records[k]);
        *out = match grants[k] {
            Some(g) => advance(first + k, vm, &programs[k], vm.next_demand(), g, tick_seconds),
            None => VmRecord::of(first + k, vm, None, None),
        };
        if out.state.exists() {
            out.encode_into(bytes);
        }
    }
}

/// Phase 4: chains the tick into `digest` from its pieces — the head's encoding, then each
/// block's bytes in VM order: the same bytes as the whole record's canonical encoding,
/// hashed without assembling them — and fills `record` (reusing its allocation). `scratch`
/// is a reusable buffer for the head.
pub fn finish(digest: &mut [u8; 32], head: TickHead, blocks: &[Block], scratch: &mut Vec<u8>, record: &mut TickRecord) {
    record.vms.clear();
    record.vms.reserve(blocks.iter().map(|b| b.records.len()).sum());
    for b in blocks {
        record.vms.extend_from_slice(&b.records);
    }
    seal(digest, head, blocks.iter().map(|b| b.bytes.as_slice()), scratch, record);
}

/// Phase 4 for a record whose VM records are in place already: chains the head's
/// encoding and `pieces`, the records' encodings in VM order, into `digest`, and gives
/// `record` the head.
pub(crate) fn seal<'a>(
    digest: &mut [u8; 32],
    head: TickHead,
    pieces: impl Iterator<Item = &'a [u8]>,
    scratch: &'a mut Vec<u8>,
    record: &mut TickRecord,
) {
    scratch.clear();
    TickRecord::encode_head_into(&head, record.vms.len(), scratch);
    let next = digest_chain_pieces(digest, std::iter::once(scratch.as_slice()).chain(pieces));
    (record.tick, record.pool, record.atp_store, record.events) = (head.tick, head.pool, head.atp_store, head.events);
    debug_assert_eq!(next, digest_chain(digest, &codec::encode(&*record)), "the pieces are not the record's encoding");
    *digest = next;
}
