//! Helpers for the workspace's integration tests: reading a capture into
//! memory, changing the order of its packets (reorder, duplicate, drop) the
//! way a lossy network or capture would, and writing it back as a pcap.
//!
//! The `pcap-mangle` binary exposes the same operations on the command line.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use analyzer_core::decode::LinkType;
use analyzer_core::pcap::{OpenError, PcapReader};
use analyzer_core::replay::{replay_packets, Replay};
use analyzer_core::{Config, Protocol, Timestamp};

/// One captured packet, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedPacket {
    /// Capture time.
    pub ts: Timestamp,
    /// Link layer.
    pub link: LinkType,
    /// Captured bytes.
    pub data: Vec<u8>,
}

/// Reads every packet of a capture file.
pub fn read_packets(path: impl AsRef<Path>) -> Result<Vec<OwnedPacket>, OpenError> {
    let mut reader = PcapReader::open(path)?;
    let mut out = Vec::new();
    while let Some(p) = reader.next_packet().map_err(OpenError::Read)? {
        out.push(OwnedPacket {
            ts: p.ts,
            link: p.link,
            data: p.data.to_vec(),
        });
    }
    Ok(out)
}

/// A change to the packet sequence; packet numbers are 1-based, as tcpdump
/// and Wireshark show them, and refer to the original capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Packets `a` and `b` trade places (timestamps stay in slot order).
    Swap(usize, usize),
    /// Packet `n` appears twice in a row (a retransmission).
    Duplicate(usize),
    /// Packet `n` is not in the output (capture loss).
    Drop(usize),
}

impl std::str::FromStr for Op {
    type Err = String;
    /// `swap:A,B`, `dup:N` or `drop:N`.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}`: expected swap:A,B, dup:N or drop:N");
        let (op, args) = text.split_once(':').ok_or_else(bad)?;
        let num = |s: &str| {
            s.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(bad)
        };
        match op {
            "swap" => {
                let (a, b) = args.split_once(',').ok_or_else(bad)?;
                Ok(Op::Swap(num(a)?, num(b)?))
            }
            "dup" => Ok(Op::Duplicate(num(args)?)),
            "drop" => Ok(Op::Drop(num(args)?)),
            _ => Err(bad()),
        }
    }
}

/// Applies `ops` in order. A swap exchanges the packets but keeps each slot's
/// timestamp, so capture time still goes forward.
pub fn mangle(packets: &[OwnedPacket], ops: &[Op]) -> Result<Vec<OwnedPacket>, String> {
    // Work on (original number, packet) so later ops can name originals.
    let mut seq: Vec<(usize, OwnedPacket)> = packets
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, p)| (i + 1, p))
        .collect();
    let find = |seq: &[(usize, OwnedPacket)], n: usize| {
        seq.iter()
            .position(|(orig, _)| *orig == n)
            .ok_or_else(|| format!("packet {n} is not in the capture (any more)"))
    };
    for op in ops {
        match *op {
            Op::Swap(a, b) => {
                let (i, j) = (find(&seq, a)?, find(&seq, b)?);
                let (ti, tj) = (seq[i].1.ts, seq[j].1.ts);
                seq.swap(i, j);
                seq[i].1.ts = ti;
                seq[j].1.ts = tj;
            }
            Op::Duplicate(n) => {
                let i = find(&seq, n)?;
                let copy = seq[i].clone();
                seq.insert(i + 1, copy);
            }
            Op::Drop(n) => {
                let i = find(&seq, n)?;
                seq.remove(i);
            }
        }
    }
    Ok(seq.into_iter().map(|(_, p)| p).collect())
}

/// The capture at `path` with `ops` applied ([`mangle`]), analyzed with
/// protocol `P` (default configuration).
///
/// # Panics
///
/// When the file cannot be read, an op names a packet not there, or the
/// counters do not account for every message
/// ([`Counters::check_accounting`](analyzer_core::Counters::check_accounting)).
pub fn replay_mangled<P: Protocol>(path: impl AsRef<Path>, ops: &[Op]) -> Replay {
    let path = path.as_ref();
    let packets = read_packets(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let packets = mangle(&packets, ops).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let run = replay_packets::<P, _>(
        Config::default(),
        packets.iter().map(|p| (p.ts, p.link, &p.data)),
    );
    if let Err(problem) = run.counters.check_accounting() {
        panic!("{}: {problem}", path.display());
    }
    run
}

/// Writes packets as a classic pcap (microseconds, little endian). All
/// packets must share one link type (Ethernet, NULL, raw IP or SLL).
pub fn write_pcap(out: &mut impl Write, packets: &[OwnedPacket]) -> io::Result<()> {
    let link = match packets.first().map(|p| p.link) {
        Some(LinkType::Null) => 0u32,
        Some(LinkType::RawIp) => 101,
        Some(LinkType::LinuxSll) => 113,
        Some(LinkType::LinuxSll2) => 276,
        _ => 1,
    };
    out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
    out.write_all(&2u16.to_le_bytes())?;
    out.write_all(&4u16.to_le_bytes())?;
    out.write_all(&[0; 8])?;
    out.write_all(&262_144u32.to_le_bytes())?;
    out.write_all(&link.to_le_bytes())?;
    for p in packets {
        let nanos = p.ts.as_nanos();
        let secs = nanos.div_euclid(1_000_000_000) as u32;
        let micros = (nanos.rem_euclid(1_000_000_000) / 1_000) as u32;
        let len = p.data.len() as u32;
        for v in [secs, micros, len, len] {
            out.write_all(&v.to_le_bytes())?;
        }
        out.write_all(&p.data)?;
    }
    Ok(())
}

/// Runs a beat binary (`program`: `env!("CARGO_BIN_EXE_http-beat")`...)
/// with `args` in `dir` and returns its events (stdout, one JSON document
/// a line) and its counters (stderr, one JSON document).
///
/// # Panics
///
/// When it cannot start, exits with an error (showing its stderr), or
/// writes anything else.
pub fn run_beat(
    program: &str,
    dir: &Path,
    args: &[&str],
) -> (Vec<serde_json::Value>, serde_json::Value) {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 on stderr");
    assert!(out.status.success(), "{program} {args:?}: {stderr}");
    let events = String::from_utf8(out.stdout)
        .expect("UTF-8 on stdout")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let counters = serde_json::from_str(stderr.trim()).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (events, counters)
}

/// The system allocator, keeping the heap's live bytes (as requested) and
/// their peak: the memory tests install it with `#[global_allocator]` in
/// their own binary and measure what a run holds at most.
///
/// ```
/// use integration_tests::PeakAlloc;
///
/// static HEAP: PeakAlloc = PeakAlloc::new();
/// let base = HEAP.start();
/// assert_eq!(HEAP.peak_above(base), 0);
/// ```
pub struct PeakAlloc {
    live: AtomicUsize,
    peak: AtomicUsize,
}

impl PeakAlloc {
    /// Nothing counted yet.
    pub const fn new() -> PeakAlloc {
        PeakAlloc {
            live: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Starts a measurement: the peak is reset to what is live now, which
    /// is returned (the base of [`peak_above`](PeakAlloc::peak_above)).
    pub fn start(&self) -> usize {
        let base = self.live.load(Relaxed);
        self.peak.store(base, Relaxed);
        base
    }

    /// The peak since [`start`](PeakAlloc::start), above `base`.
    pub fn peak_above(&self, base: usize) -> usize {
        self.peak.load(Relaxed).saturating_sub(base)
    }
}

impl Default for PeakAlloc {
    fn default() -> Self {
        PeakAlloc::new()
    }
}

// SAFETY: every call goes to `System`; the counters only observe.
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = self.live.fetch_add(layout.size(), Relaxed) + layout.size();
        self.peak.fetch_max(live, Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.live.fetch_sub(layout.size(), Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> Vec<OwnedPacket> {
        read_packets(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../echo/data/plain.pcap"
        ))
        .unwrap()
    }

    #[test]
    fn writing_and_reading_back_gives_the_same_packets() {
        let packets = plain();
        let mut bytes = Vec::new();
        write_pcap(&mut bytes, &packets).unwrap();
        let mut reader = PcapReader::new(&bytes[..]).unwrap();
        let mut again = Vec::new();
        while let Some(p) = reader.next_packet().unwrap() {
            again.push(OwnedPacket {
                ts: p.ts,
                link: p.link,
                data: p.data.to_vec(),
            });
        }
        assert_eq!(again, packets);
    }

    #[test]
    fn ops_reorder_duplicate_and_drop() {
        let packets = plain();
        let out = mangle(
            &packets,
            &["swap:4,6".parse().unwrap(), Op::Duplicate(4), Op::Drop(2)],
        )
        .unwrap();
        assert_eq!(out.len(), packets.len());
        assert_eq!(out[2].data, packets[5].data);
        assert_eq!(out[2].ts, packets[3].ts, "slots keep their timestamps");
        assert_eq!(out[4].data, packets[3].data);
        assert_eq!(out[5].data, packets[3].data);
        assert_eq!(out[1].data, packets[2].data);
        assert!(mangle(&packets, &[Op::Drop(99)]).is_err());
        assert!("swap:1".parse::<Op>().is_err());
    }
}
