//! Where events go: the [`Sink`] trait, a buffered ndjson writer, closures.

use std::io::{self, Write};

use crate::event::Event;
use crate::ndjson::{write_event, TimeCache};
use crate::protocol::Protocol;

/// Receives every published event, in order.
///
/// Any `FnMut(Event<P>)` closure is a sink:
///
/// ```
/// use analyzer_core::{Event, Sink};
/// # use analyzer_core::{Kind, NetString, Protocol};
/// # #[derive(Protocol)]
/// # #[protocol(name = "line", ports(7), delimiter = b'\n')]
/// # struct Line { #[protocol(tag(request = b'>'))] kind: Kind, rest: NetString }
/// let mut seen = 0;
/// let mut sink = |_event: Event<Line>| seen += 1;
/// # let _ = &mut sink;
/// ```
pub trait Sink<P> {
    /// Takes one event.
    fn publish(&mut self, event: Event<P>);
}

impl<P, F: FnMut(Event<P>)> Sink<P> for F {
    fn publish(&mut self, event: Event<P>) {
        self(event)
    }
}

/// Writes one JSON object per line, buffered.
///
/// A write error stops further writing; it is kept and returned by
/// [`finish`](Self::finish) (and visible through [`error`](Self::error), so a
/// caller can stop early, e.g. when the reader of a pipe went away). Events
/// still buffered when the writer is dropped without `finish` are written
/// then, errors ignored (as `BufWriter` does).
pub struct NdjsonWriter<W: Write> {
    /// `None` only once [`finish`](Self::finish) took it.
    out: Option<W>,
    /// Whole lines not written out yet: events are formatted straight into
    /// it (no copy from a line buffer), and it is written out once it holds
    /// [`BUFFER`] bytes or more.
    buf: Vec<u8>,
    error: Option<io::Error>,
    written: u64,
    times: TimeCache,
}

/// How much the writer buffers before writing out.
const BUFFER: usize = 64 * 1024;

impl<W: Write> NdjsonWriter<W> {
    /// Writes to `out` through a 64 KiB buffer.
    pub fn new(out: W) -> Self {
        NdjsonWriter {
            out: Some(out),
            // Room for a full buffer and the event that fills it, usually.
            buf: Vec::with_capacity(BUFFER + 4096),
            error: None,
            written: 0,
            times: TimeCache::default(),
        }
    }

    /// Events written so far.
    pub fn events_written(&self) -> u64 {
        self.written
    }

    /// The first write error, if one happened.
    pub fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    /// Flushes and returns the writer, or the first error.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        let mut out = self.out.take().expect("only finish takes the output");
        let buffered = std::mem::take(&mut self.buf);
        out.write_all(&buffered)?;
        Ok(out)
    }

    fn write_event<P: Protocol>(&mut self, event: &Event<P>) -> io::Result<()> {
        write_event(&mut self.buf, &mut self.times, event, b"");
        self.buf.push(b'\n');
        if self.buf.len() >= BUFFER {
            let written = match &mut self.out {
                Some(out) => out.write_all(&self.buf),
                None => Ok(()),
            };
            self.buf.clear();
            written?;
        }
        Ok(())
    }
}

impl<W: Write> Drop for NdjsonWriter<W> {
    fn drop(&mut self) {
        if let (Some(out), None) = (&mut self.out, &self.error) {
            let _ = out.write_all(&self.buf);
        }
    }
}

impl<P: Protocol, W: Write> Sink<P> for NdjsonWriter<W> {
    fn publish(&mut self, event: Event<P>) {
        if self.error.is_some() {
            return;
        }
        match self.write_event(&event) {
            Ok(()) => self.written += 1,
            Err(err) => self.error = Some(err),
        }
    }
}
