//! Unit tests of the parent module.
use super::*;
use crate::message::Status;
use crate::protocol::Fit;

/// A message: its text, and rows counted when frames fold.
#[derive(Clone, Debug, PartialEq)]
struct S {
    text: &'static str,
    rows: u32,
}

impl Conversation for S {
    type Session = ();

    fn fold(&mut self, next: Self) {
        self.rows += next.rows;
        self.text = next.text;
    }

    /// An answer in upper case proves the request of the same text in
    /// lower case; an answer starting with `?` may answer anything.
    fn fits(&self, request: &Self) -> Fit {
        if self.text.starts_with('?') {
            Fit::Possible
        } else if self.text.eq_ignore_ascii_case(request.text) {
            Fit::Certain
        } else {
            Fit::Impossible
        }
    }
}

const C: Direction = Direction::FromClient;
const SV: Direction = Direction::FromServer;

fn msg(kind: Kind, dir: Direction, at: i64, text: &'static str) -> Message<S> {
    Message {
        kind,
        direction: dir,
        start: Timestamp::from_nanos(at),
        end: Timestamp::from_nanos(at),
        wire_len: text.len() as u64,
        fields: Some(S { text, rows: 1 }),
        wire: None,
        cut: false,
    }
}

/// Feeds messages to a correlator and keeps what it publishes.
struct Run {
    c: Correlator<S>,
    out: Vec<Transaction<S>>,
    outcome: Outcome,
}

impl Run {
    fn new(max: usize) -> Self {
        Run {
            c: Correlator::new(max),
            out: Vec::new(),
            outcome: Outcome::default(),
        }
    }

    fn send(&mut self, dir: Direction, kind: Kind, at: i64, text: &'static str, shape: Shape) {
        let message = msg(kind, dir, at, text);
        let out = &mut self.out;
        let done = self
            .c
            .message(dir, message, Vec::new(), shape, &mut |t| out.push(t));
        self.outcome = self.outcome.plus(done);
    }

    /// A request from the client.
    fn ask(&mut self, at: i64, text: &'static str) {
        self.send(C, Kind::Request, at, text, shape(Kind::Request));
    }

    /// A whole answer from the server.
    fn answer(&mut self, at: i64, text: &'static str) {
        self.send(SV, Kind::Response, at, text, shape(Kind::Response));
    }

    /// (request, response, status, notes) per transaction.
    fn summary(&self) -> Vec<(&'static str, &'static str, Status, String)> {
        self.out
            .iter()
            .map(|t| {
                let f = |m: &Option<Message<S>>| {
                    m.as_ref()
                        .map_or("-", |m| m.fields.as_ref().map_or("?", |f| f.text))
                };
                (
                    f(&t.request),
                    f(&t.response),
                    t.status(),
                    t.notes.join("; "),
                )
            })
            .collect()
    }

    fn pairs(&self) -> Vec<(&'static str, &'static str, Status)> {
        self.summary()
            .into_iter()
            .map(|(a, b, s, _)| (a, b, s))
            .collect()
    }
}

const OWED: &str = "the response to a request published before it came (see that request's note)";

fn shape(kind: Kind) -> Shape {
    Shape {
        kind,
        key: None,
        answer: Answer::Required,
        continues: false,
    }
}

fn keyed(kind: Kind, key: u64, answer: Answer) -> Shape {
    Shape {
        key: Some(key),
        answer,
        ..shape(kind)
    }
}

fn more(kind: Kind) -> Shape {
    Shape {
        continues: true,
        ..shape(kind)
    }
}

use Status::{Error as E, Ok as K};

#[test]
fn pipelined_requests_pair_in_order() {
    let mut r = Run::new(10);
    r.ask(1, "a");
    r.ask(2, "b");
    r.answer(3, "A");
    r.send(SV, Kind::Error, 4, "B", shape(Kind::Error));
    assert_eq!(r.pairs(), [("a", "A", K), ("b", "B", E)]);
    assert_eq!(r.outcome.paired, 2);
}

/// The client's queue makes room for one request, then doubles: a second
/// request in flight costs one more entry, not three (the standard
/// growth's first step is to four), and the memory goes once it is empty.
#[test]
fn the_request_queue_grows_by_doubling_from_one() {
    let mut r = Run::new(100);
    let mut capacities = Vec::new();
    for i in 0..5 {
        r.ask(i, "a");
        capacities.push(r.c.pending.capacity());
    }
    assert_eq!(capacities, [1, 2, 4, 4, 8]);
    for i in 0..5 {
        r.answer(10 + i, "A");
    }
    r.c.release();
    assert_eq!((r.out.len(), r.c.pending.capacity()), (5, 0));
}

#[test]
fn unmatched_timeout_flush_and_limit_are_published_with_notes() {
    let mut r = Run::new(2);
    r.answer(1, "X");
    r.ask(10, "a");
    r.ask(20, "b");
    r.ask(30, "c");
    assert_eq!(r.outcome.over_limit, 1);
    let timeout = Duration::from_nanos(15);
    assert!(!r.c.has_expired(Timestamp::from_nanos(34), timeout));
    // The deadline the engine queues: the oldest request's end plus the
    // timeout, exactly when it expires.
    assert_eq!(r.c.expiry(timeout), Some(Timestamp::from_nanos(35)));
    assert!(r.c.has_expired(Timestamp::from_nanos(35), timeout));
    let out = &mut r.out;
    let o =
        r.c.expire(Timestamp::from_nanos(35), timeout, &mut |t| out.push(t));
    assert_eq!(o.unanswered, 1);
    let o = r.c.flush(Unanswered::EndOfInput, &mut |t| out.push(t));
    assert_eq!(o.unanswered, 1);
    let notes = r.summary();
    assert_eq!(
        notes,
        [
            ("-", "X", E, "response without a request".to_string()),
            (
                "a",
                "-",
                E,
                "too many pending requests (limit 2): published without waiting for its response"
                    .to_string()
            ),
            (
                "b",
                "-",
                E,
                "no response within the transaction timeout (0.000000015s)".to_string()
            ),
            ("c", "-", E, "capture ended before the response".to_string()),
        ]
    );
    assert_eq!(r.c.len(), 0);
}

/// A request pushed out by the pending limit still gets its answer later:
/// that answer is published alone, saying so, and the answers after it
/// pair with their own requests (before, each paired with the request
/// after its own, and the last was published without a request).
#[test]
fn the_answer_of_a_request_pushed_out_by_the_limit_is_not_taken_for_the_next() {
    let mut r = Run::new(2);
    r.ask(1, "a");
    r.ask(2, "b");
    r.ask(3, "c");
    r.answer(4, "A");
    r.answer(5, "B");
    r.answer(6, "C");
    let limit = "too many pending requests (limit 2)";
    assert_eq!(
        r.summary(),
        [
            (
                "a",
                "-",
                E,
                format!("{limit}: published without waiting for its response")
            ),
            ("-", "A", E, OWED.to_string()),
            ("b", "B", K, String::new()),
            ("c", "C", K, String::new()),
        ]
    );
    assert_eq!(
        (r.outcome.paired, r.outcome.over_limit, r.outcome.unmatched),
        (2, 1, 1)
    );
}

/// An answer the protocol proves to answer the oldest waiting request
/// ([`Fit::Certain`]) is not taken for an owed one: those never came.
#[test]
fn a_proven_answer_is_not_taken_for_an_owed_one() {
    let mut r = Run::new(2);
    r.ask(1, "a");
    r.ask(2, "b");
    r.ask(3, "c");
    r.answer(4, "B");
    r.answer(5, "C");
    assert_eq!(r.pairs(), [("a", "-", E), ("b", "B", K), ("c", "C", K)]);
}

/// Owed answers still come first after a gap in the requests; after a gap
/// in the answers (which may have swallowed them) they are forgotten and
/// the pairing that follows is flagged uncertain.
#[test]
fn owed_answers_and_gaps() {
    let mut r = Run::new(2);
    r.ask(1, "a");
    r.ask(2, "b");
    r.ask(3, "c");
    r.c.lost(C);
    r.answer(4, "A");
    r.answer(5, "B");
    r.answer(6, "C");
    assert_eq!(
        r.pairs(),
        [("a", "-", E), ("-", "A", E), ("b", "B", K), ("c", "C", K)]
    );

    let mut r = Run::new(2);
    r.ask(1, "a");
    r.ask(2, "b");
    r.ask(3, "c");
    r.c.lost(SV);
    r.answer(4, "?1");
    let last = r.summary().pop().unwrap();
    assert_eq!(
        last,
        (
            "b",
            "?1",
            E,
            "pairing uncertain after packet loss".to_string()
        )
    );
}

/// The same after the transaction timeout: a late answer is published
/// alone, and the next request gets its own answer.
#[test]
fn a_late_answer_after_the_timeout_is_not_taken_for_the_next_request() {
    let mut r = Run::new(100);
    r.ask(1, "a");
    let timeout = Duration::from_nanos(15);
    let out = &mut r.out;
    let o =
        r.c.expire(Timestamp::from_nanos(20), timeout, &mut |t| out.push(t));
    assert_eq!(o.unanswered, 1);
    r.ask(21, "b");
    r.answer(22, "A");
    r.answer(23, "B");
    assert_eq!(
        r.summary(),
        [
            (
                "a",
                "-",
                E,
                "no response within the transaction timeout (0.000000015s)".to_string()
            ),
            ("-", "A", E, OWED.to_string()),
            ("b", "B", K, String::new()),
        ]
    );
}

/// The oldest request, its answer streaming in, stays while the queue is
/// one over the pending limit: every answer pairs with its request.
#[test]
fn a_request_whose_answer_streams_in_stays_one_over_the_limit() {
    let mut r = Run::new(2);
    r.ask(1, "a");
    r.ask(2, "b");
    r.send(SV, Kind::Response, 3, "A", more(Kind::Response));
    r.ask(4, "c");
    r.send(SV, Kind::Response, 5, "A", shape(Kind::Response));
    r.answer(6, "B");
    r.answer(7, "C");
    assert_eq!(r.pairs(), [("a", "A", K), ("b", "B", K), ("c", "C", K)]);
    assert_eq!((r.outcome.paired, r.outcome.over_limit), (3, 0));
}

/// Past that, the request after the one whose answer streams in is pushed
/// out: the streaming answer folds into its own request to its end (its
/// frames see it as the partial message), the pushed-out request's answer
/// is published alone when it comes, and the next answers pair with their
/// requests.
#[test]
fn past_that_the_request_after_the_streaming_one_is_pushed_out() {
    let mut r = Run::new(2);
    r.ask(1, "a");
    r.ask(2, "b");
    r.send(SV, Kind::Response, 3, "A", more(Kind::Response));
    r.ask(4, "c");
    r.ask(5, "d");
    assert_eq!((r.outcome.paired, r.outcome.over_limit), (0, 1));
    // The rest of A, in three frames, folded into a's answer.
    r.send(SV, Kind::Response, 6, "A", more(Kind::Response));
    let partial = crate::protocol::Pending::partial(&r.c, SV);
    assert_eq!(partial.map(|p| p.rows), Some(2));
    r.send(SV, Kind::Response, 7, "A", more(Kind::Response));
    r.send(SV, Kind::Response, 8, "A", shape(Kind::Response));
    r.answer(9, "B");
    r.answer(10, "C");
    r.answer(11, "D");
    let limit = "too many pending requests (limit 2)";
    assert_eq!(
        r.summary(),
        [
            (
                "b",
                "-",
                E,
                format!("{limit}: published without waiting for its response")
            ),
            ("a", "A", K, String::new()),
            ("-", "B", E, OWED.to_string()),
            ("c", "C", K, String::new()),
            ("d", "D", K, String::new()),
        ]
    );
    assert_eq!(
        r.out[1]
            .response
            .as_ref()
            .unwrap()
            .fields
            .as_ref()
            .unwrap()
            .rows,
        4
    );
    assert_eq!((r.outcome.paired, r.outcome.unmatched), (3, 1));
}

#[test]
fn keyed_responses_pair_out_of_order_and_quiet_requests_do_not_leak() {
    let mut r = Run::new(10);
    r.send(
        C,
        Kind::Request,
        1,
        "noreply",
        keyed(Kind::Request, 0, Answer::Never),
    );
    assert_eq!(r.outcome.no_response, 1);
    r.send(
        C,
        Kind::Request,
        2,
        "q1",
        keyed(Kind::Request, 1, Answer::Optional),
    );
    r.send(
        C,
        Kind::Request,
        3,
        "a",
        keyed(Kind::Request, 2, Answer::Required),
    );
    r.send(
        C,
        Kind::Request,
        4,
        "b",
        keyed(Kind::Request, 3, Answer::Required),
    );
    r.send(
        SV,
        Kind::Response,
        5,
        "B",
        keyed(Kind::Response, 3, Answer::Required),
    );
    r.send(
        SV,
        Kind::Response,
        6,
        "A",
        keyed(Kind::Response, 2, Answer::Required),
    );
    r.send(
        SV,
        Kind::Response,
        7,
        "?",
        keyed(Kind::Response, 9, Answer::Required),
    );
    assert_eq!(
        r.pairs(),
        [
            ("noreply", "-", K),
            ("q1", "-", K),
            ("b", "B", K),
            ("a", "A", K),
            ("-", "?", E),
        ]
    );
    assert_eq!(r.c.len(), 0);
}

#[test]
fn only_quiet_requests_older_than_the_answered_one_are_released() {
    let mut r = Run::new(10);
    r.send(
        C,
        Kind::Request,
        1,
        "q1",
        keyed(Kind::Request, 1, Answer::Optional),
    );
    r.send(
        C,
        Kind::Request,
        2,
        "q2",
        keyed(Kind::Request, 2, Answer::Optional),
    );
    r.send(
        C,
        Kind::Request,
        3,
        "a",
        keyed(Kind::Request, 3, Answer::Required),
    );
    r.send(
        C,
        Kind::Request,
        4,
        "q3",
        keyed(Kind::Request, 4, Answer::Optional),
    );
    r.send(
        SV,
        Kind::Response,
        5,
        "A",
        keyed(Kind::Response, 3, Answer::Required),
    );
    r.send(
        SV,
        Kind::Response,
        6,
        "Q3",
        keyed(Kind::Response, 4, Answer::Required),
    );
    assert_eq!(
        r.pairs(),
        [
            ("q1", "-", K),
            ("q2", "-", K),
            ("a", "A", K),
            ("q3", "Q3", K)
        ]
    );
}

/// The loss issue's reproduction: `>1 get` (key 1), `>- ping` (no key);
/// `<- pong`, `<1 val`. An unkeyed answer pairs with the oldest unkeyed
/// request, a keyed one with its key.
#[test]
fn keyed_and_unkeyed_requests_mix() {
    let mut r = Run::new(10);
    r.send(
        C,
        Kind::Request,
        1,
        "get",
        keyed(Kind::Request, 1, Answer::Required),
    );
    r.ask(2, "ping");
    r.answer(3, "pong");
    r.send(
        SV,
        Kind::Response,
        4,
        "val",
        keyed(Kind::Response, 1, Answer::Required),
    );
    assert_eq!(r.pairs(), [("ping", "pong", K), ("get", "val", K)]);
    assert_eq!(r.c.len(), 0);
}

#[test]
fn an_answer_of_many_frames_is_one_transaction() {
    let mut r = Run::new(10);
    r.ask(1, "select");
    r.send(SV, Kind::Response, 2, "rows", more(Kind::Response));
    r.send(SV, Kind::Response, 3, "row", more(Kind::Response));
    r.send(SV, Kind::Error, 4, "oops", more(Kind::Response));
    r.send(SV, Kind::Response, 5, "ready", shape(Kind::Response));
    assert_eq!(r.out.len(), 1);
    let t = &r.out[0];
    let response = t.response.as_ref().unwrap();
    // Four frames folded: their rows and bytes summed, the first error kept.
    assert_eq!(response.fields.as_ref().unwrap().rows, 4);
    assert_eq!(response.wire_len, (4 + 3 + 4 + 5) as u64);
    assert_eq!(response.kind, Kind::Error);
    assert_eq!(
        (response.start, response.end),
        (Timestamp::from_nanos(2), Timestamp::from_nanos(5))
    );
    assert_eq!(t.status(), E);
}

#[test]
fn an_interim_answer_waits_for_the_final_one_while_the_request_streams() {
    let mut r = Run::new(10);
    // Headers, then the interim answer, then the body, then the final
    // answer: one transaction.
    r.send(C, Kind::Request, 1, "post", more(Kind::Request));
    r.send(SV, Kind::Response, 2, "100", more(Kind::Response));
    r.send(C, Kind::Request, 3, "body", shape(Kind::Request));
    assert!(r.out.is_empty());
    r.answer(4, "201");
    assert_eq!(r.pairs(), [("body", "201", K)]);
    let t = &r.out[0];
    assert_eq!(t.request.as_ref().unwrap().fields.as_ref().unwrap().rows, 2);
    // A request answered early (a 413) is published once it ends.
    r.send(C, Kind::Request, 5, "put", more(Kind::Request));
    r.send(SV, Kind::Error, 6, "413", shape(Kind::Error));
    assert_eq!(r.out.len(), 1);
    r.send(C, Kind::Request, 7, "rest", shape(Kind::Request));
    assert_eq!(r.pairs()[1], ("rest", "413", E));
}

#[test]
fn greetings_and_requests_from_the_server() {
    let mut r = Run::new(10);
    r.send(SV, Kind::Greeting, 1, "hello", shape(Kind::Greeting));
    // The server asks; the client answers.
    r.send(SV, Kind::Request, 2, "publish", shape(Kind::Request));
    r.ask(3, "get");
    r.send(C, Kind::Response, 4, "puback", shape(Kind::Response));
    r.answer(5, "value");
    assert_eq!(
        r.pairs(),
        [
            ("-", "hello", K),
            ("publish", "puback", K),
            ("get", "value", K)
        ]
    );
    assert!(r.out[0].is_greeting());
    assert_eq!(r.out[1].initiator(), SV);
    assert_eq!(r.outcome.greetings, 1);
}

#[test]
fn after_loss_a_proven_answer_puts_pairing_back_in_step() {
    let mut r = Run::new(10);
    for (at, text) in [(1, "a"), (2, "b"), (3, "c"), (4, "d")] {
        r.ask(at, text);
    }
    r.answer(5, "A");
    // B's answer is lost; the stream lost its place.
    r.c.lost(SV);
    r.answer(6, "C");
    r.answer(7, "D");
    let summary = r.summary();
    assert_eq!(
        summary
            .iter()
            .map(|(a, b, s, _)| (*a, *b, *s))
            .collect::<Vec<_>>(),
        [("a", "A", K), ("b", "-", E), ("c", "C", K), ("d", "D", K)]
    );
    assert!(summary[1].3.contains("response lost in a capture gap"));
    assert_eq!(r.outcome.resynchronized, 1);
    assert_eq!(r.outcome.uncertain, 1);
}

#[test]
fn after_loss_unproven_pairings_are_flagged_until_the_connection_is_quiet() {
    let mut r = Run::new(10);
    for (at, text) in [(1, "a"), (2, "b"), (3, "c")] {
        r.ask(at, text);
    }
    // The first answer is lost; what comes proves nothing.
    r.c.lost(SV);
    r.answer(5, "?1");
    r.answer(6, "?2");
    // Quiet: the client asks again with nothing in flight.
    let out = &mut r.out;
    let o = r.c.quiet(C, &mut |t| out.push(t));
    r.outcome = r.outcome.plus(o);
    r.ask(10, "e");
    r.answer(11, "?3");
    let summary = r.summary();
    assert_eq!(
        summary
            .iter()
            .map(|(a, b, s, _)| (*a, *b, *s))
            .collect::<Vec<_>>(),
        [
            ("a", "?1", E),
            ("b", "?2", E),
            ("c", "-", E),
            ("e", "?3", K)
        ]
    );
    assert!(summary[0].3.contains("pairing uncertain after packet loss"));
    assert!(summary[2].3.contains("response lost in a capture gap"));
    assert_eq!(r.outcome.uncertain, 3);
    assert_eq!(r.outcome.resynchronized, 1);
}

#[test]
fn an_answer_cannot_answer_a_request_sent_after_it_began() {
    let mut r = Run::new(10);
    r.ask(1, "a");
    r.c.lost(SV);
    r.answer(5, "?x");
    // The next answer began before "b" was sent: it has no request.
    r.ask(8, "b");
    r.answer(6, "?y");
    assert_eq!(r.pairs(), [("a", "?x", E), ("-", "?y", E)]);
}

#[test]
fn requests_queued_before_a_request_gap_pair_as_usual() {
    let mut r = Run::new(10);
    r.ask(1, "a");
    // Requests were lost after "a": the answers to them shift the later
    // ones, but not "a"'s.
    r.c.lost(C);
    r.ask(3, "d");
    r.answer(4, "?A");
    r.answer(5, "?B");
    assert_eq!(r.pairs(), [("a", "?A", K), ("d", "?B", E)]);
}

/// A request still folding when its whole answer came (a COPY the server
/// refused) ends, complete, when the protocol says the next frame begins a
/// new message: published with its answer and no note, and the next
/// request pairs with the next answer.
#[test]
fn a_fold_ended_complete_publishes_its_request_with_its_answer() {
    let mut r = Run::new(10);
    r.send(C, Kind::Request, 1, "copy", more(Kind::Request));
    r.answer(2, "refused");
    assert!(r.out.is_empty(), "the request is not whole yet");
    let out = &mut r.out;
    let done = r.c.end_folding_complete(C, &mut |t| out.push(t));
    r.outcome = r.outcome.plus(done);
    r.ask(3, "next");
    r.answer(4, "NEXT");
    assert_eq!(
        r.summary(),
        [
            ("copy", "refused", K, String::new()),
            ("next", "NEXT", K, String::new()),
        ]
    );
    assert_eq!((r.outcome.paired, r.outcome.unmatched), (2, 0));
    assert!(!r.c.is_folding(C));
    // Nothing folding: nothing happens.
    let done =
        r.c.end_folding_complete(C, &mut |_| panic!("nothing to publish"));
    assert_eq!(done.paired, 0);
}
