//! `--workers N`: a capture file analyzed by N worker threads.
//!
//! The reading thread reads the file and sends each packet to one worker,
//! chosen by a hash of its connection's two endpoints that is the same in
//! both directions, so a connection is always analyzed by one worker, in
//! order. Each worker runs its own [`Beat`] (one engine per protocol) and
//! hands batches of events to the shared delivery queue; events of one connection
//! keep their order, events of different connections interleave. Packets
//! travel in batches, each carrying the reader's latest capture time so a
//! worker's timeouts advance even when its own connections are quiet. At the
//! end the counters and summaries of the workers are added up.
//!
//! A classic pcap file is read in 512 KiB blocks shared by the workers
//! (each gets the places of its packets, nothing is copied); the end of the
//! file inside a record, a record larger than a block, or a read error hand
//! the rest of the file to [`PcapReader`](analyzer_core::pcap::PcapReader),
//! as pcapng files and inputs that are not regular files are read from the
//! start: packets copied into batches, errors reported as one thread
//! reports them.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread;

use analyzer_core::pcap::PcapReader;
use analyzer_core::{Config, Counters, Timestamp};

use crate::analyzer::Registration;
use crate::delivery::Queue;
use crate::output::Outputs;
use crate::run::{Beat, Failure, Report};
use crate::summary::{Stats, Summary};

mod blocks;
mod read;
mod shard;

use blocks::Place;
use read::read;

/// Batches in flight per worker: bounds the memory between the threads.
const QUEUE: usize = 4;

/// Packets for one worker: their places in shared bytes.
struct Batch {
    /// A block of the file, or copies of packets back to back.
    data: Arc<Vec<u8>>,
    packets: Vec<Place>,
    /// The reader's capture time when the batch was sent.
    now: Timestamp,
}

/// What a worker hands back at the end.
struct Done {
    counters: Vec<(&'static str, Counters)>,
    stats: Option<Vec<Stats>>,
    written: io::Result<()>,
}

/// The shared delivery queue, watched by the reader (progress, failure).
#[derive(Clone)]
struct SharedOut {
    queue: Arc<Queue>,
}

/// Analyzes the capture `reader` reads with `workers` threads; `again`, a
/// second handle on the file (opened before privileges were dropped), lets
/// a classic pcap file be read in blocks.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_file(
    path: &Path,
    again: Option<File>,
    reader: &mut PcapReader<'_>,
    protocols: &[(Registration, Config)],
    outputs: &Outputs,
    workers: usize,
    stop: &AtomicBool,
    show_progress: bool,
) -> Result<(Report, Result<(), String>), Failure> {
    let shared = SharedOut {
        queue: outputs.queue.clone(),
    };
    let mut senders = Vec::new();
    let mut handles = Vec::new();
    for _ in 0..workers {
        let (tx, rx) = sync_channel::<Batch>(QUEUE);
        let protocols = protocols.to_vec();
        let outputs = outputs.clone();
        handles.push(thread::spawn(move || work(rx, &protocols, &outputs)));
        senders.push(tx);
    }
    let read = read(path, again, reader, &senders, &shared, stop, show_progress);
    drop(senders);
    let mut report = Report {
        counters: Vec::new(),
        summary: None,
        capture: None,
        delivery: None,
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
    let input = match written {
        Err(err) => Err(format!("writing events: {err}")),
        Ok(()) => read.map_err(|err| format!("{}: {err}", path.display())),
    };
    Ok((report, input))
}

/// A worker: its own engines over the packets it is sent.
fn work(rx: Receiver<Batch>, protocols: &[(Registration, Config)], outputs: &Outputs) -> Done {
    let mut beat = Beat::new(protocols, outputs.make());
    for batch in rx {
        let data = |at: u32, len: u32| &batch.data[at as usize..at as usize + len as usize];
        for (i, &(ts, link, at, len)) in batch.packets.iter().enumerate() {
            if beat.prefetching() {
                if let Some(&(_, link, at, len)) = batch.packets.get(i + 4) {
                    beat.prefetch_lookup(link, data(at, len));
                }
                if let Some(&(_, link, at, len)) = batch.packets.get(i + 3) {
                    beat.prefetch(link, data(at, len));
                }
            }
            beat.packet(ts, link, data(at, len));
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
