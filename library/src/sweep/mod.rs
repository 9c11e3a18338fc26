//! `bioxen sweep`: reproducible parallel runs over seeds, policies and parameters.
//!
//! A sweep is planned up front ([`plan`]): the cartesian product of the `--set` values,
//! policies and seeds, each run numbered. Runs execute in parallel (rayon, `--jobs`),
//! each appending its row to `results.jsonl` as one write as soon as it finishes, so a
//! killed sweep loses at most the rows in flight (`runs.rs`). At the end both
//! `results.jsonl` and `results.csv` are rewritten, sorted by run number, atomically
//! (`results.rs`): the same sweep gives the same files (but the `elapsed_seconds` column)
//! for any `--jobs` and any sharding. `--resume` keeps the rows already written that
//! belong to the plan and runs the rest; `sweep-merge` joins shards ([`merge`]).

mod merge;
pub mod plan;
mod results;
mod runs;

pub use merge::merge;
pub use results::{Row, read_rows, write_results};
pub use runs::{run, run_in_memory};

use plan::SetAxis;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Manifest format version.
pub const MANIFEST_VERSION: u32 = 1;

/// What a sweep directory was made by: checked on `--resume` and `sweep-merge`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest format version.
    pub format_version: u32,
    /// Engine version.
    pub engine_version: String,
    /// The scenario file as given.
    pub scenario: String,
    /// BLAKE3 of the scenario file's bytes.
    pub scenario_hash: String,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Policy names.
    pub policies: Vec<String>,
    /// `--set` axes.
    pub sets: Vec<SetAxis>,
    /// `K/N`, if sharded.
    pub shard: Option<(usize, usize)>,
    /// Runs in the whole plan.
    pub runs_total: usize,
    /// The exact command.
    pub command: Vec<String>,
}

impl Manifest {
    /// True when `other` describes the same plan (command and shard aside).
    pub fn same_plan(&self, other: &Manifest) -> bool {
        (&self.scenario_hash, &self.seeds, &self.policies, &self.sets, self.runs_total)
            == (&other.scenario_hash, &other.seeds, &other.policies, &other.sets, other.runs_total)
    }
}

/// Everything a sweep needs.
pub struct Sweep {
    /// Scenario path.
    pub scenario: PathBuf,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Policies.
    pub policies: Vec<bioxen_engine::policy::PolicyKind>,
    /// `--set` axes.
    pub sets: Vec<SetAxis>,
    /// Shard `K/N`.
    pub shard: Option<(usize, usize)>,
    /// Output directory.
    pub out: PathBuf,
    /// Continue an interrupted sweep.
    pub resume: bool,
    /// The command line, for the manifest.
    pub command: Vec<String>,
    /// Hosts to run on (`None`: this machine).
    pub farm: Option<std::sync::Arc<crate::remote::Farm>>,
}
