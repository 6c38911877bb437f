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
            Unanswered::EndOfInput => "capture ended before the response".into(),
        }
    }
}

/// A request waiting for its response, with the notes it already carries.
struct Pending<P> {
    request: Message<P>,
    notes: Vec<String>,
}

/// Requests waiting for responses on one connection, oldest first.
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
}

impl<P> Correlator<P> {
    pub(crate) fn new(max_pending: usize) -> Self {
        Correlator {
            pending: VecDeque::new(),
            max_pending: max_pending.max(1),
        }
    }

    /// A request: queued. If the queue is full, the oldest request is
    /// published unanswered with a note.
    pub(crate) fn request(
        &mut self,
        request: Message<P>,
        notes: Vec<String>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        let mut outcome = Outcome::default();
        if self.pending.len() >= self.max_pending {
            if let Some(oldest) = self.pending.pop_front() {
                let mut notes = oldest.notes;
                notes.push(format!(
                    "too many pending requests (limit {}): published without waiting for its response",
                    self.max_pending
                ));
                out(Transaction {
                    request: Some(oldest.request),
                    response: None,
                    notes,
                });
                outcome.over_limit += 1;
            }
        }
        self.pending.push_back(Pending { request, notes });
        outcome
    }

    /// A response or error: pairs with the oldest pending request, or is
    /// published alone with a note.
    pub(crate) fn response(
        &mut self,
        response: Message<P>,
        mut notes: Vec<String>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> Outcome {
        match self.pending.pop_front() {
            Some(pending) => {
                let mut all = pending.notes;
                all.append(&mut notes);
                out(Transaction {
                    request: Some(pending.request),
                    response: Some(response),
                    notes: all,
                });
                Outcome {
                    paired: 1,
                    ..Outcome::default()
                }
            }
            None => {
                notes.push("response without a request".into());
                out(Transaction {
                    request: None,
                    response: Some(response),
                    notes,
                });
                Outcome {
                    unmatched: 1,
                    ..Outcome::default()
                }
            }
        }
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
            outcome.unanswered += self.flush_one(Unanswered::Timeout(timeout), out);
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
        while !self.pending.is_empty() {
            outcome.unanswered += self.flush_one(why, out);
        }
        outcome
    }

    fn flush_one(&mut self, why: Unanswered, out: &mut impl FnMut(Transaction<P>)) -> u64 {
        let Some(pending) = self.pending.pop_front() else {
            return 0;
        };
        let mut notes = pending.notes;
        notes.push(why.note());
        out(Transaction {
            request: Some(pending.request),
            response: None,
            notes,
        });
        1
    }

    /// Requests waiting.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Status;
    use crate::protocol::{Direction, Kind};

    fn msg(kind: Kind, end: i64, text: &'static str) -> Message<&'static str> {
        Message {
            kind,
            direction: if kind == Kind::Request {
                Direction::FromClient
            } else {
                Direction::FromServer
            },
            start: Timestamp::from_nanos(end),
            end: Timestamp::from_nanos(end),
            wire_len: text.len() as u64,
            fields: Some(text),
            wire: None,
        }
    }

    fn run(
        c: &mut Correlator<&'static str>,
        f: impl FnOnce(&mut Correlator<&'static str>, &mut dyn FnMut(Transaction<&'static str>)),
    ) -> Vec<Transaction<&'static str>> {
        let mut out = Vec::new();
        f(c, &mut |t| out.push(t));
        out
    }

    #[test]
    fn pipelined_requests_pair_in_order() {
        let mut c = Correlator::new(10);
        let out = run(&mut c, |c, out| {
            let mut out = |t| out(t);
            c.request(msg(Kind::Request, 1, "a"), vec![], &mut out);
            c.request(msg(Kind::Request, 2, "b"), vec![], &mut out);
            c.response(msg(Kind::Response, 3, "A"), vec![], &mut out);
            c.response(msg(Kind::Error, 4, "B"), vec![], &mut out);
        });
        let pairs: Vec<_> = out
            .iter()
            .map(|t| {
                (
                    t.request.as_ref().unwrap().fields.unwrap(),
                    t.response.as_ref().unwrap().fields.unwrap(),
                    t.status(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            vec![("a", "A", Status::Ok), ("b", "B", Status::Error)]
        );
    }

    #[test]
    fn unmatched_timeout_flush_and_limit_are_published_with_notes() {
        let mut c = Correlator::new(2);
        let out = run(&mut c, |c, out| {
            let mut out = |t| out(t);
            assert_eq!(
                c.response(msg(Kind::Response, 1, "X"), vec![], &mut out)
                    .unmatched,
                1
            );
            c.request(msg(Kind::Request, 10, "a"), vec![], &mut out);
            c.request(msg(Kind::Request, 20, "b"), vec![], &mut out);
            let o = c.request(msg(Kind::Request, 30, "c"), vec![], &mut out);
            assert_eq!(o.over_limit, 1);
            let timeout = Duration::from_nanos(15);
            assert!(!c.has_expired(Timestamp::from_nanos(34), timeout));
            let o = c.expire(Timestamp::from_nanos(35), timeout, &mut out);
            assert_eq!(o.unanswered, 1);
            assert_eq!(c.flush(Unanswered::EndOfInput, &mut out).unanswered, 1);
        });
        let summary: Vec<_> = out
            .iter()
            .map(|t| {
                let m = t.request.as_ref().or(t.response.as_ref()).unwrap();
                (m.fields.unwrap(), t.notes.join("; "), t.status())
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("X", "response without a request".to_string(), Status::Error),
                (
                    "a",
                    "too many pending requests (limit 2): published without waiting for its response"
                        .to_string(),
                    Status::Error
                ),
                (
                    "b",
                    "no response within the transaction timeout (0.000000015s)".to_string(),
                    Status::Error
                ),
                ("c", "capture ended before the response".to_string(), Status::Error),
            ]
        );
        assert_eq!(c.len(), 0);
    }
}
