//! Delivery: the bounded [`Queue`] between the analysis and the output,
//! and the output workers that take batches from it and send them until the
//! output acknowledges every event (at least once).
//!
//! - The analysis publishes batches of events ([`Batch`]); a full queue
//!   makes it wait when reading a file, or drops the oldest pending events
//!   (counted in `dropped`) on a live interface.
//! - A worker sends a batch with its output's [`Deliver`]; what the output
//!   says to retry (a refused request, a lost connection, a throttled item)
//!   is sent again after a backoff that doubles up to a maximum; what it
//!   refuses for good is counted in `failed` and reported on stderr.
//! - At the end the queue is closed and drained; after a signal, what is
//!   still held when the shutdown deadline passes is dropped and counted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub mod queue;

pub use queue::{Batch, Delivery, Queue, WhenFull};

/// What became of one event of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered.
    Acked,
    /// To send again (throttled, a transient error).
    Retry(String),
    /// Refused for good, with the output's reason.
    Failed(String),
}

/// Why a whole send did not go through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Send the whole batch again after a backoff (no connection, a
    /// refused or throttled request).
    Retry(String),
    /// The output cannot go on (a file that cannot be written): the run
    /// ends with this error.
    Fatal(String),
}

/// An output: sends the events `todo` of `batch` and says what became of
/// each (one outcome per index of `todo`, in order).
pub trait Deliver: Send {
    /// Sends `batch`'s events at the indices in `todo`.
    fn send(&mut self, batch: &Batch, todo: &[usize]) -> Result<Vec<Outcome>, SendError>;

    /// The end of the run: flush what the output buffers.
    fn close(&mut self) -> Result<(), SendError> {
        Ok(())
    }
}

/// The retry delays: `init` doubled after each failed attempt, up to `max`
/// (Packetbeat's `backoff.init` and `backoff.max`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay.
    pub init: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            init: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

/// Prints warnings on stderr without flooding it: a repeated message at
/// most every ten seconds, refused events one line each for the first ten.
pub struct Log {
    name: String,
    last: Option<(String, Instant)>,
    refused: u64,
}

impl Log {
    /// Messages prefixed with `name`.
    pub fn new(name: &str) -> Log {
        Log {
            name: name.to_string(),
            last: None,
            refused: 0,
        }
    }

    /// A transient problem (retrying).
    pub fn retrying(&mut self, message: &str) {
        let now = Instant::now();
        if let Some((last, at)) = &self.last {
            if last == message && now.duration_since(*at) < Duration::from_secs(10) {
                return;
            }
        }
        eprintln!("{}: output: {message} (retrying)", self.name);
        self.last = Some((message.to_string(), now));
    }

    /// An event refused for good.
    pub fn refused(&mut self, reason: &str) {
        self.refused += 1;
        if self.refused <= 10 {
            eprintln!("{}: output: event refused: {reason}", self.name);
        } else if self.refused == 11 {
            eprintln!(
                "{}: output: more events refused (see the `failed` counter)",
                self.name
            );
        }
    }
}

/// An output worker: takes batches of at most `max` events from `queue`
/// and sends them with `output` until the queue is closed and empty (or
/// abandoned, or the output fails for good).
pub fn work(
    queue: &Queue,
    mut output: Box<dyn Deliver + '_>,
    max: usize,
    backoff: Backoff,
    log: &mut Log,
) {
    while let Some(batch) = queue.take(max) {
        let mut todo: Vec<usize> = (0..batch.len()).collect();
        let mut delay = backoff.init;
        loop {
            match output.send(&batch, &todo) {
                Ok(outcomes) => {
                    let mut retry = Vec::new();
                    let (mut acked, mut failed) = (0, 0);
                    for (&i, outcome) in todo.iter().zip(&outcomes) {
                        match outcome {
                            Outcome::Acked => acked += 1,
                            Outcome::Failed(reason) => {
                                failed += 1;
                                log.refused(reason);
                            }
                            Outcome::Retry(reason) => {
                                log.retrying(reason);
                                retry.push(i);
                            }
                        }
                    }
                    // An output that said nothing of some events: sent again.
                    retry.extend(todo.iter().skip(outcomes.len()));
                    queue.done(acked, failed, 0);
                    if retry.len() < todo.len() {
                        delay = backoff.init;
                    }
                    todo = retry;
                }
                Err(SendError::Retry(message)) => log.retrying(&message),
                Err(SendError::Fatal(message)) => {
                    queue.done(0, todo.len(), 0);
                    queue.fail(message);
                    return;
                }
            }
            if todo.is_empty() {
                break;
            }
            if !sleep(queue, delay) {
                queue.done(0, 0, todo.len());
                break;
            }
            queue.retried(todo.len());
            delay = (delay * 2).min(backoff.max);
        }
        queue.recycle(batch);
    }
    if let Err(SendError::Fatal(message) | SendError::Retry(message)) = output.close() {
        queue.fail(message);
    }
}

/// Sleeps `delay`, waking early when the queue is abandoned (then `false`).
fn sleep(queue: &Queue, delay: Duration) -> bool {
    let until = Instant::now() + delay;
    loop {
        if queue.abandoned() {
            return false;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        queue.wait(left.min(Duration::from_millis(50)));
    }
}

/// Watches `stop` while the run goes on (until `done` says so, or its
/// sender is dropped): on a signal the queue's producers stop waiting for
/// room, and once `timeout` has passed since the signal the queue is
/// abandoned. `stop` is looked at every 20 ms (a signal handler can only
/// set a flag); the end of the run wakes the watcher at once, so the run
/// does not wait on its sleep.
pub fn watch(queue: &Queue, stop: &AtomicBool, done: Receiver<()>, timeout: Duration) {
    let mut deadline = None;
    loop {
        if stop.load(Ordering::Relaxed) {
            let at = *deadline.get_or_insert_with(|| {
                queue.interrupt();
                Instant::now() + timeout
            });
            if Instant::now() >= at {
                queue.abandon();
                return;
            }
        }
        match done.recv_timeout(Duration::from_millis(20)) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Refuses the first attempt at every event, then refuses event 1 for
    /// good and acknowledges the rest.
    struct Flaky {
        attempts: usize,
        seen: Vec<Vec<usize>>,
    }

    impl Deliver for &mut Flaky {
        fn send(&mut self, _: &Batch, todo: &[usize]) -> Result<Vec<Outcome>, SendError> {
            self.attempts += 1;
            self.seen.push(todo.to_vec());
            if self.attempts == 1 {
                return Err(SendError::Retry("connection refused".into()));
            }
            Ok(todo
                .iter()
                .map(|&i| match (self.attempts, i) {
                    (2, 2) => Outcome::Retry("throttled".into()),
                    (_, 1) => Outcome::Failed("mapping".into()),
                    _ => Outcome::Acked,
                })
                .collect())
        }
    }

    #[test]
    fn retries_until_every_event_is_acknowledged_or_refused() {
        let queue = Queue::new(100, WhenFull::Wait);
        let mut batch = Batch::default();
        for e in ["a", "b", "c", "d"] {
            batch.data.extend_from_slice(e.as_bytes());
            batch.end_event();
        }
        queue.push(batch);
        queue.close();
        let mut flaky = Flaky {
            attempts: 0,
            seen: Vec::new(),
        };
        let backoff = Backoff {
            init: Duration::from_millis(1),
            max: Duration::from_millis(4),
        };
        work(
            &queue,
            Box::new(&mut flaky),
            10,
            backoff,
            &mut Log::new("test"),
        );
        assert_eq!(
            flaky.seen,
            vec![vec![0, 1, 2, 3], vec![0, 1, 2, 3], vec![2]]
        );
        let c = queue.counters();
        assert_eq!(
            (c.published, c.acknowledged, c.failed, c.retried),
            (4, 3, 1, 5)
        );
    }

    #[test]
    fn an_abandoned_queue_drops_what_a_worker_retries() {
        struct Down;
        impl Deliver for Down {
            fn send(&mut self, _: &Batch, _: &[usize]) -> Result<Vec<Outcome>, SendError> {
                Err(SendError::Retry("down".into()))
            }
        }
        let queue = Queue::new(100, WhenFull::Wait);
        let mut batch = Batch::default();
        batch.end_event();
        queue.push(batch);
        queue.close();
        let stop = AtomicBool::new(true);
        let (done, done_rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            let (queue, stop) = (&queue, &stop);
            s.spawn(move || watch(queue, stop, done_rx, Duration::from_millis(100)));
            let started = Instant::now();
            work(
                queue,
                Box::new(Down),
                10,
                Backoff::default(),
                &mut Log::new("test"),
            );
            assert!(started.elapsed() < Duration::from_secs(1));
            drop(done);
        });
        assert_eq!(queue.counters().dropped, 1);
    }
}
