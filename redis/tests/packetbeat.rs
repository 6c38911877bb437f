//! Conformance with Packetbeat on its own Redis captures
//! (`../shared/pcaps/packetbeat/`, not in this repository; see its README):
//! every expectation listed there. Ignored by default because a fresh clone
//! has no `../shared`; `.ci/run` runs them with `--ignored`
//! (`PACKETBEAT_PCAPS` names the directory).

use analyzer_core::replay::{packetbeat_pcap, replay_file, Replay};
use analyzer_core::Config;
use redis::RedisMessage;
use serde_json::Value;

/// Replays `name` with the server on port 6380, as Packetbeat's tests do.
fn replay(name: &str, raw: bool) -> Replay {
    let mut config = Config::default();
    config.ports = vec![6380];
    config.send_request = raw;
    config.send_response = raw;
    replay_file::<RedisMessage>(packetbeat_pcap(name), config)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `status METHOD resource "query" -> return_value` or `-> !error`.
fn line(e: &Value) -> String {
    let reply = match (&e["redis"]["return_value"], &e["redis"]["error"]) {
        (Value::String(v), Value::Null) => v.clone(),
        (Value::Null, Value::String(err)) => format!("!{err}"),
        other => panic!("neither return_value nor error: {other:?}"),
    };
    format!(
        "{} {} {} {:?} -> {reply}",
        e["status"].as_str().unwrap(),
        e["method"].as_str().unwrap(),
        e["resource"].as_str().unwrap(),
        e["query"].as_str().unwrap(),
    )
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn redis_session() {
    let run = replay("redis_session.pcap", false);
    let lines: Vec<String> = run.events.iter().map(line).collect();
    assert_eq!(
        lines,
        [
            r#"OK SET key3 "set key3 me" -> OK"#,
            r#"OK GET key3 "get key3" -> me"#,
            r#"Error LLEN key3 "llen key3" -> !ERR Operation against a key holding the wrong kind of value"#,
            r#"OK LPUSH test "lpush test hello" -> 1"#,
            r#"OK LPUSH test "lpush test hello1" -> 2"#,
            r#"OK LPUSH test "lpush test hello2" -> 3"#,
            r#"OK LLEN test "llen test" -> 3"#,
            r#"OK LINDEX test "lindex test 2" -> hello"#,
            r#"OK LINDEX test "lindex test 3" -> nil"#,
            r#"OK LINDEX test "lindex test 1" -> hello1"#,
            r#"OK LINDEX test "lindex test 0" -> hello2"#,
        ]
    );
    let first = &run.events[0];
    assert_eq!(first["type"], "redis");
    assert_eq!(first["event"]["action"], "redis.set");
    assert_eq!(first["event"]["dataset"], "redis");
    assert_eq!(first["source"]["bytes"], 31);
    assert_eq!(first["destination"]["bytes"], 5);
    assert_eq!(first["destination"]["port"], 6380);
    assert!(run.events[2]["redis"].get("return_value").is_none());
    for e in &run.events {
        assert!(e["source"]["bytes"].as_u64().unwrap() > 0);
        assert!(e["destination"]["bytes"].as_u64().unwrap() > 0);
        assert!(e.get("error").is_none(), "no notes: {e}");
        assert!(e.get("request").is_none() && e.get("response").is_none());
        let action = format!("redis.{}", e["method"].as_str().unwrap().to_lowercase());
        assert_eq!(e["event"]["action"], action.as_str());
    }
    let c = &run.counters;
    assert_eq!(
        (c.requests, c.responses, c.transactions_answered),
        (11, 11, 11)
    );
    assert_eq!((c.messages_unparsed, c.responses_unmatched), (0, 0));
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn redis_one_transaction() {
    let run = replay("redis_one_transaction.pcap", false);
    assert_eq!(run.events.len(), 1);
    let e = &run.events[0];
    assert_eq!(line(e), r#"OK LINDEX test "lindex test 1" -> hello1"#);
    assert_eq!(
        (&e["source"]["bytes"], &e["destination"]["bytes"]),
        (&33.into(), &12.into())
    );
    assert!(e.get("request").is_none() && e.get("response").is_none());

    let raw = replay("redis_one_transaction.pcap", true);
    let e = &raw.events[0];
    assert_eq!(
        e["request"],
        "*3\r\n$6\r\nlindex\r\n$4\r\ntest\r\n$1\r\n1\r\n"
    );
    assert_eq!(e["response"], "$6\r\nhello1\r\n");
    assert_eq!(e["redis"]["return_value"], "hello1");
}
