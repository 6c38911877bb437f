//! The analyzer on every capture recorded from PostgreSQL 15 (`pgsql/data/`,
//! see its README): exactly the transactions the README lists, then the
//! whole events against golden files (`UPDATE_GOLDEN=1` rewrites them).

mod common;

use analyzer_core::replay::{assert_golden, Replay};
use common::{golden, lines, replay};

/// Replays a capture of one clean connection: nothing unparsed, lost or
/// cut; every event is `pgsql` on port 5432; the startup phase and the
/// `Terminate` made no transaction.
fn run(name: &str) -> Replay {
    let run = replay(&format!("{name}.pcap"));
    let c = &run.counters;
    assert_eq!(
        (
            c.messages_unparsed,
            c.messages_cut_short,
            c.gaps,
            c.responses_unmatched,
            c.requests_unanswered
        ),
        (0, 0, 0, 0, 0),
        "{name}: {c:?}"
    );
    assert_eq!(
        (c.connections_opened, c.connections_closed),
        (1, 1),
        "{name}"
    );
    for e in &run.events {
        assert_eq!(e["type"], "pgsql", "{name}");
        assert_eq!(e["server"]["port"], 5432, "{name}");
        assert_eq!(e["event"]["dataset"], "pgsql", "{name}");
    }
    assert_golden(&run.events, golden(name));
    run
}

#[test]
fn md5_auth() {
    let run = run("md5-auth");
    assert_eq!(lines(&run), ["OK SELECT 1 | SELECT | 1 | 1 | - | 14 / 66"]);
    // SSLRequest, N, StartupMessage, R 5, p, R 0, 13 S, K, Z, Terminate.
    assert_eq!(run.counters.messages_not_published, 22);
    assert_eq!(run.events[0]["event"]["action"], "pgsql.select");
    assert!(run.events[0]["event"]["duration"].as_u64().unwrap() > 0);
}

#[test]
fn scram_auth() {
    let run = run("scram-auth");
    assert_eq!(
        lines(&run),
        ["OK SELECT current_user | SELECT | 1 | 1 | - | 25 / 78"]
    );
    // Three more than md5: SASLInitialResponse + SASLResponse, and
    // SASLContinue + SASLFinal instead of one MD5 request.
    assert_eq!(run.counters.messages_not_published, 25);
}

#[test]
fn simple_query() {
    let run = run("simple-query");
    assert_eq!(
        lines(&run),
        [
            "OK CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, price numeric(6,2)); | CREATE | 0 | 0 | - | 90 / 24",
            "OK INSERT INTO items VALUES (1, 'apple', 0.50); | INSERT | 0 | 0 | - | 50 / 22",
            "OK INSERT INTO items VALUES (2, 'banana', 0.25); | INSERT | 0 | 0 | - | 51 / 22",
            "OK INSERT INTO items VALUES (3, 'cherry', 3.00); | INSERT | 0 | 0 | - | 51 / 22",
            "OK SELECT id, name, price FROM items ORDER BY id; | SELECT | 3 | 3 | - | 52 / 184",
            "OK UPDATE items SET price = price * 2 WHERE id <= 2; | UPDATE | 0 | 0 | - | 55 / 20",
            "OK DELETE FROM items WHERE id = 3; | DELETE | 0 | 0 | - | 37 / 20",
        ]
    );
    assert_eq!(run.counters.transactions_answered, 7);
}

#[test]
fn select_5000_is_one_transaction() {
    let run = run("select-5000");
    assert_eq!(
        lines(&run),
        ["OK SELECT i AS id, 'row ' || i AS label FROM generate_series(1, 5000) AS i | SELECT | 2 | 5000 | - | 77 / 132861"]
    );
    assert_eq!(run.events[0]["network"]["bytes"], 77 + 132_861);
    assert_eq!(run.counters.responses, 1);
}

#[test]
fn errors() {
    let run = run("errors");
    assert_eq!(
        lines(&run),
        [
            "Error SELEC 1; | SELEC | 0 | 0 | 42601 syntax error at or near \"SELEC\" | 14 / 100",
            "Error INSERT INTO users VALUES (1, 'again'); | INSERT | 0 | 0 | 23505 duplicate key value violates unique constraint \"users_pkey\" | 44 / 187",
            "Error SELECT * FROM missing_table; | SELECT | 0 | 0 | 42P01 relation \"missing_table\" does not exist | 34 / 119",
            "OK SELECT count(*) FROM users; | SELECT | 1 | 1 | - | 33 / 63",
        ]
    );
    for e in &run.events[..3] {
        assert_eq!(e["pgsql"]["error_severity"], "ERROR");
        // The error is the answer's, not a note of the analyzer's.
        assert!(e.get("error").is_none(), "{e}");
    }
}

#[test]
fn empty_query() {
    let run = run("empty-query");
    assert_eq!(
        lines(&run),
        [
            "OK  | - | 0 | 0 | - | 6 / 11",
            "OK ; | ; | 0 | 0 | - | 7 / 11"
        ]
    );
}

#[test]
fn extended_one_transaction_per_sync() {
    let run = run("extended");
    let insert = "INSERT INTO items (id, name, price) VALUES ($1, $2, $3) | INSERT";
    assert_eq!(
        lines(&run),
        [
            format!("OK {insert} | 0 | 0 | - | 142 / 37"),
            "OK SELECT id, name, price FROM items WHERE id >= $1 ORDER BY id | SELECT | 3 | 1 | - | 118 / 134".into(),
            format!("Error {insert} | 0 | 0 | 23505 duplicate key value violates unique constraint \"items_pkey\" | 142 / 202"),
            // Parse of `_pg3_0` and Sync.
            format!("OK {insert} | 0 | 0 | - | 87 / 11"),
            // Bind of `_pg3_0`: the query from the session.
            format!("OK {insert} | 0 | 0 | - | 73 / 32"),
            format!("OK {insert} | 0 | 0 | - | 73 / 32"),
            "OK SELECT count(*) FROM items | SELECT | 1 | 1 | - | 32 / 63".into(),
        ]
    );
}

#[test]
fn copy() {
    let run = run("copy");
    assert_eq!(
        lines(&run),
        [
            // Q, CopyData, CopyDone -> CopyInResponse, CommandComplete, Z.
            "OK COPY items (id, name, price) FROM STDIN; | COPY | 0 | 0 | - | 100 / 32",
            "OK COPY items TO STDOUT; | COPY | 0 | 0 | - | 27 / 93",
            "OK COPY (SELECT id, name FROM items WHERE id < 3 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER); | COPY | 0 | 0 | - | 101 / 75",
        ]
    );
}

#[test]
fn copy_extended() {
    let run = run("copy-extended");
    assert_eq!(
        lines(&run),
        [
            // P B D E S, CopyData x2, CopyDone, S -> 1 2 n G, C Z: the
            // server ignores the first Sync while it copies.
            "OK COPY items (id, name, price) FROM STDIN | COPY | 0 | 0 | - | 146 / 47",
            "OK COPY items TO STDOUT | COPY | 0 | 0 | - | 66 / 108",
            // Refused at Execute (no CopyInResponse): the request ends
            // before the client's next message, the next request's Parse
            // (30 bytes), which begins that request.
            "Error COPY missing FROM STDIN | COPY | 0 | 0 | 42P01 relation \"missing\" does not exist | 69 / 127",
            "Error COPY items FROM STDIN | COPY | 0 | 0 | 57014 COPY from stdin failed: the client gave up | 112 / 161",
            "OK SELECT count(*) FROM items WHERE id > $1 | SELECT | 1 | 1 | - | 91 / 73",
        ]
    );
    assert_eq!(run.counters.transactions, 5);
    assert_eq!(run.counters.responses_unmatched, 0);
}

#[test]
fn copy_refused() {
    let run = run("copy-refused");
    assert_eq!(
        lines(&run),
        [
            // Refused at once (no such table): no CopyInResponse, no data.
            // The next query is not copy data: the COPY ends before it.
            "Error COPY missing FROM STDIN; | COPY | 0 | 0 | 42P01 relation \"missing\" does not exist | 30 / 112",
            "OK SELECT count(*) FROM items; | SELECT | 1 | 1 | - | 33 / 63",
        ]
    );
}

#[test]
fn ssl_accepted_stops_the_analysis() {
    let run = replay("ssl.pcap");
    assert!(run.events.is_empty(), "{:?}", run.events);
    let c = &run.counters;
    assert_eq!(c.connections_not_followed, 1);
    // The TLS bytes: 933 from the client, 2,046 from the server.
    assert_eq!(c.bytes_not_analyzed, 933 + 2046);
    // The SSLRequest and the `S`.
    assert_eq!(c.messages_not_published, 2);
    assert_eq!(
        (c.messages_unparsed, c.requests, c.responses, c.transactions),
        (0, 0, 0, 0)
    );
}
