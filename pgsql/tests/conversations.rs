//! Conversations the recorded captures do not hold, on synthetic
//! connections: messages the server sends unasked, pipelined queries, a
//! capture that starts mid-connection, GSSAPI encryption.

mod common;

use analyzer_core::{Config, Counters, Engine, Event};
use common::line;
use common::tcp::{complete, msg, query, ready, row, row_description, Conn};
use pgsql::PgsqlMessage;
use serde_json::Value;

fn run(
    script: impl FnOnce(&mut Conn<'_, &mut dyn FnMut(Event<PgsqlMessage>)>),
) -> (Vec<Value>, Counters) {
    let mut events = Vec::new();
    let mut sink = |e: Event<PgsqlMessage>| events.push(serde_json::to_value(&e).unwrap());
    let sink: &mut dyn FnMut(Event<PgsqlMessage>) = &mut sink;
    let mut engine = Engine::new(Config::default(), sink);
    {
        let mut conn = Conn::new(&mut engine);
        script(&mut conn);
        conn.close();
    }
    engine.finish();
    let counters = engine.counters().clone();
    drop(engine);
    counters.check_accounting().unwrap();
    (events, counters)
}

fn select_answer(rows: usize) -> Vec<u8> {
    let mut out = row_description(1);
    for i in 0..rows {
        out.extend_from_slice(&row(&[&i.to_string()]));
    }
    out.extend_from_slice(&complete(&format!("SELECT {rows}")));
    out.extend_from_slice(&ready());
    out
}

#[test]
fn a_notification_between_queries_is_published_alone_and_status_changes_nothing() {
    let (events, counters) = run(|c| {
        c.client(&query("LISTEN jobs"))
            .server(&[complete("LISTEN"), ready()].concat());
        // NOTIFY from another session; a parameter change; a notice.
        let mut notify = 4242u32.to_be_bytes().to_vec();
        notify.extend_from_slice(b"jobs\0job 17 done\0");
        c.server(&msg(b'A', &notify))
            .server(&msg(b'S', b"TimeZone\0UTC\0"))
            .server(&msg(b'N', b"SNOTICE\0C00000\0Mhello\0\0"));
        c.client(&query("SELECT 1")).server(&select_answer(1));
    });
    let lines: Vec<String> = events.iter().map(line).collect();
    assert_eq!(
        lines,
        [
            "OK LISTEN jobs | LISTEN | 0 | 0 | - | 17 / 18",
            "OK job 17 done | NOTIFY | - | - | - | - / 26",
            "OK SELECT 1 | SELECT | 1 | 1 | - | 14 / 60",
        ]
    );
    assert_eq!(events[1]["resource"], "jobs");
    assert_eq!(counters.greetings, 1);
    assert_eq!(counters.messages_not_published, 2);
}

#[test]
fn pipelined_queries_pair_in_order() {
    let (events, _) = run(|c| {
        c.client(&[query("SELECT a"), query("SELECT b"), query("SELEC c")].concat());
        let error = msg(b'E', b"SERROR\0C42601\0Msyntax error\0\0");
        c.server(&[select_answer(2), select_answer(3)].concat()[..30])
            .server(&[select_answer(2), select_answer(3)].concat()[30..])
            .server(&[error, ready()].concat());
    });
    let lines: Vec<String> = events.iter().map(line).collect();
    assert_eq!(
        lines,
        [
            "OK SELECT a | SELECT | 1 | 2 | - | 14 / 72",
            "OK SELECT b | SELECT | 1 | 3 | - | 14 / 84",
            "Error SELEC c | SELEC | 0 | 0 | 42601 syntax error | 13 / 40",
        ]
    );
}

#[test]
fn an_answer_whose_query_was_not_captured_is_one_event() {
    // The capture starts after the query: its rows, then the next query.
    let (events, counters) = run(|c| {
        c.server(&select_answer(50)[40..]);
        c.client(&query("SELECT 2")).server(&select_answer(1));
    });
    let lines: Vec<String> = events.iter().map(line).collect();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].starts_with("Error - | - | 0 | "), "{}", lines[0]);
    assert!(
        lines[0].ends_with("[response without a request]"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1], "OK SELECT 2 | SELECT | 1 | 1 | - | 14 / 60");
    assert_eq!(counters.responses_unmatched, 1);
}

#[test]
fn a_fatal_error_sent_unasked_is_published() {
    let (events, _) = run(|c| {
        c.server(&msg(
            b'E',
            b"SFATAL\0C57P01\0Mterminating connection due to administrator command\0\0",
        ));
    });
    assert_eq!(
        events.iter().map(line).collect::<Vec<_>>(),
        ["Error - | - | 0 | 0 | 57P01 terminating connection due to administrator command | - / 73 [response without a request]"]
    );
}

#[test]
fn gssapi_encryption_accepted_stops_the_analysis() {
    let (events, counters) = run(|c| {
        c.client(b"\0\0\0\x08\x04\xd2\x16\x30")
            .server(b"G")
            .client(b"\x60\x82 opaque GSSAPI token");
    });
    assert!(events.is_empty());
    assert_eq!(counters.connections_not_followed, 1);
    assert_eq!(counters.bytes_not_analyzed, 22);
}

/// `COPY missing FROM STDIN`, refused by the server before it starts: an
/// ErrorResponse (42P01) and ReadyForQuery, no CopyInResponse.
fn refused_copy(c: &mut Conn<'_, &mut dyn FnMut(Event<PgsqlMessage>)>) {
    c.client(&query("COPY missing FROM STDIN"));
    let error = msg(
        b'E',
        b"SERROR\0C42P01\0Mrelation \"missing\" does not exist\0\0",
    );
    c.server(&[error, ready()].concat());
}

#[test]
fn a_copy_from_stdin_refused_before_it_starts_ends_before_the_next_query() {
    // The server refuses the COPY before it starts: no CopyInResponse, so
    // the client sends no data and goes on with its next query. That query
    // is not copy data: the COPY's request ends before it, and it pairs
    // with its own answer.
    let (events, counters) = run(|c| {
        refused_copy(c);
        c.client(&query("SELECT 1")).server(&select_answer(1));
    });
    let lines: Vec<String> = events.iter().map(line).collect();
    assert_eq!(
        lines,
        [
            "Error COPY missing FROM STDIN | COPY | 0 | 0 | 42P01 relation \"missing\" does not exist | 29 / 61",
            "OK SELECT 1 | SELECT | 1 | 1 | - | 14 / 60",
        ],
        "{lines:#?}"
    );
    assert_eq!(counters.responses_unmatched, 0);
    assert_eq!(counters.transactions_answered, 2);
}

#[test]
fn a_terminate_after_a_refused_copy_is_no_request() {
    // A script whose last statement is a COPY the server refuses: the
    // client's Terminate ends the COPY and, as ever, makes no transaction.
    let (events, counters) = run(|c| {
        refused_copy(c);
        c.client(&msg(b'X', b""));
    });
    let lines: Vec<String> = events.iter().map(line).collect();
    assert_eq!(
        lines,
        ["Error COPY missing FROM STDIN | COPY | 0 | 0 | 42P01 relation \"missing\" does not exist | 29 / 61"],
        "{lines:#?}"
    );
    assert_eq!(counters.requests, 1);
    assert_eq!(counters.requests_unanswered, 0);
    assert_eq!(counters.messages_not_published, 1);
}

#[test]
fn a_copy_of_a_prepared_statement_goes_on_past_its_sync() {
    // `cp` prepared first (Parse, Sync), then bound and executed alone:
    // Bind, Execute, Sync, then the copy data, CopyDone and a second Sync.
    let (events, counters) = run(|c| {
        c.client(
            &[
                msg(b'P', b"cp\0COPY items FROM STDIN\0\0\0"),
                msg(b'S', b""),
            ]
            .concat(),
        )
        .server(&[msg(b'1', b""), ready()].concat());
        let execute = [
            msg(b'B', b"\0cp\0\0\0\0\0\0\0"),
            msg(b'E', b"\0\0\0\0\0"),
            msg(b'S', b""),
        ]
        .concat();
        c.client(&execute)
            .server(&[msg(b'2', b""), msg(b'G', b"\0\0\x01\0\0")].concat());
        let data = [
            msg(b'd', b"1\tapple\t0.50\n"),
            msg(b'c', b""),
            msg(b'S', b""),
        ]
        .concat();
        c.client(&data)
            .server(&[complete("COPY 1"), ready()].concat());
        c.client(&query("SELECT 1")).server(&select_answer(1));
        assert_eq!(execute.len() + data.len(), 15 + 10 + 5 + 18 + 5 + 5);
    });
    let lines: Vec<String> = events.iter().map(line).collect();
    assert_eq!(
        lines,
        [
            "OK COPY items FROM STDIN | COPY | 0 | 0 | - | 37 / 11",
            // Bind, Execute, Sync (30 bytes) and the data, CopyDone, Sync
            // (28); BindComplete, CopyInResponse, CommandComplete,
            // ReadyForQuery.
            "OK COPY items FROM STDIN | COPY | 0 | 0 | - | 58 / 33",
            "OK SELECT 1 | SELECT | 1 | 1 | - | 14 / 60",
        ]
    );
    assert_eq!(counters.requests_unanswered, 0);
}
