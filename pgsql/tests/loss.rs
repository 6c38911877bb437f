//! Packet loss on real captures (`pgsql/data/`, one segment left out): the
//! damaged transaction says so, and every other one pairs as in the clean
//! capture.

mod common;

use analyzer_core::pcap::PcapReader;
use analyzer_core::replay::{replay_packets, Replay};
use analyzer_core::Config;
use common::{data, lines};
use pgsql::PgsqlMessage;

/// Replays `name` without its data segments for which `skip(from_server,
/// payload_len, index among data segments of that side)` says so.
fn replay_without(name: &str, skip: impl Fn(bool, usize, usize) -> bool) -> Replay {
    let mut reader = PcapReader::open(data(name)).unwrap();
    let mut kept = Vec::new();
    let mut seen = [0usize; 2];
    let mut dropped = 0;
    while let Some(packet) = reader.next_packet().unwrap() {
        let sliced = etherparse::SlicedPacket::from_ethernet(packet.data).unwrap();
        let Some(etherparse::TransportSlice::Tcp(tcp)) = &sliced.transport else {
            continue;
        };
        let len = tcp.payload().len();
        let from_server = tcp.source_port() == 5432;
        if len > 0 {
            let index = seen[usize::from(from_server)];
            seen[usize::from(from_server)] += 1;
            if skip(from_server, len, index) {
                dropped += 1;
                continue;
            }
        }
        kept.push((packet.ts, packet.link, packet.data.to_vec()));
    }
    assert_eq!(dropped, 1, "{name}: one segment left out");
    let run = replay_packets::<PgsqlMessage, _>(Config::default(), kept);
    run.counters.check_accounting().unwrap();
    run
}

const SIMPLE: [&str; 7] = [
    "OK CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, price numeric(6,2)); | CREATE | 0 | 0 | - | 90 / 24",
    "OK INSERT INTO items VALUES (1, 'apple', 0.50); | INSERT | 0 | 0 | - | 50 / 22",
    "OK INSERT INTO items VALUES (2, 'banana', 0.25); | INSERT | 0 | 0 | - | 51 / 22",
    "OK INSERT INTO items VALUES (3, 'cherry', 3.00); | INSERT | 0 | 0 | - | 51 / 22",
    "OK SELECT id, name, price FROM items ORDER BY id; | SELECT | 3 | 3 | - | 52 / 184",
    "OK UPDATE items SET price = price * 2 WHERE id <= 2; | UPDATE | 0 | 0 | - | 55 / 20",
    "OK DELETE FROM items WHERE id = 3; | DELETE | 0 | 0 | - | 37 / 20",
];

#[test]
fn a_lost_answer_is_noted_and_the_next_queries_pair() {
    // The SELECT's whole answer (184 bytes, one segment) is lost.
    let run = replay_without("simple-query.pcap", |server, len, _| server && len == 184);
    let got = lines(&run);
    assert_eq!(got.len(), 7, "{got:#?}");
    assert_eq!(got[..4], SIMPLE[..4]);
    assert_eq!(got[5..], SIMPLE[5..]);
    assert!(
        got[4].starts_with("Error SELECT id, name, price FROM items ORDER BY id; | SELECT"),
        "{}",
        got[4]
    );
    assert!(
        got[4].contains("packet loss while capturing the response (184 bytes lost)"),
        "{}",
        got[4]
    );
    assert_eq!(run.counters.gaps, 1);
}

#[test]
fn a_lost_query_is_noted_and_the_next_queries_pair() {
    // The second INSERT (51 bytes) is lost; its answer still comes.
    let run = replay_without("simple-query.pcap", |server, _, index| {
        !server && index == 5
    });
    let got = lines(&run);
    assert_eq!(got.len(), 7, "{got:#?}");
    assert_eq!(got[..2], SIMPLE[..2]);
    assert_eq!(got[3..], SIMPLE[3..]);
    assert_eq!(
        got[2],
        "Error - | - | 0 | 0 | - | 51 / 22 [packet loss while capturing the request (51 bytes lost); pairing uncertain after packet loss]"
    );
}

#[test]
fn a_segment_lost_inside_a_long_result_is_noted() {
    // The answer's fifth segment (8,192 bytes, about 300 rows) is lost:
    // framing picks up at the first whole row after it.
    let run = replay_without("select-5000.pcap", |server, len, index| {
        server && len == 8192 && index == 8
    });
    assert_eq!(
        lines(&run),
        [
            "Error SELECT i AS id, 'row ' || i AS label FROM generate_series(1, 5000) AS i | SELECT | 2 | 1597 | - | 77 / 49165 [packet loss while capturing the response (8192 bytes lost)]",
            // The rest of the answer, up to its ReadyForQuery.
            "Error - | - | 0 | 3099 | - | - / 83696 [response without a request]",
        ]
    );
    // Every byte of the answer is in one of them, the lost ones included.
    let answer: u64 = run
        .events
        .iter()
        .map(|e| e["destination"]["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(answer, 132_861);
    assert_eq!(run.counters.gaps, 1);
    assert_eq!(run.counters.bytes_lost, 8192);
}
