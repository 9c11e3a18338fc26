//! What a script may spend, counted, never timed: its **work** (rhai's operations, plus one
//! unit for every [`BYTES_PER_UNIT`] bytes it allocates, so that an operation that copies a
//! large value costs what it copies) and its **memory** (the bytes it holds at once).
//!
//! Bytes are counted by [`ScriptAllocator`], which a program installs as its global
//! allocator (the `bioxen` binary does): it counts only on a thread where a script is
//! running, between [`Meter::arm`] and the guard's drop, so the simulation's own work is
//! never counted. Counting is exact and deterministic: the same script on the same build
//! allocates the same bytes, so it stops at the same operation on every run. A program
//! without the allocator still bounds scripts by their operations and by the size of each
//! value (rhai's limits); [`ScriptAllocator::installed`] says which.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Bytes allocated that count as one unit of work: copying 256 bytes costs about what an
/// operation does.
pub const BYTES_PER_UNIT: u64 = 256;

/// A script's counters on its thread.
struct Counts {
    /// A script is running on this thread.
    armed: Cell<bool>,
    /// Bytes allocated less bytes freed since arming (what the script holds).
    live: Cell<i64>,
    /// The most `live` has been.
    peak: Cell<i64>,
    /// Bytes allocated since arming, freed or not.
    allocated: Cell<u64>,
}

thread_local! {
    static COUNTS: Counts = const {
        Counts { armed: Cell::new(false), live: Cell::new(0), peak: Cell::new(0), allocated: Cell::new(0) }
    };
}

fn count(grown: i64) {
    // `try_with`: a thread being torn down has no counters, and is running no script.
    let _ = COUNTS.try_with(|c| {
        if c.armed.get() {
            let live = c.live.get() + grown;
            c.live.set(live);
            c.peak.set(c.peak.get().max(live));
            if grown > 0 {
                c.allocated.set(c.allocated.get() + grown as u64);
            }
        }
    });
}

/// The system allocator, counting what a running script allocates (see the module's docs).
/// Install it with `#[global_allocator] static A: ScriptAllocator = ScriptAllocator;`.
pub struct ScriptAllocator;

impl ScriptAllocator {
    /// True when this process's global allocator is a [`ScriptAllocator`]: an allocation
    /// under a meter is counted.
    pub fn installed() -> bool {
        let _meter = Meter::arm();
        drop(std::hint::black_box(Box::new(0u64)));
        spent().allocated > 0
    }
}

// SAFETY: every call is passed to `System` unchanged; counting touches only thread-local
// cells that allocate nothing.
unsafe impl GlobalAlloc for ScriptAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, as GlobalAlloc requires.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as i64));
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as i64);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller's new size.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

/// What a script has spent so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spent {
    /// Bytes allocated (freed or not).
    pub allocated: u64,
    /// The most bytes held at once.
    pub peak: u64,
}

impl Spent {
    /// The work those bytes count for, with `operations` operations.
    pub fn work(&self, operations: u64) -> u64 {
        operations.saturating_add(self.allocated / BYTES_PER_UNIT)
    }
}

/// Counting on this thread while a script runs.
pub struct Meter {
    /// What was counted before this meter (a meter can be paused and nested).
    outer: (bool, i64, i64, u64),
}

impl Meter {
    /// Starts counting this thread's allocations from zero until the meter is dropped.
    pub fn arm() -> Meter {
        COUNTS.with(|c| {
            let outer = (c.armed.get(), c.live.get(), c.peak.get(), c.allocated.get());
            c.armed.set(true);
            c.live.set(0);
            c.peak.set(0);
            c.allocated.set(0);
            Meter { outer }
        })
    }

    /// Runs `f` (the simulation's own work, between a script's calls) uncounted.
    pub fn paused<R>(f: impl FnOnce() -> R) -> R {
        let was = COUNTS.with(|c| c.armed.replace(false));
        let r = f();
        COUNTS.with(|c| c.armed.set(was));
        r
    }
}

/// Charges the script running on this thread `units` of work for what the host did for it
/// uncounted (checking a batch of changes against the whole timeline).
pub fn charge(units: u64) {
    let _ = COUNTS.try_with(|c| {
        if c.armed.get() {
            c.allocated.set(c.allocated.get().saturating_add(units.saturating_mul(BYTES_PER_UNIT)));
        }
    });
}

/// What the script running on this thread has spent since its [`Meter::arm`] (zero where
/// none runs).
pub fn spent() -> Spent {
    COUNTS.with(|c| Spent { allocated: c.allocated.get(), peak: c.peak.get().max(0) as u64 })
}

impl Drop for Meter {
    fn drop(&mut self) {
        let (armed, live, peak, allocated) = self.outer;
        let _ = COUNTS.try_with(|c| {
            c.armed.set(armed);
            c.live.set(live);
            c.peak.set(peak);
            c.allocated.set(allocated);
        });
    }
}
