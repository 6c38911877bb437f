//! `pgsql-beat` as a user runs it: a capture in, ndjson events out, the
//! counters on stderr; `--ports` chooses the server ports.

mod common;

use serde_json::Value;

fn pgsql_beat(args: &[&str]) -> (Vec<Value>, Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    integration_tests::run_beat(env!("CARGO_BIN_EXE_pgsql-beat"), dir, args)
}

#[test]
fn publishes_the_capture_s_transactions() {
    let path = common::data("errors.pcap");
    let (events, counters) = pgsql_beat(&["-r", path.to_str().unwrap()]);
    let lines: Vec<String> = events.iter().map(common::line).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[3],
        "OK SELECT count(*) FROM users; | SELECT | 1 | 1 | - | 33 / 63"
    );
    assert_eq!(counters["transactions"], 4);
    assert_eq!(counters["messages_not_published"], 22);
}

#[test]
fn other_ports_are_not_analyzed() {
    let path = common::data("errors.pcap");
    let (events, counters) = pgsql_beat(&["-r", path.to_str().unwrap(), "--ports", "5433"]);
    assert!(events.is_empty());
    assert_eq!(counters["packets_other_ports"], 29);
    let (events, _) = pgsql_beat(&[
        "-r",
        path.to_str().unwrap(),
        "--ports",
        "5433,5432",
        "--send-request",
    ]);
    assert_eq!(events.len(), 4);
    assert_eq!(
        events[3]["request"],
        "Q\u{0}\u{0}\u{0}\u{20}SELECT count(*) FROM users;\u{0}"
    );
}
