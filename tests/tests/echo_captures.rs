//! The echo analyzer on every capture the project recorded (`echo/data/`,
//! see its README for what each holds): exact transactions, then the whole
//! events against golden files (`UPDATE_GOLDEN=1` rewrites them).

use std::path::PathBuf;

use analyzer_core::replay::{assert_golden, replay_file, Replay};
use analyzer_core::Config;
use echo::EchoMessage;
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../echo/data")
        .join(name)
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(format!("{name}.json"))
}

fn replay(name: &str) -> Replay {
    replay_file::<EchoMessage>(data(name), Config::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One transaction as `status request(bytes) -> response(bytes) [note]`.
fn line(e: &Value) -> String {
    let side = |role: &str, bytes_of: &str| {
        let content = e["echo"][role]["content"].as_str();
        let bytes = e[bytes_of]["bytes"].as_u64();
        match (content, bytes) {
            (Some(c), Some(b)) => format!("{c}({b})"),
            (None, Some(b)) => format!("?({b})"),
            _ => "-".to_string(),
        }
    };
    let mut out = format!(
        "{} {} -> {}",
        e["status"].as_str().unwrap(),
        side("request", "source"),
        side("response", "destination")
    );
    if let Some(note) = e["error"]["message"].as_str() {
        out.push_str(&format!(" [{note}]"));
    }
    out
}

fn lines(run: &Replay) -> Vec<String> {
    run.events.iter().map(line).collect()
}

#[test]
fn plain() {
    let run = replay("plain.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK hello(7) -> hello(7)",
            "OK world(7) -> world(7)",
            "OK echo me(9) -> echo me(9)"
        ]
    );
    let e = &run.events[0];
    assert_eq!(e["type"], "echo");
    assert_eq!(e["echo"]["request"]["kind"], "request");
    assert_eq!(e["echo"]["response"]["kind"], "response");
    assert_eq!(e["server"]["port"], 3030);
    assert_eq!(e["source"]["ip"], "127.0.0.1");
    assert_eq!(e["network"]["bytes"], 14);
    assert!(e["event"]["duration"].as_u64().unwrap() > 0);
    assert_eq!(run.counters.connections_closed, 1);
    assert_golden(&run.events, golden("plain"));
}

#[test]
fn pcapng_gives_the_same_events_as_pcap() {
    assert_eq!(replay("plain.pcapng").events, replay("plain.pcap").events);
}

#[test]
fn errors() {
    let run = replay("errors.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK ok(4) -> ok(4)",
            "Error ?(6) -> hello(7) [unparseable request: unknown tag byte b'h']",
            "OK fine(6) -> fine(6)",
        ]
    );
    assert_eq!(run.events[1]["echo"]["response"]["kind"], "error");
    assert_eq!(run.counters.messages_unparsed, 1);
    assert_golden(&run.events, golden("errors"));
}

#[test]
fn pipelined() {
    let run = replay("pipelined.pcap");
    let expected: Vec<String> = (1..=50)
        .map(|i| {
            let n = format!("req {i}").len() + 2;
            format!("OK req {i}({n}) -> req {i}({n})")
        })
        .collect();
    assert_eq!(lines(&run), expected);
    // All 50 requests arrived in one segment: one request time.
    assert_eq!(run.events[0]["@timestamp"], run.events[49]["@timestamp"]);
    assert_golden(&run.events, golden("pipelined"));
}

#[test]
fn split() {
    let run = replay("split.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK split one(11) -> split one(11)",
            "OK split two(11) -> split two(11)"
        ]
    );
    // The request started with its first segment, ~50 ms before the answer.
    let ms = run.events[0]["event"]["duration"].as_u64().unwrap() / 1_000_000;
    assert!((45..1000).contains(&ms), "duration {ms} ms");
    assert_golden(&run.events, golden("split"));
}

#[test]
fn multi() {
    let run = replay("multi.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK one(5) -> one(5)",
            "OK two(5) -> two(5)",
            "OK three(7) -> three(7)",
            "OK four(6) -> four(6)",
            "OK five(6) -> five(6)",
        ]
    );
    assert_golden(&run.events, golden("multi"));
}

#[test]
fn concurrent() {
    let run = replay("concurrent.pcap");
    assert_eq!(run.events.len(), 15);
    assert_eq!(run.counters.connections_opened, 5);
    for e in &run.events {
        let req = e["echo"]["request"]["content"].as_str().unwrap();
        let resp = e["echo"]["response"]["content"].as_str().unwrap();
        assert_eq!(
            req, resp,
            "answers pair with their own connection's requests"
        );
        assert_eq!(e["status"], "OK");
    }
    // Each connection's three requests, in order, on one client port.
    for c in 1..=5 {
        let mine: Vec<&Value> = run
            .events
            .iter()
            .filter(|e| {
                e["echo"]["request"]["content"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("conn {c} "))
            })
            .collect();
        let reqs: Vec<&str> = mine
            .iter()
            .map(|e| e["echo"]["request"]["content"].as_str().unwrap())
            .collect();
        assert_eq!(reqs, [1, 2, 3].map(|r| format!("conn {c} req {r}")));
        assert!(mine
            .iter()
            .all(|e| e["client"]["port"] == mine[0]["client"]["port"]));
    }
    assert_golden(&run.events, golden("concurrent"));
}

#[test]
fn unanswered() {
    let run = replay("unanswered.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK hello(7) -> hello(7)",
            "Error are you there(15) -> - [capture ended before the response]",
        ]
    );
    assert_eq!(run.counters.requests_unanswered, 1);
    assert_golden(&run.events, golden("unanswered"));
}

#[test]
fn unanswered_with_a_short_timeout_is_published_at_the_timeout() {
    let mut config = Config::default();
    config.transaction_timeout = std::time::Duration::from_millis(5);
    let run = replay_file::<EchoMessage>(data("unanswered.pcap"), config).unwrap();
    assert_eq!(
        run.events[1]["error"]["message"],
        "no response within the transaction timeout (0.005s)"
    );
}

#[test]
fn partial() {
    let run = replay("partial.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK complete(10) -> complete(10)",
            "Error ?(8) -> - [request cut short by FIN: 8 bytes without a delimiter]",
        ]
    );
    assert_eq!(run.counters.messages_cut_short, 1);
    assert_golden(&run.events, golden("partial"));
}

#[test]
fn reset() {
    let run = replay("reset.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK before reset(14) -> before reset(14)",
            "Error after(7) -> - [connection closed before the response]",
        ]
    );
    assert_eq!(run.counters.connections_closed, 1);
    assert_golden(&run.events, golden("reset"));
}

#[test]
fn send_request_and_send_response_publish_the_raw_lines() {
    let mut config = Config::default();
    config.send_request = true;
    config.send_response = true;
    let run = replay_file::<EchoMessage>(data("plain.pcap"), config).unwrap();
    assert_eq!(run.events[0]["request"], ">hello\n");
    assert_eq!(run.events[0]["response"], "<hello\n");
    let plain = replay("plain.pcap");
    assert!(plain.events[0].get("request").is_none());
}

#[test]
fn over_long_lines_are_noted_and_the_following_messages_analyzed() {
    // pipelined.pcap with a 7-byte limit: `>req 1\n`..`>req 9\n` fit, the
    // 8-byte `>req 10\n`.. do not. The 50 requests share one segment, so
    // after each dropped line the stream must pick up at the next one.
    let mut config = Config::default();
    config.max_message_size = 7;
    let run = replay_file::<EchoMessage>(data("pipelined.pcap"), config).unwrap();
    let got = lines(&run);
    assert_eq!(got.len(), 50);
    for (i, l) in got.iter().enumerate().take(9) {
        let n = i + 1;
        assert_eq!(l, &format!("OK req {n}(7) -> req {n}(7)"));
    }
    for l in &got[9..] {
        assert_eq!(
            l,
            "Error ?(8) -> ?(8) [request of 8 bytes exceeds the maximum message size (7 bytes): not analyzed; \
             response of 8 bytes exceeds the maximum message size (7 bytes): not analyzed]"
        );
    }
    assert_eq!(run.counters.messages_too_long, 82);
    assert_eq!(run.counters.transactions_answered, 50);
}
