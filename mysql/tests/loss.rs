//! Packet loss never corrupts a MySQL transaction silently: every capture
//! of `mysql/data/`, each of its data segments dropped in turn; every event
//! of the lossy run with status `OK` must say what an event of the clean
//! run says (its request time, query, counts, error and byte counts), and
//! the accounting must hold.

use analyzer_core::decode::decode_tcp;
use analyzer_core::pcap::PcapReader;
use analyzer_core::replay::replay_packets;
use analyzer_core::Config;
use mysql::MysqlMessage;
use serde_json::Value;

/// The events of a capture's packets but the one at `skip`.
fn run(
    packets: &[(
        analyzer_core::Timestamp,
        analyzer_core::decode::LinkType,
        Vec<u8>,
    )],
    skip: Option<usize>,
) -> Vec<Value> {
    let kept = packets
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != skip)
        .map(|(_, (ts, link, data))| (*ts, *link, data));
    let run = replay_packets::<MysqlMessage, _>(Config::default(), kept);
    assert_eq!(run.counters.check_accounting(), Ok(()), "skip {skip:?}");
    run.events
}

/// Whether `lossy` says what `clean` says: the same request time, status,
/// counts, error and byte counts; the same query, unless the lossy one has
/// none (an execution whose preparation was lost names its statement only
/// by id: less said, nothing wrong).
fn agrees(lossy: &Value, clean: &Value) -> bool {
    let m = |e: &Value, k: &str| e["mysql"][k].clone();
    let same = |k: &str| lossy[k] == clean[k];
    same("@timestamp")
        && same("status")
        && lossy["source"]["bytes"] == clean["source"]["bytes"]
        && lossy["destination"]["bytes"] == clean["destination"]["bytes"]
        && [
            "num_fields",
            "num_rows",
            "affected_rows",
            "insert_id",
            "error_code",
            "user",
        ]
        .iter()
        .all(|k| m(lossy, k) == m(clean, k))
        && (lossy["query"].is_null() || (same("query") && same("method")))
}

#[test]
fn a_lost_segment_never_makes_a_wrong_ok() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    names.sort();
    let (mut drops, mut disturbed) = (0, 0);
    for path in names {
        let mut reader = PcapReader::open(&path).unwrap();
        let mut packets = Vec::new();
        while let Some(p) = reader.next_packet().unwrap() {
            packets.push((p.ts, p.link, p.data.to_vec()));
        }
        let clean = run(&packets, None);
        for (i, (_, link, data)) in packets.iter().enumerate() {
            let carries_data = decode_tcp(*link, data).is_ok_and(|s| !s.payload.is_empty());
            if !carries_data {
                continue;
            }
            drops += 1;
            let lossy = run(&packets, Some(i));
            let mut differ = 0;
            for e in &lossy {
                if !clean.iter().any(|c| agrees(e, c)) {
                    differ += 1;
                    assert_ne!(
                        e["status"],
                        "OK",
                        "{}: packet {i} dropped: an OK event the clean run does not have: {e}",
                        path.display()
                    );
                }
            }
            disturbed += differ;
        }
    }
    assert!(drops >= 60, "{drops} drops");
    eprintln!("{drops} segments dropped in turn: {disturbed} events differ, none of them OK");
}
