//! The deterministic core of BioXen: biological virtual machines competing for a host
//! cell's resources, rationed tick by tick by a scheduling policy.
//!
//! # Model
//!
//! A [`scenario::Scenario`] names a host cell, the [`chassis::Chassis`], and guest VMs,
//! each a genome ([`genome::Genome`]) of an organism ([`biology::Organism`]) whose published
//! kinetics drive it. Every tick each running [`vm::Vm`] states a demand for ATP, ribosomes
//! and RNA polymerase; the `scheduler` applies caps and reservations and lets a
//! [`policy::Policy`] split the rest; each VM then runs transcription, mRNA decay,
//! translation and division with what it got. [`sim::Simulation`] drives the ticks, emits a
//! [`record::TickRecord`] per tick and chains them into a digest.
//!
//! # Determinism
//!
//! The digest is a function of what determines the run (see [`record`]) and nothing else.
//! Randomness comes from ChaCha8 streams keyed by (seed, VM id) and (seed, "scheduler")
//! ([`rng`]), every draw made by [`sample`] on a pure-Rust libm; VMs live in a vector
//! sorted by id; grants are integers; threads (rayon) only ever touch one VM each. No
//! clock, no hash-map order, no files, no printing happen here (`engine/clippy.toml`
//! forbids them): formats are codecs over `Read` and `Write`, and a scenario's genome
//! files come through the caller's [`scenario::GenomeFiles`].
//!
//! # One gate
//!
//! [`scenario::Scenario::check`] is the one definition of a usable scenario; every path
//! into a run passes it ([`scenario::parse`], trace and checkpoint decoding,
//! [`sim::Simulation::new`], [`sim::Simulation::restore`]), and its bounds
//! ([`scenario::limits`]) keep every later computation in range.
//!
//! # Modules
//!
//! - [`biology`]: organism profiles and the constants of the model, each with its source.
//! - [`genome`], [`genbank`], [`program`]: genes, loading annotations, compiled expression;
//!   `essentiality` and [`expression`]: the published essentiality and measured
//!   expression annotations lack.
//! - [`chassis`], [`resources`]: host pools and the three-resource vector.
//! - [`lifecycle`], [`vm`], [`cell`]: a VM's states, its per-tick biology, and its state as
//!   a value (what checkpoints and snapshots hold).
//! - [`policy`], `scheduler`, [`hypervisor`]: the eight policies, the rationing around
//!   them, and the scheduler's state (ATP store, policy, stream) that every runtime shares.
//! - [`scenario`]: the TOML format, resolved and validated.
//! - [`tick`]: the four phases of a tick, which every runtime calls.
//! - [`schedule`]: events a program adds between ticks (an API session), checked where
//!   they land.
//! - [`sim`], [`record`]: the tick loop, records and digest (and what the digest covers).
//! - [`rng`], [`sample`]: the random streams, and every draw made from them, specified
//!   to the arithmetic (no platform libm, no dependency's algorithm reaches a digest).
//! - [`codec`], [`trace`], [`checkpoint`]: versioned, bounded file formats.
//!
//! # Example
//!
//! ```
//! use bioxen_engine::{record::hex, scenario, sim::Simulation};
//! let text = r#"
//! format_version = 1
//! [simulation]
//! seed = 7
//! ticks = 20
//! policy = "fair"
//! [chassis]
//! kind = "ecoli"
//! [[vm]]
//! id = "cell"
//! organism = "syn3a"
//! "#;
//! // No genome files here: a scenario naming one would be refused.
//! let s = scenario::parse(text, "example.toml", &mut scenario::NoGenomeFiles).unwrap();
//! let mut sim = Simulation::new(s).unwrap();
//! let digest = sim.run(|_, _| {}).unwrap();
//! assert_eq!(hex(&digest).len(), 64);
//! ```

#![warn(missing_docs)]

pub mod biology;
mod blocks;
pub(crate) mod carry;
pub mod cell;
pub(crate) mod cell_stream;
pub mod chassis;
pub mod checkpoint;
pub mod codec;
pub(crate) mod controls;
pub(crate) mod diagnostic;
pub(crate) mod error;
pub(crate) mod essentiality;
pub mod expression;
pub(crate) mod fenwick;
pub mod genbank;
pub mod genome;
pub(crate) mod guide;
pub mod hypervisor;
pub mod lifecycle;
pub(crate) mod mrna_edits;
pub mod network;
pub mod package;
pub mod policy;
pub mod prefetch;
pub mod program;
mod programs;
pub(crate) mod proteins;
pub mod record;
pub mod resources;
pub mod restore;
pub mod rng;
pub(crate) mod rounding;
pub mod sample;
pub mod scenario;
pub mod schedule;
pub(crate) mod scheduler;
pub mod sim;
pub mod text;
pub mod tick;
pub mod trace;
mod trace_columns;
pub(crate) mod transcripts;
pub mod vm;

/// The engine's version, written into traces and checkpoints.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");
