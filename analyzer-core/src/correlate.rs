//! Pairing requests with answers: pipelined FIFO or by key, requests from
//! either side, messages folded from several frames, timeouts in capture
//! time, a bound on pending requests, a flush when the connection ends, and
//! resynchronization after packet loss ([`resync`]).
//!
//! A request enters its queue with its first frame, so that an answer
//! (an interim `100 Continue`, an early error) may come while the rest of
//! it still streams in; a transaction is published once its request and
//! its answer are both complete.

use std::collections::VecDeque;
use std::time::Duration;

use crate::message::{Message, Transaction};
use crate::protocol::Conversation;
use crate::role::{Direction, Kind};
use crate::time::Timestamp;

mod fold;
mod resync;

pub(crate) use fold::fold_into;

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
    /// The connection switched to something not analyzed (TLS).
    NotFollowed(&'static str),
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
            Unanswered::NotFollowed(why) => {
                format!("connection switched to {why} (not analyzed) before the response")
            }
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
    /// No response ever comes (`noreply`): published once complete,
    /// status OK.
    Never,
}

/// What the protocol said about a message's first frame.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    pub kind: Kind,
    pub key: Option<u64>,
    pub answer: Answer,
    /// More frames of this message follow.
    pub continues: bool,
}

/// A transaction's notes, boxed where they are kept.
#[derive(Default)]
struct Notes(Vec<String>);

/// A request waiting for its answer, with the notes it already carries.
///
/// Kept small and cache-aligned (two lines for a small message): a request
/// is written to the queue and read back from it once each, and with many
/// connections open the queue's memory is cold every time.
#[repr(align(64))]
struct Pending<P> {
    request: Message<P>,
    /// Usually none: boxed, so an empty list takes one word.
    notes: Option<Box<Notes>>,
    /// An answer being folded, or complete while the request still streams
    /// in: rare, boxed.
    response: Option<Box<Message<P>>>,
    /// The correlation key, when `keyed`.
    key: u64,
    /// Identifies the entry while its messages are folded.
    id: u32,
    keyed: bool,
    answer: Answer,
    /// The request's last frame arrived.
    request_done: bool,
    /// Its answer's last frame arrived.
    answered: bool,
    /// Paired while pairing was out of step after a loss.
    uncertain: bool,
}

impl<P> Pending<P> {
    fn key(&self) -> Option<u64> {
        self.keyed.then_some(self.key)
    }

    /// Whether an answer without a key may pair with it.
    fn awaits_unkeyed(&self) -> bool {
        !self.keyed && self.response.is_none() && self.answer != Answer::Never
    }

    fn note(&mut self, note: String) {
        self.notes.get_or_insert_with(Default::default).0.push(note);
    }

    fn add_notes(&mut self, mut notes: Vec<String>) {
        if !notes.is_empty() {
            self.notes
                .get_or_insert_with(Default::default)
                .0
                .append(&mut notes);
        }
    }

    /// The request and its notes.
    fn into_parts(self) -> (Message<P>, Option<Message<P>>, Vec<String>) {
        let notes = self.notes.map(|n| n.0).unwrap_or_default();
        (self.request, self.response.map(|r| *r), notes)
    }
}

/// The message a side is folding frames into.
enum Folding<P> {
    None,
    /// The request of the entry with this id, in the queue of this side.
    Request(u32),
    /// The answer of the entry with this id, in the other side's queue.
    Answer(u32),
    /// A message alone (a greeting, an answer without request, a request
    /// that gets no answer).
    Alone(Box<(Message<P>, Vec<String>)>),
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
    pub greetings: u64,
    /// Transactions published with their pairing uncertain after a loss.
    pub uncertain: u64,
    /// Times pairing was proven back in step after a loss.
    pub resynchronized: u64,
}

impl Outcome {
    pub(crate) fn plus(self, other: Outcome) -> Outcome {
        Outcome {
            paired: self.paired + other.paired,
            unanswered: self.unanswered + other.unanswered,
            unmatched: self.unmatched + other.unmatched,
            over_limit: self.over_limit + other.over_limit,
            no_response: self.no_response + other.no_response,
            greetings: self.greetings + other.greetings,
            uncertain: self.uncertain + other.uncertain,
            resynchronized: self.resynchronized + other.resynchronized,
        }
    }
}

/// Requests waiting for answers on one connection, oldest first, one
/// queue per side that sends requests, and the messages being folded.
// The client's queue first: it shares a cache line with the connection's
// hot fields.
#[repr(C)]
pub(crate) struct Correlator<P> {
    /// Requests from the client (index 0) and from the server (1).
    queues: [VecDeque<Pending<P>>; 2],
    /// What each side is folding frames into.
    folding: [Folding<P>; 2],
    max_pending: usize,
    next_id: u32,
    /// After a loss, per queue: from which entry id on pairing may be out
    /// of step (`None`: in step).
    out_of_step: [Option<u32>; 2],
}

impl<P: Conversation> Correlator<P> {
    pub(crate) fn new(max_pending: usize) -> Self {
        Correlator {
            queues: [VecDeque::new(), VecDeque::new()],
            folding: [Folding::None, Folding::None],
            max_pending: max_pending.max(1),
            next_id: 0,
            out_of_step: [None, None],
        }
    }

    /// The request an answer from `dir` would answer now: the one whose
    /// answer `dir` is folding, else the oldest of the other side's
    /// requests waiting for an answer without a key.
    pub(crate) fn request_for(&self, dir: Direction) -> Option<&P> {
        let queue = &self.queues[dir.reverse().index()];
        let pending = match self.folding[dir.index()] {
            Folding::Answer(id) => queue.iter().find(|p| p.id == id),
            _ => queue.iter().find(|p| p.awaits_unkeyed()),
        };
        pending.and_then(|p| p.request.fields.as_ref())
    }

    /// The message `dir` is folding frames into, if any.
    pub(crate) fn partial(&self, dir: Direction) -> Option<&P> {
        match &self.folding[dir.index()] {
            Folding::None => None,
            Folding::Request(id) => self.entry(dir, *id).and_then(|p| p.request.fields.as_ref()),
            Folding::Answer(id) => self
                .entry(dir.reverse(), *id)
                .and_then(|p| p.response.as_ref())
                .and_then(|r| r.fields.as_ref()),
            Folding::Alone(alone) => alone.0.fields.as_ref(),
        }
    }

    /// Whether `dir` is folding frames into a message.
    pub(crate) fn is_folding(&self, dir: Direction) -> bool {
        !matches!(self.folding[dir.index()], Folding::None)
    }

    fn entry(&self, requester: Direction, id: u32) -> Option<&Pending<P>> {
        self.queues[requester.index()].iter().find(|p| p.id == id)
    }

    fn position(&self, requester: Direction, id: u32) -> Option<usize> {
        self.queues[requester.index()]
            .iter()
            .position(|p| p.id == id)
    }

    /// A frame's message from `dir`: the first frame of a message (of
    /// `shape`), or a further frame of the one `dir` is folding.
    #[inline]
    pub(crate) fn message(
        &mut self,
        dir: Direction,
        message: Message<P>,
        notes: Vec<String>,
        shape: Shape,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        match std::mem::replace(&mut self.folding[dir.index()], Folding::None) {
            Folding::None => self.first(dir, message, notes, shape, out),
            folding => self.further(dir, folding, message, notes, shape.continues, out),
        }
    }

    /// The first frame of a message.
    #[inline]
    fn first(
        &mut self,
        dir: Direction,
        message: Message<P>,
        notes: Vec<String>,
        shape: Shape,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        match shape.kind {
            Kind::Request => self.request(dir, message, notes, shape, out),
            Kind::Response | Kind::Error => self.answer(dir, message, notes, shape, out),
            Kind::Greeting if shape.continues => {
                self.folding[dir.index()] = Folding::Alone(Box::new((message, notes)));
                Outcome::default()
            }
            Kind::Greeting => {
                out(Transaction::greeting(message, notes));
                Outcome {
                    greetings: 1,
                    ..Outcome::default()
                }
            }
        }
    }

    /// A request: queued (or, if it gets no answer, published once
    /// complete). If the queue is full, the oldest request is published
    /// unanswered with a note.
    fn request(
        &mut self,
        dir: Direction,
        request: Message<P>,
        notes: Vec<String>,
        shape: Shape,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let mut outcome = Outcome::default();
        if shape.answer == Answer::Never {
            if shape.continues {
                self.folding[dir.index()] = Folding::Alone(Box::new((request, notes)));
            } else {
                out(Transaction::unanswered_by_design(request, notes));
                outcome.no_response += 1;
            }
            return outcome;
        }
        let queue = &mut self.queues[dir.index()];
        // `max_pending` is at least 1: an empty queue (the usual case) is
        // not full, and the field (in another cache line) is not read.
        if !queue.is_empty() && queue.len() >= self.max_pending {
            if let Some(oldest) = queue.pop_front() {
                let max = self.max_pending;
                outcome = outcome.plus(publish_unanswered(oldest, |notes| {
                    notes.push(format!(
                        "too many pending requests (limit {max}): published without waiting for its response"
                    ));
                }, out));
                outcome.unanswered -= 1;
                outcome.over_limit += 1;
            }
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        queue.push_back(Pending {
            request,
            notes: (!notes.is_empty()).then(|| Box::new(Notes(notes))),
            response: None,
            key: shape.key.unwrap_or(0),
            id,
            keyed: shape.key.is_some(),
            answer: shape.answer,
            request_done: !shape.continues,
            answered: false,
            uncertain: false,
        });
        if shape.continues {
            self.folding[dir.index()] = Folding::Request(id);
        }
        outcome
    }

    /// The first frame of an answer from `dir`: pairs with the waiting
    /// request of the same key, or without a key with the oldest one
    /// without a key; else published alone with a note.
    #[inline]
    fn answer(
        &mut self,
        dir: Direction,
        response: Message<P>,
        notes: Vec<String>,
        shape: Shape,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let requester = dir.reverse();
        let in_step = self.out_of_step[requester.index()].is_none();
        let queue = &mut self.queues[requester.index()];
        // The usual case: in step, no key, the oldest request complete and
        // waiting, the answer whole: one transaction, nothing kept.
        if shape.key.is_none() && !shape.continues && in_step {
            if let Some(front) = queue.front() {
                if front.awaits_unkeyed() && front.request_done {
                    let pending = queue.pop_front().expect("a front");
                    return self.publish(pending, Some(response), notes, out);
                }
            }
        }
        let mut outcome = Outcome::default();
        let index = match shape.key {
            Some(key) => queue.iter().position(|p| p.key() == Some(key)),
            None if !in_step => {
                let (index, done) = self.resync_pick(requester, &response, out);
                outcome = outcome.plus(done);
                index
            }
            None => queue.iter().position(|p| p.awaits_unkeyed()),
        };
        let Some(index) = index else {
            let mut notes = notes;
            notes.push("response without a request".into());
            let transaction = Transaction::new(None, Some(response), notes);
            if shape.continues {
                let Some(response) = transaction.response else {
                    unreachable!("made with a response")
                };
                let notes = transaction.notes;
                self.folding[dir.index()] = Folding::Alone(Box::new((response, notes)));
            } else {
                out(transaction);
                outcome.unmatched += 1;
            }
            return outcome;
        };
        let id = self.queues[requester.index()][index].id;
        outcome = outcome.plus(self.settle_optional(requester, index, out));
        let Some(index) = self.position(requester, id) else {
            return outcome;
        };
        let pending = &mut self.queues[requester.index()][index];
        pending.add_notes(notes);
        pending.response = Some(Box::new(response));
        let id = pending.id;
        if shape.continues {
            self.folding[dir.index()] = Folding::Answer(id);
            return outcome;
        }
        outcome.plus(self.answered(requester, id, out))
    }

    /// The optional requests older than the one at `index` of
    /// `requester`'s queue will not be answered any more: published alone.
    fn settle_optional(
        &mut self,
        requester: Direction,
        index: usize,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let mut outcome = Outcome::default();
        let queue = &mut self.queues[requester.index()];
        let (mut i, mut older) = (0, index);
        while i < older {
            let quiet = queue[i].answer == Answer::Optional
                && queue[i].response.is_none()
                && queue[i].request_done;
            if quiet {
                if let Some(quiet) = queue.remove(i) {
                    let (request, _, notes) = quiet.into_parts();
                    out(Transaction::unanswered_by_design(request, notes));
                    outcome.no_response += 1;
                }
                older -= 1;
            } else {
                i += 1;
            }
        }
        outcome
    }

    /// The answer of entry `id` of `requester`'s queue is complete: the
    /// transaction is published if its request is too.
    fn answered(
        &mut self,
        requester: Direction,
        id: u32,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let Some(index) = self.position(requester, id) else {
            return Outcome::default();
        };
        let queue = &mut self.queues[requester.index()];
        queue[index].answered = true;
        if !queue[index].request_done {
            return Outcome::default();
        }
        let Some(pending) = queue.remove(index) else {
            return Outcome::default();
        };
        self.publish(pending, None, Vec::new(), out)
    }

    /// Publishes a pending request with its answer (`response`, or the one
    /// folded into it).
    #[inline]
    fn publish(
        &mut self,
        pending: Pending<P>,
        response: Option<Message<P>>,
        mut notes: Vec<String>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let uncertain = pending.uncertain;
        let (request, folded, mut all) = pending.into_parts();
        if !notes.is_empty() {
            all.append(&mut notes);
        }
        let transaction = Transaction::new(Some(request), response.or(folded), all);
        out(if uncertain {
            transaction.flagged()
        } else {
            transaction
        });
        Outcome {
            paired: 1,
            uncertain: u64::from(uncertain),
            ..Outcome::default()
        }
    }

    /// A further frame of the message `dir` is folding.
    fn further(
        &mut self,
        dir: Direction,
        folding: Folding<P>,
        message: Message<P>,
        notes: Vec<String>,
        continues: bool,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        match folding {
            Folding::None => Outcome::default(),
            Folding::Alone(mut alone) => {
                let (whole, all) = &mut *alone;
                fold_into(whole, message);
                all.extend(notes);
                if continues {
                    self.folding[dir.index()] = Folding::Alone(alone);
                    return Outcome::default();
                }
                publish_alone(*alone, out)
            }
            Folding::Request(id) => {
                let Some(index) = self.position(dir, id) else {
                    return Outcome::default();
                };
                let pending = &mut self.queues[dir.index()][index];
                fold_into(&mut pending.request, message);
                pending.add_notes(notes);
                if continues {
                    self.folding[dir.index()] = Folding::Request(id);
                    return Outcome::default();
                }
                pending.request_done = true;
                if !pending.answered {
                    return Outcome::default();
                }
                let pending = self.queues[dir.index()].remove(index).expect("present");
                self.publish(pending, None, Vec::new(), out)
            }
            Folding::Answer(id) => {
                let requester = dir.reverse();
                let Some(index) = self.position(requester, id) else {
                    return Outcome::default();
                };
                let pending = &mut self.queues[requester.index()][index];
                if let Some(response) = &mut pending.response {
                    fold_into(response, message);
                }
                pending.add_notes(notes);
                if continues {
                    self.folding[dir.index()] = Folding::Answer(id);
                    return Outcome::default();
                }
                self.answered(requester, id, out)
            }
        }
    }

    /// The message `dir` is folding, ended by the connection: a message
    /// that runs to the end of its direction (an HTTP body without length)
    /// is complete; any other is cut short, with `note`. Then published
    /// where it can be.
    pub(crate) fn end_folding(
        &mut self,
        dir: Direction,
        note: Option<String>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let folding = std::mem::replace(&mut self.folding[dir.index()], Folding::None);
        let cut = |message: &mut Message<P>, notes: &mut Vec<String>| {
            let ends = message.fields.as_ref().is_some_and(P::ends_with_connection);
            if !ends {
                message.cut = true;
                notes.extend(note.clone());
            }
        };
        match folding {
            Folding::None => Outcome::default(),
            Folding::Alone(mut alone) => {
                let (message, notes) = &mut *alone;
                cut(message, notes);
                publish_alone(*alone, out)
            }
            Folding::Request(id) => {
                let Some(index) = self.position(dir, id) else {
                    return Outcome::default();
                };
                let pending = &mut self.queues[dir.index()][index];
                let mut notes = Vec::new();
                cut(&mut pending.request, &mut notes);
                pending.add_notes(notes);
                pending.request_done = true;
                if !pending.answered {
                    return Outcome::default();
                }
                let pending = self.queues[dir.index()].remove(index).expect("present");
                self.publish(pending, None, Vec::new(), out)
            }
            Folding::Answer(id) => {
                let requester = dir.reverse();
                let Some(index) = self.position(requester, id) else {
                    return Outcome::default();
                };
                let pending = &mut self.queues[requester.index()][index];
                let mut notes = Vec::new();
                if let Some(response) = &mut pending.response {
                    cut(response, &mut notes);
                }
                pending.add_notes(notes);
                self.answered(requester, id, out)
            }
        }
    }

    /// Publishes, unanswered, the requests older than `timeout` at `now`
    /// (those complete and with no answer begun).
    pub(crate) fn expire(
        &mut self,
        now: Timestamp,
        timeout: Duration,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let mut outcome = Outcome::default();
        for queue in &mut self.queues {
            while queue
                .front()
                .is_some_and(|front| expired(front, now, timeout))
            {
                let pending = queue.pop_front().expect("a front");
                let why = Unanswered::Timeout(timeout);
                outcome = outcome.plus(flush_one(pending, why, out));
            }
        }
        outcome
    }

    /// Whether a request has waited longer than `timeout` at `now`.
    pub(crate) fn has_expired(&self, now: Timestamp, timeout: Duration) -> bool {
        self.queues
            .iter()
            .any(|q| q.front().is_some_and(|front| expired(front, now, timeout)))
    }

    /// Publishes every pending request (and message being folded).
    pub(crate) fn flush(
        &mut self,
        why: Unanswered,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let mut outcome = Outcome::default();
        for dir in [Direction::FromClient, Direction::FromServer] {
            let note = format!("message cut short: {}", why.note());
            outcome = outcome.plus(self.end_folding(dir, Some(note), out));
        }
        for queue in &mut self.queues {
            while let Some(pending) = queue.pop_front() {
                outcome = outcome.plus(flush_one(pending, why, out));
            }
        }
        outcome
    }

    /// Requests waiting, both sides.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }
}

fn expired<P>(pending: &Pending<P>, now: Timestamp, timeout: Duration) -> bool {
    pending.request_done && pending.response.is_none() && now >= pending.request.end + timeout
}

/// Publishes a message that was folded alone.
fn publish_alone<P>(
    (message, notes): (Message<P>, Vec<String>),
    out: &mut impl FnMut(Transaction<P>),
) -> Outcome {
    let mut outcome = Outcome::default();
    match message.kind {
        Kind::Greeting => {
            out(Transaction::greeting(message, notes));
            outcome.greetings += 1;
        }
        Kind::Request => {
            out(Transaction::unanswered_by_design(message, notes));
            outcome.no_response += 1;
        }
        Kind::Response | Kind::Error => {
            // Its note ("response without a request") was added first.
            out(Transaction::new(None, Some(message), notes));
            outcome.unmatched += 1;
        }
    }
    outcome
}

/// Publishes a pending request without its answer, `note` adding why.
fn publish_unanswered<P>(
    pending: Pending<P>,
    note: impl FnOnce(&mut Vec<String>),
    out: &mut impl FnMut(Transaction<P>),
) -> Outcome {
    let uncertain = pending.uncertain;
    let (request, response, mut notes) = pending.into_parts();
    note(&mut notes);
    let transaction = Transaction::new(Some(request), response, notes);
    out(if uncertain {
        transaction.flagged()
    } else {
        transaction
    });
    Outcome {
        unanswered: 1,
        uncertain: u64::from(uncertain),
        ..Outcome::default()
    }
}

/// Publishes a pending request: unanswered, or alone by design if its
/// answer was optional.
fn flush_one<P>(
    pending: Pending<P>,
    why: Unanswered,
    out: &mut impl FnMut(Transaction<P>),
) -> Outcome {
    if pending.answer == Answer::Optional && pending.response.is_none() {
        let (request, _, notes) = pending.into_parts();
        out(Transaction::unanswered_by_design(request, notes));
        return Outcome {
            no_response: 1,
            ..Outcome::default()
        };
    }
    if pending.response.is_some() {
        // Its answer began: published with what came of it.
        let uncertain = pending.uncertain;
        let (request, response, mut notes) = pending.into_parts();
        let mut response = response.expect("checked");
        response.cut = true;
        notes.push(format!("response cut short: {}", why.note()));
        let transaction = Transaction::new(Some(request), Some(response), notes);
        out(if uncertain {
            transaction.flagged()
        } else {
            transaction
        });
        return Outcome {
            paired: 1,
            uncertain: u64::from(uncertain),
            ..Outcome::default()
        };
    }
    publish_unanswered(pending, |notes| notes.push(why.note()), out)
}

#[cfg(test)]
mod tests;
