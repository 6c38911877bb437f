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
use crate::protocol::{Conversation, Fit, Protocol};
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
    /// More requests than this limit waited on the connection: the oldest
    /// was published to make room.
    PendingLimit(u32),
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
            Unanswered::PendingLimit(max) => format!(
                "too many pending requests (limit {max}): published without waiting for its response"
            ),
        }
    }
}

/// The note of an answer whose request was published before it came.
const OWED_NOTE: &str =
    "the response to a request published before it came (see that request's note)";

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

/// What a pending request rarely has: notes, an answer being folded (or
/// complete while the request still streams in). Boxed, so that the usual
/// request carries one word for it.
struct Extra<P> {
    notes: Vec<String>,
    response: Option<Message<P>>,
}

impl<P> Default for Extra<P> {
    fn default() -> Self {
        Extra {
            notes: Vec::new(),
            response: None,
        }
    }
}

/// [`Pending::flags`]: the correlation key is set.
const KEYED: u8 = 1;
/// The request's last frame arrived.
const REQUEST_DONE: u8 = 2;
/// Its answer's last frame arrived.
const ANSWERED: u8 = 4;
/// Paired while pairing was out of step after a loss.
const UNCERTAIN: u8 = 8;

/// A request waiting for its answer, with the notes it already carries.
///
/// Kept small (two lines for a small message): a request
/// is written to the queue and read back from it once each, and with many
/// connections open the queue's memory is cold every time.
// In this order: what is checked before the entry is taken (its flags)
// first, in the line that is read first. Not cache-aligned: an aligned
// allocation costs glibc more than the line it could save.
#[repr(C)]
struct Pending<P> {
    /// `KEYED`, `REQUEST_DONE`, `ANSWERED`, `UNCERTAIN`.
    flags: u8,
    answer: Answer,
    /// Identifies the entry while its messages are folded.
    id: u32,
    /// The correlation key, when `KEYED`.
    key: u64,
    extra: Option<Box<Extra<P>>>,
    request: Message<P>,
}

impl<P> Pending<P> {
    fn key(&self) -> Option<u64> {
        self.has(KEYED).then_some(self.key)
    }

    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    fn set(&mut self, flag: u8) {
        self.flags |= flag;
    }

    fn request_done(&self) -> bool {
        self.has(REQUEST_DONE)
    }

    fn response(&self) -> Option<&Message<P>> {
        self.extra.as_ref().and_then(|e| e.response.as_ref())
    }

    fn response_mut(&mut self) -> Option<&mut Message<P>> {
        self.extra.as_mut().and_then(|e| e.response.as_mut())
    }

    fn has_response(&self) -> bool {
        self.response().is_some()
    }

    fn set_response(&mut self, response: Message<P>) {
        self.extra.get_or_insert_with(Default::default).response = Some(response);
    }

    /// Whether an answer without a key may pair with it.
    fn awaits_unkeyed(&self) -> bool {
        !self.has(KEYED) && !self.has_response() && self.answer != Answer::Never
    }

    fn note(&mut self, note: String) {
        self.extra
            .get_or_insert_with(Default::default)
            .notes
            .push(note);
    }

    fn add_notes(&mut self, mut notes: Vec<String>) {
        if !notes.is_empty() {
            self.extra
                .get_or_insert_with(Default::default)
                .notes
                .append(&mut notes);
        }
    }

    /// The request, its answer if one was folded, and its notes.
    fn into_parts(self) -> (Message<P>, Option<Message<P>>, Vec<String>) {
        match self.extra {
            None => (self.request, None, Vec::new()),
            Some(extra) => {
                let Extra { notes, response } = *extra;
                (self.request, response, notes)
            }
        }
    }
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
///
/// In this order, and small: the client's queue and what every message
/// reads of the rest (which side is folding, whether pairing is out of
/// step) fit in the connection's first cache line; what is rare (the
/// server's requests, the folds' ids, messages folded alone, where pairing
/// went out of step) is boxed.
#[repr(C)]
pub(crate) struct Correlator<P> {
    /// Requests from the client.
    pending: VecDeque<Pending<P>>,
    next_id: u32,
    /// Per side (bits `4 * side`): what it is folding (`FOLD_MASK`), and
    /// whether its requests' pairing is out of step (`STEP`).
    state: u32,
    max_pending: u32,
    rare: Option<Box<RareState<P>>>,
}

/// A side is folding nothing, a request, an answer, or a message alone.
const FOLD_MASK: u32 = 0b11;
const FOLD_REQUEST: u32 = 1;
const FOLD_ANSWER: u32 = 2;
const FOLD_ALONE: u32 = 3;
/// The side's requests' pairing is out of step.
const STEP: u32 = 0b100;

/// What a [`Correlator`] rarely holds.
struct RareState<P> {
    /// Requests from the server.
    server: VecDeque<Pending<P>>,
    /// Per side: the entry whose request or answer it is folding.
    fold_id: [u32; 2],
    /// Per side: a message folded alone.
    alone: [Option<(Message<P>, Vec<String>)>; 2],
    /// Per side: from which of its requests on pairing is out of step.
    step_from: [u32; 2],
    /// Per side: answers still to come for its requests published before
    /// them (the pending limit, the transaction timeout): the next answers
    /// without a key ([`Correlator::owe`]).
    owed: [u32; 2],
    /// Per side: its pairing went out of step because answers owed may
    /// never come (else: packet loss), for the notes.
    step_owed: [bool; 2],
}

impl<P> Default for RareState<P> {
    fn default() -> Self {
        RareState {
            server: VecDeque::new(),
            fold_id: [0; 2],
            alone: [None, None],
            step_from: [0; 2],
            owed: [0; 2],
            step_owed: [false; 2],
        }
    }
}

/// What a side is folding (taken out of the correlator while a frame is
/// handled).
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

impl<P: Conversation> Correlator<P> {
    pub(crate) fn new(max_pending: usize) -> Self {
        Correlator {
            pending: VecDeque::new(),
            next_id: 0,
            state: 0,
            max_pending: u32::try_from(max_pending.max(1)).unwrap_or(u32::MAX),
            rare: None,
        }
    }

    fn rare(&mut self) -> &mut RareState<P> {
        self.rare.get_or_insert_with(Default::default)
    }

    /// The requests `requester` sent, waiting.
    #[inline]
    fn queue(&self, requester: Direction) -> std::collections::vec_deque::Iter<'_, Pending<P>> {
        match (requester, &self.rare) {
            (Direction::FromClient, _) => self.pending.iter(),
            (Direction::FromServer, Some(rare)) => rare.server.iter(),
            (Direction::FromServer, None) => self.pending.range(0..0),
        }
    }

    /// The same, to change.
    #[inline]
    fn queue_mut(&mut self, requester: Direction) -> &mut VecDeque<Pending<P>> {
        match requester {
            Direction::FromClient => &mut self.pending,
            Direction::FromServer => &mut self.rare().server,
        }
    }

    /// What `dir` is folding (`FOLD_*`).
    #[inline]
    fn fold_tag(&self, dir: Direction) -> u32 {
        (self.state >> (4 * dir.index())) & FOLD_MASK
    }

    /// Whether `dir` is folding frames into a message.
    #[inline]
    pub(crate) fn is_folding(&self, dir: Direction) -> bool {
        self.fold_tag(dir) != 0
    }

    /// The id of the entry `dir` is folding into.
    fn fold_id(&self, dir: Direction) -> u32 {
        self.rare.as_ref().map_or(0, |r| r.fold_id[dir.index()])
    }

    /// Takes what `dir` is folding out of the correlator.
    #[inline]
    fn take_folding(&mut self, dir: Direction) -> Folding<P> {
        let tag = self.fold_tag(dir);
        if tag == 0 {
            return Folding::None;
        }
        self.state &= !(FOLD_MASK << (4 * dir.index()));
        let id = self.fold_id(dir);
        match tag {
            FOLD_REQUEST => Folding::Request(id),
            FOLD_ANSWER => Folding::Answer(id),
            _ => match self.rare().alone[dir.index()].take() {
                Some(alone) => Folding::Alone(Box::new(alone)),
                None => Folding::None,
            },
        }
    }

    /// Records what `dir` is folding.
    fn set_folding(&mut self, dir: Direction, folding: Folding<P>) {
        let tag = match folding {
            Folding::None => 0,
            Folding::Request(id) => {
                self.rare().fold_id[dir.index()] = id;
                FOLD_REQUEST
            }
            Folding::Answer(id) => {
                self.rare().fold_id[dir.index()] = id;
                FOLD_ANSWER
            }
            Folding::Alone(alone) => {
                self.rare().alone[dir.index()] = Some(*alone);
                FOLD_ALONE
            }
        };
        let shift = 4 * dir.index();
        self.state = (self.state & !(FOLD_MASK << shift)) | (tag << shift);
    }

    /// From which of `requester`'s requests on pairing is out of step, if
    /// it is.
    #[inline]
    fn step_from(&self, requester: Direction) -> Option<u32> {
        (self.state & (STEP << (4 * requester.index())) != 0).then(|| {
            self.rare
                .as_ref()
                .map_or(0, |r| r.step_from[requester.index()])
        })
    }

    fn set_step_from(&mut self, requester: Direction, from: Option<u32>) {
        let bit = STEP << (4 * requester.index());
        match from {
            Some(from) => {
                self.rare().step_from[requester.index()] = from;
                self.state |= bit;
            }
            None => self.state &= !bit,
        }
    }

    /// Whether answers are owed to `requester`'s requests.
    #[inline]
    pub(crate) fn owes(&self, requester: Direction) -> bool {
        self.owed(requester) > 0
    }

    /// Answers owed to `requester`'s requests ([`owe`](Self::owe)).
    #[inline]
    fn owed(&self, requester: Direction) -> u32 {
        self.rare.as_ref().map_or(0, |r| r.owed[requester.index()])
    }

    /// Forgets the answers owed to `requester`'s requests (a gap in the
    /// answers may have swallowed them); whether there were any.
    pub(super) fn forget_owed(&mut self, requester: Direction) -> bool {
        if self.owed(requester) == 0 {
            return false;
        }
        self.rare().owed[requester.index()] = 0;
        true
    }

    /// `pending`, one of `requester`'s requests, is published before its
    /// answer came (the pending limit, the transaction timeout): if it
    /// waits for an answer without a key, that answer still comes, before
    /// those of the requests after it, and must not pair with them.
    fn owe(&mut self, requester: Direction, pending: &Pending<P>) {
        if pending.awaits_unkeyed() && pending.answer == Answer::Required {
            let owed = &mut self.rare().owed[requester.index()];
            *owed = owed.saturating_add(1);
        }
    }

    /// Whether `answer`, the next answer without a key to `requester`'s
    /// requests, is owed to one published before ([`owe`](Self::owe)): if
    /// so, it is counted as come. Unless the protocol proves it answers the
    /// oldest waiting request ([`Fit::Certain`]): then the answers owed
    /// never came, and none is owed any more.
    fn take_owed(&mut self, requester: Direction, answer: &Message<P>) -> bool {
        let owed = self.owed(requester);
        if owed == 0 {
            return false;
        }
        let proven = self
            .queue(requester)
            .find(|p| p.awaits_unkeyed())
            .and_then(|p| Some(answer.fields.as_ref()?.fits(p.request.fields.as_ref()?)))
            == Some(Fit::Certain);
        self.rare().owed[requester.index()] = if proven { 0 } else { owed - 1 };
        !proven
    }

    fn entry(&self, requester: Direction, id: u32) -> Option<&Pending<P>> {
        self.queue(requester).find(|p| p.id == id)
    }
}

impl<P: Conversation> crate::protocol::Pending<P> for Correlator<P> {
    /// The request an answer from `dir` would answer now: the one whose
    /// answer `dir` is folding, else the oldest of the other side's
    /// requests waiting for an answer without a key.
    /// None while `dir` folds an answer alone, or when its next answer is
    /// owed to a request published before it.
    fn request_for(&self, dir: Direction) -> Option<&P> {
        let mut queue = self.queue(dir.reverse());
        let pending = match self.fold_tag(dir) {
            FOLD_ANSWER => {
                let id = self.fold_id(dir);
                queue.find(|p| p.id == id)
            }
            FOLD_ALONE => None,
            _ if self.owed(dir.reverse()) > 0 => None,
            _ => queue.find(|p| p.awaits_unkeyed()),
        };
        pending.and_then(|p| p.request.fields.as_ref())
    }

    /// The message `dir` is folding frames into, if any.
    fn partial(&self, dir: Direction) -> Option<&P> {
        let id = self.fold_id(dir);
        match self.fold_tag(dir) {
            FOLD_REQUEST => self.entry(dir, id).and_then(|p| p.request.fields.as_ref()),
            FOLD_ANSWER => self
                .entry(dir.reverse(), id)
                .and_then(|p| p.response())
                .and_then(|r| r.fields.as_ref()),
            FOLD_ALONE => self
                .rare
                .as_ref()
                .and_then(|r| r.alone[dir.index()].as_ref())
                .and_then(|(m, _)| m.fields.as_ref()),
            _ => None,
        }
    }
}

impl<P: Conversation> Correlator<P> {
    fn position(&self, requester: Direction, id: u32) -> Option<usize> {
        self.queue(requester).position(|p| p.id == id)
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
        match self.take_folding(dir) {
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
                self.set_folding(dir, Folding::Alone(Box::new((message, notes))));
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
    /// complete). If the queue is full, the oldest request (or the one
    /// after it, while the oldest's answer streams in) is published
    /// unanswered with a note, and its answer is owed.
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
                self.set_folding(dir, Folding::Alone(Box::new((request, notes))));
            } else {
                out(Transaction::unanswered_by_design(request, notes));
                outcome.no_response += 1;
            }
            return outcome;
        }
        let max_pending = self.max_pending as usize;
        let queue = self.queue_mut(dir);
        // `max_pending` is at least 1: an empty queue (the usual case) is
        // not full, and the field (in another cache line) is not read.
        // The oldest request whose answer is streaming in stays while the
        // queue is one over the limit: its answer goes on pairing with it
        // (pushed out, the rest of that answer could only be skipped).
        let full = !queue.is_empty() && queue.len() >= max_pending;
        let front_streams = queue
            .front()
            .is_some_and(|p| p.has_response() && !p.has(ANSWERED));
        if full && !(front_streams && queue.len() == max_pending) {
            // Past that, the request after it goes: the answer streaming in
            // keeps its request.
            if let Some(oldest) = queue.remove(usize::from(front_streams && queue.len() > 1)) {
                // Published with what came of its answer, if it began: then
                // it counts as answered. Else its answer is still to come
                // (`owe`).
                let why = Unanswered::PendingLimit(self.max_pending);
                if oldest.has_response() {
                    outcome = outcome.plus(flush_one(oldest, why, out));
                } else {
                    self.owe(dir, &oldest);
                    outcome = outcome.plus(publish_unanswered(oldest, |n| n.push(why.note()), out));
                    outcome.unanswered -= 1;
                    outcome.over_limit += 1;
                }
            }
        }
        let id = self.next_id;
        let queue = self.queue_mut(dir);
        if queue.len() == queue.capacity() {
            // One request at a time is the usual case: room for one (128
            // bytes), not the four a first push makes room for; then the
            // room doubles (two, not four, for a second request in flight:
            // at tens of thousands of connections that is megabytes).
            queue.reserve_exact(queue.capacity().max(1));
        }
        queue.push_back(Pending {
            request,
            extra: (!notes.is_empty()).then(|| {
                Box::new(Extra {
                    notes,
                    response: None,
                })
            }),
            key: shape.key.unwrap_or(0),
            id,
            answer: shape.answer,
            flags: if shape.key.is_some() { KEYED } else { 0 }
                | if shape.continues { 0 } else { REQUEST_DONE },
        });
        self.next_id = self.next_id.wrapping_add(1);
        if shape.continues {
            self.set_folding(dir, Folding::Request(id));
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
        let in_step = self.step_from(requester).is_none();
        // Owed answers come first, in step or not: a gap that may have
        // swallowed one forgets them (`lost`).
        if shape.key.is_none() && self.owes(requester) && self.take_owed(requester, &response) {
            let mut notes = notes;
            notes.push(OWED_NOTE.into());
            return self.alone_answer(
                dir,
                Transaction::new(None, Some(response), notes),
                shape,
                out,
            );
        }
        let queue = self.queue_mut(requester);
        // The usual case: in step, no key, the oldest request complete and
        // waiting, the answer whole: one transaction, nothing kept.
        if shape.key.is_none() && !shape.continues && in_step {
            if let Some(front) = queue.front() {
                if front.awaits_unkeyed() && front.request_done() {
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
            return outcome.plus(self.alone_answer(dir, transaction, shape, out));
        };
        let id = self.queue_mut(requester)[index].id;
        outcome = outcome.plus(self.settle_optional(requester, index, out));
        let Some(index) = self.position(requester, id) else {
            return outcome;
        };
        let pending = &mut self.queue_mut(requester)[index];
        pending.add_notes(notes);
        pending.set_response(response);
        let id = pending.id;
        if shape.continues {
            self.set_folding(dir, Folding::Answer(id));
            return outcome;
        }
        outcome.plus(self.answered(requester, id, out))
    }

    /// An answer without its request (`transaction`): published, or folded
    /// alone while it continues (its frames then see it as the partial
    /// message) and published when it ends.
    fn alone_answer(
        &mut self,
        dir: Direction,
        transaction: Transaction<P>,
        shape: Shape,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        if shape.continues {
            let Some(response) = transaction.response else {
                unreachable!("made with a response")
            };
            let notes = transaction.notes;
            self.set_folding(dir, Folding::Alone(Box::new((response, notes))));
            return Outcome::default();
        }
        out(transaction);
        Outcome {
            unmatched: 1,
            ..Outcome::default()
        }
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
        let queue = self.queue_mut(requester);
        let (mut i, mut older) = (0, index);
        while i < older {
            let quiet = queue[i].answer == Answer::Optional
                && !queue[i].has_response()
                && queue[i].request_done();
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
        let queue = self.queue_mut(requester);
        queue[index].set(ANSWERED);
        if !queue[index].request_done() {
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
        notes: Vec<String>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let uncertain = pending.has(UNCERTAIN);
        let transaction = match pending.extra {
            // The usual case: nothing kept beside the request.
            None => Transaction::new(Some(pending.request), response, notes),
            Some(extra) => {
                let Extra {
                    notes: mut all,
                    response: folded,
                } = *extra;
                all.extend(notes);
                Transaction::new(Some(pending.request), response.or(folded), all)
            }
        };
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
                    self.set_folding(dir, Folding::Alone(alone));
                    return Outcome::default();
                }
                publish_alone(*alone, out)
            }
            Folding::Request(id) => {
                let Some(index) = self.position(dir, id) else {
                    // The request was published already: the rest of it is
                    // skipped to its end.
                    if continues {
                        self.set_folding(dir, Folding::Request(id));
                    }
                    return Outcome::default();
                };
                let pending = &mut self.queue_mut(dir)[index];
                fold_into(&mut pending.request, message);
                pending.add_notes(notes);
                if continues {
                    self.set_folding(dir, Folding::Request(id));
                    return Outcome::default();
                }
                pending.set(REQUEST_DONE);
                if !pending.has(ANSWERED) {
                    return Outcome::default();
                }
                let pending = self.queue_mut(dir).remove(index).expect("present");
                self.publish(pending, None, Vec::new(), out)
            }
            Folding::Answer(id) => {
                let requester = dir.reverse();
                let Some(index) = self.position(requester, id) else {
                    // Its request was published already, with what came of
                    // this answer (no path does that now: the pending limit
                    // and the timeout leave a request whose answer began):
                    // the rest of the answer is skipped to its end, none of
                    // its frames taken for another request's answer.
                    if continues {
                        self.set_folding(dir, Folding::Answer(id));
                    }
                    return Outcome::default();
                };
                let pending = &mut self.queue_mut(requester)[index];
                if let Some(response) = pending.response_mut() {
                    fold_into(response, message);
                }
                pending.add_notes(notes);
                if continues {
                    self.set_folding(dir, Folding::Answer(id));
                    return Outcome::default();
                }
                self.answered(requester, id, out)
            }
        }
    }

    /// The message `dir` is folding, ended by the connection: a message
    /// that runs to the end of its direction (an HTTP body without length)
    /// is complete; any other is cut short, with the note `note` makes.
    /// Then published where it can be.
    #[inline]
    pub(crate) fn end_folding(
        &mut self,
        dir: Direction,
        note: impl Fn() -> String,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        if !self.is_folding(dir) {
            return Outcome::default();
        }
        self.end_folding_now(dir, Some(&note), out)
    }

    /// The message `dir` is folding ends, complete, before the frame that
    /// just came from `dir` ([`Conversation::ends_previous`]): published
    /// where it can be.
    pub(crate) fn end_folding_complete(
        &mut self,
        dir: Direction,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        self.end_folding_now(dir, None, out)
    }

    /// Ends what `dir` is folding: cut short with the note `note` makes
    /// (unless it runs to the end of its direction), or complete without a
    /// note.
    #[inline(never)]
    fn end_folding_now(
        &mut self,
        dir: Direction,
        note: Option<&dyn Fn() -> String>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let folding = self.take_folding(dir);
        let cut = |message: &mut Message<P>, notes: &mut Vec<String>| {
            let Some(note) = note else {
                return;
            };
            let ends = message.fields.as_ref().is_some_and(P::ends_with_connection);
            if !ends {
                message.cut = true;
                notes.push(note());
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
                let pending = &mut self.queue_mut(dir)[index];
                let mut notes = Vec::new();
                cut(&mut pending.request, &mut notes);
                pending.add_notes(notes);
                pending.set(REQUEST_DONE);
                if !pending.has(ANSWERED) {
                    return Outcome::default();
                }
                let pending = self.queue_mut(dir).remove(index).expect("present");
                self.publish(pending, None, Vec::new(), out)
            }
            Folding::Answer(id) => {
                let requester = dir.reverse();
                let Some(index) = self.position(requester, id) else {
                    return Outcome::default();
                };
                let pending = &mut self.queue_mut(requester)[index];
                let mut notes = Vec::new();
                if let Some(response) = pending.response_mut() {
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
        for requester in [Direction::FromClient, Direction::FromServer] {
            if requester == Direction::FromServer && self.rare.is_none() {
                break;
            }
            let mut queue = self.queue_mut(requester);
            while queue
                .front()
                .is_some_and(|front| expired(front, now, timeout))
            {
                let pending = queue.pop_front().expect("a front");
                self.owe(requester, &pending);
                let why = Unanswered::Timeout(timeout);
                outcome = outcome.plus(flush_one(pending, why, out));
                queue = self.queue_mut(requester);
            }
        }
        outcome
    }

    /// Starts loading the oldest request from the client: the entry an
    /// answer reads first.
    #[inline(always)]
    pub(crate) fn prefetch_front(&self) {
        if let Some(front) = self.pending.front() {
            crate::engine::prefetch::lines(front);
        }
    }

    /// Starts loading the heap memory of the oldest request from the client
    /// that writing its event reads ([`Protocol::prefetch`]).
    #[inline(always)]
    pub(crate) fn prefetch_front_fields(&self)
    where
        P: Protocol,
    {
        if let Some(fields) = self.pending.front().and_then(|p| p.request.fields.as_ref()) {
            fields.prefetch();
        }
    }

    /// Lets the client's queue's memory go once it is empty: an idle
    /// connection holds none.
    #[inline]
    pub(crate) fn release(&mut self) {
        if self.pending.is_empty() && self.pending.capacity() != 0 {
            self.pending = VecDeque::new();
        }
    }

    /// When [`expire`](Self::expire) next has something to do (if nothing
    /// changes before): the earliest time a request at the front of a
    /// queue passes `timeout`.
    #[inline]
    pub(crate) fn expiry(&self, timeout: Duration) -> Option<Timestamp> {
        let front = |requester| {
            self.queue(requester)
                .next()
                .filter(|p| p.request_done() && !p.has_response())
                .map(|p| p.request.end + timeout)
        };
        match (front(Direction::FromClient), &self.rare) {
            (client, None) => client,
            (client, Some(_)) => match (client, front(Direction::FromServer)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }

    /// Whether a request has waited longer than `timeout` at `now`.
    #[cfg(test)]
    pub(crate) fn has_expired(&self, now: Timestamp, timeout: Duration) -> bool {
        [Direction::FromClient, Direction::FromServer]
            .into_iter()
            .any(|d| {
                self.queue(d)
                    .next()
                    .is_some_and(|front| expired(front, now, timeout))
            })
    }

    /// Publishes every pending request (and message being folded).
    pub(crate) fn flush(
        &mut self,
        why: Unanswered,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let mut outcome = Outcome::default();
        for dir in [Direction::FromClient, Direction::FromServer] {
            let note = || format!("message cut short: {}", why.note());
            outcome = outcome.plus(self.end_folding(dir, note, out));
        }
        for requester in [Direction::FromClient, Direction::FromServer] {
            if requester == Direction::FromServer && self.rare.is_none() {
                break;
            }
            let queue = self.queue_mut(requester);
            while let Some(pending) = queue.pop_front() {
                outcome = outcome.plus(flush_one(pending, why, out));
            }
        }
        outcome
    }

    /// Requests waiting, both sides.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.queue(Direction::FromClient).len() + self.queue(Direction::FromServer).len()
    }
}

fn expired<P>(pending: &Pending<P>, now: Timestamp, timeout: Duration) -> bool {
    pending.request_done() && !pending.has_response() && now >= pending.request.end + timeout
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
            // Its note ("response without a request", or `OWED_NOTE`) was
            // added first.
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
    let uncertain = pending.has(UNCERTAIN);
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
    if pending.answer == Answer::Optional && !pending.has_response() {
        let (request, _, notes) = pending.into_parts();
        out(Transaction::unanswered_by_design(request, notes));
        return Outcome {
            no_response: 1,
            ..Outcome::default()
        };
    }
    if pending.has_response() {
        // Its answer began: published with what came of it.
        let uncertain = pending.has(UNCERTAIN);
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
