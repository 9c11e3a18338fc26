//! An open link to a worker, past the handshake: the writing half here, the reading
//! half on its own thread (so that a peer writing while we write never stalls either
//! side), every wait bounded.

use crate::handshake::{HandshakeError, Hello, hear_hello, say_hello};
use crate::link::{Connector, Link};
use crate::protocol::{CELLS_PER_FRAME, FromWorker, ToWorker, chunk_fits};
use crate::wire::WireWriter;
use bioxen_engine::cell::Cell;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use std::io::{Read, Write};
use std::time::Duration;

/// Why a link failed; `retry` is false where trying again cannot help (a worker that
/// computes differently, a block it refuses).
pub(crate) struct Failure {
    pub(crate) message: String,
    pub(crate) retry: bool,
}

impl Failure {
    pub(crate) fn retry(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), retry: true }
    }
}

/// What the reader thread passes on: the handshake's outcome first, then each message.
type Incoming = Result<Option<FromWorker>, Failure>;

/// An open, set-up link.
pub(crate) struct Session {
    pub(crate) tx: WireWriter<Box<dyn Write + Send>>,
    rx: Receiver<Incoming>,
    cut: Box<dyn FnMut() + Send>,
}

impl Session {
    /// Opens a link through `connector` within `connect_timeout` and shakes hands within
    /// `setup_timeout`.
    pub(crate) fn open(
        connector: &dyn Connector,
        connect_timeout: Duration,
        setup_timeout: Duration,
    ) -> Result<Session, Failure> {
        let Link { reader, writer, cut } =
            connector.connect(connect_timeout).map_err(|e| Failure { message: e.message, retry: !e.permanent })?;
        let ours = Hello::ours();
        let (incoming, rx) = bounded(4);
        let peer = format!("the worker on host `{}`", connector.host());
        let peer_name = peer.clone();
        let hello = ours.clone();
        std::thread::Builder::new()
            .name("bioxen-link-reader".into())
            .spawn(move || read_link(reader, &hello, &peer, incoming))
            .map_err(|e| Failure::retry(format!("cannot start a reader thread: {e}")))?;
        // Written a few bytes at a time too; each send flushes one whole message.
        let writer: Box<dyn Write + Send> = Box::new(std::io::BufWriter::with_capacity(1 << 16, writer));
        let tx = say_hello(writer, &ours, &peer_name).map_err(|e| Failure::retry(e.to_string()));
        let session = match tx {
            Ok(tx) => Session { tx, rx, cut },
            Err(f) => {
                let mut cut = cut;
                cut();
                return Err(f);
            }
        };
        match session.rx.recv_timeout(setup_timeout) {
            Ok(Ok(None)) => Ok(session),
            Ok(Err(f)) => Err(f),
            _ => Err(Failure::retry(format!("no hello within {} s", setup_timeout.as_secs()))),
        }
    }

    pub(crate) fn send(&mut self, m: &ToWorker) -> Result<(), Failure> {
        self.tx.send(m).map_err(|e| Failure::retry(format!("cannot send to the worker: {e}")))
    }

    /// The next message within `timeout`.
    pub(crate) fn receive(&mut self, timeout: Duration, waiting_for: &str) -> Result<FromWorker, Failure> {
        match self.rx.recv_timeout(timeout) {
            Ok(Ok(Some(m))) => Ok(m),
            Ok(Ok(None)) => Err(Failure::retry("the worker said hello twice")),
            Ok(Err(f)) => Err(f),
            Err(RecvTimeoutError::Timeout) => {
                Err(Failure::retry(format!("no {waiting_for} within {} s", timeout.as_secs_f64())))
            }
            Err(RecvTimeoutError::Disconnected) => Err(Failure::retry("the link closed")),
        }
    }

    /// Receives `count` cells in frames of at most [`CELLS_PER_FRAME`].
    pub(crate) fn cells(&mut self, count: usize, timeout: Duration) -> Result<Vec<Cell>, Failure> {
        let mut cells = Vec::with_capacity(count.min(CELLS_PER_FRAME));
        while cells.len() < count {
            match self.receive(timeout, "cells")? {
                FromWorker::Cells(c) if chunk_fits(c.len(), cells.len(), count) => cells.extend(c),
                _ => return Err(Failure::retry("the worker answered with something other than its cells")),
            }
        }
        Ok(cells)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // A worker that is told goodbye exits; one that cannot hear it is cut off.
        let _ = self.tx.send(&ToWorker::Bye);
        (self.cut)();
    }
}

/// The link's reader thread: checks the worker's hello, then passes on each message until
/// the link fails or nobody listens.
fn read_link(reader: Box<dyn Read + Send>, ours: &Hello, peer: &str, out: Sender<Incoming>) {
    let refuse = |message: String, retry: bool| Err(Failure { message, retry });
    // Frames are read a few bytes at a time (length, payload, checksum): buffered, so that
    // each is not its own trip through the link.
    let hello = hear_hello(std::io::BufReader::with_capacity(1 << 16, reader), ours, peer);
    let mut rx = match hello {
        Ok(rx) => rx,
        Err(e) => {
            // A peer that computes differently stays so; anything else may pass.
            let retry = !matches!(e, HandshakeError::Mismatch { .. });
            let _ = out.send(refuse(e.to_string(), retry));
            return;
        }
    };
    if out.send(Ok(None)).is_err() {
        return;
    }
    loop {
        let m = rx.receive::<FromWorker>("a message").map(Some).or_else(|e| refuse(e.to_string(), true));
        let failed = m.is_err();
        if out.send(m).is_err() || failed {
            return;
        }
    }
}

/// Opens a link through `connector` and shakes hands (versions and the canary run), then
/// says goodbye: whether a host can serve, or why not — and whether trying again may help.
pub fn probe(
    connector: &dyn Connector,
    connect_timeout: Duration,
    setup_timeout: Duration,
) -> Result<(), (String, bool)> {
    Session::open(connector, connect_timeout, setup_timeout).map(drop).map_err(|f| (f.message, f.retry))
}
