//! Remote hosts: serving as a worker (`bioxen worker --stdio`), and running a scenario's
//! VMs on hosts a hosts file names (see `bioxen_remote`).

use crate::error::{Error, Result};
use bioxen_remote::worker::{self, WorkerError};

/// Serves one coordinator on standard input and output until it says goodbye: the worker
/// behind every remote host. `arbiters` threads host its VMs.
pub fn serve_worker(arbiters: usize) -> Result<()> {
    let (input, output) = (std::io::stdin().lock(), std::io::stdout().lock());
    worker::serve(input, output, arbiters).map_err(|e| match e {
        // A coordinator that is not ours, or refused: what was given was wrong.
        WorkerError::Handshake(e) => Error::BadInput(e.to_string()),
        e => Error::Failed(e.to_string()),
    })
}
