//! The Redis analyzer on every capture the project recorded from a real
//! redis-server (`redis/data/`, see its README): the exact transactions.

use analyzer_core::replay::{replay_file, Replay};
use analyzer_core::Config;
use redis::RedisMessage;
use serde_json::Value;

fn replay_with(name: &str, config: Config) -> Replay {
    let path = format!("{}/data/{name}", env!("CARGO_MANIFEST_DIR"));
    replay_file::<RedisMessage>(&path, config).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn replay(name: &str) -> Replay {
    let run = replay_with(name, Config::default());
    let c = &run.counters;
    assert_eq!(
        (c.gaps, c.messages_unparsed, c.messages_too_long),
        (0, 0, 0),
        "{name}: {c:?}"
    );
    assert_eq!(
        (c.responses_unmatched, c.requests_unanswered),
        (0, 0),
        "{name}: {c:?}"
    );
    assert_eq!(c.connections_opened, 1, "{name}");
    for e in &run.events {
        assert_eq!(e["type"], "redis");
        assert_eq!(e["destination"]["port"], 6379);
        assert!(
            e["event"]["duration"].as_u64().is_some(),
            "{name}: answered"
        );
        let action = format!("redis.{}", e["method"].as_str().unwrap().to_lowercase());
        assert_eq!(e["event"]["action"], action.as_str());
        assert!(e.get("error").is_none(), "{name}: no notes: {e}");
    }
    run
}

/// One transaction: `status METHOD resource "query" (bytes) -> reply (bytes)`,
/// the reply being `redis.return_value`, or `!` and `redis.error`.
fn line(e: &Value) -> String {
    let reply = match (&e["redis"]["return_value"], &e["redis"]["error"]) {
        (Value::String(v), Value::Null) => v.clone(),
        (Value::Null, Value::String(err)) => format!("!{err}"),
        other => panic!("neither return_value nor error: {other:?}"),
    };
    format!(
        "{} {} {} {:?}({}) -> {reply}({})",
        e["status"].as_str().unwrap(),
        e["method"].as_str().unwrap(),
        e["resource"].as_str().unwrap_or("-"),
        e["query"].as_str().unwrap(),
        e["source"]["bytes"],
        e["destination"]["bytes"],
    )
}

fn lines(run: &Replay) -> Vec<String> {
    run.events.iter().map(line).collect()
}

#[test]
fn pipelined() {
    let run = replay("pipelined.pcap");
    assert_eq!(
        lines(&run),
        [
            r#"OK SET k1 "SET k1 v1"(29) -> OK(5)"#,
            r#"OK SET k2 "SET k2 v2"(29) -> OK(5)"#,
            r#"OK GET k1 "GET k1"(21) -> v1(8)"#,
            r#"OK INCR counter "INCR counter"(27) -> 1(4)"#,
            r#"OK DEL k1 "DEL k1 k2"(29) -> 2(4)"#,
        ]
    );
    // The five commands share one segment, and so do the five replies.
    let times = |field: &str| {
        run.events
            .iter()
            .map(|e| e["event"][field].clone())
            .collect::<Vec<_>>()
    };
    assert!(times("start").windows(2).all(|w| w[0] == w[1]));
    assert!(times("end").windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn big_values_span_many_segments() {
    let run = replay("big.pcap");
    let mut got = lines(&run);
    let big = "0123456789".repeat(20_000);
    let mid = format!("SET mid {}", "x".repeat(5000));
    assert_eq!(
        got[1],
        format!(r#"OK GET big "GET big"(22) -> {big}(200011)"#)
    );
    assert_eq!(got[2], format!(r#"OK SET mid {mid:?}(5031) -> OK(5)"#));
    got.drain(1..3);
    let script = "return redis.call('SET', KEYS[1], string.rep('0123456789', 20000))";
    assert_eq!(
        got,
        [
            format!(r#"OK EVAL {script} "EVAL {script} 1 big"(103) -> OK(5)"#),
            r#"OK STRLEN mid "STRLEN mid"(25) -> 5000(7)"#.to_string(),
        ]
    );
    // The reply took 139 segments: it ends with the last one.
    assert!(run.events[1]["event"]["end"] != run.events[1]["event"]["start"]);
}

#[test]
fn a_reply_over_the_size_limit_is_skipped_exactly() {
    let mut config = Config::default();
    config.max_message_size = 100_000;
    let run = replay_with("big.pcap", config);
    let get = &run.events[1];
    assert_eq!(get["status"], "Error");
    assert_eq!(
        (&get["method"], &get["destination"]["bytes"]),
        (&"GET".into(), &200011.into())
    );
    assert_eq!(
        get["error"]["message"],
        "response of 200011 bytes exceeds the maximum message size (100000 bytes): not analyzed"
    );
    assert!(get.get("redis").is_none());
    // Its length was known from its header: the stream keeps its place.
    let rest: Vec<String> = run.events[2..].iter().map(line).collect();
    assert_eq!(rest.len(), 2);
    assert!(rest[0].starts_with("OK SET mid "));
    assert_eq!(rest[1], r#"OK STRLEN mid "STRLEN mid"(25) -> 5000(7)"#);
    assert_eq!(run.counters.messages_too_long, 1);
}

#[test]
fn nil_and_error_replies() {
    let run = replay("errors.pcap");
    assert_eq!(
        lines(&run),
        [
            r#"OK GET missing "GET missing"(26) -> nil(5)"#,
            r#"OK SET str "SET str text"(32) -> OK(5)"#,
            r#"Error LLEN str "LLEN str"(23) -> !WRONGTYPE Operation against a key holding the wrong kind of value(68)"#,
            r#"Error FOOBAR x "FOOBAR x"(23) -> !ERR unknown command 'FOOBAR', with args beginning with: 'x' (63)"#,
            r#"OK LINDEX nolist "LINDEX nolist 0"(35) -> nil(5)"#,
        ]
    );
}

#[test]
fn multi_exec() {
    let run = replay("multi.pcap");
    assert_eq!(
        lines(&run),
        [
            r#"OK MULTI - "MULTI"(15) -> OK(5)"#,
            r#"OK SET a "SET a 1"(27) -> QUEUED(9)"#,
            r#"OK INCR a "INCR a"(21) -> QUEUED(9)"#,
            r#"OK LPUSH a "LPUSH a x"(29) -> QUEUED(9)"#,
            r#"OK LRANGE nolist "LRANGE nolist 0 -1"(43) -> QUEUED(9)"#,
            // An error inside EXEC's reply is a value, as in Packetbeat.
            r#"OK EXEC - "EXEC"(14) -> [OK, 2, WRONGTYPE Operation against a key holding the wrong kind of value, []](85)"#,
        ]
    );
    assert!(run.events[0].get("resource").is_none());
}

#[test]
fn binary_value_with_crlf_and_end() {
    let run = replay("binary.pcap");
    let value = "bin\r\nEND\r\n\u{0}\u{fffd}$3\r\nEND\r\n";
    assert_eq!(
        lines(&run),
        [
            format!(
                r#"OK SET bin {:?}(50) -> OK(5)"#,
                format!("SET bin {value}")
            ),
            format!(r#"OK GET bin "GET bin"(22) -> {value}(28)"#),
        ]
    );
}

#[test]
fn inline_commands() {
    let run = replay("inline.pcap");
    assert_eq!(
        lines(&run),
        [
            r#"OK PING - "PING"(6) -> PONG(7)"#,
            r#"OK SET inl "SET inl hello"(15) -> OK(5)"#,
            r#"OK GET inl "GET inl"(9) -> hello(11)"#,
        ]
    );
}

#[test]
fn resp3_types() {
    let run = replay("resp3.pcap");
    assert_eq!(
        lines(&run),
        [
            r#"OK HELLO 3 "HELLO 3"(22) -> {server: redis, version: 7.0.15, proto: 3, id: 17, mode: standalone, role: master, modules: []}(146)"#,
            r#"OK HSET h "HSET h f1 v1 f2 v2"(53) -> 2(4)"#,
            r#"OK HGETALL h "HGETALL h"(24) -> {f1: v1, f2: v2}(36)"#,
            r#"OK SADD s "SADD s m"(28) -> 1(4)"#,
            r#"OK SMEMBERS s "SMEMBERS s"(25) -> [m](11)"#,
            r#"OK ZADD z "ZADD z 1.5 m"(37) -> 1(4)"#,
            r#"OK ZSCORE z "ZSCORE z m"(30) -> 1.5(6)"#,
            r#"OK GET missing "GET missing"(26) -> nil(3)"#,
        ]
    );
}

#[test]
fn raw_messages_only_when_asked() {
    let mut config = Config::default();
    config.send_request = true;
    config.send_response = true;
    let run = replay_with("inline.pcap", config);
    assert_eq!(run.events[0]["request"], "PING\r\n");
    assert_eq!(run.events[0]["response"], "+PONG\r\n");
    assert!(replay("inline.pcap").events[0].get("request").is_none());
}
