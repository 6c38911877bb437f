//! Payloads of 16 MiB or more: packets of 0xFFFFFF bytes, each continued
//! by the next, up to a shorter (possibly empty) one. A statement that
//! long is one request, a row that long one row, each at constant memory:
//! the payload is cut into pieces, counted and let go. (One test: a
//! counting allocator measures the heap's peak.)

mod common;

use analyzer_core::decode::LinkType;
use analyzer_core::{Config, Engine, Event, Timestamp};
use common::*;
use integration_tests::PeakAlloc;
use mysql::MysqlMessage;
use serde_json::Value;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc::new();

const MAX: usize = 0xFF_FFFF;

/// The packets of a payload of any length, numbered from `seq`: packets of
/// 0xFFFFFF bytes, then one shorter (empty when the payload is a multiple
/// of 0xFFFFFF). Returns the wire bytes and the next sequence id.
fn split(seq: u8, payload: &[u8]) -> (Vec<u8>, u8) {
    let mut out = Vec::with_capacity(payload.len() + payload.len() / MAX * 4 + 4);
    let mut seq = seq;
    let mut rest = payload;
    loop {
        let n = rest.len().min(MAX);
        out.extend(packet(seq, &rest[..n]));
        seq = seq.wrapping_add(1);
        rest = &rest[n..];
        if n < MAX {
            return (out, seq);
        }
    }
}

/// Sends `bytes` in segments of at most 16 KiB.
fn send(c: &mut Conn, from_client: bool, bytes: &[u8]) {
    for segment in bytes.chunks(16 * 1024) {
        if from_client {
            c.client(segment);
        } else {
            c.server(segment);
        }
    }
}

/// Runs `c` through an engine: the events, and the heap's peak while it
/// ran, above what was held before.
fn run(c: &Conn) -> (Vec<Value>, usize) {
    let mut events = Vec::new();
    let base = HEAP.start();
    {
        let mut engine = Engine::new(Config::default(), |e: Event<MysqlMessage>| {
            events.push(serde_json::to_value(&e).unwrap())
        });
        for (ms, data) in &c.packets {
            engine.packet(Timestamp::from_nanos(ms * 1_000), LinkType::RawIp, data);
        }
        engine.finish();
        assert_eq!(engine.counters().check_accounting(), Ok(()));
    }
    let peak = HEAP.peak_above(base);
    (events, peak)
}

/// `SELECT 1` and its one-row answer, numbered as a new command.
fn select_one(c: &mut Conn) {
    c.client(&packet(0, b"\x03SELECT 1")).server(&packets(
        1,
        &[b"\x01", &column("1"), &eof(2), &lenenc(b"1"), &eof(2)],
    ));
}

fn long_statement(len: usize) -> Vec<u8> {
    let mut query = b"\x03INSERT INTO blobs VALUES ('".to_vec();
    query.resize(len - 2, b'x');
    query.extend_from_slice(b"')");
    query
}

#[test]
fn payloads_of_16_mib_or_more_are_reassembled_at_constant_memory() {
    // A 20 MiB statement (two packets), answered by an OK numbered after
    // its last packet; then a query as usual.
    let query = long_statement(20 << 20);
    let mut c = Conn::new(true);
    let (wire, next) = split(0, &query);
    assert_eq!((wire.len(), next), (query.len() + 8, 2));
    send(&mut c, true, &wire);
    c.server(&packet(next, &ok(0, 1, 7, 2)));
    select_one(&mut c);
    c.close();
    let (events, peak) = run(&c);
    let lines: Vec<String> = events.iter().map(line).collect();
    let truncated = String::from_utf8(query[1..64 * 1024].to_vec()).unwrap();
    assert_eq!(
        lines,
        [
            format!("OK INSERT {truncated} 0/0 1/7 - [a statement of 16 MiB or more: `query` holds its first 64 KiB]"),
            "OK SELECT SELECT 1 1/1 -/- -".to_string(),
        ]
    );
    assert_eq!(events[0]["client"]["bytes"], wire.len());
    assert!(
        peak < 1 << 20,
        "heap peak {peak} bytes for a 20 MiB statement"
    );

    // Exactly 0xFFFFFF bytes: an empty packet ends it.
    let query = long_statement(MAX);
    let mut c = Conn::new(true);
    let (wire, next) = split(0, &query);
    assert_eq!(&wire[wire.len() - 4..], [0, 0, 0, 1]);
    send(&mut c, true, &wire);
    c.server(&packet(next, &ok(0, 1, 0, 2)));
    select_one(&mut c);
    c.close();
    let (events, _) = run(&c);
    let statuses: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e["status"].as_str().unwrap(), e["method"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("OK", "INSERT"), ("OK", "SELECT")]);
    assert_eq!(events[0]["client"]["bytes"], MAX + 8);
    assert_eq!(events[0]["mysql"]["affected_rows"], 1);

    // A row of 17 MiB (its column's length in 8 bytes, after 0xFE: not an
    // EOF), then a short one: two rows.
    let mut c = Conn::new(true);
    c.client(&packet(0, b"\x03SELECT REPEAT('x', 17825792) AS r"));
    c.server(&packets(1, &[b"\x01", &column("r"), &eof(2)]));
    let mut row = vec![0xFE];
    row.extend_from_slice(&(17u64 << 20).to_le_bytes());
    row.resize(row.len() + (17 << 20), b'x');
    let (wire, next) = split(4, &row);
    assert_eq!(next, 6);
    let mut rest = packet(6, &lenenc(b"short"));
    rest.extend(packet(7, &eof(2)));
    send(&mut c, false, &[wire.as_slice(), &rest].concat());
    select_one(&mut c);
    c.close();
    let (events, peak) = run(&c);
    let lines: Vec<String> = events.iter().map(line).collect();
    assert_eq!(
        lines,
        [
            "OK SELECT SELECT REPEAT('x', 17825792) AS r 1/2 -/- -",
            "OK SELECT SELECT 1 1/1 -/- -"
        ]
    );
    let header = [1, column("r").len(), 5]
        .map(|n| n + 4)
        .iter()
        .sum::<usize>();
    assert_eq!(
        events[0]["server"]["bytes"],
        header + wire.len() + rest.len()
    );
    assert!(peak < 1 << 20, "heap peak {peak} bytes for a 17 MiB row");
}
