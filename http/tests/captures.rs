//! The HTTP analyzer on every capture the project recorded from real
//! servers and clients (`http/data/`, see its README): the exact
//! transactions listed there, each capture's events against its golden
//! file (`tests/golden/`, `UPDATE_GOLDEN=1` rewrites them), and the
//! counters' accounting.

use analyzer_core::replay::{assert_golden, replay_file, Replay};
use analyzer_core::Config;
use http::HttpMessage;
use serde_json::Value;

fn replay_with(name: &str, config: Config) -> Replay {
    let path = format!("{}/data/{name}.pcap", env!("CARGO_MANIFEST_DIR"));
    let run = replay_file::<HttpMessage>(&path, config).unwrap_or_else(|e| panic!("{path}: {e}"));
    run.counters
        .check_accounting()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    run
}

/// Replays `name`, checks its golden events, and returns its transactions
/// as the README's table rows.
fn rows(name: &str) -> (Replay, Vec<String>) {
    let run = replay_with(name, Config::default());
    let golden = format!("{}/tests/golden/{name}.json", env!("CARGO_MANIFEST_DIR"));
    assert_golden(&run.events, golden);
    let rows = run.events.iter().map(row).collect();
    (run, rows)
}

/// `METHOD target code phrase req/body resp/body type status`, as the
/// README's tables (`-` for what is absent).
fn row(e: &Value) -> String {
    let http = &e["http"];
    let (req, resp) = (&http["request"], &http["response"]);
    let text = |v: &Value| v.as_str().map_or("-".to_owned(), str::to_owned);
    let num = |v: &Value| v.as_u64().map_or("-".to_owned(), |n| n.to_string());
    let target = match (&e["url"]["path"], &e["url"]["query"]) {
        (Value::String(p), Value::String(q)) => format!("{p}?{q}"),
        (Value::String(p), _) => p.clone(),
        _ => text(&e["url"]["domain"]),
    };
    format!(
        "{} {} {} {} {}/{} {}/{} {} {}",
        text(&req["method"]),
        target,
        num(&resp["status_code"]),
        text(&resp["status_phrase"]),
        num(&req["bytes"]),
        num(&req["body"]["bytes"]),
        num(&resp["bytes"]),
        num(&resp["body"]["bytes"]),
        text(&resp["mime_type"]),
        text(&e["status"]),
    )
}

/// Nothing unusual happened: no note, every request answered, one
/// connection.
fn clean(name: &str, run: &Replay) {
    let c = &run.counters;
    assert_eq!(
        (
            c.gaps,
            c.messages_unparsed,
            c.messages_too_long,
            c.messages_cut_short
        ),
        (0, 0, 0, 0),
        "{name}: {c:?}"
    );
    assert_eq!(
        (c.responses_unmatched, c.requests_unanswered),
        (0, 0),
        "{name}: {c:?}"
    );
    for e in &run.events {
        assert_eq!(e["type"], "http");
        assert!(e.get("error").is_none(), "{name}: no notes: {e}");
        assert!(
            e["event"]["duration"].as_u64().is_some(),
            "{name}: answered"
        );
        assert_eq!(e["http"]["version"], "1.1", "{name}");
        assert_eq!(e["method"], e["http"]["request"]["method"], "{name}");
    }
}

fn check(name: &str, want: &[&str]) -> Replay {
    let (run, got) = rows(name);
    assert_eq!(got, want, "{name}");
    clean(name, &run);
    run
}

#[test]
fn get() {
    let run = check(
        "get",
        &["GET /index.html?lang=en&page=1 200 ok 98/0 395/158 text/html OK"],
    );
    let e = &run.events[0];
    assert_eq!(
        e["url"]["full"],
        "http://127.0.0.1/index.html?lang=en&page=1"
    );
    assert_eq!(e["url"]["domain"], "127.0.0.1");
    assert!(e["url"].get("port").is_none(), "port 80 is omitted");
    assert_eq!(e["query"], "GET /index.html");
    assert_eq!(e["user_agent"]["original"], "curl/7.88.1");
    assert_eq!(e["event"]["action"], "http.get");
}

#[test]
fn keepalive() {
    let run = check(
        "keepalive",
        &[
            "GET /a.txt 200 ok 78/0 242/7 text/plain OK",
            "GET /b.txt 200 ok 78/0 261/24 text/plain OK",
            "GET /c.txt 200 ok 78/0 242/7 text/plain OK",
        ],
    );
    assert_eq!(run.counters.connections_opened, 1);
}

#[test]
fn pipelined() {
    let run = check(
        "pipelined",
        &[
            "GET /a.txt 200 ok 72/0 242/7 text/plain OK",
            "GET /b.txt 200 ok 72/0 261/24 text/plain OK",
            "GET /c.txt 200 ok 72/0 242/7 text/plain OK",
        ],
    );
    // The three requests share one segment.
    let starts: Vec<_> = run.events.iter().map(|e| &e["event"]["start"]).collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(
        run.events[0]["user_agent"]["original"],
        "capture-client/1.0"
    );
}

#[test]
fn head_has_no_body_whatever_its_content_length() {
    check("head", &["HEAD /index.html 200 ok 84/0 237/0 text/html OK"]);
}

#[test]
fn errors() {
    let (run, got) = rows("errors");
    assert_eq!(
        got,
        [
            "GET /missing.html 404 not found 85/0 308/153 text/html Error",
            "GET /error 500 internal server error 78/0 339/177 text/html Error",
            "POST /index.html 405 not allowed 155/3 314/157 text/html Error",
        ]
    );
    assert_eq!(run.counters.connections_opened, 2);
    // Error by status code only: nothing else went wrong.
    assert!(run.events.iter().all(|e| e.get("error").is_none()));
    assert_eq!(
        run.events[2]["http"]["request"]["mime_type"],
        "application/x-www-form-urlencoded"
    );
}

#[test]
fn post() {
    let run = check("post", &["POST /upload 200 ok 177/23 148/18 text/plain OK"]);
    assert_eq!(run.events[0]["url"]["port"], 8000);
    assert_eq!(run.events[0]["url"]["full"], "http://127.0.0.1:8000/upload");
}

#[test]
fn expect_continue_is_one_transaction_with_the_final_status() {
    let run = check(
        "expect-continue",
        &["POST /upload 200 ok 4412/4234 150/20 text/plain OK"],
    );
    // The server sent 25 bytes of `100 Continue`, then the final 150.
    assert_eq!(run.events[0]["destination"]["bytes"], 175);
    assert_eq!(run.events[0]["source"]["bytes"], 4412);
}

#[test]
fn chunked_response_ends_with_its_trailer() {
    let run = check(
        "chunked-response",
        &["GET /chunked 200 ok 85/0 271/45 text/plain OK"],
    );
    // Not at the close: the response ends with the trailer's empty line.
    let c = &run.counters;
    assert_eq!((c.transactions_answered, c.messages_cut_short), (1, 0));
}

#[test]
fn chunked_request() {
    check(
        "chunked-request",
        &["POST /upload 200 ok 494/320 149/19 text/plain OK"],
    );
}

#[test]
fn close_delimited_response_ends_at_the_servers_fin() {
    let run = check(
        "close-delimited",
        &["GET /stream 200 ok 84/0 141/96 text/plain OK"],
    );
    // The response (HTTP/1.0) ends with the FIN, the last server packet.
    assert_eq!(run.events[0]["http"]["version"], "1.1");
}

#[test]
fn no_content() {
    check(
        "no-content",
        &["GET /nocontent 204 no content 82/0 110/0 - OK"],
    );
}

#[test]
fn not_modified() {
    check(
        "not-modified",
        &[
            "GET /index.html 200 ok 83/0 395/158 text/html OK",
            "GET /index.html 304 not modified 113/0 179/0 - OK",
            "GET /index.html 304 not modified 133/0 179/0 - OK",
        ],
    );
}

#[test]
fn connection_close() {
    check(
        "connection-close",
        &["GET /index.html 200 ok 102/0 390/158 text/html OK"],
    );
}

#[test]
fn websocket_upgrade_stops_the_analysis() {
    let run = check(
        "websocket",
        &["GET /ws 101 switching protocols 187/0 194/0 - OK"],
    );
    let c = &run.counters;
    assert_eq!(c.connections_not_followed, 1);
    // 26 client bytes, 32 server bytes of WebSocket frames.
    assert_eq!(c.bytes_not_analyzed, 58);
    assert_eq!((c.requests, c.responses), (1, 1));
}

#[test]
fn connect_tunnel_is_not_analyzed() {
    let run = check(
        "connect",
        &["CONNECT 127.0.0.1 200 connection established 108/0 104/0 - OK"],
    );
    let e = &run.events[0];
    assert_eq!(e["url"]["domain"], "127.0.0.1");
    assert!(e["url"].get("port").is_none());
    assert_eq!(e["query"], "CONNECT 127.0.0.1:80");
    let c = &run.counters;
    assert_eq!(c.connections_not_followed, 1);
    // curl's GET (83 bytes) and nginx's 200 (395) inside the tunnel.
    assert_eq!(c.bytes_not_analyzed, 83 + 395);
}

#[test]
fn large_body_in_many_segments() {
    check(
        "large",
        &["GET /large.bin 200 ok 82/0 2097412/2097152 application/octet-stream OK"],
    );
}

#[test]
fn ipv6() {
    let run = check(
        "ipv6",
        &["GET /index.html 200 ok 79/0 395/158 text/html OK"],
    );
    let e = &run.events[0];
    assert_eq!(e["network"]["type"], "ipv6");
    assert_eq!(e["source"]["ip"], "::1");
    assert_eq!(e["url"]["domain"], "::1");
    assert_eq!(e["url"]["full"], "http://[::1]/index.html");
}

#[test]
fn simple_server_http_1_0() {
    let run = check(
        "simple-server",
        &["GET /index.html 200 ok 88/0 344/158 text/html OK"],
    );
    assert_eq!(run.events[0]["url"]["port"], 8080);
}

#[test]
fn http_0_9_is_one_transaction_with_its_answer_up_to_the_close() {
    let (run, got) = rows("http09");
    assert_eq!(got, ["GET /index.html - - 17/0 158/158 - Error"]);
    let e = &run.events[0];
    assert_eq!(e["http"]["version"], "0.9");
    assert!(e["url"].get("full").is_none(), "no Host, no full URL");
    assert_eq!(
        e["error"]["message"],
        "HTTP/0.9 request (no version); HTTP/0.9 response (no status line, up to the close)"
    );
    let c = &run.counters;
    assert_eq!(
        (c.transactions, c.messages_unparsed, c.messages_cut_short),
        (1, 0, 0)
    );
}

#[test]
fn garbage_is_unparseable_and_pairs_with_the_400_it_got() {
    let (run, got) = rows("garbage");
    assert_eq!(got, ["- - 400 bad request -/- 309/157 text/html Error"]);
    let e = &run.events[0];
    assert_eq!(
        e["error"]["message"],
        "unparseable request: not an HTTP request line"
    );
    assert_eq!(e["source"]["bytes"], 33);
    let c = &run.counters;
    assert_eq!(
        (c.messages_unparsed, c.transactions, c.responses_unmatched),
        (1, 1, 0)
    );
}
