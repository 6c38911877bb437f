//! HTTP framing and pairing on synthetic conversations (TCP packets built
//! by hand, through the whole engine): what a response's request changes,
//! interim answers, bodies split anywhere, garbage, upgrades and the opt-in
//! fields.

#[path = "../../tests/tests/hostile/mod.rs"]
mod hostile;

use analyzer_core::{Config, Counters};
use hostile::{feed_packets, Conn, ACK, T0};
use http::HttpMessage;
use serde_json::{json, Value};

/// One connection to port 80: the handshake, then each flight (from the
/// client, or from the server) as one segment, then the close.
fn conversation(flights: &[(bool, &[u8])]) -> Vec<(u64, Vec<u8>)> {
    let mut c = Conn::new(7, 80);
    let mut packets = c.handshake();
    for &(from_server, bytes) in flights {
        packets.push(c.eth(from_server, ACK, bytes));
    }
    packets.extend(c.close());
    packets
        .into_iter()
        .enumerate()
        .map(|(i, p)| (T0 + i as u64 * 1000, p))
        .collect()
}

fn run(config: Config, flights: &[(bool, &[u8])]) -> (Vec<Value>, Counters) {
    let (events, counters) = feed_packets::<HttpMessage>(config, conversation(flights));
    counters.check_accounting().unwrap();
    (events, counters)
}

/// `status path code body-bytes [notes]`.
fn lines(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let resp = &e["http"]["response"];
            format!(
                "{} {} {} {} [{}]",
                e["status"].as_str().unwrap(),
                e["url"]["path"].as_str().unwrap_or("-"),
                resp["status_code"]
                    .as_u64()
                    .map_or("-".into(), |c| c.to_string()),
                resp["body"]["bytes"]
                    .as_u64()
                    .map_or("-".into(), |c| c.to_string()),
                e["error"]["message"].as_str().unwrap_or(""),
            )
        })
        .collect()
}

const CLIENT: bool = false;
const SERVER: bool = true;

#[test]
fn a_pipelined_head_response_has_no_body_and_the_next_keeps_its_own() {
    let (events, _) = run(
        Config::default(),
        &[
            (CLIENT, b"HEAD /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
            (
                SERVER,
                b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            ),
        ],
    );
    assert_eq!(lines(&events), ["OK /a 200 0 []", "OK /b 200 5 []"]);
}

#[test]
fn no_body_after_204_and_304_nor_in_a_request_without_length() {
    let (events, _) = run(
        Config::default(),
        &[
            (CLIENT, b"DELETE /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n"),
            (
                SERVER,
                b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            ),
        ],
    );
    assert_eq!(
        lines(&events),
        ["OK /a 204 0 []", "OK /b 304 0 []", "OK /c 200 2 []"]
    );
}

#[test]
fn interim_answers_fold_into_the_final_one() {
    let interim =
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n";
    let last = b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!";
    let (events, counters) = run(
        Config::default(),
        &[
            (
                CLIENT,
                b"PUT /f HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
            ),
            (SERVER, interim),
            (CLIENT, b"data"),
            (SERVER, last),
        ],
    );
    assert_eq!(lines(&events), ["Error /f 404 3 []"]);
    let e = &events[0];
    assert_eq!(e["http"]["response"]["bytes"], last.len());
    assert_eq!(e["destination"]["bytes"], interim.len() + last.len());
    assert_eq!(e["http"]["request"]["body"]["bytes"], 4);
    assert_eq!((counters.requests, counters.responses), (1, 1));
}

#[test]
fn a_chunked_body_one_byte_per_segment() {
    let body = b"4\r\nabcd\r\n10;ext=1\r\n0123456789abcdef\r\n0\r\nX-Sum: 9\r\n\r\n";
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    let mut flights: Vec<(bool, &[u8])> = vec![
        (CLIENT, b"GET /c HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\n\r\n"),
        (SERVER, head),
    ];
    flights.extend(body.chunks(1).map(|b| (SERVER, b)));
    flights.push((SERVER, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    let (events, _) = run(Config::default(), &flights);
    assert_eq!(lines(&events), ["OK /c 200 20 []", "OK /d 200 0 []"]);
    assert_eq!(
        events[0]["http"]["response"]["bytes"],
        head.len() + body.len()
    );
}

#[test]
fn a_request_head_split_at_every_byte() {
    let request = b"POST /p?q=1 HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 3\r\n\r\nabc";
    let mut flights: Vec<(bool, &[u8])> = request.chunks(1).map(|b| (CLIENT, b)).collect();
    flights.push((SERVER, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"));
    let (events, _) = run(Config::default(), &flights);
    assert_eq!(lines(&events), ["OK /p 201 0 []"]);
    let e = &events[0];
    assert_eq!(e["url"]["full"], "http://example.com:8080/p?q=1");
    assert_eq!(e["url"]["port"], 8080);
    assert_eq!(e["http"]["request"]["bytes"], request.len());
}

#[test]
fn garbage_between_requests_is_noted_and_the_next_request_analyzed() {
    let (events, counters) = run(
        Config::default(),
        &[
            (CLIENT, b"GET /a HTTP/1.1\r\n\r\n"),
            (SERVER, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            (CLIENT, b"\x00\x01binary junk\r\n\r\n"),
            (
                SERVER,
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
            ),
            (CLIENT, b"GET /b HTTP/1.1\r\n\r\n"),
            (SERVER, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"),
        ],
    );
    assert_eq!(
        lines(&events),
        [
            "OK /a 200 0 []",
            "Error - 400 0 [unparseable request: not an HTTP request line]",
            "OK /b 200 1 []",
        ]
    );
    assert_eq!(counters.messages_unparsed, 1);
}

#[test]
fn a_head_too_long_is_skipped_and_framing_resumes_at_the_next_status_line() {
    let mut long = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..2000 {
        long.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "v".repeat(40)).as_bytes());
    }
    long.extend_from_slice(b"\r\n");
    let mut flights: Vec<(bool, &[u8])> =
        vec![(CLIENT, b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n")];
    // Segments of 30,000 bytes: an IPv4 packet holds at most 65,535.
    flights.extend(long.chunks(30_000).map(|c| (SERVER, c)));
    flights.push((SERVER, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    let (events, counters) = run(Config::default(), &flights);
    let lines = lines(&events);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[0].starts_with(
            "Error /a - - [unparseable response: response head longer than 65536 bytes"
        ),
        "{lines:#?}"
    );
    assert_eq!(lines[1], "OK /b 200 2 []");
    assert_eq!(counters.messages_unparsed, 1);
}

#[test]
fn an_upgrade_to_http2_stops_the_analysis() {
    let (events, counters) = run(
        Config::default(),
        &[
            (CLIENT, b"GET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n"),
            (SERVER, b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n\x00\x00\x12\x04"),
            (CLIENT, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        ],
    );
    assert_eq!(lines(&events), ["OK / 101 0 []"]);
    assert_eq!(counters.connections_not_followed, 1);
    assert_eq!(counters.bytes_not_analyzed, 4 + 24);
}

#[test]
fn headers_and_bodies_when_asked() {
    let mut config = Config::default();
    config.options = json!({
        "send_headers": ["host", "X-Request-Id"],
        "include_body_for": ["text/"],
        "max_body_bytes": 8,
    })
    .into();
    let (events, _) = run(
        config,
        &[
            (
                CLIENT,
                b"POST /p HTTP/1.1\r\nHost: h\r\nX-Request-Id: 1\r\nx-request-id: 2\r\nCookie: secret\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
            ),
            (
                SERVER,
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            ),
        ],
    );
    let http = &events[0]["http"];
    assert_eq!(
        http["request"]["headers"],
        json!({"host": "h", "x-request-id": "1, 2"})
    );
    assert_eq!(
        http["request"]["body"],
        json!({"bytes": 11, "content": "hello wo"})
    );
    // Not a text/ type: its body is not kept.
    assert_eq!(http["response"]["body"], json!({"bytes": 2}));
    assert!(http["response"].get("headers").is_none());
}

#[test]
fn a_chunked_body_kept_is_decoded() {
    let mut config = Config::default();
    config.options = json!({"include_response_body_for": ["*"]}).into();
    let (events, _) = run(
        config,
        &[
            (CLIENT, b"GET / HTTP/1.1\r\n\r\n"),
            (
                SERVER,
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
            ),
            (SERVER, b"2\r\nde\r\n0\r\n\r\n"),
        ],
    );
    assert_eq!(
        events[0]["http"]["response"]["body"],
        json!({"bytes": 5, "content": "abcde"})
    );
}
