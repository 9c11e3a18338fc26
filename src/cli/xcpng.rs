//! `bioxen xcpng templates|provision|destroy` (an XCP-ng pool, through the `xcpng_config`
//! of a VM configuration file) and `bioxen hosts check` (a hosts file's workers).

use bioxen::api::ApiError;
use bioxen::error::{Error, Result};
use bioxen::xcpng::XapiError;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// What to do in the pool.
#[derive(Subcommand, Debug)]
pub enum XcpngCommand {
    /// List the pool's templates.
    Templates(PoolArgs),
    /// Make and start a VM from the template, and print its address and a hosts-file
    /// entry for it; it stays until `destroy --vm`.
    Provision {
        #[command(flatten)]
        pool: PoolArgs,
        /// The new VM's name.
        #[arg(long)]
        name: String,
    },
    /// Destroy a VM and its disks, or what crashed runs left (`--orphans`).
    Destroy {
        #[command(flatten)]
        pool: PoolArgs,
        /// The VM's reference (`OpaqueRef:…`, as `provision` printed it).
        #[arg(long, conflicts_with = "orphans", required_unless_present = "orphans")]
        vm: Option<String>,
        /// Every VM and disk tagged by a BioXen run of this machine whose process is gone.
        #[arg(long)]
        orphans: bool,
        /// With --orphans: also those of runs on other machines and of `provision`.
        #[arg(long, requires = "orphans")]
        all: bool,
    },
}

/// The pool: where its `xcpng_config` is.
#[derive(Args, Debug)]
pub struct PoolArgs {
    /// A VM configuration file (JSON or TOML) holding the `xcpng_config`.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

/// What to check.
#[derive(Subcommand, Debug)]
pub enum HostsCommand {
    /// Reach each host of a hosts file over SSH, start its worker (uploading it if need
    /// be) and shake hands, canary run included.
    Check {
        /// The hosts file.
        file: PathBuf,
    },
}

/// An API error as the command line reports it: a configuration is bad input (exit 2);
/// a pool that refuses or fails is a failure (exit 1).
fn cli_error(e: ApiError) -> Error {
    match e {
        ApiError::Config { .. } | ApiError::Xcpng(XapiError::Config(_)) => Error::BadInput(e.to_string()),
        ApiError::Files(e) => e,
        e => Error::Failed(e.to_string()),
    }
}

/// Prints a line of the answer: what a pool or a host said (a template's name, a host's
/// error) shown with its control characters escaped.
fn say(text: &str) -> Result<()> {
    writeln!(std::io::stdout().lock(), "{}", bioxen_engine::text::lines(text))
        .map_err(|e| Error::io("standard output", e))
}

/// Runs an `xcpng` command.
pub fn xcpng(command: XcpngCommand) -> Result<ExitCode> {
    use bioxen::xcpng;
    let config = |pool: &PoolArgs| xcpng::config_from_file(&pool.config).map_err(cli_error);
    match command {
        XcpngCommand::Templates(pool) => {
            for (name, reference) in xcpng::templates(&config(&pool)?).map_err(cli_error)? {
                say(&format!("{name}\t{reference}"))?;
            }
        }
        XcpngCommand::Provision { pool, name } => {
            let x = config(&pool)?;
            let (vm, ip) = xcpng::provision_kept(&x, &name).map_err(cli_error)?;
            let host = xcpng::ssh_host(&x, &name, &ip);
            say(&format!("{vm}\t{ip}"))?;
            say(&format!(
                "# a hosts-file entry for it:\n[[host]]\nname = \"{name}\"\naddress = \"{ip}\"\nuser = \"{}\"\nkey = \"{}\"",
                host.user,
                x.ssh_key_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
            ))?;
        }
        XcpngCommand::Destroy { pool, vm, orphans, all } => {
            let x = config(&pool)?;
            match vm {
                Some(vm) if !orphans => {
                    xcpng::destroy(&x, &vm).map_err(cli_error)?;
                    say(&format!("destroyed {vm} and its disks"))?;
                }
                _ => {
                    let (vms, disks) = xcpng::destroy_orphans(&x, all).map_err(cli_error)?;
                    say(&format!("destroyed {vms} orphaned VMs and {disks} orphaned disks"))?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a `hosts` command: exit 0 when every host serves, 1 otherwise.
pub fn hosts(command: HostsCommand) -> Result<ExitCode> {
    let HostsCommand::Check { file } = command;
    let hosts = bioxen::remote::RemoteHosts::load(&file)?;
    let mut failed = 0;
    for (name, outcome) in bioxen::remote::check_hosts(&hosts) {
        match outcome {
            Ok(()) => say(&format!("{name}: ok (its worker computes as this build does)"))?,
            Err(e) => {
                failed += 1;
                say(&format!("{name}: {e}"))?;
            }
        }
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
