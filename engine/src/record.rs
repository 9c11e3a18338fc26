//! Per-tick records and the digest over them.
//!
//! A [`TickRecord`] is the canonical account of one tick: the pools offered and, for each
//! VM in VM order, its state, demand, grant and a summary of its cell. The digest chains
//! BLAKE3 over the canonical encoding of every record, starting from the scenario's hash:
//! `d₀ = H(domain ‖ scenario)`, `dₜ = H(dₜ₋₁ ‖ recordₜ)`. So a digest names the run (scenario,
//! seed, policy) and all it produced, it is 32 bytes of state at any tick, and a run
//! resumed from a checkpoint continues the same chain.

use crate::lifecycle::Lifecycle;
use crate::resources::Resources;
use serde::{Deserialize, Serialize};

/// One VM in one tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// One tick.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickRecord {
    /// Tick number, from 0.
    pub tick: u64,
    /// Pools offered to the guests this tick.
    pub pool: Resources,
    /// ATP left in the store after the tick.
    pub atp_store: u64,
    /// Every VM that is not destroyed, in VM order.
    pub vms: Vec<VmRecord>,
}

impl TickRecord {
    /// Appends the canonical encoding of a record's head — everything before its VM
    /// records: tick, pool, ATP store and the number of VM records that follow. The
    /// encoding of a whole record is this head followed by each VM record's encoding, so a
    /// runtime can encode VM records where they are made (in parallel) and hash the pieces
    /// in VM order without assembling the record.
    pub fn encode_head_into(tick: u64, pool: Resources, atp_store: u64, vm_count: usize, out: &mut Vec<u8>) {
        crate::codec::encode_into(&(tick, pool, atp_store, vm_count as u64), out);
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
        ] {
            if a != b {
                return at(None, field, a, b);
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

/// The digest before any tick of the scenario whose hash is `scenario_hash`.
pub fn digest_start(scenario_hash: &[u8; 32]) -> [u8; 32] {
    blake3::derive_key("bioxen.digest.v1", scenario_hash)
}

/// Chains one encoded record into the digest.
pub fn digest_chain(previous: &[u8; 32], record_bytes: &[u8]) -> [u8; 32] {
    digest_chain_pieces(previous, [record_bytes])
}

/// Chains one encoded record, given as consecutive pieces (its head, then its VM records
/// as they were encoded in parallel), into the digest: the same as [`digest_chain`] over
/// the pieces concatenated, without concatenating them.
pub fn digest_chain_pieces<'a>(previous: &[u8; 32], pieces: impl IntoIterator<Item = &'a [u8]>) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(previous);
    for piece in pieces {
        h.update(piece);
    }
    *h.finalize().as_bytes()
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
