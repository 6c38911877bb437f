//! `--workers N`: a capture file analyzed by N worker threads.
//!
//! The reading thread reads the file and sends each packet to one worker,
//! chosen by a hash of its connection's two endpoints that is the same in
//! both directions, so a connection is always analyzed by one worker, in
//! order. Each worker runs its own [`Beat`] (one engine per protocol) and
//! writes whole ndjson lines to the shared output; events of one connection
//! keep their order, events of different connections interleave. Packets
//! travel in batches, each carrying the reader's latest capture time so a
//! worker's timeouts advance even when its own connections are quiet. At the
//! end the counters and summaries of the workers are added up.

use std::hash::BuildHasher;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;

use analyzer_core::decode::{decode_tcp, LinkType};
use analyzer_core::pcap::{PcapReader, ReadError};
use analyzer_core::{Config, Counters, Timestamp};

use crate::analyzer::{Output, Registration};
use crate::progress::{Progress, UPDATE_EVERY};
use crate::run::{Beat, Failure, Report};
use crate::summary::{Stats, Summary};

/// Packets per batch sent to a worker, and bytes.
const BATCH_PACKETS: usize = 512;
const BATCH_BYTES: usize = 256 * 1024;
/// Batches in flight per worker: bounds the memory between the threads.
const QUEUE: usize = 4;

/// Packets for one worker, their bytes back to back.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    packets: Vec<(Timestamp, LinkType, usize, usize)>,
    /// The reader's capture time when the batch was sent.
    now: Timestamp,
}

impl Batch {
    /// An empty batch with room for a full one, so filling it never
    /// reallocates (and copies) what it already holds.
    fn with_room() -> Self {
        Batch {
            data: Vec::with_capacity(BATCH_BYTES + 2048),
            packets: Vec::with_capacity(BATCH_PACKETS),
            now: Timestamp::default(),
        }
    }
}

/// What a worker hands back at the end.
struct Done {
    counters: Vec<(&'static str, Counters)>,
    stats: Option<Vec<Stats>>,
    written: io::Result<()>,
}

/// The shared output: each `write` is a run of whole lines (the ndjson
/// writer's buffer only ever holds whole lines), written under the lock.
#[derive(Clone)]
struct SharedOut {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
    lines: Arc<AtomicU64>,
    failed: Arc<AtomicBool>,
}

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut out = self
            .out
            .lock()
            .map_err(|_| io::Error::other("output lock poisoned"))?;
        match out.write_all(buf) {
            Ok(()) => {
                let lines = memchr::memchr_iter(b'\n', buf).count() as u64;
                self.lines.fetch_add(lines, Ordering::Relaxed);
                Ok(buf.len())
            }
            Err(err) => {
                self.failed.store(true, Ordering::Relaxed);
                Err(err)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut out = self
            .out
            .lock()
            .map_err(|_| io::Error::other("output lock poisoned"))?;
        out.flush()
    }
}

/// The worker for a packet: a hash of its two endpoints, the same both ways.
/// Packets that are not TCP go to worker 0 (they are only counted).
fn shard(link: LinkType, data: &[u8], workers: usize) -> usize {
    let endpoints = ethernet_ipv4_endpoints(link, data).or_else(|| {
        let seg = decode_tcp(link, data).ok()?;
        Some((seg.src, seg.dst))
    });
    let Some((a, b)) = endpoints else {
        return 0;
    };
    let key = if a <= b { (a, b) } else { (b, a) };
    let hash = foldhash::fast::FixedState::with_seed(0x5eed).hash_one(key);
    (hash % workers as u64) as usize
}

/// The endpoints of an untagged Ethernet, IPv4, TCP packet, read straight
/// from their fixed places: the reading thread does this for every packet,
/// and the full decode (which the worker's engine does anyway) would double
/// its work. Anything else returns `None` and is decoded properly; both give
/// the same endpoints, so a connection always lands on the same worker.
fn ethernet_ipv4_endpoints(link: LinkType, d: &[u8]) -> Option<((IpAddr, u16), (IpAddr, u16))> {
    const ETH: usize = 14;
    if link != LinkType::Ethernet || d.get(12..14)? != [0x08, 0x00] {
        return None;
    }
    let (version, ihl) = (d.get(ETH)? >> 4, usize::from(d.get(ETH)? & 0x0f) * 4);
    let fragment = u16::from_be_bytes([d.get(ETH + 6)? & 0x3f, *d.get(ETH + 7)?]);
    if version != 4 || ihl < 20 || *d.get(ETH + 9)? != 6 || fragment != 0 {
        return None;
    }
    let ip = |at: usize| -> Option<IpAddr> {
        let b: [u8; 4] = d.get(ETH + at..ETH + at + 4)?.try_into().ok()?;
        Some(IpAddr::from(b))
    };
    let tcp = ETH + ihl;
    let port = |at: usize| {
        Some(u16::from_be_bytes([
            *d.get(tcp + at)?,
            *d.get(tcp + at + 1)?,
        ]))
    };
    Some(((ip(12)?, port(0)?), (ip(16)?, port(2)?)))
}

/// Analyzes the capture `reader` reads with `workers` threads.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_file(
    path: &Path,
    reader: &mut PcapReader<'_>,
    protocols: &[(Registration, Config)],
    out: Box<dyn Write + Send>,
    workers: usize,
    summarize: bool,
    stop: &AtomicBool,
    show_progress: bool,
) -> Result<Report, Failure> {
    let shared = SharedOut {
        out: Arc::new(Mutex::new(out)),
        lines: Arc::new(AtomicU64::new(0)),
        failed: Arc::new(AtomicBool::new(false)),
    };
    let mut senders = Vec::new();
    let mut handles = Vec::new();
    for _ in 0..workers {
        let (tx, rx) = sync_channel::<Batch>(QUEUE);
        let protocols = protocols.to_vec();
        let shared = shared.clone();
        handles.push(thread::spawn(move || {
            work(rx, &protocols, shared, summarize)
        }));
        senders.push(tx);
    }
    let read = read(path, reader, &senders, &shared, stop, show_progress);
    drop(senders);
    let mut report = Report {
        counters: Vec::new(),
        summary: None,
        capture: None,
    };
    let mut stats: Option<Vec<Stats>> = None;
    let mut written = Ok(());
    for handle in handles {
        let done = handle.join().map_err(|_| Failure {
            message: "a worker thread panicked".into(),
            report: None,
        })?;
        for (i, (name, counters)) in done.counters.into_iter().enumerate() {
            match report.counters.get_mut(i) {
                Some((_, total)) => total.add(&counters),
                None => report.counters.push((name, counters)),
            }
        }
        if let Some(worker) = done.stats {
            match &mut stats {
                Some(total) => total.iter_mut().zip(&worker).for_each(|(t, w)| t.merge(w)),
                None => stats = Some(worker),
            }
        }
        if written.is_ok() {
            written = done.written;
        }
    }
    if let Some(stats) = &stats {
        let counters: Vec<&Counters> = report.counters.iter().map(|(_, c)| c).collect();
        report.summary = Some(Summary::new(stats, &counters));
    }
    let flushed = shared.out.lock().map(|mut out| out.flush());
    let failed = |message| Failure {
        message,
        report: Some(Box::new(report.clone())),
    };
    match (written, flushed) {
        (Err(err), _) | (Ok(()), Ok(Err(err))) => {
            return Err(failed(format!("writing events: {err}")))
        }
        _ => {}
    }
    read.map_err(|err| failed(format!("{}: {err}", path.display())))?;
    Ok(report)
}

/// The reading thread: packets into per-worker batches.
fn read(
    path: &Path,
    reader: &mut PcapReader<'_>,
    senders: &[SyncSender<Batch>],
    shared: &SharedOut,
    stop: &AtomicBool,
    show_progress: bool,
) -> Result<(), ReadError> {
    let total = std::fs::metadata(path).map_or(0, |m| m.len());
    let progress = Progress::stderr(total, show_progress);
    let mut batches: Vec<Batch> = senders.iter().map(|_| Batch::with_room()).collect();
    let mut now = Timestamp::default();
    let mut packets = 0u64;
    let send = |batch: &mut Batch, tx: &SyncSender<Batch>, now: Timestamp| {
        let mut full = std::mem::replace(batch, Batch::with_room());
        full.now = now;
        // A worker that is gone (it panicked) is reported at the join.
        let _ = tx.send(full);
    };
    let result = loop {
        if stop.load(Ordering::Relaxed) || shared.failed.load(Ordering::Relaxed) {
            break Ok(());
        }
        let packet = match reader.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break Ok(()),
            Err(err) => break Err(err),
        };
        now = now.max(packet.ts);
        let w = shard(packet.link, packet.data, senders.len());
        let batch = &mut batches[w];
        let at = batch.data.len();
        batch.data.extend_from_slice(packet.data);
        batch
            .packets
            .push((packet.ts, packet.link, at, packet.data.len()));
        if batch.packets.len() >= BATCH_PACKETS || batch.data.len() >= BATCH_BYTES {
            send(batch, &senders[w], now);
        }
        packets += 1;
        if packets % UPDATE_EVERY == 0 {
            progress.update(reader.bytes_read(), shared.lines.load(Ordering::Relaxed));
        }
    };
    for (batch, tx) in batches.iter_mut().zip(senders) {
        send(batch, tx, now);
    }
    progress.finish();
    result
}

/// A worker: its own engines over the packets it is sent.
fn work(
    rx: Receiver<Batch>,
    protocols: &[(Registration, Config)],
    shared: SharedOut,
    summarize: bool,
) -> Done {
    let mut beat = Beat::new(protocols, Output::new(Box::new(shared), summarize));
    for batch in rx {
        for &(ts, link, at, len) in &batch.packets {
            beat.packet(ts, link, &batch.data[at..at + len]);
        }
        beat.tick(batch.now);
    }
    beat.finish();
    Done {
        counters: beat
            .counters()
            .into_iter()
            .map(|(name, c)| (name, c.clone()))
            .collect(),
        stats: beat.output().stats(),
        written: beat.output().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use analyzer_core::pcap::PcapReader;

    #[test]
    fn the_quick_read_of_endpoints_agrees_with_the_decoder() {
        for name in ["concurrent.pcap", "pipelined.pcap"] {
            let path = format!("{}/../echo/data/{name}", env!("CARGO_MANIFEST_DIR"));
            let mut reader = PcapReader::open(path).unwrap();
            let mut seen = 0;
            while let Some(p) = reader.next_packet().unwrap() {
                let seg = decode_tcp(p.link, p.data).unwrap();
                assert_eq!(
                    ethernet_ipv4_endpoints(p.link, p.data),
                    Some((seg.src, seg.dst))
                );
                let reversed = if seg.src <= seg.dst {
                    (seg.src, seg.dst)
                } else {
                    (seg.dst, seg.src)
                };
                let w = shard(p.link, p.data, 5) as u64;
                let expected = foldhash::fast::FixedState::with_seed(0x5eed).hash_one(reversed) % 5;
                assert_eq!(w, expected);
                seen += 1;
            }
            assert!(seen > 10);
        }
    }
}
