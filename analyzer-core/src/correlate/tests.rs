//! Unit tests of the parent module.
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
        cut: false,
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
        c.request(
            msg(Kind::Request, 1, "a"),
            vec![],
            None,
            Answer::Required,
            &mut out,
        );
        c.request(
            msg(Kind::Request, 2, "b"),
            vec![],
            None,
            Answer::Required,
            &mut out,
        );
        c.response(msg(Kind::Response, 3, "A"), vec![], None, &mut out);
        c.response(msg(Kind::Error, 4, "B"), vec![], None, &mut out);
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
            c.response(msg(Kind::Response, 1, "X"), vec![], None, &mut out)
                .unmatched,
            1
        );
        c.request(
            msg(Kind::Request, 10, "a"),
            vec![],
            None,
            Answer::Required,
            &mut out,
        );
        c.request(
            msg(Kind::Request, 20, "b"),
            vec![],
            None,
            Answer::Required,
            &mut out,
        );
        let o = c.request(
            msg(Kind::Request, 30, "c"),
            vec![],
            None,
            Answer::Required,
            &mut out,
        );
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
            (
                "c",
                "capture ended before the response".to_string(),
                Status::Error
            ),
        ]
    );
    assert_eq!(c.len(), 0);
}

#[test]
fn keyed_responses_pair_out_of_order_and_quiet_requests_do_not_leak() {
    let mut c = Correlator::new(10);
    let out = run(&mut c, |c, out| {
        let mut out = |t| out(t);
        let o = c.request(
            msg(Kind::Request, 1, "noreply"),
            vec![],
            None,
            Answer::Never,
            &mut out,
        );
        assert_eq!(o.no_response, 1);
        c.request(
            msg(Kind::Request, 2, "q1"),
            vec![],
            Some(1),
            Answer::Optional,
            &mut out,
        );
        c.request(
            msg(Kind::Request, 3, "a"),
            vec![],
            Some(2),
            Answer::Required,
            &mut out,
        );
        c.request(
            msg(Kind::Request, 4, "b"),
            vec![],
            Some(3),
            Answer::Required,
            &mut out,
        );
        c.response(msg(Kind::Response, 5, "B"), vec![], Some(3), &mut out);
        c.response(msg(Kind::Response, 6, "A"), vec![], Some(2), &mut out);
        assert_eq!(
            c.response(msg(Kind::Response, 7, "?"), vec![], Some(9), &mut out)
                .unmatched,
            1
        );
    });
    let pairs: Vec<_> = out
        .iter()
        .map(|t| {
            let f =
                |m: &Option<Message<&'static str>>| m.as_ref().map_or("-", |m| m.fields.unwrap());
            (f(&t.request), f(&t.response), t.status())
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("noreply", "-", Status::Ok),
            ("q1", "-", Status::Ok),
            ("b", "B", Status::Ok),
            ("a", "A", Status::Ok),
            ("-", "?", Status::Error),
        ]
    );
    assert_eq!(c.len(), 0);
}

#[test]
fn only_quiet_requests_older_than_the_answered_one_are_released() {
    let mut c = Correlator::new(10);
    let out = run(&mut c, |c, out| {
        let mut out = |t| out(t);
        c.request(
            msg(Kind::Request, 1, "q1"),
            vec![],
            Some(1),
            Answer::Optional,
            &mut out,
        );
        c.request(
            msg(Kind::Request, 2, "q2"),
            vec![],
            Some(2),
            Answer::Optional,
            &mut out,
        );
        c.request(
            msg(Kind::Request, 3, "a"),
            vec![],
            Some(3),
            Answer::Required,
            &mut out,
        );
        c.request(
            msg(Kind::Request, 4, "q3"),
            vec![],
            Some(4),
            Answer::Optional,
            &mut out,
        );
        c.response(msg(Kind::Response, 5, "A"), vec![], Some(3), &mut out);
        c.response(msg(Kind::Response, 6, "Q3"), vec![], Some(4), &mut out);
    });
    let got: Vec<_> = out
        .iter()
        .map(|t| {
            let f =
                |m: &Option<Message<&'static str>>| m.as_ref().map_or("-", |m| m.fields.unwrap());
            (f(&t.request), f(&t.response))
        })
        .collect();
    assert_eq!(
        got,
        vec![("q1", "-"), ("q2", "-"), ("a", "A"), ("q3", "Q3")]
    );
}
