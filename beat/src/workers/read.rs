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

use analyzer_core::pcap::{PcapReader, ReadError};
use analyzer_core::Timestamp;

use super::blocks::{Blocks, Ended, Format, Place, HEADER};
use super::shard::shard;
use super::{Batch, SharedOut};
use crate::progress::{Progress, UPDATE_EVERY};

/// Packets per copied batch, and bytes.
const BATCH_PACKETS: usize = 512;
const BATCH_BYTES: usize = 256 * 1024;

/// Reads the file (`reader` has read its header) into the workers' batches
/// until its end, a read error, `stop` or an output error.
pub(super) fn read(
    path: &Path,
    reader: &mut PcapReader<'_>,
    senders: &[SyncSender<Batch>],
    shared: &SharedOut,
    stop: &AtomicBool,
    show_progress: bool,
) -> Result<(), ReadError> {
    let total = std::fs::metadata(path).map_or(0, |m| m.len());
    let progress = Progress::stderr(total, show_progress);
    let input = Input {
        senders,
        shared,
        stop,
        progress: &progress,
    };
    let result = match by_blocks(path) {
        Some((file, header, format)) => input.blocks(file, header, format),
        None => input.copies(reader, Shift::default(), Timestamp::default()),
    };
    progress.finish();
    result
}

/// The file opened again for [`Blocks`], if it is a classic pcap file (a
/// pipe cannot be read twice).
fn by_blocks(path: &Path) -> Option<(File, [u8; HEADER], Format)> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut file = File::open(path).ok()?;
    let mut header = [0; HEADER];
    file.read_exact(&mut header).ok()?;
    let format = Format::of(&header)?;
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
        self.stop.load(Ordering::Relaxed) || self.shared.failed.load(Ordering::Relaxed)
    }

    fn lines(&self) -> u64 {
        self.shared.lines.load(Ordering::Relaxed)
    }

    /// Blocks, then (if they hand over) [`PcapReader`] from where they
    /// stopped: the file's header and its rest, errors moved to their
    /// places in the whole file.
    fn blocks(
        &self,
        mut file: File,
        header: [u8; HEADER],
        format: Format,
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
