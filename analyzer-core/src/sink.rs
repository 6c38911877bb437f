//! Where events go: the [`Sink`] trait, a buffered ndjson writer, closures.

use std::io::{self, BufWriter, Write};

use crate::event::Event;
use crate::ndjson::{write_event, TimeCache};
use crate::protocol::Protocol;

/// Receives every published event, in order.
///
/// Any `FnMut(Event<P>)` closure is a sink:
///
/// ```
/// use analyzer_core::{Event, Sink};
/// # use analyzer_core::{Direction, Framing, Kind, ParseError, Protocol};
/// # #[derive(serde::Serialize)] struct Line;
/// # impl Protocol for Line {
/// #     const NAME: &'static str = "line";
/// #     const DEFAULT_PORTS: &'static [u16] = &[7];
/// #     const FRAMING: Framing = Framing::Delimiter(b"\n");
/// #     fn parse(_: bytes::Bytes, _: Direction) -> Result<Self, ParseError> { Ok(Line) }
/// #     fn kind(&self) -> Kind { Kind::Request }
/// # }
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
/// caller can stop early, e.g. when the reader of a pipe went away).
pub struct NdjsonWriter<W: Write> {
    out: BufWriter<W>,
    error: Option<io::Error>,
    written: u64,
    line: Vec<u8>,
    scratch: Vec<u8>,
    times: TimeCache,
}

impl<W: Write> NdjsonWriter<W> {
    /// Writes to `out` through a 64 KiB buffer.
    pub fn new(out: W) -> Self {
        NdjsonWriter {
            out: BufWriter::with_capacity(64 * 1024, out),
            error: None,
            written: 0,
            line: Vec::with_capacity(1024),
            scratch: Vec::new(),
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
        self.out.into_inner().map_err(|e| e.into_error())
    }

    fn write_event<P: Protocol>(&mut self, event: &Event<P>) -> io::Result<()> {
        self.line.clear();
        write_event(&mut self.line, &mut self.scratch, &mut self.times, event)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
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
