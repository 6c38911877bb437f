//! The reading thread's fast way through a classic pcap file: the file read
//! in large blocks that the workers share (reference counted), each worker
//! sent the places of its packets in a block instead of a copy of them.
//!
//! Only records that lie whole in the file are read this way. Anything else
//! (the end of the file inside a record, a record larger than a block, a
//! read error) hands the rest of the file, from the start of the block where
//! it happened, to [`PcapReader`], so errors are found and reported exactly
//! as without workers.

use std::fs::File;
use std::io::Read;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;

use analyzer_core::decode::LinkType;
use analyzer_core::Timestamp;

use super::shard::shard;
use super::Batch;

/// Bytes per block: a few thousand packets.
pub(super) const BLOCK: usize = 512 * 1024;

/// The record format of a classic pcap file (the usual 16-byte record
/// header; not the "modified" format).
#[derive(Clone, Copy, Debug)]
pub(super) struct Format {
    big_endian: bool,
    nanos: bool,
    link: LinkType,
}

/// Bytes of the file header.
pub(super) const HEADER: usize = 24;

impl Format {
    /// The format a file header announces, if it is one read here.
    pub(super) fn of(header: &[u8; HEADER]) -> Option<Format> {
        let (big_endian, nanos) =
            match u32::from_le_bytes([header[0], header[1], header[2], header[3]]) {
                0xa1b2_c3d4 => (false, false),
                0xa1b2_3c4d => (false, true),
                0xd4c3_b2a1 => (true, false),
                0x4d3c_b2a1 => (true, true),
                _ => return None,
            };
        let format = Format {
            big_endian,
            nanos,
            link: LinkType::Ethernet,
        };
        let link = LinkType::from_linktype(format.word(&header[20..24]));
        Some(Format { link, ..format })
    }

    #[inline]
    fn word(&self, b: &[u8]) -> u32 {
        let b = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    /// A record's time, as [`PcapReader`] gives it (a fraction of a second
    /// or more carries into the seconds).
    #[inline]
    fn timestamp(&self, secs: u32, frac: u32) -> Timestamp {
        fn split<const PER_SEC: u64>(secs: u32, frac: u32) -> Timestamp {
            let units = u64::from(secs) * PER_SEC + u64::from(frac);
            let nanos = units % PER_SEC * (1_000_000_000 / PER_SEC);
            Timestamp::from_secs_nanos((units / PER_SEC) as i64, nanos as u32)
        }
        if self.nanos {
            split::<1_000_000_000>(secs, frac)
        } else {
            split::<1_000_000>(secs, frac)
        }
    }
}

/// Where reading blocks ended.
pub(super) enum Ended {
    /// At the end of the file, after its last whole record.
    End,
    /// `stop` said so, or the output failed.
    Stopped,
    /// At the block starting at `offset` (`packets` read before it), for
    /// [`PcapReader`] to go on from.
    Handover { offset: u64, packets: u64 },
}

/// The blocks of one file, read one after the other.
pub(super) struct Blocks<'a> {
    file: &'a mut File,
    format: Format,
    /// File offset of the current block's first byte.
    pub(super) offset: u64,
    /// Packets read (sent) so far.
    pub(super) packets: u64,
    /// The latest capture time so far.
    pub(super) now: Timestamp,
    /// Blocks sent, reused once no worker holds them any more.
    pool: Vec<Arc<Vec<u8>>>,
    /// The current block: the unread tail of the last one, then new bytes.
    block: Vec<u8>,
}

impl<'a> Blocks<'a> {
    /// Blocks of `file`, positioned just after its header.
    pub(super) fn new(file: &'a mut File, format: Format) -> Self {
        Blocks {
            file,
            format,
            offset: HEADER as u64,
            packets: 0,
            now: Timestamp::default(),
            pool: Vec::new(),
            block: Vec::with_capacity(BLOCK),
        }
    }

    /// Reads the next block and sends each worker the places of its packets
    /// in it. `None` while there is more to read.
    pub(super) fn next(&mut self, senders: &[SyncSender<Batch>]) -> Option<Ended> {
        let kept = self.block.len();
        let want = (BLOCK - kept) as u64;
        let eof = match self.file.by_ref().take(want).read_to_end(&mut self.block) {
            Ok(read) => (read as u64) < want,
            Err(_) => {
                return Some(Ended::Handover {
                    offset: self.offset,
                    packets: self.packets,
                })
            }
        };
        if self.block.is_empty() {
            return Some(Ended::End);
        }
        let format = self.format;
        let mut places: Vec<Vec<Place>> = senders
            .iter()
            .map(|_| Vec::with_capacity(BLOCK / 64 / senders.len()))
            .collect();
        let mut now = self.now;
        let mut at = 0;
        let block = &self.block[..];
        while let Some(header) = block.get(at..at + 16) {
            let len = format.word(&header[8..12]) as usize;
            let Some(data) = block.get(at + 16..at + 16 + len) else {
                break;
            };
            let ts = format.timestamp(format.word(&header[0..4]), format.word(&header[4..8]));
            now = now.max(ts);
            let w = shard(format.link, data, senders.len());
            places[w].push((ts, format.link, (at + 16) as u32, len as u32));
            at += 16 + len;
        }
        // The end of the file inside a record, or a record larger than a
        // block (the next block would not hold it either): the parser's.
        if (eof && at < block.len()) || (at == 0 && block.len() == BLOCK) {
            return Some(Ended::Handover {
                offset: self.offset,
                packets: self.packets,
            });
        }
        let mut next = reuse(&mut self.pool);
        next.extend_from_slice(&self.block[at..]);
        let full = Arc::new(std::mem::replace(&mut self.block, next));
        for (packets, tx) in places.into_iter().zip(senders) {
            self.packets += packets.len() as u64;
            let batch = Batch {
                data: Arc::clone(&full),
                packets,
                now,
            };
            // A worker that is gone (it panicked) is reported at the join.
            let _ = tx.send(batch);
        }
        self.pool.push(full);
        self.offset += at as u64;
        self.now = now;
        (eof && self.block.is_empty()).then_some(Ended::End)
    }
}

/// An empty block: one the workers are done with, or a new one.
fn reuse(pool: &mut Vec<Arc<Vec<u8>>>) -> Vec<u8> {
    let done = pool.iter().position(|b| Arc::strong_count(b) == 1);
    if let Some(mut block) = done.and_then(|i| Arc::try_unwrap(pool.swap_remove(i)).ok()) {
        block.clear();
        return block;
    }
    Vec::with_capacity(BLOCK)
}

/// A packet's place in a batch's bytes: capture time, link type, start and
/// length.
pub(super) type Place = (Timestamp, LinkType, u32, u32);

#[cfg(test)]
mod tests {
    use std::sync::mpsc::sync_channel;

    use analyzer_core::pcap::PcapReader;

    use super::*;

    /// Every capture of the repository read by blocks gives the packets
    /// [`PcapReader`] gives, up to where it hands over.
    #[test]
    fn blocks_give_the_packets_of_the_reader() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut files = 0;
        for dir in ["echo/data", "redis/data", "memcache/data", "tests/data/bad"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
                let path = entry.unwrap().path();
                let mut file = File::open(&path).unwrap();
                let mut header = [0; HEADER];
                let Some(format) = file
                    .read_exact(&mut header)
                    .ok()
                    .and_then(|()| Format::of(&header))
                else {
                    continue;
                };
                files += 1;
                let (tx, rx) = sync_channel(64);
                let mut blocks = Blocks::new(&mut file, format);
                let ended = loop {
                    if let Some(ended) = blocks.next(std::slice::from_ref(&tx)) {
                        break ended;
                    }
                };
                let mut reader = PcapReader::open(&path).unwrap();
                let mut seen = 0;
                for batch in rx.try_iter() {
                    for &(ts, link, at, len) in &batch.packets {
                        let p = reader.next_packet().unwrap().unwrap();
                        let data = &batch.data[at as usize..(at + len) as usize];
                        assert_eq!(
                            (ts, link, data),
                            (p.ts, p.link, p.data),
                            "{}",
                            path.display()
                        );
                        seen += 1;
                    }
                }
                match ended {
                    Ended::End => assert!(reader.next_packet().unwrap().is_none()),
                    Ended::Handover { packets, .. } => assert_eq!(packets, seen),
                    Ended::Stopped => unreachable!(),
                }
            }
        }
        assert!(files > 10);
    }

    #[test]
    fn timestamps_carry_a_whole_second_as_the_reader_does() {
        let format = Format::of(&{
            let mut h = [0; HEADER];
            h[..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
            h
        })
        .unwrap();
        assert_eq!(
            format.timestamp(10, 2_500_000),
            Timestamp::from_secs_nanos(12, 500_000_000)
        );
    }
}
