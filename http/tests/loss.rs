//! Packet loss: the recorded captures with segments dropped (as a lossy
//! capture would), through `integration_tests::mangle`. A response lost in
//! a gap must not shift the pairing of the requests after it, and what it
//! damaged is said, never silently wrong.

use analyzer_core::Counters;
use http::HttpMessage;
use integration_tests::{read_packets, replay_mangled, Op};
use serde_json::Value;

fn events(name: &str, ops: &[Op]) -> (Vec<Value>, Counters) {
    let path = format!("{}/data/{name}.pcap", env!("CARGO_MANIFEST_DIR"));
    let run = replay_mangled::<HttpMessage>(path, ops);
    (run.events, run.counters)
}

/// `status path code(body bytes) [notes]`.
fn lines(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let resp = &e["http"]["response"];
            format!(
                "{} {} {}({}) [{}]",
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

#[test]
fn a_lost_pipelined_response_does_not_shift_the_next_pairing() {
    // pipelined.pcap: three requests in frame 4; the answers in frames 6,
    // 8 and 10. Frame 8, the answer to /b.txt, is lost.
    let (clean, _) = events("pipelined", &[]);
    let (lossy, counters) = events("pipelined", &[Op::Drop(8)]);
    let got = lines(&lossy);
    assert_eq!(
        got,
        [
            "OK /a.txt 200(7) []",
            "Error /b.txt -(-) [pairing uncertain after packet loss; packet loss while capturing the response (261 bytes lost)]",
            // Its own answer (7 bytes of body, not /b.txt's 24), flagged
            // until pairing is provably back in step.
            "Error /c.txt 200(7) [pairing uncertain after packet loss]",
        ]
    );
    assert_eq!(lines(&clean)[2], "OK /c.txt 200(7) []");
    assert_eq!((counters.bytes_lost, counters.pairings_uncertain), (261, 2));
}

#[test]
fn a_lost_segment_of_a_large_body_is_noted_on_its_transaction() {
    // large.pcap: a 2 MiB body in 44 segments; one of them lost.
    let (lossy, counters) = events("large", &[Op::Drop(27)]);
    assert_eq!(lossy.len(), 1, "{:#?}", lines(&lossy));
    let e = &lossy[0];
    assert_eq!(e["status"], "Error");
    assert_eq!(e["url"]["path"], "/large.bin");
    assert_eq!(e["http"]["response"]["status_code"], 200);
    let note = e["error"]["message"].as_str().unwrap();
    assert!(
        note.starts_with("packet loss while capturing the response"),
        "{note}"
    );
    assert!(counters.bytes_lost > 0);
}

#[test]
fn every_single_segment_lost_in_turn_never_yields_a_silently_wrong_transaction() {
    for name in [
        "keepalive",
        "pipelined",
        "not-modified",
        "chunked-response",
        "post",
        "expect-continue",
    ] {
        let (clean, _) = events(name, &[]);
        let clean = lines(&clean);
        let frames = read_packets(format!("{}/data/{name}.pcap", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .len();
        for n in 1..=frames {
            let (lossy, _) = events(name, &[Op::Drop(n)]);
            for line in lines(&lossy) {
                assert!(
                    clean.contains(&line) || line.starts_with("Error"),
                    "{name} without frame {n}: {line} is OK but not in the clean run {clean:#?}"
                );
            }
        }
    }
}
