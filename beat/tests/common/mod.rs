//! Test helpers: bundled captures, temporary files, and a capture with the
//! traffic of several protocols (echo, Redis and Memcache captures merged).

#![allow(dead_code)]

use std::path::PathBuf;

/// A file of the workspace, from its path relative to the workspace root.
pub fn workspace(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").exists())
        .expect("the workspace root")
        .join(path)
}

/// A fresh path in this test process's temporary directory.
pub fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("analyzer-beat-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Merges classic little-endian pcap files of the same link type into one,
/// records ordered by timestamp (stable), and returns its path.
pub fn merged(name: &str, captures: &[&str]) -> PathBuf {
    let mut header = Vec::new();
    let mut records: Vec<(u64, Vec<u8>)> = Vec::new();
    for capture in captures {
        let bytes = std::fs::read(workspace(capture)).unwrap();
        assert_eq!(
            &bytes[..4],
            &[0xd4, 0xc3, 0xb2, 0xa1],
            "{capture}: classic pcap, LE, µs"
        );
        if header.is_empty() {
            header = bytes[..24].to_vec();
        }
        assert_eq!(&bytes[20..24], &header[20..24], "{capture}: same link type");
        let mut at = 24;
        while at + 16 <= bytes.len() {
            let word = |i: usize| u32::from_le_bytes(bytes[at + i..at + i + 4].try_into().unwrap());
            let ts = u64::from(word(0)) * 1_000_000 + u64::from(word(4));
            let len = 16 + word(8) as usize;
            records.push((ts, bytes[at..at + len].to_vec()));
            at += len;
        }
    }
    records.sort_by_key(|(ts, _)| *ts);
    let mut out = header;
    for (_, record) in records {
        out.extend_from_slice(&record);
    }
    // A file per call: tests run in parallel and must not read one another's
    // half-written file.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = temp(&format!("{n}-{name}"));
    std::fs::write(&path, out).unwrap();
    path
}
