//! Command-line arguments and the commands behind them.

mod bench;
mod compare;
mod export;
mod replay;
mod run;
mod sweep;

use bioxen_engine::checkpoint::CheckpointError;
use bioxen_engine::codec::FormatError;
use bioxen_engine::policy::PolicyKind;
use bioxen_engine::scenario::ScenarioError;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Deterministic simulator of biological virtual machines.
#[derive(Parser, Debug)]
#[command(
    name = "bioxen",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 success; 1 the run failed or a replay diverged; 2 bad input (arguments, scenario, trace, checkpoint)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and print a summary and its digest.
    Run(RunArgs),
    /// Re-run the scenario stored in a trace and compare tick by tick.
    Replay(ReplayArgs),
    /// Finish a run from a checkpoint.
    Resume(ResumeArgs),
    /// Convert a trace to CSV or JSON lines.
    Export(ExportArgs),
    /// Check a scenario file without running it.
    Validate {
        /// The scenario file.
        scenario: PathBuf,
    },
    /// List the scheduling policies.
    Policies,
    /// Measure throughput on a generated workload.
    Bench(BenchArgs),
    /// Run a scenario over seeds, policies and parameters, in parallel, reproducibly.
    Sweep(SweepArgs),
    /// Join the output directories of a sharded sweep.
    SweepMerge(SweepMergeArgs),
    /// Compare policies over seeds: mean and 95 % interval of each metric, ranked.
    Compare(CompareArgs),
    /// Chart a trace: ribosomes, ATP and proteins per VM over time, events marked.
    Plot(PlotArgs),
}

#[derive(Args, Debug)]
struct CompareArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Policies: `all` or a list.
    #[arg(long, default_value = "all")]
    policies: String,
    /// Seeds: a range `0..20` or a list.
    #[arg(long, default_value = "0..20")]
    seeds: String,
    /// Parameter axis, as for sweep (repeatable).
    #[arg(long, value_name = "KEY=V1,V2")]
    set: Vec<String>,
    /// Runs in parallel [default: all cores].
    #[arg(long)]
    jobs: Option<usize>,
    /// Also draw the comparison to this file (.svg or .png).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct PlotArgs {
    /// A trace written by `run --trace`.
    trace: PathBuf,
    /// The chart (.svg or .png).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct SweepArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Seeds: a range `0..100` (0 to 99) or a list `1,5,9`.
    #[arg(long)]
    seeds: String,
    /// Policies: `all` or a list such as `fair,drf,credit`.
    #[arg(long, default_value = "all")]
    policies: String,
    /// A parameter axis, repeatable: `vm.<id>.<field>=V1,V2`, `chassis.<field>=…`, `simulation.<field>=…`.
    #[arg(long, value_name = "KEY=V1,V2")]
    set: Vec<String>,
    /// Runs in parallel [default: all cores].
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only the K-th of N interleaved slices (for job arrays; join with sweep-merge).
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Output directory: manifest.json, results.jsonl, results.csv.
    #[arg(long)]
    out: PathBuf,
    /// Finish an interrupted sweep in --out: keep its rows, run the rest.
    #[arg(long)]
    resume: bool,
}

#[derive(Args, Debug)]
struct SweepMergeArgs {
    /// Shard output directories.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Where to write the merged results.
    #[arg(long)]
    out: PathBuf,
}

/// Which runtime runs the ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
enum RuntimeKind {
    /// The engine: VMs advanced by a rayon pool (`--threads`).
    #[default]
    Sequential,
    /// Every VM an actix actor, spread over `--arbiters` event loops.
    Actors,
}

/// The runtime choice, shared by run, resume and bench.
#[derive(Args, Debug, Clone, Default)]
struct RuntimeArgs {
    /// Runtime: sequential (the engine) or actors; both give the same digest.
    #[arg(long, value_enum, default_value_t = RuntimeKind::Sequential)]
    runtime: RuntimeKind,
    /// Arbiters (event-loop threads) for --runtime actors [default: all cores].
    #[arg(long, value_name = "N")]
    arbiters: Option<usize>,
}

impl RuntimeArgs {
    /// The actor layout, or `None` for the sequential engine.
    fn actors(&self) -> Result<Option<bioxen_actors::ActorConfig>, BadInput> {
        match (self.runtime, self.arbiters) {
            (RuntimeKind::Sequential, Some(_)) => Err(BadInput("--arbiters needs --runtime actors".into())),
            (RuntimeKind::Sequential, None) => Ok(None),
            (RuntimeKind::Actors, Some(0)) => Err(BadInput("--arbiters must be at least 1".into())),
            (RuntimeKind::Actors, Some(n)) => Ok(Some(bioxen_actors::ActorConfig { arbiters: n })),
            (RuntimeKind::Actors, None) => Ok(Some(bioxen_actors::ActorConfig::default())),
        }
    }
}

#[derive(Args, Debug, Clone, Default)]
struct ExecArgs {
    #[command(flatten)]
    runtime: RuntimeArgs,
    /// Worker threads for the VMs' biology (the digest does not depend on it) [default: all cores].
    #[arg(long)]
    threads: Option<usize>,
    /// Write a trace to this file.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Write a checkpoint every K ticks (needs --checkpoint-dir).
    #[arg(long, value_name = "K", requires = "checkpoint_dir", value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: Option<u64>,
    /// Directory for checkpoints.
    #[arg(long, value_name = "DIR", requires = "checkpoint_every")]
    checkpoint_dir: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the number of ticks.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    ticks: Option<u64>,
    /// Override the policy (see `bioxen policies`).
    #[arg(long)]
    policy: Option<String>,
    #[command(flatten)]
    exec: ExecArgs,
}

#[derive(Args, Debug)]
struct ResumeArgs {
    /// A checkpoint file written by `run --checkpoint-every`.
    checkpoint: PathBuf,
    #[command(flatten)]
    exec: ExecArgs,
}

#[derive(Args, Debug)]
struct ReplayArgs {
    /// A trace written by `run --trace`.
    trace: PathBuf,
    /// Worker threads.
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ExportFormat {
    Csv,
    Jsonl,
}

#[derive(Args, Debug)]
struct ExportArgs {
    /// The trace.
    trace: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Write here (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Number of VMs.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    vms: u32,
    /// Ticks to run.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    ticks: u64,
    /// Organism of every VM.
    #[arg(long, default_value = "syn3a")]
    organism: String,
    /// Policy.
    #[arg(long, default_value = "fair")]
    policy: String,
    /// Worker threads [default: all cores].
    #[arg(long)]
    threads: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Bad input that is not a scenario or file-format error: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Resume(a) => run::resume(a),
        Command::Replay(a) => replay::replay(a),
        Command::Export(a) => export::export(a),
        Command::Validate { scenario } => run::validate(&scenario),
        Command::Policies => {
            for p in PolicyKind::ALL {
                println!("{:<13} {}", p.name(), p.summary());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(a) => bench::bench(a),
        Command::Sweep(a) => sweep::sweep(a),
        Command::SweepMerge(a) => sweep::merge(a),
        Command::Compare(a) => compare::compare(a),
        Command::Plot(a) => compare::plot(a),
    }
}

fn parse_policy(name: &str) -> Result<PolicyKind, BadInput> {
    PolicyKind::from_name(name).ok_or_else(|| {
        let names: Vec<_> = PolicyKind::ALL.iter().map(|p| p.name()).collect();
        BadInput(format!("unknown policy `{name}`; expected one of: {}", names.join(", ")))
    })
}

/// Runs `f` on a pool of `threads` workers (all cores when `None`).
fn with_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        if n == 0 {
            return Err(BadInput("--threads must be at least 1".into()).into());
        }
        builder = builder.num_threads(n);
    }
    Ok(builder.build()?.install(f))
}

/// The exit status for an error: 2 for bad input, 1 otherwise.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    let bad_input = e.chain().any(|c| {
        c.is::<BadInput>()
            || c.is::<bioxen::BadPlot>()
            || c.is::<ScenarioError>()
            || c.is::<FormatError>()
            || c.is::<CheckpointError>()
    });
    if bad_input { 2 } else { 1 }
}

/// True when the error is a closed pipe on output (`bioxen export … | head`): not a failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
