//! Pairing after packet loss.
//!
//! When a gap swallows answers, or the skip to the next delimiter merges
//! two, FIFO pairing would be off by one for the rest of the connection;
//! when it swallows requests, their answers would pair with later requests.
//! After such a gap (one where the stream lost its place), the queue it
//! concerns is *out of step* from the first request that may be affected:
//!
//! - an answer without a key pairs with the oldest waiting request that it
//!   can answer: one captured before the answer started (an answer cannot
//!   answer a later request), and that the protocol does not rule out
//!   ([`Conversation::fits`]). The older requests it passes over are
//!   published as answered in the gap;
//! - such a pairing is published with status `Error` and the note
//!   "pairing uncertain after packet loss", unless the protocol proves it
//!   ([`Fit::Certain`]: echo's same text), which puts the queue back in
//!   step;
//! - the queue is also back in step when a new request starts while the
//!   connection is quiet (every byte each side sent acknowledged by the
//!   other, so no answer is in flight): the requests still waiting from
//!   before are published as answered in the gap, uncertain.
//!
//! Requests queued before the gap pair as usual: their answers come first.
//!
//! The same holds, with notes saying why, when a new request starts on a
//! quiet connection while answers are owed to requests published before
//! them ([`Correlator::owe`]): the server may still send them (it holds
//! them) or never; either way the pairing that follows is uncertain.

use super::{publish_unanswered, Correlator, Outcome, ANSWERED, UNCERTAIN};
use crate::message::{Message, Transaction};
use crate::protocol::{Conversation, Fit};
use crate::role::Direction;

const UNCERTAIN_NOTE: &str = "pairing uncertain after packet loss";
const LOST: &str = "response lost in a capture gap (pairing uncertain after packet loss)";
const UNCERTAIN_OWED: &str =
    "pairing uncertain: sent while the response to an earlier request was still due";
const NEVER_OWED: &str = "no response came (pairing uncertain: sent while the response to an \
                          earlier request was still due)";

impl<P: Conversation> Correlator<P> {
    /// A gap in `dir`'s stream where the stream lost its place: the answers
    /// to `dir`'s requests may now shift (requests were lost), and so may
    /// the pairing of the other side's requests (answers were lost).
    ///
    /// Answers owed to the other side's requests (published before their
    /// answers came) may be among those lost: they are forgotten, and that
    /// side's pairing is out of step even with no request waiting.
    pub(crate) fn lost(&mut self, dir: Direction) {
        if self.step_from(dir).is_none() {
            self.set_step_from(dir, Some(self.next_id));
        }
        let other = dir.reverse();
        let owed = self.forget_owed(other);
        if self.step_from(other).is_none() {
            let first = self.queue(other).find(|p| p.awaits_unkeyed()).map(|p| p.id);
            if let Some(first) = first.or(owed.then_some(self.next_id)) {
                self.set_step_from(other, Some(first));
            }
        }
        if let Some(rare) = &mut self.rare {
            rare.step_owed = [false; 2];
        }
    }

    /// The notes of `requester`'s out-of-step pairing: (uncertain, lost).
    fn step_notes(&self, requester: Direction) -> (&'static str, &'static str) {
        match &self.rare {
            Some(rare) if rare.step_owed[requester.index()] => (UNCERTAIN_OWED, NEVER_OWED),
            _ => (UNCERTAIN_NOTE, LOST),
        }
    }

    /// Whether a request of `requester` waits for its answer.
    pub(crate) fn waiting(&self, requester: Direction) -> bool {
        self.queue(requester)
            .any(|p| p.answer != super::Answer::Never && !p.has(ANSWERED))
    }

    /// Whether the pairing of `requester`'s requests is out of step.
    pub(crate) fn out_of_step(&self, requester: Direction) -> bool {
        self.step_from(requester).is_some()
    }

    /// A new request from `requester` while the connection is quiet: the
    /// requests waiting from before are taken as answered in the gap, and
    /// pairing is back in step. Unless answers were owed: they may come
    /// yet or never, so pairing is out of step from this request on.
    pub(crate) fn quiet(
        &mut self,
        requester: Direction,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let mut outcome = self.back_in_step(requester, out);
        if self.forget_owed(requester) {
            self.set_step_from(requester, Some(self.next_id));
            self.rare().step_owed[requester.index()] = true;
            outcome.resynchronized = 0;
        }
        outcome
    }

    /// `quiet`'s resynchronization, when out of step.
    fn back_in_step(
        &mut self,
        requester: Direction,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let Some(from) = self.step_from(requester) else {
            return Outcome::default();
        };
        let (_, lost) = self.step_notes(requester);
        self.set_step_from(requester, None);
        let mut outcome = Outcome {
            resynchronized: 1,
            ..Outcome::default()
        };
        let queue = self.queue_mut(requester);
        let mut i = 0;
        while i < queue.len() {
            let p = &queue[i];
            if after(p.id, from) && p.awaits_unkeyed() && p.request_done() {
                let mut pending = queue.remove(i).expect("in range");
                pending.set(UNCERTAIN);
                outcome = outcome.plus(publish_unanswered(
                    pending,
                    |notes| notes.push(lost.into()),
                    out,
                ));
            } else {
                i += 1;
            }
        }
        outcome
    }

    /// Which waiting request of `requester` an answer without a key pairs
    /// with while out of step: its index, after publishing the requests it
    /// passes over; `None` when none can be its request.
    pub(super) fn resync_pick(
        &mut self,
        requester: Direction,
        answer: &Message<P>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> (Option<usize>, Outcome) {
        let mut outcome = Outcome::default();
        let Some(from) = self.step_from(requester) else {
            return (None, outcome);
        };
        let (uncertain, lost) = self.step_notes(requester);
        let queue = self.queue_mut(requester);
        let mut chosen = None;
        for (i, pending) in queue.iter().enumerate() {
            if !pending.awaits_unkeyed() {
                continue;
            }
            if !after(pending.id, from) {
                // Queued before the gap: its answer comes first, in order.
                return (Some(i), outcome);
            }
            if pending.request.start > answer.start {
                // Sent after the answer began: no later one can be it.
                break;
            }
            let fit = match (&answer.fields, &pending.request.fields) {
                (Some(answer), Some(request)) => answer.fits(request),
                _ => Fit::Possible,
            };
            if fit != Fit::Impossible {
                chosen = Some((i, fit));
                break;
            }
        }
        let Some((index, fit)) = chosen else {
            return (None, outcome);
        };
        // The requests passed over were answered in the gap.
        let mut index = index;
        let mut i = 0;
        while i < index {
            let p = &queue[i];
            if p.awaits_unkeyed() && after(p.id, from) && p.request_done() {
                let mut pending = queue.remove(i).expect("in range");
                pending.set(UNCERTAIN);
                outcome = outcome.plus(publish_unanswered(
                    pending,
                    |notes| notes.push(lost.into()),
                    out,
                ));
                index -= 1;
            } else {
                i += 1;
            }
        }
        if fit == Fit::Certain {
            self.set_step_from(requester, None);
            outcome.resynchronized += 1;
        } else {
            let pending = &mut self.queue_mut(requester)[index];
            pending.set(UNCERTAIN);
            pending.note(uncertain.into());
        }
        (Some(index), outcome)
    }
}

/// Whether entry `id` was queued at or after entry `from` (ids wrap).
fn after(id: u32, from: u32) -> bool {
    id.wrapping_sub(from) < u32::MAX / 2
}
