//! Pairing requests with responses: pipelined FIFO, timeouts in capture time,
//! a bound on pending requests, and a flush when the connection ends.

use std::collections::VecDeque;
use std::time::Duration;

use crate::message::{Message, Transaction};
use crate::time::Timestamp;

/// Why pending requests are published unanswered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unanswered {
    /// The transaction timeout passed (in capture time).
    Timeout(Duration),
    /// The server closed (FIN) or the connection was reset.
    Closed,
    /// The connection was idle too long and was expired.
    Idle,
    /// The connection was evicted from the full flow table.
    Evicted,
    /// The capture ended.
    EndOfInput,
}

impl Unanswered {
    fn note(self) -> String {
        match self {
            Unanswered::Timeout(d) => {
                format!(
                    "no response within the transaction timeout ({}s)",
                    d.as_secs_f64()
                )
            }
            Unanswered::Closed => "connection closed before the response".into(),
            Unanswered::Idle => "connection expired (idle) before the response".into(),
            Unanswered::Evicted => {
                "connection evicted (flow table full) before the response".into()
            }
            Unanswered::EndOfInput => "capture ended before the response".into(),
        }
    }
}

/// Whether a request gets an answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Answer {
    /// A response is expected: none is an error.
    #[default]
    Required,
    /// A response may come or not (quiet requests): when a later request is
    /// answered, this one is published alone, status OK.
    Optional,
    /// No response ever comes (`noreply`): published at once, status OK.
    Never,
}

/// A request waiting for its response, with the notes it already carries.
///
/// Kept small and cache-aligned (two lines for a small message): a request
/// is written to the queue and read back from it once each, and with many
/// connections open the queue's memory is cold every time.
#[repr(align(64))]
struct Pending<P> {
    request: Message<P>,
    /// Usually none: boxed, so an empty list takes one word.
    notes: Option<Box<[String]>>,
    /// The correlation key, when `keyed`.
    key: u64,
    keyed: bool,
    answer: Answer,
}

impl<P> Pending<P> {
    fn new(request: Message<P>, notes: Vec<String>, key: Option<u64>, answer: Answer) -> Self {
        Pending {
            request,
            notes: (!notes.is_empty()).then(|| notes.into_boxed_slice()),
            key: key.unwrap_or(0),
            keyed: key.is_some(),
            answer,
        }
    }

    fn key(&self) -> Option<u64> {
        self.keyed.then_some(self.key)
    }

    /// The request and its notes.
    fn into_parts(self) -> (Message<P>, Vec<String>) {
        (self.request, self.notes.map(Vec::from).unwrap_or_default())
    }

    /// The transaction of this request and its response.
    #[inline]
    fn answered_by(self, response: Message<P>, mut notes: Vec<String>) -> Transaction<P> {
        let (request, mut all) = self.into_parts();
        if !notes.is_empty() {
            all.append(&mut notes);
        }
        Transaction::new(Some(request), Some(response), all)
    }
}

/// Requests waiting for responses on one connection, oldest first.
// The queue first: it shares a cache line with the connection's hot fields.
#[repr(C)]
pub(crate) struct Correlator<P> {
    pending: VecDeque<Pending<P>>,
    max_pending: usize,
}

/// What the correlator did, for the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub paired: u64,
    pub unanswered: u64,
    pub unmatched: u64,
    pub over_limit: u64,
    /// Requests published alone by design (no response expected).
    pub no_response: u64,
}

impl Outcome {
    fn plus(self, other: Outcome) -> Outcome {
        Outcome {
            paired: self.paired + other.paired,
            unanswered: self.unanswered + other.unanswered,
            unmatched: self.unmatched + other.unmatched,
            over_limit: self.over_limit + other.over_limit,
            no_response: self.no_response + other.no_response,
        }
    }
}

impl<P> Correlator<P> {
    pub(crate) fn new(max_pending: usize) -> Self {
        Correlator {
            pending: VecDeque::new(),
            max_pending: max_pending.max(1),
        }
    }

    /// A request: queued (or published at once if it gets no answer). If the
    /// queue is full, the oldest request is published unanswered with a note.
    /// `key` pairs it with the response carrying the same key.
    pub(crate) fn request(
        &mut self,
        request: Message<P>,
        notes: Vec<String>,
        key: Option<u64>,
        answer: Answer,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let mut outcome = Outcome::default();
        if answer == Answer::Never {
            out(Transaction::unanswered_by_design(request, notes));
            outcome.no_response += 1;
            return outcome;
        }
        // `max_pending` is at least 1: an empty queue (the usual case) is
        // not full, and the field (in another cache line) is not read.
        if !self.pending.is_empty() && self.pending.len() >= self.max_pending {
            if let Some(oldest) = self.pending.pop_front() {
                let (request, mut notes) = oldest.into_parts();
                notes.push(format!(
                    "too many pending requests (limit {}): published without waiting for its response",
                    self.max_pending
                ));
                out(Transaction::new(Some(request), None, notes));
                outcome.over_limit += 1;
            }
        }
        self.pending
            .push_back(Pending::new(request, notes, key, answer));
        outcome
    }

    /// A response or error: pairs with the pending request of the same key,
    /// or without a key with the oldest one; else published alone with a
    /// note. Optional requests older than the one answered are published
    /// alone, status OK.
    pub(crate) fn response(
        &mut self,
        response: Message<P>,
        mut notes: Vec<String>,
        key: Option<u64>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let mut outcome = Outcome::default();
        let index = match key {
            Some(key) => self.pending.iter().position(|p| p.key() == Some(key)),
            None => match self.pending.pop_front() {
                // The usual case: the oldest request, none older to settle.
                Some(pending) => {
                    out(pending.answered_by(response, notes));
                    outcome.paired += 1;
                    return outcome;
                }
                None => None,
            },
        };
        let Some(index) = index else {
            notes.push("response without a request".into());
            out(Transaction::new(None, Some(response), notes));
            outcome.unmatched += 1;
            return outcome;
        };
        let Some(pending) = self.pending.remove(index) else {
            return outcome;
        };
        // The optional requests older than the one answered will not be
        // answered any more; newer ones still may be.
        let (mut i, mut older) = (0, index);
        while i < older {
            if self.pending[i].answer == Answer::Optional {
                if let Some(quiet) = self.pending.remove(i) {
                    let (request, notes) = quiet.into_parts();
                    out(Transaction::unanswered_by_design(request, notes));
                    outcome.no_response += 1;
                }
                older -= 1;
            } else {
                i += 1;
            }
        }
        out(pending.answered_by(response, notes));
        outcome.paired += 1;
        outcome
    }

    /// Publishes, unanswered, the requests older than `timeout` at `now`.
    pub(crate) fn expire(
        &mut self,
        now: Timestamp,
        timeout: Duration,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let mut outcome = Outcome::default();
        while let Some(front) = self.pending.front() {
            if now < front.request.end + timeout {
                break;
            }
            if let Some(done) = self.flush_one(Unanswered::Timeout(timeout), out) {
                outcome = outcome.plus(done);
            }
        }
        outcome
    }

    /// Whether a request has waited longer than `timeout` at `now`.
    pub(crate) fn has_expired(&self, now: Timestamp, timeout: Duration) -> bool {
        self.pending
            .front()
            .is_some_and(|front| now >= front.request.end + timeout)
    }

    /// Publishes every pending request, unanswered.
    pub(crate) fn flush(
        &mut self,
        why: Unanswered,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let mut outcome = Outcome::default();
        while let Some(done) = self.flush_one(why, out) {
            outcome = outcome.plus(done);
        }
        outcome
    }

    /// Publishes the oldest pending request: unanswered, or alone by design
    /// if its answer was optional. `None` when none is pending.
    fn flush_one(
        &mut self,
        why: Unanswered,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Option<Outcome> {
        let pending = self.pending.pop_front()?;
        let optional = pending.answer == Answer::Optional;
        let (request, mut notes) = pending.into_parts();
        if optional {
            out(Transaction::unanswered_by_design(request, notes));
            return Some(Outcome {
                no_response: 1,
                ..Outcome::default()
            });
        }
        notes.push(why.note());
        out(Transaction::new(Some(request), None, notes));
        Some(Outcome {
            unanswered: 1,
            ..Outcome::default()
        })
    }

    /// Requests waiting.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests;
