//! `NdjsonWriter` writes events through a fast path; it must give, byte for
//! byte, what the events' `Serialize` implementation gives. Checked on every
//! capture of every protocol, with and without the raw text fields.

use std::path::{Path, PathBuf};

use analyzer_core::pcap::PcapReader;
use analyzer_core::{Config, Engine, Event, NdjsonWriter, Protocol, Sink};

fn captures(dir: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    out.sort();
    out
}

/// Both renderings of every event of a capture.
fn both<P: Protocol>(path: &Path, send: bool) -> (Vec<u8>, Vec<u8>) {
    let mut config = Config::default();
    config.send_request = send;
    config.send_response = send;
    let mut serde_lines = Vec::new();
    let mut writer = NdjsonWriter::new(Vec::new());
    {
        let mut engine = Engine::new(config, |e: Event<P>| {
            serde_json::to_writer(&mut serde_lines, &e).unwrap();
            serde_lines.push(b'\n');
            writer.publish(e);
        });
        let mut reader = PcapReader::open(path).unwrap();
        while let Some(p) = reader.next_packet().unwrap() {
            engine.packet(p.ts, p.link, p.data);
        }
        engine.finish();
    }
    (writer.finish().unwrap(), serde_lines)
}

fn check<P: Protocol>(dir: &str) {
    for path in captures(dir) {
        for send in [false, true] {
            let (fast, slow) = both::<P>(&path, send);
            assert!(!fast.is_empty(), "{}", path.display());
            if fast != slow {
                let fast = String::from_utf8_lossy(&fast);
                let slow = String::from_utf8_lossy(&slow);
                for (f, s) in fast.lines().zip(slow.lines()) {
                    assert_eq!(f, s, "{} (send {send})", path.display());
                }
                panic!("{}: line counts differ", path.display());
            }
        }
    }
}

#[test]
fn fast_ndjson_equals_serde_for_echo() {
    check::<echo::EchoMessage>("../echo/data");
}

#[test]
fn fast_ndjson_equals_serde_for_redis() {
    check::<redis::RedisMessage>("../redis/data");
}

#[test]
fn fast_ndjson_equals_serde_for_memcache() {
    check::<memcache::MemcacheMessage>("../memcache/data");
}

#[test]
fn fast_ndjson_equals_serde_for_pgsql() {
    for path in captures("../pgsql/data") {
        for send in [false, true] {
            let (fast, slow) = both::<pgsql::PgsqlMessage>(&path, send);
            // ssl.pcap turns to TLS before any transaction.
            assert_eq!(
                fast.is_empty(),
                path.ends_with("ssl.pcap"),
                "{}",
                path.display()
            );
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&slow),
                "{} (send {send})",
                path.display()
            );
        }
    }
}
