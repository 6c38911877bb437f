//! Helpers of the hostile-input tests (`bad_input.rs`, `huge_inputs.rs`): TCP conversations
//! built packet by packet, capture files, running them through the library
//! and through the `echo-beat` binary, and summaries of the outcome.
//!
//! Packets are written with `fuzz/src/wire.rs` (plain `std`), which the fuzz
//! harness shares.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use analyzer_core::pcap::PcapReader;
use analyzer_core::{Config, Counters, Engine, Event, Protocol, Timestamp};
use serde_json::Value;

#[path = "../../../fuzz/src/wire.rs"]
pub mod wire;

pub use wire::flags::{ACK, FIN, PSH, SYN};

/// Capture time of the first packet of every conversation (microseconds).
pub const T0: u64 = 1_700_000_000_000_000;

/// One TCP connection between a client and a server, IPv4, whose packets
/// carry sequence and acknowledgment numbers that follow what each side
/// sent.
#[derive(Clone, Debug)]
pub struct Conn {
    pub client: ([u8; 4], u16),
    pub server: ([u8; 4], u16),
    /// Next sequence number: client, server.
    pub next: [u32; 2],
}

impl Conn {
    /// A connection from `10.0.<c/256>.<c%256>`:`40000 + c/65536` to
    /// `10.9.9.9:port`.
    pub fn new(c: u32, port: u16) -> Self {
        Conn {
            client: (
                [10, (c >> 16) as u8, (c >> 8) as u8, c as u8],
                40000 + (c >> 24) as u16,
            ),
            server: ([10, 255, 255, 254], port),
            next: [1000, 900_000],
        }
    }

    /// The IP packet of a segment from the client (or the server) with
    /// `flags` and `payload`; advances that side's sequence number.
    pub fn ip(&mut self, from_server: bool, flags: u8, payload: &[u8]) -> Vec<u8> {
        let dir = usize::from(from_server);
        let (src, dst) = if from_server {
            (self.server, self.client)
        } else {
            (self.client, self.server)
        };
        let flags = flags | if payload.is_empty() { 0 } else { PSH };
        let seg = wire::Segment {
            src: (&src.0, src.1),
            dst: (&dst.0, dst.1),
            seq: self.next[dir],
            ack: if flags & ACK != 0 {
                self.next[1 - dir]
            } else {
                0
            },
            flags,
            payload,
        };
        let packet = wire::ip_packet(&seg);
        let used = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        self.next[dir] = self.next[dir].wrapping_add(used);
        packet
    }

    /// [`Conn::ip`] in an Ethernet frame.
    pub fn eth(&mut self, from_server: bool, flags: u8, payload: &[u8]) -> Vec<u8> {
        wire::link_frame(
            wire::linktype::ETHERNET,
            &self.ip(from_server, flags, payload),
        )
    }

    /// The three-way handshake.
    pub fn handshake(&mut self) -> Vec<Vec<u8>> {
        vec![
            self.eth(false, SYN, b""),
            self.eth(true, SYN | ACK, b""),
            self.eth(false, ACK, b""),
        ]
    }

    /// Both FINs and the last ACK.
    pub fn close(&mut self) -> Vec<Vec<u8>> {
        vec![
            self.eth(false, FIN | ACK, b""),
            self.eth(true, FIN | ACK, b""),
            self.eth(false, ACK, b""),
        ]
    }
}

/// A whole echo connection: handshake, each request answered, close.
pub fn echo_conversation(conn: &mut Conn, exchanges: &[(&[u8], &[u8])]) -> Vec<Vec<u8>> {
    let mut out = conn.handshake();
    for (request, response) in exchanges {
        out.push(conn.eth(false, ACK, request));
        out.push(conn.eth(true, ACK, response));
    }
    out.extend(conn.close());
    out
}

/// A pcap file (Ethernet unless said) of `packets`, one millisecond apart.
pub fn pcap_of(linktype: u32, snaplen: u32, packets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = wire::pcap_header(linktype, snaplen);
    for (i, p) in packets.iter().enumerate() {
        wire::pcap_record(&mut out, T0 + 1000 * i as u64, p, p.len() as u32);
    }
    out
}

/// What the library made of a capture.
#[derive(Debug)]
pub struct Outcome {
    /// Every event, as JSON.
    pub events: Vec<Value>,
    /// The counters after `finish`.
    pub counters: Counters,
    /// The read error that stopped the input, as the beat shows it.
    pub error: Option<String>,
}

/// Reads `bytes` as a capture file into an engine of `P` (up to the first
/// read error), then finishes it: what `replay::feed` and the beat do.
pub fn analyze<P: Protocol>(bytes: &[u8], config: Config) -> Outcome {
    let mut events = Vec::new();
    let mut engine = Engine::new(config, |e: Event<P>| {
        events.push(serde_json::to_value(&e).expect("JSON"))
    });
    let error = match PcapReader::new(bytes) {
        Ok(mut reader) => analyzer_core::replay::feed(&mut reader, &mut engine)
            .err()
            .map(|e| e.to_string()),
        Err(e) => Some(e.to_string()),
    };
    engine.finish();
    let counters = engine.counters().clone();
    drop(engine);
    Outcome {
        events,
        counters,
        error,
    }
}

/// Feeds packets (link type Ethernet) straight into an engine, no file.
pub fn feed_packets<P: Protocol>(
    config: Config,
    packets: impl IntoIterator<Item = (u64, Vec<u8>)>,
) -> (Vec<Value>, Counters) {
    let packets = packets
        .into_iter()
        .map(|(micros, p)| (ts(micros), analyzer_core::decode::LinkType::Ethernet, p));
    let run = analyzer_core::replay::replay_packets::<P, _>(config, packets);
    (run.events, run.counters)
}

/// A capture timestamp from microseconds since the epoch.
pub fn ts(micros: u64) -> Timestamp {
    Timestamp::from_nanos(micros as i64 * 1000)
}

/// What the echo beat did with a capture.
#[derive(Debug)]
pub struct BeatRun {
    /// The events it wrote on stdout.
    pub events: Vec<Value>,
    /// What it wrote on stderr (the counters are turned off).
    pub stderr: String,
    /// Its exit status.
    pub status: Option<i32>,
}

/// The `echo-beat` binary of the profile these tests were built with,
/// built once (`cargo build -p echo --bin echo-beat`) if needed.
pub fn echo_beat_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            // This test binary is <target>/<profile>/deps/<name>.
            let exe = std::env::current_exe().expect("the test binary");
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("the profile dir");
            let target_dir = profile_dir.parent().expect("the target dir");
            let mut build = std::process::Command::new(env!("CARGO"));
            build.args([
                "build",
                "-q",
                "-p",
                "echo",
                "--bin",
                "echo-beat",
                "--target-dir",
            ]);
            build.arg(target_dir);
            if profile_dir.ends_with("release") {
                build.arg("--release");
            }
            let out = build
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .output()
                .expect("cargo runs");
            assert!(
                out.status.success(),
                "cargo build -p echo --bin echo-beat failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            profile_dir.join("echo-beat")
        })
        .clone()
}

/// Runs `echo-beat -r FILE --no-counters --no-progress` and the `extra`
/// options.
pub fn beat(file: &Path, extra: &[&str]) -> BeatRun {
    let out = std::process::Command::new(echo_beat_binary())
        .arg("-r")
        .arg(file)
        .args(["--no-counters", "--no-progress"])
        .args(extra)
        .output()
        .expect("echo-beat runs");
    let events = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect();
    BeatRun {
        events,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status: out.status.code(),
    }
}

/// `tests/data/bad/<name>`.
pub fn bad_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/bad")
        .join(name)
}

/// One echo transaction as `status request(bytes) -> response(bytes)
/// [notes]`.
pub fn line(e: &Value) -> String {
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
        e["status"].as_str().unwrap_or("?"),
        side("request", "source"),
        side("response", "destination")
    );
    if let Some(note) = e["error"]["message"].as_str() {
        out.push_str(&format!(" [{note}]"));
    }
    out
}

/// [`line`] of every event.
pub fn lines(events: &[Value]) -> Vec<String> {
    events.iter().map(line).collect()
}

/// Asserts the counters are exactly `expected` (name, value) and every other
/// counter is zero.
#[track_caller]
pub fn assert_counters(counters: &Counters, expected: &[(&str, u64)]) {
    let json = serde_json::to_value(counters).expect("JSON");
    let map = json.as_object().expect("an object");
    for (name, _) in expected {
        assert!(map.contains_key(*name), "no counter {name}");
    }
    let mut wrong = Vec::new();
    for (name, value) in map {
        let want = expected
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, v)| *v);
        let got = value.as_u64().expect("a number");
        if got != want {
            wrong.push(format!("{name}: got {got}, expected {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}\n{json}", wrong.join("\n"));
}

/// Peak resident memory of this process (`VmHWM`), in bytes.
pub fn peak_rss() -> u64 {
    status_kib("VmHWM:") * 1024
}

/// Resident memory of this process now (`VmRSS`), in bytes.
pub fn rss() -> u64 {
    status_kib("VmRSS:") * 1024
}

fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/self/status"))
}

/// Peak memory of a workload run in a child process.
#[derive(Clone, Copy, Debug)]
pub struct Peak {
    /// Resident memory of the child before the workload, bytes.
    pub baseline: u64,
    /// Its peak resident memory (`VmHWM`) at the end, bytes.
    pub peak: u64,
}

impl Peak {
    /// What the workload added to the peak, bytes.
    pub fn growth(&self) -> u64 {
        self.peak.saturating_sub(self.baseline)
    }
}

/// Environment variable naming the test a child process runs.
const CHILD: &str = "HOSTILE_INPUT_CHILD";

/// Runs `workload` in a child process and returns the child's peak memory.
///
/// The child is this test binary run on the calling test alone (`name` is
/// the test's full name, e.g. `one_million_connections`), with an
/// environment variable telling it to run the workload: its assertions
/// hold in the child (a failure fails the parent), and its peak memory is
/// its own, unaffected by the other tests running in the parent.
pub fn in_child(name: &str, workload: impl FnOnce()) -> Option<Peak> {
    if std::env::var(CHILD).as_deref() == Ok(name) {
        let baseline = rss();
        workload();
        println!("HOSTILE_PEAK {baseline} {}", peak_rss());
        return None;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let output = std::process::Command::new(exe)
        .args([
            name,
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, name)
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the child running {name} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("HOSTILE_PEAK ").map(|(_, rest)| rest))
        .unwrap_or_else(|| {
            panic!("the child ran no workload (is `{name}` its exact name?):\n{stdout}")
        });
    let mut numbers = line
        .split_whitespace()
        .map(|n| n.parse::<u64>().expect("a number"));
    let (baseline, peak) = (numbers.next().unwrap(), numbers.next().unwrap());
    Some(Peak { baseline, peak })
}

/// Asserts a child's memory growth stays within `bound` bytes (and says
/// how much it used).
#[track_caller]
pub fn assert_peak_within(name: &str, peak: Option<Peak>, bound: u64) {
    let Some(peak) = peak else { return };
    eprintln!(
        "{name}: peak {:.1} MiB, baseline {:.1} MiB, growth {:.1} MiB, bound {:.1} MiB",
        mib(peak.peak),
        mib(peak.baseline),
        mib(peak.growth()),
        mib(bound)
    );
    assert!(
        peak.growth() <= bound,
        "{name}: memory grew by {:.1} MiB, over the {:.1} MiB bound",
        mib(peak.growth()),
        mib(bound)
    );
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}
