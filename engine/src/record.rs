//! Per-tick records and the digest over them.
//!
//! A [`TickRecord`] is the canonical account of one tick: the events that applied at its
//! start, the pools offered and, for each VM in VM order, its state, demand, grant and a
//! summary of its cell. The digest chains BLAKE3 over the canonical encoding of every
//! record, starting from the run's initial configuration: `d₀ = H(domain ‖ initial)`,
//! `dₜ = H(dₜ₋₁ ‖ recordₜ)`. It is 32 bytes of state at any tick, and a run resumed from a
//! checkpoint continues the same chain.
//!
//! **What the digest covers: what determines the simulation, and nothing else.** `initial`
//! is the canonical encoding of the configuration at tick 0 (`digest_start`): the seed,
//! the tick length, the policy's initial state (which holds the parameters that policy
//! uses, and only those), the chassis, and each VM present at tick 0 — id (its stream
//! derives from it), organism, genome (by content, never by path), DNA space, state and
//! allocation. Timeline events and commands enter when they apply, in the record of that
//! tick. The scenario's name, its tick count, and where its files live never enter it: the
//! same run under another name, or run longer, gives the same digest tick by tick.
//!
//! **Rule for later features:** a feature adds to `initial` or to a record only through
//! something a scenario that uses it carries (a new event action appended to
//! [`crate::scenario::Action`], a new tagged section appended to the initial encoding when
//! present), so a scenario that does not use it keeps its digest.

use crate::biology::Organism;
use crate::chassis::Chassis;
use crate::lifecycle::Lifecycle;
use crate::policy::AnyPolicy;
use crate::resources::Resources;
use crate::scenario::limits::EVENTS_MAX;
use crate::scenario::{Action, Allocation, Scenario, VmSpec};
use serde::{Deserialize, Serialize};

/// One VM in one tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmRecord {
    /// VM index in the scenario.
    pub vm: u32,
    /// Its state during the tick.
    pub state: Lifecycle,
    /// What it asked for (zero unless running).
    pub demand: Resources,
    /// What it was granted.
    pub grant: Resources,
    /// mRNA molecules after the tick.
    pub mrna: u32,
    /// Protein molecules after the tick.
    pub proteins: u64,
    /// Protein mass in amino acids after the tick.
    pub mass_aa: u64,
    /// Proteins completed so far.
    pub proteins_made: u64,
    /// Divisions so far.
    pub divisions: u32,
}

impl VmRecord {
    /// Appends the record's canonical encoding ([`crate::codec::encode_into`]'s bytes,
    /// written field by field: serde's generic path cost ~600 instructions a record, a
    /// sixth of a syn3A VM-tick).
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        let mut bytes = [0u8; VM_RECORD_BYTES_MAX];
        let end = self.numbers().iter().fold(0, |at, &v| crate::codec::put_varint(&mut bytes, at, v));
        out.extend_from_slice(&bytes[..end]);
    }

    /// The record's fields as integers, in declaration order (the state as its code, a
    /// unit variant's index: its declaration order).
    #[inline]
    pub(crate) fn numbers(&self) -> [u64; VM_RECORD_FIELDS] {
        [
            u64::from(self.vm),
            u64::from(self.state.code()),
            self.demand.atp,
            self.demand.ribosomes,
            self.demand.rnap,
            self.grant.atp,
            self.grant.ribosomes,
            self.grant.rnap,
            u64::from(self.mrna),
            self.proteins,
            self.mass_aa,
            self.proteins_made,
            u64::from(self.divisions),
        ]
    }

    /// The record of VM `index` after its tick, with what it asked for and got (both
    /// zero when it did not run).
    pub fn of(index: usize, vm: &crate::vm::Vm, demand: Option<Resources>, grant: Option<Resources>) -> VmRecord {
        let s = vm.summary();
        VmRecord {
            vm: index as u32,
            state: vm.lifecycle,
            demand: demand.unwrap_or_default(),
            grant: grant.unwrap_or_default(),
            mrna: s.mrna,
            proteins: s.proteins,
            mass_aa: s.mass_aa,
            proteins_made: vm.stats.proteins_made,
            divisions: vm.stats.divisions,
        }
    }

    /// This VM's record in a tick it does not run, in state `state`: its cell is unchanged
    /// since this record was made (an idle cell draws nothing and changes nothing), and it
    /// asked for and got nothing. The same as [`VmRecord::of`] on the idle cell.
    pub fn idle(self, state: Lifecycle) -> VmRecord {
        VmRecord { state, demand: Resources::ZERO, grant: Resources::ZERO, ..self }
    }

    /// Named numeric fields, for comparisons and exports (state as its code).
    pub fn fields(&self) -> [(&'static str, u64); 13] {
        [
            ("state", u64::from(self.state.code())),
            ("demand.atp", self.demand.atp),
            ("demand.ribosomes", self.demand.ribosomes),
            ("demand.rnap", self.demand.rnap),
            ("grant.atp", self.grant.atp),
            ("grant.ribosomes", self.grant.ribosomes),
            ("grant.rnap", self.grant.rnap),
            ("mrna", u64::from(self.mrna)),
            ("proteins", self.proteins),
            ("mass_aa", self.mass_aa),
            ("proteins_made", self.proteins_made),
            ("divisions", u64::from(self.divisions)),
            ("vm", u64::from(self.vm)),
        ]
    }
}

/// An event as it applied at the start of a tick: a timeline event of the scenario, or a
/// command given between ticks (which a saved session replays as a timeline event).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The VM it applied to (its index).
    pub vm: u32,
    /// What happened.
    pub action: Action,
}

/// Fields of a [`VmRecord`] ([`VmRecord::numbers`]).
pub(crate) const VM_RECORD_FIELDS: usize = 13;

/// The most bytes one VM record encodes to: varints of at most 5 bytes for a u32 and 9 for
/// a u64, one for the state (`vm_records_and_events_encode_within_their_bounds` checks it).
pub(crate) const VM_RECORD_BYTES_MAX: usize = 5 + 1 + 6 * 9 + 5 + 3 * 9 + 5;

/// The most bytes one event record encodes to: the VM, the action's variant, and a `set`
/// with every setting (options of a u32, an i32, two f64, two u64).
pub(crate) const EVENT_RECORD_BYTES_MAX: usize = 5 + 1 + 1 + (1 + 5) * 2 + (1 + 8) * 2 + (1 + 9) * 2;

/// The most bytes a tick's record can take with `vms` VM records: its head,
/// [`EVENTS_MAX`] timeline events and as many commands, and the VMs.
pub(crate) const fn tick_record_bytes_max(vms: usize) -> usize {
    4 * 9 + 2 * 9 + 2 * EVENTS_MAX * EVENT_RECORD_BYTES_MAX + vms * VM_RECORD_BYTES_MAX
}

/// One tick.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TickRecord {
    /// Tick number, from 0.
    pub tick: u64,
    /// Pools offered to the guests this tick.
    pub pool: Resources,
    /// ATP left in the store after the tick.
    pub atp_store: u64,
    /// The events that applied at the start of the tick, in the order they applied.
    pub events: Vec<EventRecord>,
    /// Every VM that exists (neither absent nor destroyed), in VM order.
    pub vms: Vec<VmRecord>,
}

impl TickRecord {
    /// Appends the canonical encoding of a record's head — everything before its VM
    /// records: tick, pool, ATP store, events and the number of VM records that follow.
    /// The encoding of a whole record is this head followed by each VM record's encoding,
    /// so a runtime can encode VM records where they are made (in parallel) and hash the
    /// pieces in VM order without assembling the record.
    pub(crate) fn encode_head_into(head: &TickHead, vm_count: usize, out: &mut Vec<u8>) {
        crate::codec::encode_into(&(head.tick, head.pool, head.atp_store, &head.events, vm_count as u64), out);
    }
}

/// Where two runs first differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The tick.
    pub tick: u64,
    /// The VM index, if the difference is in a VM.
    pub vm: Option<u32>,
    /// The field.
    pub field: &'static str,
    /// Value in the reference.
    pub expected: u64,
    /// Value in the other run.
    pub actual: u64,
}

impl TickRecord {
    /// The first field where `other` differs from `self`, or `None` when they agree.
    pub fn first_difference(&self, other: &TickRecord) -> Option<Divergence> {
        let at = |vm, field, expected, actual| Some(Divergence { tick: self.tick, vm, field, expected, actual });
        for (field, a, b) in [
            ("tick", self.tick, other.tick),
            ("pool.atp", self.pool.atp, other.pool.atp),
            ("pool.ribosomes", self.pool.ribosomes, other.pool.ribosomes),
            ("pool.rnap", self.pool.rnap, other.pool.rnap),
            ("atp_store", self.atp_store, other.atp_store),
            ("event count", self.events.len() as u64, other.events.len() as u64),
        ] {
            if a != b {
                return at(None, field, a, b);
            }
        }
        for (i, (x, y)) in self.events.iter().zip(&other.events).enumerate() {
            if x != y {
                return at(Some(x.vm), "event", i as u64, i as u64);
            }
        }
        for (x, y) in self.vms.iter().zip(&other.vms) {
            if x.vm != y.vm {
                return at(Some(x.vm), "vm", u64::from(x.vm), u64::from(y.vm));
            }
            for ((field, a), (_, b)) in x.fields().into_iter().zip(y.fields()) {
                if a != b {
                    return at(Some(x.vm), field, a, b);
                }
            }
        }
        if self.vms.len() != other.vms.len() {
            return at(None, "vm count", self.vms.len() as u64, other.vms.len() as u64);
        }
        None
    }
}

/// The configuration at tick 0 that determines a run, in canonical form (see the module
/// documentation for what is in it, and why nothing else is).
#[derive(Serialize)]
struct Initial<'a> {
    seed: u64,
    tick_seconds: f64,
    policy: AnyPolicy,
    chassis: &'a Chassis,
    vms: Vec<InitialVm<'a>>,
}

#[derive(Serialize)]
struct InitialVm<'a> {
    id: &'a str,
    organism: Organism,
    genome: GenomeId,
    memory_kb: u64,
    state: Lifecycle,
    allocation: &'a Allocation,
}

/// A genome as the digest knows it: built in, or an annotation by its content's hash.
#[derive(Serialize)]
enum GenomeId {
    Builtin,
    Annotation([u8; 32]),
}

/// The canonical configuration of VM `vm` as the digest knows it, in state `state`.
fn initial_vm<'a>(scenario: &'a Scenario, vm: &'a VmSpec, state: Lifecycle) -> InitialVm<'a> {
    InitialVm {
        id: &vm.id,
        organism: vm.organism,
        genome: match scenario.annotation(vm.genome) {
            None => GenomeId::Builtin,
            Some(g) => GenomeId::Annotation(g.content_hash()),
        },
        memory_kb: vm.memory_kb,
        state,
        allocation: &vm.allocation,
    }
}

/// The hash a `create` event carries ([`Action::Create`]): BLAKE3 of the VM's canonical
/// configuration as it comes into existence — what `digest_start` covers of a VM present
/// at tick 0.
pub(crate) fn vm_hash(scenario: &Scenario, vm: &VmSpec) -> [u8; 32] {
    blake3::derive_key("bioxen.vm.v1", &crate::codec::encode(&initial_vm(scenario, vm, Lifecycle::Created)))
}

/// The digest before the first tick of `scenario`: BLAKE3 of the canonical encoding of its
/// initial configuration, under this digest's version. VMs that are absent at tick 0 are
/// not in it: their `create` events bring them into the digest when they apply.
pub(crate) fn digest_start(scenario: &Scenario) -> [u8; 32] {
    let initial = Initial {
        seed: scenario.seed,
        tick_seconds: scenario.tick_seconds,
        policy: AnyPolicy::new(scenario.policy, scenario.policy_params),
        chassis: &scenario.chassis,
        vms: scenario
            .vms
            .iter()
            .zip(scenario.initial_states())
            .filter(|(_, state)| state.exists())
            .map(|(v, state)| initial_vm(scenario, v, state))
            .collect(),
    };
    blake3::derive_key("bioxen.digest.v2", &crate::codec::encode(&initial))
}

/// Chains one encoded record into the digest.
pub(crate) fn digest_chain(previous: &[u8; 32], record_bytes: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(previous);
    h.update(record_bytes);
    *h.finalize().as_bytes()
}

/// Chains one encoded record, given as consecutive pieces (its head, then its VM records
/// as they were encoded in parallel), into the digest: the same as [`digest_chain`] over
/// the pieces concatenated.
///
/// The pieces are copied through a buffer of [`HASHED_AT_ONCE`] bytes and hashed a whole
/// buffer at a time. BLAKE3 hashes many 1 KiB chunks side by side on wide vectors only
/// when it is given them together, from a chunk boundary; pieces of a few KiB each, fed
/// as they come, were hashed mostly one 64-byte block at a time (~4 instructions a byte,
/// ~200 of a syn3A VM-tick's). The copy costs a few instructions a VM.
pub(crate) fn digest_chain_pieces<'a>(previous: &[u8; 32], pieces: impl IntoIterator<Item = &'a [u8]>) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    let mut stage = Vec::with_capacity(HASHED_AT_ONCE);
    stage.extend_from_slice(previous);
    for mut piece in pieces {
        while !piece.is_empty() {
            let (now, later) = piece.split_at(piece.len().min(HASHED_AT_ONCE - stage.len()));
            stage.extend_from_slice(now);
            piece = later;
            if stage.len() == HASHED_AT_ONCE {
                h.update(&stage);
                stage.clear();
            }
        }
    }
    h.update(&stage);
    *h.finalize().as_bytes()
}

/// Bytes handed to BLAKE3 at once by [`digest_chain_pieces`]: sixteen chunks, as many as
/// its widest vectors (AVX-512) hash side by side.
const HASHED_AT_ONCE: usize = 16 * 1024;

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A tick's record without its VMs: what phases 1 and 2 decide for the whole cell.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TickHead {
    /// Tick number, from 0.
    pub tick: u64,
    /// Pools offered to the guests this tick.
    pub pool: Resources,
    /// ATP left in the store after the grants.
    pub atp_store: u64,
    /// The events that applied at the start of the tick, in order.
    pub events: Vec<EventRecord>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Transition;
    use crate::scenario::AllocationChange;

    proptest::proptest! {
        /// The hand-written encoder writes what serde's does, at every width of every
        /// field (each value drawn near a varint boundary or anywhere).
        #[test]
        fn a_vm_record_encodes_as_serde_encodes_it(
            words in proptest::collection::vec(
                proptest::prop_oneof![
                    0u64..300,
                    60_000u64..70_000,
                    (u64::from(u32::MAX) - 5)..(u64::from(u32::MAX) + 5),
                    proptest::prelude::any::<u64>(),
                ],
                13,
            ),
            state in 0usize..6,
        ) {
            let r = VmRecord {
                vm: words[0] as u32,
                state: Lifecycle::from_code(state as u64).unwrap(),
                demand: Resources::new(words[1], words[2], words[3]),
                grant: Resources::new(words[4], words[5], words[6]),
                mrna: words[7] as u32,
                proteins: words[8],
                mass_aa: words[9],
                proteins_made: words[10],
                divisions: words[11] as u32,
            };
            let mut hand = vec![7];
            r.encode_into(&mut hand);
            let serde = crate::codec::encode(&r);
            proptest::prop_assert_eq!(&hand[1..], serde.as_slice());
        }
    }

    proptest::proptest! {
        /// Chaining pieces is chaining their concatenation, however the bytes are cut
        /// (pieces empty, smaller than the buffer, or spanning it several times).
        #[test]
        fn pieces_chain_as_their_concatenation(
            previous in proptest::prelude::any::<[u8; 32]>(),
            cuts in proptest::collection::vec(0usize..3 * HASHED_AT_ONCE, 0..6),
            seed in proptest::prelude::any::<u8>(),
        ) {
            let total = cuts.iter().sum::<usize>();
            let bytes: Vec<u8> = (0..total).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect();
            let mut pieces = Vec::new();
            let mut at = 0;
            for cut in &cuts {
                pieces.push(&bytes[at..at + cut]);
                at += cut;
            }
            proptest::prop_assert_eq!(digest_chain_pieces(&previous, pieces), digest_chain(&previous, &bytes));
        }
    }

    #[test]
    fn vm_records_and_events_encode_within_their_bounds() {
        let big = Resources::new(u64::MAX, u64::MAX, u64::MAX);
        let vm = VmRecord {
            vm: u32::MAX,
            state: Lifecycle::Destroyed,
            demand: big,
            grant: big,
            mrna: u32::MAX,
            proteins: u64::MAX,
            mass_aa: u64::MAX,
            proteins_made: u64::MAX,
            divisions: u32::MAX,
        };
        assert_eq!(crate::codec::encode(&vm).len(), VM_RECORD_BYTES_MAX);
        let change = AllocationChange {
            weight: Some(u32::MAX),
            priority: Some(i32::MIN),
            atp_cap_percent: Some(f64::MAX),
            atp_reserve_percent: Some(f64::MAX),
            ribosome_cap: Some(u64::MAX),
            ribosome_reserve: Some(u64::MAX),
        };
        let set = EventRecord { vm: u32::MAX, action: Action::Set(change) };
        assert!(crate::codec::encode(&set).len() <= EVENT_RECORD_BYTES_MAX);
        let pause = EventRecord { vm: u32::MAX, action: Action::Lifecycle(Transition::Pause) };
        assert!(crate::codec::encode(&pause).len() <= EVENT_RECORD_BYTES_MAX);
        let create = EventRecord { vm: u32::MAX, action: Action::Create([0xff; 32]) };
        assert!(crate::codec::encode(&create).len() <= EVENT_RECORD_BYTES_MAX);
        let switch = EventRecord { vm: u32::MAX, action: Action::Transcription { unit: u32::MAX, on: true } };
        assert!(crate::codec::encode(&switch).len() <= EVENT_RECORD_BYTES_MAX);
    }
}
