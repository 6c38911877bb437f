//! The HTTP analyzer on Packetbeat's own HTTP captures
//! (`../shared/pcaps/packetbeat/`, not in this repository; see its README).
//! Ignored by default because a fresh clone has no `../shared`; `.ci/run`
//! runs them with `--ignored` (`PACKETBEAT_PCAPS` names the directory).
//!
//! Where this project's policy differs from Packetbeat's (nothing is lost
//! silently: a request cut off by a reset is published; a message that lost
//! bytes makes its transaction `Error`), the test says so.

use analyzer_core::replay::{packetbeat_pcap, replay_file, Replay};
use analyzer_core::Config;
use http::HttpMessage;
use serde_json::Value;

/// Replays `name` with the server on `port`, as Packetbeat's tests do.
fn replay(name: &str, port: u16) -> Replay {
    let mut config = Config::default();
    config.ports = vec![port];
    let run = replay_file::<HttpMessage>(packetbeat_pcap(name), config)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    run.counters.check_accounting().unwrap();
    run
}

/// `status METHOD path code -> error.message`.
fn line(e: &Value) -> String {
    format!(
        "{} {} {} {} -> {}",
        e["status"].as_str().unwrap(),
        e["method"].as_str().unwrap_or("-"),
        e["url"]["path"].as_str().unwrap_or("-"),
        e["http"]["response"]["status_code"]
            .as_u64()
            .map_or("-".into(), |c| c.to_string()),
        e["error"]["message"].as_str().unwrap_or("-"),
    )
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn gap_in_stream_publishes_one_transaction_with_the_loss_noted() {
    let run = replay("gap_in_stream.pcap", 8000);
    assert_eq!(run.events.len(), 1, "{:?}", run.events);
    let e = &run.events[0];
    // Packetbeat: status OK with the note; here a message that lost bytes
    // makes its transaction Error (the README's loss policy).
    assert_eq!(e["status"], "Error");
    assert_eq!(e["method"], "GET");
    assert_eq!(e["url"]["path"], "/jszip.min.js");
    assert_eq!(e["http"]["response"]["status_code"], 200);
    let note = e["error"]["message"].as_str().unwrap();
    assert!(
        note.starts_with("packet loss while capturing the response (49152 bytes lost)"),
        "{note}"
    );
    assert_eq!(run.counters.bytes_lost, 49152);
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn http_unmatched_publishes_the_unmatched_response_and_the_transaction() {
    let run = replay("http_unmatched.pcap", 8080);
    let lines: Vec<_> = run.events.iter().map(line).collect();
    // Packetbeat publishes the last two; the first request, reset by the
    // client before any answer, it drops without a word.
    assert_eq!(
        lines,
        [
            "Error GET /something - -> connection closed before the response",
            "Error - - 404 -> response without a request",
            "OK GET /someotherthing 200 -> -",
        ]
    );
    let e = &run.events[2];
    assert_eq!(e["http"]["response"]["body"]["bytes"], 6);
    assert_eq!(e["http"]["response"]["mime_type"], "text/plain");
    // The Host field names no port: none in the URL.
    assert_eq!(e["url"]["full"], "http://example.net/someotherthing");
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn http_unmatched_timeout_publishes_the_request_once_it_times_out() {
    let run = replay("http_unmatched_timeout.pcap", 8080);
    let lines: Vec<_> = run.events.iter().map(line).collect();
    assert_eq!(
        lines,
        ["Error GET /something - -> no response within the transaction timeout (10s)"]
    );
    // The request came in four segments.
    assert_eq!(run.events[0]["http"]["request"]["bytes"], 70);
}
