//! [`Output`]: where every protocol's events go. Each event is written as
//! JSON into a [`Batch`], completed with the run's [`Envelope`], and the
//! batch goes to the delivery [`Queue`] when full (or on a flush), or, for
//! an output made with [`Output::new`], is written to a `Write` on the
//! spot.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::Arc;

use analyzer_core::{Direction, Event, EventJson, Protocol};

use crate::delivery::{Batch, Queue};
use crate::envelope::Envelope;
use crate::summary::Stats;

/// A batch is handed on once it holds this many bytes, whatever its count:
/// with the envelope an event is 1-2 KB, and the batch being filled, those
/// queued and the one being sent are all held at once (at 1 MiB, a
/// 60,000-connection run peaked megabytes higher). Small, as idle workers
/// are woken once 16 wait (see the queue's `WAKE_PENDING`): 1 MiB a wake.
/// A worker merges queued batches up to its output's `bulk_max_size`.
const BATCH_BYTES: usize = 64 * 1024;
/// [`Output::new`] writes out once it holds this many bytes.
const WRITE_BYTES: usize = 64 * 1024;

/// Where every protocol's events go: a cheap handle (clones publish to the
/// same place), with the statistics behind `--summary` when asked for.
///
/// A write error stops further writing; it is kept and returned by
/// [`finish`](Self::finish).
#[derive(Clone)]
pub struct Output(Rc<RefCell<State>>);

struct State {
    json: EventJson,
    batch: Batch,
    /// Events in a batch handed to the queue.
    batch_events: usize,
    target: Target,
    envelope: Option<(Arc<Envelope>, bool)>,
    /// Events published so far.
    published: u64,
    /// One per protocol, in the order they were added; `None` without a
    /// summary.
    stats: Option<Vec<Stats>>,
    /// Protocols added (their sinks' indices).
    protocols: usize,
}

enum Target {
    /// Written here, as batches fill.
    Write {
        out: Box<dyn Write>,
        error: Option<io::Error>,
    },
    /// Handed to the delivery queue.
    Queue(Arc<Queue>),
}

impl Output {
    /// Writes to `out` on the spot (through a 64 KiB buffer), no envelope;
    /// keeps the summary statistics when `summarize` is set. For embedding
    /// and tests: a beat's run delivers through a queue.
    pub fn new(out: Box<dyn Write>, summarize: bool) -> Self {
        Output::with(
            Target::Write { out, error: None },
            usize::MAX,
            None,
            summarize,
        )
    }

    /// Hands batches of `batch_events` events to `queue`, each event
    /// completed with `envelope` (and its `@metadata` when `metadata`).
    pub fn queued(
        queue: Arc<Queue>,
        batch_events: usize,
        envelope: Option<(Arc<Envelope>, bool)>,
        summarize: bool,
    ) -> Self {
        Output::with(
            Target::Queue(queue),
            batch_events.max(1),
            envelope,
            summarize,
        )
    }

    fn with(
        target: Target,
        batch_events: usize,
        envelope: Option<(Arc<Envelope>, bool)>,
        summarize: bool,
    ) -> Self {
        Output(Rc::new(RefCell::new(State {
            json: EventJson::default(),
            batch: Batch::default(),
            batch_events,
            target,
            envelope,
            published: 0,
            stats: summarize.then(Vec::new),
            protocols: 0,
        })))
    }

    pub(crate) fn add_protocol(&self, name: &'static str) -> usize {
        let mut state = self.0.borrow_mut();
        if let Some(stats) = &mut state.stats {
            stats.push(Stats::new(name));
        }
        state.protocols += 1;
        state.protocols - 1
    }

    /// Events published so far.
    pub fn events_written(&self) -> u64 {
        self.0.borrow().published
    }

    /// Whether the output failed (e.g. the reader of a pipe went away): the
    /// caller can stop reading.
    pub fn failed(&self) -> bool {
        match &self.0.borrow().target {
            Target::Write { error, .. } => error.is_some(),
            Target::Queue(queue) => queue.has_failed(),
        }
    }

    /// Hands on the events published so far (a live capture does it every
    /// tick, so events show up promptly). A failure is kept for
    /// [`finish`](Self::finish).
    pub fn flush(&self) {
        let mut state = self.0.borrow_mut();
        if state.batch.is_empty() {
            return;
        }
        state.hand_on();
        if let Target::Queue(queue) = &state.target {
            queue.flush();
        }
    }

    /// The summary statistics, one per protocol in the order they were
    /// built; `None` without a summary.
    pub fn stats(&self) -> Option<Vec<Stats>> {
        self.0.borrow().stats.clone()
    }

    /// Hands on the events; returns the first write error, if any (a queued
    /// output's errors are the delivery's, reported by the run).
    pub fn finish(&self) -> io::Result<()> {
        let mut state = self.0.borrow_mut();
        state.hand_on();
        match &mut state.target {
            Target::Write { out, error } => match error.take() {
                Some(err) => Err(err),
                None => out.flush(),
            },
            Target::Queue(_) => Ok(()),
        }
    }

    pub(crate) fn publish<P: Protocol>(&self, index: usize, event: Event<P>) {
        let mut state = self.0.borrow_mut();
        let state = &mut *state;
        if let Some(stats) = state.stats.as_mut().and_then(|s| s.get_mut(index)) {
            stats.record(&event);
        }
        if matches!(&state.target, Target::Write { error: Some(_), .. }) {
            return;
        }
        match &state.envelope {
            Some((envelope, metadata)) => {
                let flow = &event.flow;
                let (source, destination) = match event.transaction.initiator() {
                    Direction::FromClient => (flow.client.0, flow.server.0),
                    Direction::FromServer => (flow.server.0, flow.client.0),
                };
                let direction = envelope.direction(source, destination);
                let out = &mut state.batch.data;
                state.json.write_with_network(out, &event, direction);
                envelope.complete(out, *metadata);
            }
            None => state.json.write(&mut state.batch.data, &event),
        }
        state.batch.end_event();
        state.published += 1;
        let full = match state.target {
            Target::Write { .. } => state.batch.data.len() >= WRITE_BYTES,
            Target::Queue(_) => {
                state.batch.len() >= state.batch_events || state.batch.data.len() >= BATCH_BYTES
            }
        };
        if full {
            state.hand_on();
        }
    }
}

impl State {
    /// Writes the batch out, or hands it to the queue.
    fn hand_on(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        match &mut self.target {
            Target::Write { out, error } => {
                if error.is_none() {
                    if let Err(err) = out.write_all(&batch.data) {
                        *error = Some(err);
                    }
                }
                // The buffer is kept for the next events.
                self.batch.data = batch.data;
                self.batch.data.clear();
            }
            Target::Queue(queue) => {
                let (bytes, events) = (batch.data.len(), batch.len());
                queue.push(batch);
                // One a worker sent back, or one about as large.
                self.batch = queue.spare().unwrap_or_else(|| Batch {
                    data: Vec::with_capacity(bytes + bytes / 8),
                    ends: Vec::with_capacity(events),
                });
            }
        }
    }
}

/// Makes the [`Output`] of each analysis thread, all into one queue.
#[derive(Clone)]
pub(crate) struct Outputs {
    pub queue: Arc<Queue>,
    pub batch_events: usize,
    pub envelope: Option<(Arc<Envelope>, bool)>,
    pub summarize: bool,
}

impl Outputs {
    /// A thread's output.
    pub fn make(&self) -> Output {
        Output::queued(
            self.queue.clone(),
            self.batch_events,
            self.envelope.clone(),
            self.summarize,
        )
    }
}
