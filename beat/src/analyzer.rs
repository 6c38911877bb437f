//! Several protocols in one run: the [`Analyzer`] trait, the protocol
//! [`Registration`]s a beat is built from, and the [`Output`] every protocol's
//! events share.
//!
//! One [`Engine`] runs per protocol and every packet is handed to each of
//! them; an engine only tracks connections on its own ports and counts the
//! rest as `packets_other_ports`. This keeps `analyzer-core` unchanged and
//! each protocol's counters its own (the packet-level ones, `packets`,
//! `packets_not_tcp`, `packets_truncated`..., are then the same in each).
//! The cost: each packet's link, IP and TCP headers are decoded once per
//! protocol. Measured on a 3-million-packet Redis workload: 2.60 s with
//! Redis alone, 2.92 s with echo and Memcache beside it, about 50 ns per
//! packet per extra protocol.
//!
//! The engines' sinks all write to one [`Output`] (one [`NdjsonWriter`]
//! behind an `Rc<RefCell<..>>`), so the events of all protocols come out in
//! one ndjson stream, in the order they were published.

use std::cell::RefCell;
use std::io::{self, Write};
use std::marker::PhantomData;
use std::rc::Rc;

use analyzer_core::decode::LinkType;
use analyzer_core::{Config, Counters, Engine, Event, NdjsonWriter, Protocol, Sink, Timestamp};

use crate::summary::Stats;

/// What a beat needs of one protocol's engine, without its type parameters:
/// the beat holds a `Vec<Box<dyn Analyzer>>` and feeds each packet to all.
pub trait Analyzer {
    /// The protocol's name (`echo`, `redis`...).
    fn name(&self) -> &'static str;
    /// Handles one captured packet.
    fn packet(&mut self, ts: Timestamp, link: LinkType, data: &[u8]);
    /// Advances capture time on a quiet link, so timeouts fire.
    fn tick(&mut self, now: Timestamp);
    /// Ends the input: what is pending is published.
    fn finish(&mut self);
    /// The engine's counters.
    fn counters(&self) -> &Counters;
}

impl<P: Protocol, S: Sink<P>> Analyzer for Engine<P, S> {
    fn name(&self) -> &'static str {
        P::NAME
    }
    fn packet(&mut self, ts: Timestamp, link: LinkType, data: &[u8]) {
        Engine::packet(self, ts, link, data)
    }
    fn tick(&mut self, now: Timestamp) {
        Engine::tick(self, now)
    }
    fn finish(&mut self) {
        Engine::finish(self)
    }
    fn counters(&self) -> &Counters {
        Engine::counters(self)
    }
}

/// One protocol a beat can run: its name, default ports and how to build its
/// engine. Adding a protocol to a beat is one line, `protocol::<P>()`.
#[derive(Clone, Copy)]
pub struct Registration {
    /// The protocol's name: the config file's `type`.
    pub name: &'static str,
    /// Ports analyzed when neither the config nor the command line name any.
    pub default_ports: &'static [u16],
    build: fn(Config, &Output) -> Box<dyn Analyzer>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("name", &self.name)
            .field("default_ports", &self.default_ports)
            .finish()
    }
}

impl Registration {
    /// An engine for this protocol with `config`, publishing to `output`.
    pub fn build(&self, config: Config, output: &Output) -> Box<dyn Analyzer> {
        (self.build)(config, output)
    }
}

/// The registration of protocol `P`:
///
/// ```
/// use analyzer_beat::{protocol, Registration};
/// const PROTOCOLS: &[Registration] = &[
///     protocol::<echo::EchoMessage>(),
///     protocol::<redis::RedisMessage>(),
/// ];
/// assert_eq!(PROTOCOLS[1].name, "redis");
/// ```
pub const fn protocol<P: Protocol + 'static>() -> Registration {
    Registration {
        name: P::NAME,
        default_ports: P::DEFAULT_PORTS,
        build: build::<P>,
    }
}

fn build<P: Protocol + 'static>(config: Config, output: &Output) -> Box<dyn Analyzer> {
    let sink = OutputSink::<P> {
        output: output.clone(),
        index: output.add_protocol(P::NAME),
        _protocol: PhantomData,
    };
    Box::new(Engine::new(config, sink))
}

/// Where every protocol's events go: one [`NdjsonWriter`], shared by the
/// engines (a cheap handle: clones write to the same stream), and the
/// statistics behind `--summary` when asked for.
///
/// A write error stops further writing; it is kept and returned by
/// [`finish`](Self::finish).
#[derive(Clone)]
pub struct Output(Rc<RefCell<OutputState>>);

struct OutputState {
    /// `None` once a flush failed.
    writer: Option<NdjsonWriter<Box<dyn Write>>>,
    /// A flush's error.
    error: Option<io::Error>,
    /// Events written by the writers [`Output::flush`] retired.
    written_before: u64,
    unflushed: bool,
    /// One per protocol, in the order they were added; `None` without a
    /// summary.
    stats: Option<Vec<Stats>>,
    /// Protocols added (their sinks' indices).
    protocols: usize,
}

impl Output {
    /// Writes to `out` (through the writer's 64 KiB buffer); keeps the
    /// summary statistics when `summarize` is set.
    pub fn new(out: Box<dyn Write>, summarize: bool) -> Self {
        Output(Rc::new(RefCell::new(OutputState {
            writer: Some(NdjsonWriter::new(out)),
            error: None,
            written_before: 0,
            unflushed: false,
            stats: summarize.then(Vec::new),
            protocols: 0,
        })))
    }

    fn add_protocol(&self, name: &'static str) -> usize {
        let mut state = self.0.borrow_mut();
        if let Some(stats) = &mut state.stats {
            stats.push(Stats::new(name));
        }
        state.protocols += 1;
        state.protocols - 1
    }

    /// Events written so far.
    pub fn events_written(&self) -> u64 {
        let state = self.0.borrow();
        let current = state.writer.as_ref().map_or(0, |w| w.events_written());
        state.written_before + current
    }

    /// Whether a write failed (e.g. the reader of a pipe went away): the
    /// caller can stop reading.
    pub fn failed(&self) -> bool {
        let state = self.0.borrow();
        state.error.is_some() || state.writer.as_ref().is_some_and(|w| w.error().is_some())
    }

    /// Writes the buffered events out, if any (a live capture does it every
    /// tick, so events show up promptly). A failure is kept for
    /// [`finish`](Self::finish).
    pub fn flush(&self) {
        let mut state = self.0.borrow_mut();
        if !state.unflushed {
            return;
        }
        state.unflushed = false;
        // The writer has no flush of its own: finishing it flushes and hands
        // back the underlying output, which a new writer takes over.
        if let Some(writer) = state.writer.take() {
            state.written_before += writer.events_written();
            match writer.finish() {
                Ok(out) => state.writer = Some(NdjsonWriter::new(out)),
                Err(err) => state.error = Some(err),
            }
        }
    }

    /// The summary statistics, one per protocol in the order they were
    /// built; `None` without a summary.
    pub fn stats(&self) -> Option<Vec<Stats>> {
        self.0.borrow().stats.clone()
    }

    /// Flushes the events; returns the first write error, if any.
    pub fn finish(&self) -> io::Result<()> {
        self.0.borrow_mut().unflushed = true;
        self.flush();
        match self.0.borrow_mut().error.take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    fn publish<P: Protocol>(&self, index: usize, event: Event<P>) {
        let mut state = self.0.borrow_mut();
        if let Some(stats) = state.stats.as_mut().and_then(|s| s.get_mut(index)) {
            stats.record(&event);
        }
        if let Some(writer) = &mut state.writer {
            writer.publish(event);
            state.unflushed = true;
        }
    }
}

/// The sink of one protocol's engine: writes to the shared [`Output`].
pub struct OutputSink<P> {
    output: Output,
    index: usize,
    _protocol: PhantomData<fn(P)>,
}

impl<P: Protocol> Sink<P> for OutputSink<P> {
    fn publish(&mut self, event: Event<P>) {
        self.output.publish(self.index, event)
    }
}
