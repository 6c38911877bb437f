//! The engine's deadline queue: when each connection next needs attention
//! (a request past the transaction timeout, or the idle expiry), so that
//! timeouts cost in proportion to what expires instead of a walk over every
//! connection.
//!
//! As quinn's `poll_timeout`: a connection tells its next deadline after
//! each packet, and the queue only learns of it when it is earlier than the
//! one already queued for that connection. Entries are not removed when a
//! deadline moves later or the connection ends: a popped entry that no
//! longer matches its connection's queued deadline is dropped then
//! ([`Timers::compact`] drops them in bulk once they outnumber the
//! connections).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::time::Timestamp;

/// One queued deadline (16 bytes): the connection is found again by its
/// key's hash and the deadline it queued (two connections whose keys hash
/// alike and that queued the same deadline each have an entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Timer {
    pub at: Timestamp,
    pub hash: u64,
}

/// No deadline queued.
pub(super) const NEVER: Timestamp = Timestamp::from_nanos(i64::MAX);

/// Deadlines, earliest first.
#[derive(Default)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<Timer>>,
}

impl Timers {
    /// Queues `at` for the connection whose queued deadline is `*scheduled`,
    /// if earlier.
    #[inline]
    pub fn schedule(&mut self, scheduled: &mut Timestamp, at: Timestamp, hash: u64) {
        if at < *scheduled {
            *scheduled = at;
            self.heap.push(Reverse(Timer { at, hash }));
        }
    }

    /// The earliest entry if it is due at `now`, taken out.
    pub fn pop_due(&mut self, now: Timestamp) -> Option<Timer> {
        match self.heap.peek() {
            Some(Reverse(t)) if t.at <= now => self.heap.pop().map(|Reverse(t)| t),
            _ => None,
        }
    }

    /// Entries queued, current and stale.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Keeps only the entries `current` says are still their connection's
    /// queued deadline.
    pub fn compact(&mut self, mut current: impl FnMut(&Timer) -> bool) {
        self.heap.retain(|Reverse(t)| current(t));
        self.heap.shrink_to(self.heap.len() * 2);
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        self.heap = BinaryHeap::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: i64) -> Timestamp {
        Timestamp::from_nanos(n)
    }

    #[test]
    fn only_an_earlier_deadline_is_queued_and_entries_pop_in_order() {
        let mut timers = Timers::default();
        let (mut a, mut b) = (NEVER, NEVER);
        timers.schedule(&mut a, t(50), 11);
        timers.schedule(&mut a, t(60), 11); // later: not queued
        timers.schedule(&mut b, t(30), 22);
        timers.schedule(&mut a, t(20), 11); // earlier: queued, 50 is stale
        assert_eq!((a, b, timers.len()), (t(20), t(30), 3));
        assert_eq!(timers.pop_due(t(10)), None);
        let due: Vec<u64> = std::iter::from_fn(|| timers.pop_due(t(40)))
            .map(|x| x.hash)
            .collect();
        assert_eq!(due, [11, 22]);
        assert_eq!(timers.pop_due(t(100)).map(|x| x.at), Some(t(50)));
    }

    #[test]
    fn compact_keeps_the_current_entries() {
        let mut timers = Timers::default();
        let mut at = [NEVER; 4];
        for (hash, slot) in at.iter_mut().enumerate() {
            timers.schedule(slot, t(100), hash as u64);
            timers.schedule(slot, t(90 - hash as i64), hash as u64);
        }
        assert_eq!(timers.len(), 8);
        timers.compact(|x| at[x.hash as usize] == x.at);
        assert_eq!(timers.len(), 4);
        assert_eq!(
            timers.pop_due(t(100)).map(|x| (x.at, x.hash)),
            Some((t(87), 3))
        );
    }
}
