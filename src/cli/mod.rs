//! Command-line arguments and the commands behind them.

mod bench;
mod compare;
mod dashboard;
mod export;
mod interactive;
mod replay;
mod run;
mod script;
mod sweep;
mod table;
mod xcpng;

use bioxen::error::{Error, Result};
use bioxen_engine::policy::PolicyKind;
use bioxen_engine::scenario::limits::VMS_MAX;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

pub use bioxen::THREADS_MAX;

/// Parses a thread, arbiter or job count: 1 to [`THREADS_MAX`].
fn thread_count(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=THREADS_MAX).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from 1 to {THREADS_MAX}")),
    }
}

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
    /// List the gene-circuit packages (shipped, and any in DIR/packages/).
    Packages {
        /// Also list the packages in this directory's `packages/` (as a scenario there
        /// would find them).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Run a process script (rhai) against a scenario's VMs, then the rest of the run.
    Script(script::ScriptArgs),
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
    /// Serve a coordinator as a remote host's worker, on standard input and output (what
    /// `--hosts` starts over SSH; not for people).
    Worker(WorkerArgs),
    /// XCP-ng VMs: list templates, make a VM, destroy one or what crashed runs left.
    #[command(subcommand)]
    Xcpng(xcpng::XcpngCommand),
    /// Remote hosts: check that each can serve.
    #[command(subcommand)]
    Hosts(xcpng::HostsCommand),
    /// The original's VM-management menu, on a live clock; the session saves as a scenario.
    Interactive(interactive::InteractiveArgs),
}

#[derive(Args, Debug)]
struct WorkerArgs {
    /// Speak the wire protocol on standard input and output (the only transport).
    #[arg(long, required = true)]
    stdio: bool,
    /// Threads hosting the VMs, 1 to 256 [default: all cores].
    #[arg(long, value_parser = thread_count)]
    arbiters: Option<usize>,
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
    /// Runs in parallel, 1 to 256 [default: all cores].
    #[arg(long, value_parser = thread_count)]
    jobs: Option<usize>,
    /// Also draw the comparison to this file (.svg or .png; see --format).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// The chart's format, when its file name does not say (`-`, a device).
    #[arg(long, value_enum)]
    format: Option<ChartFormat>,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    farm: FarmArgs,
}

#[derive(Args, Debug)]
struct PlotArgs {
    /// A trace written by `run --trace`.
    trace: PathBuf,
    /// The chart: a .svg or .png file, or `-` for standard output (with --format).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The chart's format, when its file name does not say (`-`, a device).
    #[arg(long, value_enum)]
    format: Option<ChartFormat>,
    /// Instead: the protein molecules of these genes (`lacI,tetR,cI`; a package's too) of
    /// one VM over time, read by re-running the trace's scenario (checked against the trace).
    #[arg(long, value_delimiter = ',')]
    genes: Vec<String>,
    /// The VM whose genes `--genes` plots (default: the first).
    #[arg(long)]
    vm: Option<String>,
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
    /// A parameter axis, repeatable: `vm.<id>.<field>=V1,V2`, `chassis.<field>=…`, `simulation.<field>=…`, `simulation.policy_params.<field>=…`.
    #[arg(long, value_name = "KEY=V1,V2")]
    set: Vec<String>,
    /// Runs in parallel, 1 to 256 [default: all cores].
    #[arg(long, value_parser = thread_count)]
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
    #[command(flatten)]
    farm: FarmArgs,
}

/// Whole runs on SSH hosts.
#[derive(Args, Debug)]
struct FarmArgs {
    /// Run each whole run on one of the SSH hosts this file names (a lost host's runs go
    /// to the others); the rows are the ones a local sweep gives.
    #[arg(long, value_name = "FILE")]
    hosts: Option<PathBuf>,
    /// With --hosts: runs each host takes at once.
    #[arg(long, value_name = "N", requires = "hosts", default_value_t = 2, value_parser = thread_count)]
    runs_per_host: usize,
}

impl FarmArgs {
    /// The farm, and the parallelism it wants (its capacity) unless `--jobs` says.
    fn farm(&self, jobs: Option<usize>) -> Result<(Option<std::sync::Arc<bioxen::remote::Farm>>, Option<usize>)> {
        let Some(path) = &self.hosts else { return Ok((None, jobs)) };
        let mut hosts = bioxen::remote::RemoteHosts::load(path)?;
        hosts.local = false;
        hosts.arbiters = hosts.arbiters.or(Some(1));
        let farm = bioxen::remote::Farm::new(hosts, self.runs_per_host)?;
        let jobs = jobs.or(Some(farm.capacity()));
        Ok((Some(std::sync::Arc::new(farm)), jobs))
    }
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
    /// The engine, its VMs advanced by a rayon pool of `--threads` workers.
    #[default]
    #[value(alias = "rayon", alias = "sequential")]
    Engine,
    /// Every VM an actix actor, spread over `--arbiters` event loops.
    Actors,
}

/// The runtime choice, shared by run, resume and bench.
#[derive(Args, Debug, Clone, Default)]
struct RuntimeArgs {
    /// Runtime: engine (the engine on its own rayon pool; `rayon` and `sequential` are old
    /// names for it) or actors; both give the same digest.
    #[arg(long, value_enum, default_value_t = RuntimeKind::Engine)]
    runtime: RuntimeKind,
    /// Arbiters (event-loop threads) for --runtime actors, 1 to 256 [default: all cores].
    #[arg(long, value_name = "N", value_parser = thread_count)]
    arbiters: Option<usize>,
}

impl RuntimeArgs {
    /// The actor layout, or `None` for the engine's rayon pool.
    fn actors(&self) -> Result<Option<bioxen_actors::ActorConfig>> {
        match (self.runtime, self.arbiters) {
            (RuntimeKind::Engine, Some(_)) => Err(Error::BadInput("--arbiters needs --runtime actors".into())),
            (RuntimeKind::Engine, None) => Ok(None),
            (RuntimeKind::Actors, Some(n)) => Ok(Some(bioxen_actors::ActorConfig { arbiters: n })),
            (RuntimeKind::Actors, None) => Ok(Some(bioxen_actors::ActorConfig::default())),
        }
    }

    /// How the runtime is named in reports.
    fn describe(&self, threads: usize) -> Result<String> {
        Ok(match self.actors()? {
            None => format!("rayon ({threads} threads)"),
            Some(c) => format!("actors ({} arbiters)", c.arbiters),
        })
    }
}

/// How a run or a resume executes and what it writes besides its report.
#[derive(Args, Debug, Clone, Default)]
struct ExecArgs {
    #[command(flatten)]
    runtime: RuntimeArgs,
    /// Worker threads for the VMs' biology, 1 to 256 (the digest does not depend on it)
    /// [default: all cores].
    #[arg(long, value_parser = thread_count)]
    threads: Option<usize>,
    /// Write a checkpoint every K ticks (needs --checkpoint-dir).
    #[arg(long, value_name = "K", requires = "checkpoint_dir", value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: Option<u64>,
    /// Directory for checkpoints (made if absent). Their names carry the scenario's name
    /// and the start of the run's digest, so runs never mix.
    #[arg(long, value_name = "DIR", requires = "checkpoint_every")]
    checkpoint_dir: Option<PathBuf>,
    /// Keep only the newest N checkpoints of this run in the directory [default: all].
    #[arg(long, value_name = "N", requires = "checkpoint_every", value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_keep: Option<u64>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Run blocks of the VMs on the SSH hosts this file names (see README: running on SSH
    /// hosts); implies the actor runtime. The digest does not depend on it.
    #[arg(long, value_name = "FILE")]
    hosts: Option<PathBuf>,
    /// With --hosts: run every VM on the hosts, none here.
    #[arg(long, requires = "hosts")]
    remote_only: bool,
    /// A full-screen dashboard while it runs (keys: space pause, n step, +/- speed, s sort,
    /// q quit: the run ends at the last whole tick, its trace finished and, with
    /// --checkpoint-dir, a checkpoint to resume from written). The digest is the same.
    #[arg(long, conflicts_with = "json")]
    tui: bool,
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
    /// Write a trace of every tick to this file (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
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
    /// Worker threads, 1 to 256 [default: all cores].
    #[arg(long, value_parser = thread_count)]
    threads: Option<usize>,
}

#[derive(Args, Debug)]
struct ExportArgs {
    /// The trace.
    trace: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    format: RowFormat,
    /// Write here instead of standard output (a regular file is replaced atomically).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Add the protein molecules of these genes (`lacI,tetR,cI`; `lac/lacZ` for a package's
    /// gene) to one VM's rows, read by re-running the trace's scenario (checked against the
    /// trace), as `plot --genes` reads them.
    #[arg(long, value_delimiter = ',')]
    genes: Vec<String>,
    /// The VM whose rows `--genes` writes (default: the first).
    #[arg(long)]
    vm: Option<String>,
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Number of VMs, 1 to 1048576.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=i64::from(VMS_MAX)))]
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
    /// Worker threads, 1 to 256 [default: all cores].
    #[arg(long, value_parser = thread_count)]
    threads: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Write the workload as a scenario file (`-` for standard output) and stop, without
    /// running it: `bioxen run` on the file gives the bench's digest, and `resume`, `sweep`
    /// and checkpoints work on it as on any scenario.
    #[arg(long, value_name = "FILE")]
    save_scenario: Option<PathBuf>,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Resume(a) => run::resume(a),
        Command::Replay(a) => replay::replay(a),
        Command::Export(a) => export::export(a),
        Command::Validate { scenario } => run::validate(&scenario),
        Command::Policies => {
            let mut out = std::io::stdout().lock();
            for p in PolicyKind::ALL {
                writeln!(out, "{:<13} {}", p.name(), p.summary()).map_err(|e| Error::io("standard output", e))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Packages { dir } => packages(dir.as_deref()),
        Command::Script(a) => script::script(a),
        Command::Bench(a) => bench::bench(a),
        Command::Sweep(a) => sweep::sweep(a),
        Command::SweepMerge(a) => sweep::merge(a),
        Command::Compare(a) => compare::compare(a),
        Command::Plot(a) => compare::plot(a),
        Command::Xcpng(c) => xcpng::xcpng(c),
        Command::Hosts(c) => xcpng::hosts(c),
        Command::Interactive(a) => interactive::interactive(a),
        Command::Worker(a) => {
            let arbiters = a.arbiters.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            bioxen::remote::serve_worker(arbiters).map(|()| ExitCode::SUCCESS)
        }
    }
}

/// One line per package: name, version, genes, plasmid, hosts, description.
/// Lists every package, shipped and in `dir/packages/`: each read first, so that a bad
/// file is reported (all of them, each with its place) after the list of the good ones,
/// not midway; a local package says so, and whether it shadows a shipped one.
fn packages(dir: Option<&std::path::Path>) -> Result<ExitCode> {
    let shipped: Vec<String> = bioxen_engine::package::SHIPPED.iter().map(|(n, _)| n.to_string()).collect();
    let local = match dir {
        Some(dir) => bioxen::files::package_names(dir)?,
        None => Vec::new(),
    };
    let mut names: Vec<&String> = shipped.iter().chain(&local).collect();
    names.sort();
    names.dedup();
    let mut bad = Vec::new();
    for name in names {
        let found = match dir {
            Some(dir) => bioxen::files::find_package(dir, name),
            None => bioxen_engine::package::shipped(name).ok_or_else(|| bioxen_engine::scenario::unknown_package(name)),
        };
        let p = match found {
            Ok(p) => p,
            Err(e) => {
                bad.push(e);
                continue;
            }
        };
        let from = match (local.contains(name), shipped.contains(name)) {
            (true, true) => "local, shadows the shipped one",
            (true, false) => "local",
            _ => "shipped",
        };
        let genes: Vec<&str> = p.genes.iter().map(|g| g.name.as_str()).collect();
        let hosts: Vec<&str> = p.organisms.iter().map(|o| o.name()).collect();
        print(format_args!(
            "{:<14} {:<7} genes {:<22} {:>5.1} kb × {:<3} hosts {:<25} [{from}] {}\n",
            p.name,
            p.version,
            genes.join(","),
            f64::from(p.plasmid_bp) / 1000.0,
            p.copies,
            hosts.join(","),
            p.description
        ))?;
    }
    match bad.len() {
        0 => Ok(ExitCode::SUCCESS),
        n => Err(Error::BadInput(format!("{n} package file(s) cannot be used:\n  {}", bad.join("\n  ")))),
    }
}

fn parse_policy(name: &str) -> Result<PolicyKind> {
    PolicyKind::from_name(name).ok_or_else(|| {
        let names: Vec<_> = PolicyKind::ALL.iter().map(|p| p.name()).collect();
        Error::BadInput(format!("unknown policy `{name}`; expected one of: {}", names.join(", ")))
    })
}

/// Runs `f` on a pool of `threads` workers (all cores when `None`).
fn with_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| Error::Failed(format!("cannot start the thread pool: {e}")))?;
    Ok(pool.install(f))
}

/// Writes `text` to standard output (a closed pipe is reported as such, and `main` exits
/// quietly with 0).
fn print(text: std::fmt::Arguments) -> Result<()> {
    std::io::stdout().lock().write_fmt(text).map_err(|e| Error::io("standard output", e))
}

use std::io::Write;

/// A chart's `--format` (the library's formats carry no command-line derive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ChartFormat {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics.
    Png,
}

impl From<ChartFormat> for bioxen::plot::Format {
    fn from(f: ChartFormat) -> Self {
        match f {
            ChartFormat::Svg => bioxen::plot::Format::Svg,
            ChartFormat::Png => bioxen::plot::Format::Png,
        }
    }
}

/// An export's `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum RowFormat {
    /// Comma-separated values, with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl From<RowFormat> for bioxen::export::Format {
    fn from(f: RowFormat) -> Self {
        match f {
            RowFormat::Csv => bioxen::export::Format::Csv,
            RowFormat::Jsonl => bioxen::export::Format::Jsonl,
        }
    }
}
