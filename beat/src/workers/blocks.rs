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
use analyzer_core::pcap::ClassicFormat;
use analyzer_core::Timestamp;

use super::shard::shard;
use super::Batch;

/// Bytes per block: a few thousand packets.
pub(super) const BLOCK: usize = 512 * 1024;

/// Bytes of the file header.
pub(super) const HEADER: usize = ClassicFormat::FILE_HEADER;

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
    format: ClassicFormat,
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
    pub(super) fn new(file: &'a mut File, format: ClassicFormat) -> Self {
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
        const RECORD: usize = ClassicFormat::RECORD_HEADER;
        let link = format.link();
        while let Some(record) = format.record(&block[at..]) {
            let Some(data) = block.get(at + RECORD..at + RECORD + record.len) else {
                break;
            };
            now = now.max(record.ts);
            let w = shard(link, data, senders.len());
            places[w].push((record.ts, link, (at + RECORD) as u32, record.len as u32));
            at += RECORD + record.len;
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
                    .and_then(|()| ClassicFormat::of(&header))
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
        let format = ClassicFormat::of(&{
            let mut h = [0; HEADER];
            h[..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
            h
        })
        .unwrap();
        let record: Vec<u8> = [10u32, 2_500_000, 0, 0]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        assert_eq!(
            format.record(&record).unwrap().ts,
            Timestamp::from_secs_nanos(12, 500_000_000)
        );
    }
}
