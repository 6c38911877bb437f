//! The reading thread: the file's packets into per-worker batches.
//!
//! A classic pcap file is read in shared blocks ([`Blocks`]); anything else
//! (pcapng, a pipe, and the rest of a file from where the blocks hand over)
//! through [`PcapReader`], each packet copied into its worker's batch.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;

use analyzer_core::pcap::{ClassicFormat, PcapReader, ReadError};
use analyzer_core::Timestamp;

use super::blocks::{Blocks, Ended, Place, HEADER};
use super::shard::shard;
use super::{Batch, SharedOut};
use crate::progress::{Progress, UPDATE_EVERY};

/// Packets per copied batch, and bytes.
const BATCH_PACKETS: usize = 512;
const BATCH_BYTES: usize = 256 * 1024;

/// Reads the file (`reader` has read its header) into the workers' batches
/// until its end, a read error, `stop` or an output error; `again` is a
/// second handle on the file, to read it in blocks.
pub(super) fn read(
    path: &Path,
    again: Option<File>,
    reader: &mut PcapReader<'_>,
    senders: &[SyncSender<Batch>],
    shared: &SharedOut,
    stop: &AtomicBool,
    show_progress: bool,
) -> Result<(), ReadError> {
    let total = match &again {
        Some(file) => file.metadata().map_or(0, |m| m.len()),
        None => std::fs::metadata(path).map_or(0, |m| m.len()),
    };
    let progress = Progress::stderr(total, show_progress);
    let input = Input {
        senders,
        shared,
        stop,
        progress: &progress,
    };
    let result = match again.and_then(by_blocks) {
        Some((file, header, format)) => input.blocks(file, header, format),
        None => input.copies(reader, Shift::default(), Timestamp::default()),
    };
    progress.finish();
    result
}

/// The second handle, for [`Blocks`], if the file is a classic pcap file
/// (a pipe cannot be read twice).
fn by_blocks(mut file: File) -> Option<(File, [u8; HEADER], ClassicFormat)> {
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut header = [0; HEADER];
    file.read_exact(&mut header).ok()?;
    let format = ClassicFormat::of(&header)?;
    Some((file, header, format))
}

/// Where the packets go, and what stops the reading.
struct Input<'a> {
    senders: &'a [SyncSender<Batch>],
    shared: &'a SharedOut,
    stop: &'a AtomicBool,
    progress: &'a Progress,
}

impl Input<'_> {
    fn halted(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.shared.queue.has_failed()
    }

    fn lines(&self) -> u64 {
        self.shared.queue.counters().published
    }

    /// Blocks, then (if they hand over) [`PcapReader`] from where they
    /// stopped: the file's header and its rest, errors moved to their
    /// places in the whole file.
    fn blocks(
        &self,
        mut file: File,
        header: [u8; HEADER],
        format: ClassicFormat,
    ) -> Result<(), ReadError> {
        let mut blocks = Blocks::new(&mut file, format);
        let ended = loop {
            if self.halted() {
                break Ended::Stopped;
            }
            if let Some(ended) = blocks.next(self.senders) {
                break ended;
            }
            self.progress.update(blocks.offset, self.lines());
        };
        let now = blocks.now;
        let Ended::Handover { offset, packets } = ended else {
            return Ok(());
        };
        let failed = || ReadError::Io {
            offset,
            source: io::Error::other("read failed"),
        };
        file.seek(SeekFrom::Start(offset)).map_err(|_| failed())?;
        let mut rest = PcapReader::new(Cursor::new(header).chain(file)).map_err(|_| failed())?;
        let shift = Shift {
            bytes: offset - HEADER as u64,
            packets,
        };
        self.copies(&mut rest, shift, now)
    }

    /// Packets from `reader`, each copied into its worker's batch.
    fn copies(
        &self,
        reader: &mut PcapReader<'_>,
        shift: Shift,
        mut now: Timestamp,
    ) -> Result<(), ReadError> {
        let senders = self.senders;
        let mut batches: Vec<Copies> = senders.iter().map(|_| Copies::with_room()).collect();
        let mut packets = 0u64;
        let result = loop {
            if self.halted() {
                break Ok(());
            }
            let packet = match reader.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => break Ok(()),
                Err(err) => break Err(shift.error(err)),
            };
            now = now.max(packet.ts);
            let w = shard(packet.link, packet.data, senders.len());
            let batch = &mut batches[w];
            let at = batch.data.len() as u32;
            batch.data.extend_from_slice(packet.data);
            let len = packet.data.len() as u32;
            batch.packets.push((packet.ts, packet.link, at, len));
            if batch.packets.len() >= BATCH_PACKETS || batch.data.len() >= BATCH_BYTES {
                batch.send(&senders[w], now);
            }
            packets += 1;
            if packets % UPDATE_EVERY == 0 {
                let read = reader.bytes_read() + shift.bytes;
                self.progress.update(read, self.lines());
            }
        };
        for (batch, tx) in batches.iter_mut().zip(senders) {
            batch.send(tx, now);
        }
        result
    }
}

/// A batch being filled with copies of packets.
struct Copies {
    data: Vec<u8>,
    packets: Vec<Place>,
}

impl Copies {
    /// An empty batch with room for a full one, so filling it never
    /// reallocates (and copies) what it already holds.
    fn with_room() -> Self {
        Copies {
            data: Vec::with_capacity(BATCH_BYTES + 2048),
            packets: Vec::with_capacity(BATCH_PACKETS),
        }
    }

    fn send(&mut self, tx: &SyncSender<Batch>, now: Timestamp) {
        let full = std::mem::replace(self, Copies::with_room());
        let batch = Batch {
            data: Arc::new(full.data),
            packets: full.packets,
            now,
        };
        // A worker that is gone (it panicked) is reported at the join.
        let _ = tx.send(batch);
    }
}

/// How far a [`PcapReader`] started into the file: its errors are moved
/// by that much.
#[derive(Clone, Copy, Default)]
struct Shift {
    /// Bytes of the file skipped (after its header).
    bytes: u64,
    /// Packets read before.
    packets: u64,
}

impl Shift {
    fn error(&self, err: ReadError) -> ReadError {
        let (bytes, before) = (self.bytes, self.packets);
        match err {
            ReadError::Io { offset, source } => ReadError::Io {
                offset: offset + bytes,
                source,
            },
            ReadError::Truncated { offset, packets } => ReadError::Truncated {
                offset: offset + bytes,
                packets: packets + before,
            },
            ReadError::TooLarge { offset, packets } => ReadError::TooLarge {
                offset: offset + bytes,
                packets: packets + before,
            },
            ReadError::Corrupt {
                offset,
                packets,
                detail,
            } => ReadError::Corrupt {
                offset: offset + bytes,
                packets: packets + before,
                detail,
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::sync_channel;

    use etherparse::PacketBuilder;

    use super::*;

    /// A classic pcap file of `count` packets on a few connections, record
    /// `big` of them larger than a block, cut to `cut` bytes.
    fn capture(count: u32, big: u32, cut: usize) -> Vec<u8> {
        let mut file = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
        file.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        file.extend_from_slice(&u32::MAX.to_le_bytes());
        file.extend_from_slice(&1u32.to_le_bytes());
        for i in 0..count {
            let mut data = Vec::new();
            PacketBuilder::ethernet2([1; 6], [2; 6])
                .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
                .tcp(40000 + (i % 7) as u16, 7, i, 1024)
                .write(&mut data, &vec![b'x'; (i * 13 % 1400) as usize])
                .unwrap();
            if i == big {
                data.resize(super::super::blocks::BLOCK + 1000, 0);
            }
            for v in [
                i / 1000,
                i % 1000 * 997,
                data.len() as u32,
                data.len() as u32,
            ] {
                file.extend_from_slice(&v.to_le_bytes());
            }
            file.extend_from_slice(&data);
        }
        file.truncate(cut);
        file
    }

    /// Each packet's time and bytes.
    type Packets = Vec<(Timestamp, Vec<u8>)>;

    /// The packets `read` sends each of 3 workers, and its result.
    fn read_by_workers(path: &Path) -> (Vec<Packets>, Result<(), String>) {
        let shared = SharedOut {
            queue: Arc::new(crate::delivery::Queue::new(
                1000,
                crate::delivery::WhenFull::Wait,
            )),
        };
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..3).map(|_| sync_channel(1000)).unzip();
        let mut reader = PcapReader::open(path).unwrap();
        let stop = AtomicBool::new(false);
        let again = File::open(path).ok();
        let result = read(path, again, &mut reader, &senders, &shared, &stop, false);
        drop(senders);
        let packets = receivers
            .into_iter()
            .map(|rx| {
                rx.iter()
                    .flat_map(|batch: Batch| {
                        let data = &batch.data;
                        let packets = batch.packets.iter();
                        let packets = packets.map(|&(ts, _, at, len)| {
                            (ts, data[at as usize..(at + len) as usize].to_vec())
                        });
                        packets.collect::<Vec<_>>()
                    })
                    .collect()
            })
            .collect();
        (packets, result.map_err(|e| e.to_string()))
    }

    /// Blocks, the hand-over to the parser and copies give each worker its
    /// packets in file order, all of them, and the error the parser gives
    /// alone, at its place in the file.
    #[test]
    fn the_workers_get_every_packet_in_order_and_the_same_error() {
        let whole = capture(3000, 1500, usize::MAX);
        let dir = std::env::temp_dir().join(format!("beat-read-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for cut in [
            whole.len(),
            whole.len() - 10,
            whole.len() - 700,
            2_000_000,
            700_000,
        ] {
            let path = dir.join(format!("cut-{cut}.pcap"));
            std::fs::write(&path, &whole[..cut]).unwrap();
            let mut reader = PcapReader::open(&path).unwrap();
            let mut expected = Vec::new();
            let error = loop {
                match reader.next_packet() {
                    Ok(Some(p)) => expected.push((p.ts, p.data.to_vec())),
                    Ok(None) => break Ok(()),
                    Err(err) => break Err(err.to_string()),
                }
            };
            let (workers, result) = read_by_workers(&path);
            assert_eq!(result, error, "cut at {cut}");
            let mut next = vec![0; workers.len()];
            for packet in &expected {
                let w = (0..workers.len())
                    .find(|&w| workers[w].get(next[w]) == Some(packet))
                    .unwrap_or_else(|| panic!("cut at {cut}: a packet missing or out of order"));
                next[w] += 1;
            }
            assert_eq!(
                next.iter().sum::<usize>(),
                workers.iter().map(Vec::len).sum::<usize>()
            );
            assert!(workers.iter().all(|w| !w.is_empty()));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
