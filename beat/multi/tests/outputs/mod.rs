//! Helpers of the output tests: running the beat with a config, the
//! events a console run gives (what every output must deliver), feeding a
//! capture through a FIFO in two halves, signals.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub mod bulk_endpoint;
pub mod pki;

#[path = "../../../tests/common/mod.rs"]
pub mod common;

/// Writes `config` to a temporary file and returns the beat's command on
/// it.
pub fn beat(config: &str, name: &str) -> Command {
    let path = common::temp(name);
    std::fs::write(&path, config).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_beat"));
    command.arg("-c").arg(path);
    command
}

/// An event with what differs between runs taken out
/// (`agent.ephemeral_id`), as a string.
pub fn comparable(event: &[u8]) -> String {
    let mut value: Value = serde_json::from_slice(event).unwrap();
    let agent = value["agent"].as_object_mut().unwrap();
    assert!(agent.remove("ephemeral_id").is_some());
    value.to_string()
}

/// Each distinct event and how many times it came.
pub fn counted<'a>(events: impl IntoIterator<Item = &'a [u8]>) -> BTreeMap<String, usize> {
    let mut map = BTreeMap::new();
    for event in events {
        *map.entry(comparable(event)).or_default() += 1;
    }
    map
}

/// The events of `capture` on stdout (the console output), `@metadata`
/// dropped when `metadata` is false (Elasticsearch has none).
pub fn console_events(capture: &str, metadata: bool) -> Vec<Vec<u8>> {
    let out = beat("{}\n", "console.yml")
        .args(["-r", capture, "--no-counters"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let mut value: Value = serde_json::from_str(line).unwrap();
            if !metadata {
                value.as_object_mut().unwrap().remove("@metadata");
            }
            value.to_string().into_bytes()
        })
        .collect()
}

/// The capture the output tests deliver: echo's `concurrent.pcap` (15
/// transactions).
pub fn capture() -> String {
    common::workspace("echo/data/concurrent.pcap")
        .to_str()
        .unwrap()
        .to_string()
}

/// What a successful run of the beat on [`capture`] said.
pub struct Delivered {
    /// Its stderr.
    pub stderr: String,
    /// The `output` object of its counters.
    pub delivery: Value,
}

/// Runs `command` (a beat from [`beat`]) on [`capture`] and checks that it
/// succeeded.
pub fn deliver(command: &mut Command) -> Delivered {
    let out = command.args(["-r", &capture()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    Delivered {
        delivery: counters(&out)["output"].clone(),
        stderr,
    }
}

/// The counters a run printed (the first line of stderr that is JSON).
pub fn counters(out: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .unwrap_or_else(|| panic!("no counters in {stderr}"))
}

/// A classic pcap file cut in two: the header with the first `first` of
/// the records, and the rest.
pub fn halves(bytes: &[u8], first: f64) -> (Vec<u8>, Vec<u8>) {
    let mut at = 24;
    let mut records = Vec::new();
    while at + 16 <= bytes.len() {
        let len = 16 + u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        records.push(at..at + len);
        at += len;
    }
    let cut = records[(records.len() as f64 * first) as usize].start;
    (bytes[..cut].to_vec(), bytes[cut..].to_vec())
}

/// `echo/data/concurrent.pcap` (Ethernet, IPv4, 5 connections to port
/// 3030, 15 transactions) repeated `copies` times, each copy a second
/// later on client ports of its own: a larger capture of real traffic.
pub fn repeated(copies: u32) -> Vec<u8> {
    let bytes = std::fs::read(common::workspace("echo/data/concurrent.pcap")).unwrap();
    let mut records = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let len = 16 + u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        records.push(bytes[at..at + len].to_vec());
        at += len;
    }
    let port = |r: &[u8], at: usize| u16::from_be_bytes([r[16 + at], r[16 + at + 1]]);
    let mut clients: Vec<u16> = records
        .iter()
        .flat_map(|r| [port(r, 34), port(r, 36)])
        .filter(|&p| p != 3030)
        .collect();
    clients.sort_unstable();
    clients.dedup();
    assert!(clients.len() <= 8);
    let mut out = bytes[..24].to_vec();
    for k in 0..copies {
        for record in &records {
            let mut r = record.clone();
            let secs = u32::from_le_bytes(r[..4].try_into().unwrap()) + k;
            r[..4].copy_from_slice(&secs.to_le_bytes());
            for at in [34, 36] {
                let p = port(&r, at);
                if let Ok(i) = clients.binary_search(&p) {
                    let new = 20000 + (k as u16) * 8 + i as u16;
                    r[16 + at..16 + at + 2].copy_from_slice(&new.to_be_bytes());
                }
            }
            out.extend_from_slice(&r);
        }
    }
    out
}

/// A FIFO in the temporary directory.
pub fn fifo(name: &str) -> PathBuf {
    let path = common::temp(name);
    let _ = std::fs::remove_file(&path);
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    path
}

/// The beat reading `fifo`, spawned, with its output captured.
pub fn spawn_on(command: &mut Command, fifo: &Path) -> Child {
    command
        .arg("-r")
        .arg(fifo)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Opens `fifo` for writing (the beat reads it) and writes `bytes`.
pub fn writer(fifo: &Path, bytes: &[u8]) -> std::fs::File {
    let mut file = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    file
}

/// Sends SIGTERM to `child`.
pub fn terminate(child: &Child) {
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
}

/// A free TCP port on 127.0.0.1 (free when asked).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
