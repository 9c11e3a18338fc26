//! BioXen: biological virtual machines competing for a host cell, simulated
//! deterministically.
//!
//! This crate is the command-line tool and the public API around the engine
//! ([`bioxen_engine`], re-exported as [`engine`]). The engine does the science and knows
//! nothing of terminals or threads pools; this crate turns its runs into reports
//! ([`report`]), drives runs with traces and checkpoints ([`driver`]), and generates the
//! benchmark workload ([`mod@bench`]). [`api`] is the library API of the original BioXen
//! (`create_bio_vm`, `BiologicalVm`, `BioVmManager`…), whose sessions are scenarios.

#![warn(missing_docs)]

pub use bioxen_engine as engine;

pub mod api;
pub mod bench;
pub mod compare;
pub mod driver;
pub mod error;
pub mod export;
pub mod files;
pub mod genes;
pub mod metrics;
pub(crate) mod mirror;
pub mod placement;
#[cfg(feature = "charts")]
pub mod plot;
pub mod remote;
pub mod replay;
pub mod report;
pub mod script;
pub mod seeds;
pub mod spool;
pub mod sweep;
pub(crate) mod trace_thread;
pub mod untrusted;
pub mod xcpng;

pub use error::{Error, Result};

/// Most worker threads (`--threads`), arbiters (`--arbiters`, a host's
/// `Runtime::Actors`) or parallel runs (`--jobs`): far beyond the cores of any machine
/// BioXen runs on, and few enough that starting them takes no noticeable time.
pub const THREADS_MAX: usize = 256;
