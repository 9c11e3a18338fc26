//! Software prefetch: fetching memory that will be read soon, while other work runs.
//!
//! At scale a VM-tick waits on memory: each cell's state (its struct, its mRNA list, its
//! protein counts) is cold by the time its turn comes again. Advancing cells in VM order,
//! a runtime knows which cell comes next and can have its lines fetched while the current
//! one advances. A prefetch is a hint: it reads nothing a program can see and cannot fault,
//! so it cannot change a result.

/// VMs from which a runtime fetches the next cell ahead. Below, the cells stay in cache
/// from tick to tick and the prefetches are only extra instructions. Measured on one
/// thread (`docs/perf.md`): 16 VMs ×0.96, 1,000 ×0.97, 3,000 ×1.02, 10,000 ×1.10, 100,000
/// ×1.51.
pub const FROM_VMS: usize = 2_048;

/// Bytes of one span fetched at most: a cell's state is a few hundred bytes to a few
/// kilobytes, and fetching more than a page ahead only evicts what is in use.
const SPAN_MAX: usize = 4096;

/// Fetches the cache lines of each `(address, bytes)` span (at most `SPAN_MAX` bytes of
/// each) into every level of cache.
pub fn spans(spans: &[(usize, usize)]) {
    for &(address, bytes) in spans {
        for line in (address..address.saturating_add(bytes.min(SPAN_MAX))).step_by(64) {
            line_at(line);
        }
    }
}

/// Fetches the cache line holding `address`.
#[inline(always)]
fn line_at(address: usize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it reads nothing and cannot fault, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(address as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
