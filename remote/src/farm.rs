//! Whole runs on a host over a link kept open between them (`sweep --hosts`): each run's
//! scenario goes there, runs on the worker's engine, and comes back finished as a
//! checkpoint, read here through the gate like any checkpoint. The row a sweep makes of
//! it is the row of a local run: the canary checked at the handshake that the worker
//! computes as this build does.

use crate::link::Connector;
use crate::protocol::{FromWorker, ToWorker};
use crate::proxy::ProxyOptions;
use crate::session::Session;
use bioxen_engine::scenario::{Scenario, frames};
use bioxen_engine::sim::Simulation;
use std::time::Duration;

/// The longest a whole run may take on a host (a dead link is found sooner, by SSH
/// keepalives or the link's end).
const RUN_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Why a whole run did not come back.
#[derive(Debug)]
pub struct RunError {
    /// What failed, naming the host.
    pub message: String,
    /// The host failed (its link, or it refuses to connect): the run may go elsewhere.
    /// Otherwise the run itself failed, and would anywhere.
    pub host_lost: bool,
}

/// A link to a host's worker for whole runs.
pub struct RunLink {
    session: Session,
    host: String,
}

impl RunLink {
    /// Opens a link through `connector`.
    pub fn open(connector: &dyn Connector, options: &ProxyOptions) -> Result<RunLink, RunError> {
        let host = connector.host().to_string();
        let session = Session::open(connector, options.connect_timeout, options.setup_timeout)
            .map_err(|f| RunError { message: format!("host `{host}`: {}", f.message), host_lost: true })?;
        Ok(RunLink { session, host })
    }

    /// Runs `scenario` to its end there; the finished run.
    pub fn run(&mut self, scenario: &Scenario) -> Result<Simulation, RunError> {
        let lost = |message: String| RunError { message, host_lost: true };
        let host = self.host.clone();
        let s = &mut self.session;
        s.send(&ToWorker::Run).map_err(|f| lost(format!("host `{host}`: {}", f.message)))?;
        frames::write(s.tx.frames(), scenario)
            .and_then(|()| s.tx.frames().flush())
            .map_err(|e| lost(format!("host `{host}`: cannot send to the worker: {e}")))?;
        match s.receive(RUN_TIMEOUT, "finished run").map_err(|f| lost(format!("host `{host}`: {}", f.message)))? {
            FromWorker::Finished(bytes) => {
                let what = format!("the run finished on host `{host}`");
                bioxen_engine::checkpoint::read(bytes.as_slice(), &what)
                    .map_err(|e| lost(format!("host `{host}` sent back a run that is not one: {e}")))
            }
            FromWorker::Refused(why) => Err(RunError { message: format!("host `{host}`: {why}"), host_lost: false }),
            _ => Err(lost(format!("host `{host}` answered a run with something else"))),
        }
    }
}
