//! A trace frame's VM records in columns (trace format 8): each field of every record in
//! turn, each value the difference from the same VM's record in the tick before (from
//! zero for a VM the tick before did not record, and for the first tick), zigzagged and
//! written as a varint ([`crate::codec::push_varint`]).
//!
//! Why: tick to tick most of a record does not change (the state, the divisions, a
//! newborn's demand) or changes by a little (mRNA, proteins, mass), so the columns are
//! long runs of zeros and small numbers. A 10,000-VM syn3A trace's records shrink from ~29
//! to ~16 raw bytes a VM-tick, and zstd compresses those faster and smaller (docs/perf.md).
//! The VM column holds each index's step from the one before it less one (zero for
//! consecutive VMs).

use crate::codec::{get_varint, push_varint};
use crate::lifecycle::Lifecycle;
use crate::record::{VM_RECORD_FIELDS, VmRecord};

/// Fields of a [`VmRecord`], in the order their columns are written.
const FIELDS: usize = VM_RECORD_FIELDS;

/// Sets field `f` of `r` (1 to 12; the VM is set apart), or says why `v` does not fit it.
fn set_field(r: &mut VmRecord, f: usize, v: u64) -> Result<(), String> {
    let narrow = |v: u64| u32::try_from(v).map_err(|_| format!("{v} does not fit column {f}"));
    match f {
        1 => r.state = Lifecycle::from_code(v).ok_or_else(|| format!("{v} is no VM state"))?,
        2 => r.demand.atp = v,
        3 => r.demand.ribosomes = v,
        4 => r.demand.rnap = v,
        5 => r.grant.atp = v,
        6 => r.grant.ribosomes = v,
        7 => r.grant.rnap = v,
        8 => r.mrna = narrow(v)?,
        9 => r.proteins = v,
        10 => r.mass_aa = v,
        11 => r.proteins_made = v,
        _ => r.divisions = narrow(v)?,
    }
    Ok(())
}

fn zigzag(d: u64) -> u64 {
    (d << 1) ^ ((d as i64 >> 63) as u64)
}

fn unzigzag(z: u64) -> u64 {
    (z >> 1) ^ (z & 1).wrapping_neg()
}

/// For each of `vms` (in increasing VM order), the same VM's record in `base` (sorted
/// likewise), or a record of zeros.
fn bases<'a>(vms: impl Iterator<Item = u32> + 'a, base: &'a [VmRecord]) -> impl Iterator<Item = VmRecord> + 'a {
    let mut j = 0;
    vms.map(move |vm| {
        while base.get(j).is_some_and(|b| b.vm < vm) {
            j += 1;
        }
        base.get(j).filter(|b| b.vm == vm).copied().unwrap_or_default()
    })
}

/// Appends `vms` as columns, each value against the same VM's record in `base`: one pass
/// over the records, each field to its own column, the columns then one after another.
pub(crate) fn encode(vms: &[VmRecord], base: &[VmRecord], out: &mut Vec<u8>) {
    let mut columns: [Vec<u8>; FIELDS] = std::array::from_fn(|_| Vec::with_capacity(vms.len() + vms.len() / 4));
    let mut next = 0u64;
    for (r, b) in vms.iter().zip(bases(vms.iter().map(|r| r.vm), base)) {
        let (now, before) = (r.numbers(), b.numbers());
        push_varint(&mut columns[0], now[0].wrapping_sub(next));
        next = now[0] + 1;
        for f in 1..FIELDS {
            push_varint(&mut columns[f], zigzag(now[f].wrapping_sub(before[f])));
        }
    }
    columns.iter().for_each(|c| out.extend_from_slice(c));
}

/// Reads `n` records written by [`encode`] against the same `base` from `bytes`, which
/// must hold exactly them; says what is wrong otherwise. The VMs must increase (a later
/// check says whether they exist).
pub(crate) fn decode(bytes: &[u8], n: usize, base: &[VmRecord]) -> Result<Vec<VmRecord>, String> {
    // Each value takes at least a byte: a count the bytes cannot hold allocates nothing.
    if n.saturating_mul(FIELDS) > bytes.len() {
        return Err(format!("{n} VM records cannot fit in {} bytes", bytes.len()));
    }
    let mut at = 0;
    let mut take = || -> Result<u64, String> {
        let (v, after) = get_varint(bytes, at).ok_or_else(|| format!("no valid number at byte {at} of the records"))?;
        at = after;
        Ok(v)
    };
    let mut vms = vec![VmRecord::default(); n];
    let mut next = 0u64;
    for r in vms.iter_mut() {
        let vm = next.checked_add(take()?).filter(|&v| v <= u64::from(u32::MAX)).ok_or("a VM index past 2³²")?;
        r.vm = vm as u32;
        next = vm + 1;
    }
    let bases: Vec<[u64; FIELDS]> = bases(vms.iter().map(|r| r.vm), base).map(|b| b.numbers()).collect();
    for f in 1..FIELDS {
        for (r, b) in vms.iter_mut().zip(&bases) {
            set_field(r, f, b[f].wrapping_add(unzigzag(take()?)))?;
        }
    }
    if at != bytes.len() {
        return Err(format!("{} bytes after the last record", bytes.len() - at));
    }
    Ok(vms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Resources;
    use proptest::prelude::*;

    fn record(vm: u32, x: [u64; 4]) -> VmRecord {
        let r = Resources { atp: x[0], ribosomes: x[1] % 300, rnap: x[2] >> 20 };
        VmRecord {
            vm,
            state: Lifecycle::from_code(x[3] % 6).unwrap(),
            demand: r,
            grant: Resources { atp: x[3], ..r },
            mrna: x[1] as u32,
            proteins: x[2],
            mass_aa: x[0] ^ x[3],
            proteins_made: x[1] >> 3,
            divisions: (x[2] % 5) as u32,
        }
    }

    fn records() -> impl Strategy<Value = Vec<VmRecord>> {
        proptest::collection::btree_map(0u32..200, any::<[u64; 4]>(), 0..60)
            .prop_map(|m| m.into_iter().map(|(vm, x)| record(vm, x)).collect())
    }

    proptest! {
        /// Whatever the records and the base (other VMs, extreme values), they read back.
        #[test]
        fn records_read_back(vms in records(), base in records()) {
            let mut bytes = Vec::new();
            encode(&vms, &base, &mut bytes);
            prop_assert_eq!(decode(&bytes, vms.len(), &base), Ok(vms.clone()));
            if !bytes.is_empty() {
                prop_assert!(decode(&bytes[..bytes.len() - 1], vms.len(), &base).is_err());
            }
        }

        #[test]
        fn any_bytes_are_records_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..200), n in 0usize..20, base in records()) {
            if let Ok(vms) = decode(&bytes, n, &base) {
                prop_assert_eq!(vms.len(), n);
                prop_assert!(vms.windows(2).all(|w| w[0].vm < w[1].vm));
            }
        }
    }

    /// A tick like the one before costs about a byte a field.
    #[test]
    fn an_unchanged_tick_is_a_byte_a_field() {
        let vms: Vec<VmRecord> = (0..100).map(|i| record(i, [i as u64 * 1_000_003; 4])).collect();
        let mut bytes = Vec::new();
        encode(&vms, &vms, &mut bytes);
        assert_eq!(bytes.len(), 100 * FIELDS);
    }
}
