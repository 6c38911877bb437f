//! HTTP bodies of hundreds of megabytes stream through at constant memory:
//! counted as they go by, never held. Each runs in a child process
//! (`hostile::in_child`) whose peak memory must stay under a bound that
//! does not depend on the body's size.

mod hostile;

use analyzer_core::Config;
use hostile::*;
use http::HttpMessage;

/// Bytes of payload per segment.
const SEGMENT: usize = 65_000;
/// The body: 300 MiB.
const BODY: u64 = 300 << 20;

/// A connection on port 80: `GET /huge` answered by `head` and a body of
/// `BODY` bytes made by `body(sent, n)` in `SEGMENT`-byte pieces, then a
/// second request answered with a small body. Made as they are fed.
fn packets(
    head: &'static [u8],
    mut body: impl FnMut(&mut Vec<u8>) -> bool + 'static,
) -> impl Iterator<Item = (u64, Vec<u8>)> {
    let mut c = Conn::new(1, 80);
    let mut first = c.handshake();
    first.push(c.eth(false, ACK, b"GET /huge HTTP/1.1\r\nHost: h\r\n\r\n"));
    first.push(c.eth(true, ACK, head));
    let mut conn = Some(c);
    let mut chunk = Vec::with_capacity(SEGMENT);
    let rest = std::iter::from_fn(move || {
        let c = conn.as_mut()?;
        chunk.clear();
        if body(&mut chunk) {
            return Some(vec![c.eth(true, ACK, &chunk)]);
        }
        let mut c = conn.take()?;
        let mut tail = vec![
            c.eth(false, ACK, b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n"),
            c.eth(true, ACK, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        ];
        tail.extend(c.close());
        Some(tail)
    })
    .flatten();
    first
        .into_iter()
        .chain(rest)
        .enumerate()
        .map(|(i, p)| (T0 + i as u64, p))
}

/// `path status code body-bytes`.
fn summary(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                e["url"]["path"].as_str().unwrap_or("-"),
                e["status"].as_str().unwrap_or("-"),
                e["http"]["response"]["status_code"],
                e["http"]["response"]["body"]["bytes"],
            )
        })
        .collect()
}

/// What may grow while a body streams: one segment held in the stream
/// buffer (its allocation up to twice that), the frame cut from it, plus
/// the harness's slack. Nothing proportional to the body.
const BOUND: u64 = 4 * SEGMENT as u64 + (8 << 20);

/// A 300 MiB body by `Content-Length`.
#[test]
fn a_300_mib_body_by_content_length_costs_constant_memory() {
    let name = "a_300_mib_body_by_content_length_costs_constant_memory";
    let peak = in_child(name, || {
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {BODY}\r\n\r\n")
            .leak()
            .as_bytes();
        let mut sent = 0u64;
        let body = move |chunk: &mut Vec<u8>| {
            let n = (BODY - sent).min(SEGMENT as u64) as usize;
            sent += n as u64;
            chunk.resize(n, b'x');
            n > 0
        };
        let (events, counters) =
            feed_packets::<HttpMessage>(Config::default(), packets(head, body));
        assert_eq!(
            summary(&events),
            [format!("/huge OK 200 {BODY}"), "/next OK 200 2".to_owned()]
        );
        let response = &events[0]["http"]["response"];
        assert_eq!(response["bytes"], BODY + head.len() as u64);
        assert_eq!(counters.messages_too_long, 0);
        assert!(counters.check_accounting().is_ok());
    });
    assert_peak_within(name, peak, BOUND);
}

/// A 300 MiB chunked body, in chunks of 1 MiB whose size lines fall
/// anywhere in the segments.
#[test]
fn a_300_mib_chunked_body_costs_constant_memory() {
    let name = "a_300_mib_chunked_body_costs_constant_memory";
    let peak = in_child(name, || {
        const CHUNK: u64 = 1 << 20;
        let head = &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"[..];
        // The whole coded body, made on the fly.
        let mut data_sent = 0u64;
        let mut pending: Vec<u8> = Vec::new();
        let mut done = false;
        let body = move |chunk: &mut Vec<u8>| {
            while pending.len() < SEGMENT && !done {
                if data_sent < BODY {
                    pending.extend_from_slice(format!("{CHUNK:x}\r\n").as_bytes());
                    pending.resize(pending.len() + CHUNK as usize, b'y');
                    pending.extend_from_slice(b"\r\n");
                    data_sent += CHUNK;
                } else {
                    pending.extend_from_slice(b"0\r\nX-Trailer: 1\r\n\r\n");
                    done = true;
                }
            }
            let n = pending.len().min(SEGMENT);
            chunk.extend(pending.drain(..n));
            n > 0
        };
        let (events, counters) =
            feed_packets::<HttpMessage>(Config::default(), packets(head, body));
        assert_eq!(
            summary(&events),
            [format!("/huge OK 200 {BODY}"), "/next OK 200 2".to_owned()]
        );
        assert!(counters.check_accounting().is_ok());
    });
    assert_peak_within(name, peak, BOUND + (2 << 20));
}
