//! The bounded queue between the analysis and the output: batches of
//! events, counted until the output acknowledges them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

/// Events back to back, each followed by a newline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// The events' JSON, each followed by `\n`.
    pub data: Vec<u8>,
    /// Where each event ends in `data` (its newline's offset).
    pub ends: Vec<usize>,
}

impl Batch {
    /// Events in the batch.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether it holds no event.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Event `i`'s JSON, without its newline.
    pub fn event(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        &self.data[start..self.ends[i]]
    }

    /// Ends the event written after the previous one.
    pub fn end_event(&mut self) {
        self.ends.push(self.data.len());
        self.data.push(b'\n');
    }

    fn append(&mut self, other: &Batch) {
        let base = self.data.len();
        self.data.extend_from_slice(&other.data);
        self.ends.extend(other.ends.iter().map(|e| e + base));
    }
}

/// What a full queue does with more events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenFull {
    /// The producer waits (reading a file: the file can wait).
    Wait,
    /// The oldest events not yet handed to the output are dropped and
    /// counted (a live interface cannot wait).
    DropOldest,
}

/// The delivery counters, printed with the engine's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// Events put in the queue.
    pub published: u64,
    /// Events the output acknowledged.
    pub acknowledged: u64,
    /// Events sent again (after a refused request, a throttled item, a
    /// lost connection).
    pub retried: u64,
    /// Events the output refused for good (a mapping error, say); each
    /// reported on stderr.
    pub failed: u64,
    /// Events dropped: the queue was full on a live interface, or still
    /// held when the shutdown deadline passed.
    pub dropped: u64,
}

/// The queue, shared by the producers (one per analysis thread) and the
/// output workers.
#[derive(Debug)]
pub struct Queue {
    state: Mutex<State>,
    /// Workers wait here for batches (and a retry's pause for the end).
    work: Condvar,
    /// Producers wait here for room. Apart from `work`, so that waiters of
    /// one kind never wake each other.
    room: Condvar,
    capacity: usize,
    when_full: WhenFull,
    /// Set with [`State::fatal`], read without the lock.
    failed: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    pending: VecDeque<Batch>,
    /// Events pending or being sent.
    held: usize,
    /// No more batches will come.
    closed: bool,
    /// Stop waiting for room (a signal came).
    interrupted: bool,
    /// Give up what is held (the shutdown deadline passed).
    abandoned: bool,
    /// An output error that ends the run.
    fatal: Option<String>,
    counters: Delivery,
    /// Emptied batches sent back by the workers, for the producers to fill
    /// again ([`Queue::recycle`]).
    spare: Vec<Batch>,
}

/// Emptied batches kept for reuse, at most: those waiting for a wake
/// ([`WAKE_PENDING`]), the one a producer fills and the one a worker sends
/// are all a steady run needs (with fewer, the others are allocated anew
/// each time and end up spread over a heap that connections' state fills
/// between them: 2 MiB higher peak at 60,000 connections).
const SPARE_BATCHES: usize = WAKE_PENDING + 2;
/// A batch whose buffer grew past this (merged for a bulk request) is not
/// kept for reuse: outputs hand on batches of 64 KiB (and the event that
/// crossed it), so the spares hold at most 2.25 MiB.
const SPARE_BYTES: usize = 128 << 10;

const POLL: Duration = Duration::from_millis(50);

/// Batches waiting before [`Queue::push`] wakes idle workers, reading a
/// file. An output hands on batches of at most 64 KiB: a wake per MiB of
/// events (it was one per 256 KiB batch); eighteen spares of 64 KiB are
/// ~1.1 MiB against two of 256 KiB. A batch may wait up to `POLL` for a
/// worker meanwhile. Measured at 60,000 connections, against a wake a
/// batch: echo-beat's time over the floor's 2.91x -> 2.78-2.83x (medians
/// of 11 alternated rounds, for 1 MiB or 512 KiB a wake), peak RSS the
/// same within its noise (~1 MiB run to run).
const WAKE_PENDING: usize = 16;

/// Reading a file, a producer also waits while the batches pending hold
/// this many bytes: 4,096 events of ~1.5 KB (with the envelope) would be
/// 6 MB, which a run piled up whenever the output worker was not scheduled
/// for a while (peak RSS 62.6 MiB once at 60,000 connections, against
/// ~59 typically). Twice what wakes an idle worker.
const MAX_PENDING_BYTES: usize = 2 << 20;

impl Queue {
    /// A queue holding at most `capacity` events.
    pub fn new(capacity: usize, when_full: WhenFull) -> Queue {
        Queue {
            state: Mutex::default(),
            work: Condvar::new(),
            room: Condvar::new(),
            capacity: capacity.max(1),
            when_full,
            failed: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts `batch` in the queue: waits for room or drops the oldest, as
    /// configured. After a fatal output error the events count as failed.
    pub fn push(&self, batch: Batch) {
        let n = batch.len();
        if n == 0 {
            return;
        }
        let mut state = self.lock();
        state.counters.published += n as u64;
        match self.when_full {
            WhenFull::Wait => {
                let mut woken = false;
                while self.no_room(&state, &batch)
                    && state.fatal.is_none()
                    && !state.interrupted
                    && !state.abandoned
                {
                    // The workers may not have been woken for what waits.
                    if !woken {
                        self.work.notify_all();
                        woken = true;
                    }
                    state = self
                        .room
                        .wait_timeout(state, POLL)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
            WhenFull::DropOldest => {
                while state.held + n > self.capacity {
                    let Some(old) = state.pending.pop_front() else {
                        break;
                    };
                    state.held -= old.len();
                    state.counters.dropped += old.len() as u64;
                }
                if state.held > 0 && state.held + n > self.capacity {
                    // All that is held is being sent: the new events go.
                    state.counters.dropped += n as u64;
                    return;
                }
            }
        }
        if state.fatal.is_some() {
            state.counters.failed += n as u64;
            return;
        }
        if state.abandoned {
            state.counters.dropped += n as u64;
            return;
        }
        state.held += n;
        state.pending.push_back(batch);
        // Reading a file, idle workers are woken once a few batches wait
        // (or half the queue's room is taken), not for each: a worker
        // faster than the analysis sleeps between batches, and waking a
        // sleeping thread is costly (an inter-processor interrupt and, on a
        // VM, an exit: 4% of the analysis thread's time at one wake a
        // batch). Workers also look every `POLL`, and a producer about to
        // wait for room, `close` and `flush` wake them. A live capture
        // wakes them at once: it drops what they leave waiting.
        let wake = self.when_full == WhenFull::DropOldest
            || state.pending.len() >= WAKE_PENDING
            || state.held * 2 >= self.capacity;
        // Woken after the lock is let go: a worker woken while it is held
        // would block on it at once and need waking again.
        drop(state);
        if wake {
            self.work.notify_all();
        }
    }

    /// Wakes the workers for what is pending (a producer handing on what it
    /// has, to be sent promptly).
    pub fn flush(&self) {
        self.work.notify_all();
    }

    /// Whether `batch` must wait for room, reading a file: the queue holds
    /// its capacity in events, or its pending batches `MAX_PENDING_BYTES`
    /// (a batch larger than either goes in alone). The bytes are summed
    /// when asked (a few dozen batches at most), not kept.
    fn no_room(&self, state: &State, batch: &Batch) -> bool {
        if state.held > 0 && state.held + batch.len() > self.capacity {
            return true;
        }
        let pending: usize = state.pending.iter().map(|b| b.data.len()).sum();
        pending > 0 && pending + batch.data.len() > MAX_PENDING_BYTES
    }

    /// The oldest pending events, up to `max` (whole batches; a larger
    /// batch alone), for an output worker; `None` once the queue is closed
    /// and empty, abandoned, or failed.
    pub fn take(&self, max: usize) -> Option<Batch> {
        let mut state = self.lock();
        loop {
            if state.abandoned || state.fatal.is_some() {
                return None;
            }
            if let Some(mut batch) = state.pending.pop_front() {
                while let Some(next) = state.pending.front() {
                    if batch.len() + next.len() > max {
                        break;
                    }
                    let next = state.pending.pop_front().expect("front exists");
                    batch.append(&next);
                    if state.spare.len() < SPARE_BATCHES && next.data.capacity() <= SPARE_BYTES {
                        let mut next = next;
                        next.data.clear();
                        next.ends.clear();
                        state.spare.push(next);
                    }
                }
                return Some(batch);
            }
            if state.closed {
                return None;
            }
            state = self
                .work
                .wait_timeout(state, POLL)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// A batch a worker is done with, for a producer to fill again: kept
    /// (emptied) while fewer than `SPARE_BATCHES` are and its buffer is
    /// small. Reusing them keeps the batches' memory to what is in flight:
    /// allocated anew each time, they end up spread over a heap that
    /// connections' state fills between them.
    pub fn recycle(&self, mut batch: Batch) {
        if batch.data.capacity() > SPARE_BYTES {
            return;
        }
        let mut state = self.lock();
        if state.spare.len() < SPARE_BATCHES {
            batch.data.clear();
            batch.ends.clear();
            state.spare.push(batch);
        }
    }

    /// An emptied batch to fill, if a worker sent one back.
    pub fn spare(&self) -> Option<Batch> {
        self.lock().spare.pop()
    }

    /// A batch taken is done with: `acknowledged` events delivered,
    /// `failed` refused for good, `dropped` given up at the deadline.
    pub fn done(&self, acknowledged: usize, failed: usize, dropped: usize) {
        let mut state = self.lock();
        state.held = state.held.saturating_sub(acknowledged + failed + dropped);
        state.counters.acknowledged += acknowledged as u64;
        state.counters.failed += failed as u64;
        state.counters.dropped += dropped as u64;
        drop(state); // see `push`
        self.room.notify_all();
    }

    /// `n` events are sent again.
    pub fn retried(&self, n: usize) {
        self.lock().counters.retried += n as u64;
    }

    /// No more batches come: the workers end once the queue is empty.
    pub fn close(&self) {
        self.lock().closed = true;
        self.work.notify_all();
    }

    /// A signal came: producers stop waiting for room.
    pub fn interrupt(&self) {
        self.lock().interrupted = true;
        self.room.notify_all();
    }

    /// The shutdown deadline passed: what is pending is dropped (counted),
    /// workers give up their batches.
    pub fn abandon(&self) {
        let mut state = self.lock();
        state.abandoned = true;
        let pending: usize = state.pending.drain(..).map(|b| b.len()).sum();
        state.held -= pending;
        state.counters.dropped += pending as u64;
        drop(state);
        self.wake_all();
    }

    /// Whether [`abandon`](Self::abandon) was called.
    pub fn abandoned(&self) -> bool {
        self.lock().abandoned
    }

    /// An output error that ends the run: producers stop.
    pub fn fail(&self, message: String) {
        let mut state = self.lock();
        if state.fatal.is_none() {
            state.fatal = Some(message);
        }
        self.failed.store(true, Ordering::Relaxed);
        let pending: usize = state.pending.drain(..).map(|b| b.len()).sum();
        state.held -= pending;
        state.counters.failed += pending as u64;
        drop(state);
        self.wake_all();
    }

    /// Whether the output failed for good (cheap: for every packet).
    pub fn has_failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// The fatal output error, if one happened.
    pub fn fatal(&self) -> Option<String> {
        self.lock().fatal.clone()
    }

    /// The counters so far.
    pub fn counters(&self) -> Delivery {
        self.lock().counters
    }

    /// Waits up to `timeout`, or until the queue is abandoned or fails
    /// (a worker's pause before sending again).
    pub fn wait(&self, timeout: Duration) {
        let state = self.lock();
        let _ = self.work.wait_timeout(state, timeout);
    }

    /// Wakes every waiter, producers and workers.
    fn wake_all(&self) {
        self.work.notify_all();
        self.room.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn batch(events: &[&str]) -> Batch {
        let mut b = Batch::default();
        for e in events {
            b.data.extend_from_slice(e.as_bytes());
            b.end_event();
        }
        b
    }

    #[test]
    fn batches_hold_events_and_merge() {
        let q = Queue::new(10, WhenFull::Wait);
        q.push(batch(&["a", "bb"]));
        q.push(batch(&["ccc"]));
        q.push(batch(&["d", "e"]));
        let taken = q.take(3).unwrap();
        assert_eq!(taken.len(), 3);
        assert_eq!(
            (taken.event(0), taken.event(1), taken.event(2)),
            (&b"a"[..], &b"bb"[..], &b"ccc"[..])
        );
        q.done(3, 0, 0);
        q.close();
        assert_eq!(q.take(100).unwrap().len(), 2);
        q.done(1, 1, 0);
        assert_eq!(q.take(100), None);
        let c = q.counters();
        assert_eq!((c.published, c.acknowledged, c.failed), (5, 4, 1));
    }

    #[test]
    fn batches_sent_back_are_reused_emptied_up_to_a_limit() {
        let q = Queue::new(10, WhenFull::Wait);
        assert_eq!(q.spare(), None);
        for _ in 0..SPARE_BATCHES + 1 {
            q.recycle(batch(&["a", "b"]));
        }
        let big = Batch {
            data: Vec::with_capacity(SPARE_BYTES + 1),
            ends: Vec::new(),
        };
        q.recycle(big);
        let spare = q.spare().unwrap();
        assert!(spare.is_empty() && spare.data.is_empty() && spare.data.capacity() >= 4);
        for _ in 1..SPARE_BATCHES {
            assert!(q.spare().is_some());
        }
        assert_eq!(q.spare(), None);
        // Batches merged for a worker go back too.
        q.push(batch(&["1"]));
        q.push(batch(&["2"]));
        assert_eq!(q.take(10).unwrap().len(), 2);
        assert!(q.spare().is_some());
    }

    #[test]
    fn a_waiting_worker_takes_batches_pushed_below_the_wake_threshold() {
        let q = Arc::new(Queue::new(100, WhenFull::Wait));
        let worker = {
            let q = q.clone();
            std::thread::spawn(move || {
                let mut taken = Vec::new();
                while let Some(batch) = q.take(10) {
                    q.done(batch.len(), 0, 0);
                    taken.push(batch.event(0).to_vec());
                }
                taken
            })
        };
        // One batch, then three into a queue of room for two: the worker is
        // not woken for the first, then woken by the producer about to wait.
        q.push(batch(&["1"]));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while q.counters().acknowledged == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            q.counters().acknowledged,
            1,
            "taken (within POLL) before the close"
        );
        let small = Arc::new(Queue::new(2, WhenFull::Wait));
        let drain = {
            let small = small.clone();
            std::thread::spawn(move || {
                while let Some(batch) = small.take(1) {
                    small.done(batch.len(), 0, 0);
                }
            })
        };
        for event in ["a", "b", "c"] {
            small.push(batch(&[event]));
        }
        small.close();
        drain.join().unwrap();
        assert_eq!(small.counters().acknowledged, 3);
        q.close();
        assert_eq!(worker.join().unwrap(), [b"1".to_vec()]);
    }

    #[test]
    fn a_producer_waits_while_the_pending_batches_hold_too_many_bytes() {
        let q = Arc::new(Queue::new(1000, WhenFull::Wait));
        // One event of three quarters of the bound: two do not fit.
        let big = || {
            let mut batch = Batch {
                data: vec![b'x'; MAX_PENDING_BYTES * 3 / 4],
                ends: Vec::new(),
            };
            batch.end_event();
            batch
        };
        q.push(big());
        let producer = {
            let q = q.clone();
            std::thread::spawn(move || q.push(big()))
        };
        std::thread::sleep(Duration::from_millis(120));
        let first = q.take(10).unwrap();
        assert_eq!(first.len(), 1, "the waiting batch is not in yet");
        q.done(1, 0, 0);
        producer.join().unwrap();
        assert_eq!(q.take(10).unwrap().len(), 1);
    }

    #[test]
    fn a_full_queue_drops_the_oldest_when_told_to() {
        let q = Queue::new(4, WhenFull::DropOldest);
        q.push(batch(&["1", "2"]));
        q.push(batch(&["3", "4"]));
        q.push(batch(&["5", "6", "7"]));
        let c = q.counters();
        assert_eq!((c.published, c.dropped), (7, 4));
        let taken = q.take(10).unwrap();
        assert_eq!(taken.event(0), b"5");
        // In flight: the next events have no room and go.
        q.push(batch(&["8", "9"]));
        assert_eq!(q.counters().dropped, 6);
        q.done(3, 0, 0);
        q.push(batch(&["8", "9"]));
        assert_eq!(q.take(10).unwrap().event(1), b"9");
    }

    #[test]
    fn a_full_queue_makes_the_producer_wait_until_acknowledged() {
        let q = Arc::new(Queue::new(2, WhenFull::Wait));
        q.push(batch(&["1", "2"]));
        let producer = {
            let q = q.clone();
            std::thread::spawn(move || q.push(batch(&["3"])))
        };
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(q.counters().published, 3);
        let first = q.take(10).unwrap();
        assert_eq!(first.len(), 2, "the waiting batch is not in yet");
        q.done(2, 0, 0);
        producer.join().unwrap();
        assert_eq!(q.take(10).unwrap().event(0), b"3");
    }

    #[test]
    fn abandon_and_fail_count_what_is_held() {
        let q = Queue::new(10, WhenFull::Wait);
        q.push(batch(&["1", "2"]));
        q.abandon();
        assert_eq!(q.take(10), None);
        assert_eq!(q.counters().dropped, 2);
        let q = Queue::new(10, WhenFull::Wait);
        q.push(batch(&["1"]));
        q.fail("disk full".into());
        q.push(batch(&["2"]));
        assert_eq!(q.counters().failed, 2);
        assert_eq!(q.fatal().as_deref(), Some("disk full"));
    }
}
