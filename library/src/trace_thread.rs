//! A trace written on its own thread: the run hands each tick's record over and goes on
//! to the next tick while the record is encoded and compressed (trace format 8). Written on
//! the run's own thread, a version 7 trace cost 10–20 % of a 10,000-VM run's speed
//! (docs/perf.md).
//! At most [`RECORDS_IN_FLIGHT`] records wait, so a slow disk slows the run rather than
//! filling memory; the bytes are exactly those of writing on the run's thread.

use crate::error::{Error, Result};
use crate::files::Output;
use bioxen_engine::record::TickRecord;
use bioxen_engine::scenario::Scenario;
use bioxen_engine::trace::TraceWriter;
use std::io;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Records handed over but not yet written: two keep the writer busy while the run makes
/// the next, and hold at most two ticks' records (~19 MB at 100,000 VMs).
const RECORDS_IN_FLIGHT: usize = 2;

enum Message {
    Tick(TickRecord),
    /// The run is over: close the trace with this digest.
    End([u8; 32]),
}

/// The writing thread and the way to it.
pub(crate) struct TraceThread {
    to_writer: Option<SyncSender<Message>>,
    /// Records the writer is done with, to copy the next ticks into without allocating.
    spent: Receiver<TickRecord>,
    writer: Option<JoinHandle<io::Result<Option<Output>>>>,
    what: String,
}

impl TraceThread {
    /// Starts a trace of `scenario` in `out` (`what` names it in errors): the header and
    /// the scenario are written before this returns, so a bad destination fails at once.
    pub(crate) fn start(out: Output, scenario: &Scenario, what: String) -> Result<TraceThread> {
        let writer = TraceWriter::new(out, scenario).map_err(|e| Error::io(&what, e))?;
        let (to_writer, from_run) = sync_channel(RECORDS_IN_FLIGHT);
        let (give_back, spent) = sync_channel(RECORDS_IN_FLIGHT + 1);
        let writer = std::thread::Builder::new()
            .name("bioxen-trace".into())
            .spawn(move || {
                yield_to_the_run();
                write_all(writer, from_run, give_back)
            })
            .map_err(|e| Error::io(&what, e))?;
        Ok(TraceThread { to_writer: Some(to_writer), spent, writer: Some(writer), what })
    }

    /// Hands one tick's record to the writer; an error the writer met earlier is
    /// reported here.
    pub(crate) fn write(&mut self, record: &TickRecord) -> Result<()> {
        let mut copy = self.spent.try_recv().unwrap_or_default();
        copy.tick = record.tick;
        copy.pool = record.pool;
        copy.atp_store = record.atp_store;
        copy.events.clone_from(&record.events);
        copy.vms.clone_from(&record.vms);
        let sent = self.to_writer.as_ref().map(|to| to.send(Message::Tick(copy)));
        match sent {
            Some(Ok(())) => Ok(()),
            // The writer stopped: it says why when joined.
            _ => Err(self.join().err().unwrap_or_else(|| Error::io(&self.what, io::ErrorKind::BrokenPipe.into()))),
        }
    }

    /// Closes the trace with `digest` and hands back its output, flushed, to be committed.
    pub(crate) fn finish(mut self, digest: [u8; 32]) -> Result<Output> {
        let sent = self.to_writer.as_ref().is_some_and(|to| to.send(Message::End(digest)).is_ok());
        let out = self.join()?;
        match out {
            Some(out) if sent => Ok(out),
            _ => Err(Error::io(&self.what, io::Error::other("the trace's writer stopped before the end"))),
        }
    }

    /// Waits for the writer: what it wrote to, once it has closed the trace.
    fn join(&mut self) -> Result<Option<Output>> {
        self.to_writer = None;
        let Some(writer) = self.writer.take() else { return Ok(None) };
        match writer.join() {
            Ok(written) => written.map_err(|e| Error::io(&self.what, e)),
            Err(_) => Err(Error::io(&self.what, io::Error::other("the trace's writer panicked"))),
        }
    }
}

impl Drop for TraceThread {
    /// A trace dropped unfinished (the run failed) is abandoned: the writer stops, and its
    /// output, dropped, leaves nothing behind.
    fn drop(&mut self) {
        let _ = self.join();
    }
}

/// Lowers the calling thread's priority to the least (nice 19), so that the run's own
/// threads, one per core, are not preempted by it: a worker held up holds up its whole
/// tick, while the writer has a tick's time to catch up, in the moments a core waits
/// (the tick's serial phases). Linux's nice is per thread; elsewhere this does nothing.
fn yield_to_the_run() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority take and return plain integers; a failure leaves the
    // thread at its priority, which only costs speed.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 19);
    }
}

/// The writing thread: every record handed over, then the closing frame. Without an end
/// (the run failed) the output is dropped unfinished.
fn write_all(
    mut writer: TraceWriter<Output>,
    from_run: Receiver<Message>,
    give_back: SyncSender<TickRecord>,
) -> io::Result<Option<Output>> {
    for message in from_run {
        match message {
            Message::Tick(record) => {
                writer.write(&record)?;
                // The run may have stopped taking them back: then the record is dropped.
                let _ = give_back.try_send(record);
            }
            Message::End(digest) => return writer.finish(digest).map(Some),
        }
    }
    Ok(None)
}
