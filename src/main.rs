//! The `bioxen` command. Thin glue: parse arguments, call the library, map errors to exit
//! codes.
//!
//! Exit codes: 0 success; 1 the run failed or a replay diverged; 2 bad input (arguments,
//! scenario, trace or checkpoint). A closed standard output (`bioxen … | head`) is not a
//! failure: the command stops quietly with 0.

mod cli;

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Counts what a running script allocates, so its memory and work are bounded by bytes
/// (src/script/meter.rs).
#[global_allocator]
static ALLOCATOR: bioxen::script::ScriptAllocator = bioxen::script::ScriptAllocator;

fn main() -> ExitCode {
    init_logging();
    bioxen::files::install_cleanup();
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            // The message may quote input (a name, a value, a path, a remote host's words):
            // shown with its control characters escaped, never acted on by the terminal.
            eprintln!("error: {}", bioxen_engine::text::lines(&e.to_string()));
            ExitCode::from(if e.is_bad_input() { 2 } else { 1 })
        }
    }
}

/// Logs to standard error through `tracing`, filtered by `RUST_LOG` (default: warnings),
/// coloured only on a terminal. gb-io's own warnings are off unless `RUST_LOG` names it:
/// they echo lines of whatever file a `genome_file` points at (`/etc/passwd`, say), where
/// "not a GenBank file" is all a user needs.
fn init_logging() {
    let wanted = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
    let filter = if wanted.contains("gb_io") { wanted } else { format!("{wanted},gb_io=off") };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
}
