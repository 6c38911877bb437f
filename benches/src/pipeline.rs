//! The measured runs of `bench-pipeline`. Each runs in its own process (peak
//! RSS is per process) and returns a [`Measurement`].

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use analyzer_core::decode::{decode_tcp, Endpoint};
use analyzer_core::pcap::PcapReader;
use analyzer_core::{Config, Engine, Event, NdjsonWriter, Protocol};
use serde::{Deserialize, Serialize};

/// One run over a capture file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Measurement {
    /// `floor`, `engine`, `ndjson`, `beat`, ...
    pub mode: String,
    /// Wall time, seconds.
    pub secs: f64,
    /// Bytes of the capture file.
    pub bytes: u64,
    /// Packets read (0 when the mode cannot tell).
    pub packets: u64,
    /// Transactions published (0 when the mode cannot tell).
    pub transactions: u64,
    /// `\n` bytes counted in TCP payloads (the floor's only "analysis").
    pub lines: u64,
    /// Peak resident set size of the process doing the work, KiB.
    pub peak_rss_kib: u64,
    /// Median over the rounds of this mode's time over the floor's time in
    /// the same round (set by `bench-pipeline` when it ran the floor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_floor_median: Option<f64>,
    /// CPU time (user and system) of the process doing the work, seconds:
    /// on a loaded machine it counts only the time the work ran.
    #[serde(default)]
    pub cpu_secs: f64,
    /// Median over the rounds of this mode's CPU time over the floor's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_x_floor_median: Option<f64>,
}

impl Measurement {
    fn new(mode: &str, path: &Path, secs: f64) -> Self {
        Measurement {
            mode: mode.to_string(),
            secs,
            bytes: std::fs::metadata(path).map_or(0, |m| m.len()),
            ..Measurement::default()
        }
    }

    /// MB/s of pcap (10^6 bytes per second).
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.secs
    }
}

/// Reads the whole file once so the runs find it in the page cache; returns
/// its size.
pub fn warm(path: &Path) -> io::Result<u64> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0;
    loop {
        match file.read(&mut buf)? {
            0 => return Ok(total),
            n => total += n as u64,
        }
    }
}

/// This process's peak RSS (`VmHWM`), KiB.
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The practical floor: pcap records, header decode, a flow lookup in a
/// `HashMap` keyed by the 4-tuple, `\n` counted with memchr. No analysis.
/// The map hashes with foldhash, as the engine's flow table does: with the
/// default SipHash the floor is about a quarter slower, which flattered
/// every ratio to it.
pub fn floor(path: &Path) -> Result<Measurement, String> {
    let start = Instant::now();
    let mut reader = PcapReader::open(path).map_err(|e| e.to_string())?;
    let mut flows: HashMap<(Endpoint, Endpoint), u64, foldhash::fast::RandomState> =
        HashMap::default();
    let (mut packets, mut lines) = (0u64, 0u64);
    while let Some(packet) = reader.next_packet().map_err(|e| e.to_string())? {
        packets += 1;
        let Ok(seg) = decode_tcp(packet.link, packet.data) else {
            continue;
        };
        // Both directions of a connection share one entry, as in the engine.
        let key = if seg.src <= seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let n = memchr::memchr_iter(b'\n', seg.payload).count() as u64;
        *flows.entry(key).or_insert(0) += n;
        lines += n;
    }
    std::hint::black_box(&flows);
    let mut m = Measurement::new("floor", path, start.elapsed().as_secs_f64());
    (m.packets, m.lines) = (packets, lines);
    Ok(m)
}

/// The engine of protocol `P` with a counting sink: analysis, no
/// serialization.
pub fn engine<P: Protocol>(path: &Path) -> Result<Measurement, String> {
    let start = Instant::now();
    let mut reader = PcapReader::open(path).map_err(|e| e.to_string())?;
    let mut published = 0u64;
    let mut engine = Engine::new(Config::default(), |event: Event<P>| {
        std::hint::black_box(&event);
        published += 1;
    });
    analyzer_core::replay::feed(&mut reader, &mut engine).map_err(|e| e.to_string())?;
    engine.finish();
    let packets = engine.counters().packets;
    drop(engine);
    let mut m = Measurement::new("engine", path, start.elapsed().as_secs_f64());
    (m.packets, m.transactions) = (packets, published);
    Ok(m)
}

/// The engine of protocol `P` writing ndjson to `io::sink()`: serialization
/// included.
pub fn ndjson<P: Protocol>(path: &Path) -> Result<Measurement, String> {
    let start = Instant::now();
    let mut reader = PcapReader::open(path).map_err(|e| e.to_string())?;
    let mut engine = Engine::<P, _>::new(Config::default(), NdjsonWriter::new(io::sink()));
    analyzer_core::replay::feed(&mut reader, &mut engine).map_err(|e| e.to_string())?;
    engine.finish();
    let packets = engine.counters().packets;
    let writer = engine.into_sink();
    let written = writer.events_written();
    writer.finish().map_err(|e| e.to_string())?;
    let mut m = Measurement::new("ndjson", path, start.elapsed().as_secs_f64());
    (m.packets, m.transactions) = (packets, written);
    Ok(m)
}

/// Runs `program args` with stdout and stderr discarded and times it; the
/// peak RSS is the child's (`getrusage(RUSAGE_CHILDREN)`: this process has
/// no other child).
pub fn command(
    mode: &str,
    path: &Path,
    program: &Path,
    args: &[&str],
) -> Result<Measurement, String> {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let secs = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!(
            "{} {}: {status}",
            program.display(),
            args.join(" ")
        ));
    }
    let mut m = Measurement::new(mode, path, secs);
    m.peak_rss_kib = children_max_rss_kib();
    m.cpu_secs = cpu_secs(true);
    Ok(m)
}

/// CPU time (user + system) so far of this process (`RUSAGE_SELF`) or of
/// its waited-for children (`RUSAGE_CHILDREN`), seconds.
pub fn cpu_secs(children: bool) -> f64 {
    let who = if children {
        libc::RUSAGE_CHILDREN
    } else {
        libc::RUSAGE_SELF
    };
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn children_max_rss_kib() -> u64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if rc == 0 {
        usage.ru_maxrss.max(0) as u64 // KiB on Linux
    } else {
        0
    }
}
