//! Streaming pcap and pcapng reader (on `pcap-parser`): one record at a time,
//! in a buffer whose size does not depend on the file's.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};

use crate::decode::LinkType;
use crate::time::Timestamp;

pub use classic::{ClassicFormat, RecordHeader};

mod classic;

/// Read buffer size; grown (up to [`MAX_RECORD_SIZE`]) only for larger records.
const BUFFER_SIZE: usize = 256 * 1024;

/// The largest record accepted. A larger one (a corrupt length field, say) is
/// an error rather than an allocation of whatever the file claims.
pub const MAX_RECORD_SIZE: usize = 16 * 1024 * 1024;

/// One captured packet, borrowed from the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// 1-based position of the packet in the file.
    pub number: u64,
    /// Capture time.
    pub ts: Timestamp,
    /// Link layer of the interface it was captured on.
    pub link: LinkType,
    /// Captured bytes (at most the snapshot length).
    pub data: &'a [u8],
    /// Length of the packet on the wire (may exceed `data.len()`).
    pub orig_len: u32,
}

/// Why a capture file could not be read (further).
///
/// Each error names the byte offset of the record it concerns and, once
/// packets have been read, the number of the last good one.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The underlying reader failed.
    #[error("read error at byte offset {offset}: {source}")]
    Io {
        /// Offset of the record being read.
        offset: u64,
        /// The IO error.
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("empty file: not a pcap or pcapng capture")]
    Empty,
    /// The file does not start with a pcap or pcapng header.
    #[error("not a pcap or pcapng file (unknown magic number)")]
    NotPcap,
    /// The file ends inside its file header.
    #[error("truncated capture: the file ends inside its file header")]
    TruncatedHeader,
    /// The file ends in the middle of a record.
    #[error("truncated capture: the file ends inside record {} at byte offset {offset}", packets + 1)]
    Truncated {
        /// Offset of the incomplete record.
        offset: u64,
        /// Packets read before it.
        packets: u64,
    },
    /// A record claims to be larger than [`MAX_RECORD_SIZE`].
    #[error("record {} at byte offset {offset} is larger than the {MAX_RECORD_SIZE}-byte limit: corrupt length field?", packets + 1)]
    TooLarge {
        /// Offset of the record.
        offset: u64,
        /// Packets read before it.
        packets: u64,
    },
    /// A record that cannot be parsed.
    #[error("corrupt record {} at byte offset {offset}: {detail}", packets + 1)]
    Corrupt {
        /// Offset of the record.
        offset: u64,
        /// Packets read before it.
        packets: u64,
        /// What the parser said.
        detail: String,
    },
}

/// Link type and timestamp scale of one capture interface.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link: LinkType,
    /// Timestamp units per second.
    units_per_sec: u64,
    /// Seconds added to every timestamp (pcapng `if_tsoffset`).
    offset_secs: i64,
    /// Classic pcap written big endian (`None` for pcapng).
    legacy_big_endian: Option<bool>,
}

/// A streaming reader of classic pcap (either byte order, micro- or
/// nanosecond) and pcapng (any number of sections and interfaces).
///
/// ```no_run
/// use analyzer_core::pcap::PcapReader;
/// let mut reader = PcapReader::open("capture.pcap")?;
/// while let Some(packet) = reader.next_packet()? {
///     println!("{} {} bytes", packet.ts, packet.data.len());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PcapReader<'r> {
    inner: Box<dyn PcapReaderIterator + Send + 'r>,
    /// Size of the block handed out last, consumed on the next call.
    to_consume: usize,
    /// File offset of the next block.
    offset: u64,
    packets: u64,
    capacity: usize,
    interfaces: Vec<Interface>,
    /// Classic pcap with the usual 16-byte record header: its records are
    /// read here directly (see [`PcapReader::next_record`]), not through
    /// `pcap-parser`, when they lie whole in the buffer.
    records: Option<ClassicFormat>,
}

/// What one parsed block amounts to, without borrowing the buffer.
enum Step {
    Packet {
        start: usize,
        len: usize,
        ts: Timestamp,
        link: LinkType,
        orig_len: u32,
    },
    Skip,
}

impl PcapReader<'static> {
    /// Opens a capture file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let file = File::open(path.as_ref()).map_err(OpenError::Open)?;
        PcapReader::new(file).map_err(OpenError::Read)
    }
}

/// Why [`PcapReader::open`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file could not be opened.
    #[error("{0}")]
    Open(std::io::Error),
    /// The file is not a readable capture.
    #[error("{0}")]
    Read(ReadError),
}

impl<'r> PcapReader<'r> {
    /// Reads a capture from any reader; checks the file header.
    pub fn new<R: Read + Send + 'r>(reader: R) -> Result<Self, ReadError> {
        let inner = pcap_parser::create_reader(BUFFER_SIZE, reader).map_err(|e| match e {
            PcapError::Eof => ReadError::Empty,
            PcapError::ReadError => ReadError::Io {
                offset: 0,
                source: std::io::Error::other("read failed"),
            },
            PcapError::Incomplete(_) | PcapError::UnexpectedEof => ReadError::TruncatedHeader,
            _ => ReadError::NotPcap,
        })?;
        Ok(PcapReader {
            inner,
            to_consume: 0,
            offset: 0,
            packets: 0,
            capacity: BUFFER_SIZE,
            interfaces: Vec::new(),
            records: None,
        })
    }

    /// Packets read so far.
    pub fn packets_read(&self) -> u64 {
        self.packets
    }

    /// Bytes of the file consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.offset + self.to_consume as u64
    }

    /// The next packet, `None` at the end of the file.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, ReadError> {
        let mut stalled = 0;
        loop {
            if self.to_consume > 0 {
                // No shift here: `refill` moves the unread tail (less than a
                // record) to the front when more bytes are needed, instead of
                // moving half the buffer every time half of it was consumed.
                self.inner.consume_noshift(self.to_consume);
                self.offset += self.to_consume as u64;
                self.to_consume = 0;
            }
            let result = match self.next_record() {
                Some(packet) => Ok(packet),
                None => {
                    let base = self.inner.data().as_ptr() as usize;
                    match self.inner.next() {
                        Ok((size, block)) => {
                            self.to_consume = size;
                            Ok(step(&mut self.interfaces, &mut self.records, block, base))
                        }
                        Err(err) => Err(classify(err)),
                    }
                }
            };
            match result {
                Ok(Step::Packet {
                    start,
                    len,
                    ts,
                    link,
                    orig_len,
                }) => {
                    self.packets += 1;
                    let data = &self.inner.data()[start..start + len];
                    return Ok(Some(Packet {
                        number: self.packets,
                        ts,
                        link,
                        data,
                        orig_len,
                    }));
                }
                Ok(Step::Skip) => stalled = 0,
                Err(Next::Eof) => return Ok(None),
                Err(Next::Refill) => {
                    stalled += 1;
                    if stalled > 2 && self.inner.reader_exhausted() {
                        return Err(self.truncated());
                    }
                    self.inner.refill().map_err(|_| ReadError::Io {
                        offset: self.offset,
                        source: std::io::Error::other("read failed"),
                    })?;
                }
                Err(Next::Grow) => {
                    if self.capacity >= MAX_RECORD_SIZE {
                        return Err(ReadError::TooLarge {
                            offset: self.offset,
                            packets: self.packets,
                        });
                    }
                    self.capacity = (self.capacity * 2).min(MAX_RECORD_SIZE);
                    self.inner.grow(self.capacity);
                    self.inner.refill().map_err(|_| ReadError::Io {
                        offset: self.offset,
                        source: std::io::Error::other("read failed"),
                    })?;
                }
                Err(Next::Truncated) => return Err(self.truncated()),
                Err(Next::Corrupt(detail)) => {
                    return Err(ReadError::Corrupt {
                        offset: self.offset,
                        packets: self.packets,
                        detail,
                    })
                }
            }
        }
    }

    /// A look ahead: the packet `n` after the one
    /// [`next_packet`](Self::next_packet) returns next (`1`: the one after
    /// it), as its link type and bytes, when the buffer already holds every
    /// record up to it whole (classic pcap); nothing is read or consumed.
    /// For hints such as [`Engine::prefetch`](crate::Engine::prefetch):
    /// `None` says nothing about the file.
    ///
    /// ```no_run
    /// # use analyzer_core::pcap::PcapReader;
    /// let mut reader = PcapReader::open("capture.pcap")?;
    /// loop {
    ///     if let Some((_link, after)) = reader.peek_ahead(1) {
    ///         // start loading what `after` will need...
    ///     }
    ///     let Some(packet) = reader.next_packet()? else { break };
    ///     // ...while this one is handled.
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn peek_ahead(&self, n: usize) -> Option<(LinkType, &[u8])> {
        let format = self.records?;
        let mut data = self.inner.data().get(self.to_consume..)?;
        for _ in 0..n {
            let skipped = format.record(data)?;
            data = data.get(ClassicFormat::RECORD_HEADER.checked_add(skipped.len)?..)?;
        }
        let record = format.record(data)?;
        let bytes = data
            .get(ClassicFormat::RECORD_HEADER..)?
            .get(..record.len)?;
        Some((format.link(), bytes))
    }

    /// The next classic pcap record when it lies whole in the buffer: the
    /// header read in place, as `pcap-parser` reads it, without its
    /// per-record machinery (a third of the reading cost). `None` leaves
    /// everything else (the first record, refills, the end, errors) to it.
    #[inline]
    fn next_record(&mut self) -> Option<Step> {
        let format = self.records?;
        let data = self.inner.data();
        let record = format.record(data)?;
        if data.len() - ClassicFormat::RECORD_HEADER < record.len {
            return None;
        }
        self.to_consume = ClassicFormat::RECORD_HEADER + record.len;
        Some(Step::Packet {
            start: ClassicFormat::RECORD_HEADER,
            len: record.len,
            ts: record.ts,
            link: format.link(),
            orig_len: record.orig_len,
        })
    }

    /// The file ends inside a record; if that record's header claims more
    /// than [`MAX_RECORD_SIZE`], the length field is the likelier culprit.
    fn truncated(&self) -> ReadError {
        let claimed = match self.interfaces.first().and_then(|i| i.legacy_big_endian) {
            Some(big_endian) => self.inner.data().get(8..12).map(|b| {
                let b = [b[0], b[1], b[2], b[3]];
                if big_endian {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                }
            }),
            None => None,
        };
        if claimed.is_some_and(|len| len as usize > MAX_RECORD_SIZE) {
            return ReadError::TooLarge {
                offset: self.offset,
                packets: self.packets,
            };
        }
        ReadError::Truncated {
            offset: self.offset,
            packets: self.packets,
        }
    }
}

/// Interprets one block; packet data is returned as a range of the buffer.
fn step(
    interfaces: &mut Vec<Interface>,
    records: &mut Option<ClassicFormat>,
    block: PcapBlockOwned<'_>,
    base: usize,
) -> Step {
    let locate = |data: &[u8]| data.as_ptr() as usize - base;
    match block {
        PcapBlockOwned::LegacyHeader(header) => {
            let iface = Interface {
                legacy_big_endian: Some(header.is_bigendian()),
                link: LinkType::from_linktype(header.network.0 as u32),
                units_per_sec: if header.is_nanosecond_precision() {
                    1_000_000_000
                } else {
                    1_000_000
                },
                offset_secs: 0,
            };
            *interfaces = vec![iface];
            *records = (!header.is_modified_format()).then(|| {
                ClassicFormat::new(
                    header.is_bigendian(),
                    header.is_nanosecond_precision(),
                    iface.link,
                )
            });
            Step::Skip
        }
        PcapBlockOwned::Legacy(record) => {
            let iface = interfaces.first().copied().unwrap_or(Interface {
                legacy_big_endian: None,
                link: LinkType::Ethernet,
                units_per_sec: 1_000_000,
                offset_secs: 0,
            });
            Step::Packet {
                start: locate(record.data),
                len: record.data.len(),
                ts: iface.legacy_timestamp(record.ts_sec, record.ts_usec),
                link: iface.link,
                orig_len: record.origlen,
            }
        }
        PcapBlockOwned::NG(Block::SectionHeader(_)) => {
            interfaces.clear();
            Step::Skip
        }
        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
            interfaces.push(Interface {
                legacy_big_endian: None,
                link: LinkType::from_linktype(idb.linktype.0 as u32),
                units_per_sec: idb.ts_resolution().unwrap_or(1_000_000).max(1),
                offset_secs: idb.ts_offset(),
            });
            Step::Skip
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
            let iface = interface(interfaces, epb.if_id as usize);
            let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
            let len = (epb.caplen as usize).min(epb.data.len());
            Step::Packet {
                start: locate(epb.data),
                len,
                ts: iface.timestamp(units),
                link: iface.link,
                orig_len: epb.origlen,
            }
        }
        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
            let iface = interface(interfaces, 0);
            Step::Packet {
                start: locate(spb.data),
                len: spb.data.len().min(spb.origlen as usize),
                ts: Timestamp::default(),
                link: iface.link,
                orig_len: spb.origlen,
            }
        }
        PcapBlockOwned::NG(_) => Step::Skip,
    }
}

/// The interface a pcapng packet refers to; an unknown id gives a link
/// type that decodes to "unsupported link".
fn interface(interfaces: &[Interface], id: usize) -> Interface {
    interfaces.get(id).copied().unwrap_or(Interface {
        legacy_big_endian: None,
        link: LinkType::Unsupported(u32::MAX),
        units_per_sec: 1_000_000,
        offset_secs: 0,
    })
}

impl Interface {
    /// A classic pcap record's time: seconds and a fraction in the file's
    /// units (a fraction of a second or more carries into the seconds).
    #[inline]
    fn legacy_timestamp(&self, secs: u32, frac: u32) -> Timestamp {
        match self.units_per_sec {
            1_000_000 => classic::classic_timestamp(secs, frac, false),
            1_000_000_000 => classic::classic_timestamp(secs, frac, true),
            per_sec => self.timestamp(u64::from(secs) * per_sec + u64::from(frac)),
        }
    }

    fn timestamp(&self, units: u64) -> Timestamp {
        let per_sec = self.units_per_sec;
        let secs = (units / per_sec) as i64 + self.offset_secs;
        let nanos = (u128::from(units % per_sec) * 1_000_000_000 / u128::from(per_sec)) as u32;
        Timestamp::from_secs_nanos(secs, nanos)
    }
}

/// What the reader must do after a parser error.
enum Next {
    Eof,
    Refill,
    Grow,
    Truncated,
    Corrupt(String),
}

fn classify(err: PcapError<&[u8]>) -> Next {
    match err {
        PcapError::Eof => Next::Eof,
        PcapError::Incomplete(_) => Next::Refill,
        PcapError::BufferTooSmall => Next::Grow,
        PcapError::UnexpectedEof => Next::Truncated,
        PcapError::ReadError => Next::Corrupt("read failed".into()),
        PcapError::HeaderNotRecognized => Next::Corrupt("unrecognized block".into()),
        PcapError::NomError(_, kind) => Next::Corrupt(format!("parse error ({kind:?})")),
        PcapError::OwnedNomError(_, kind) => Next::Corrupt(format!("parse error ({kind:?})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A classic pcap header (little endian, microseconds, Ethernet).
    fn header(magic: u32) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&magic.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&[0; 8]);
        h.extend_from_slice(&65535u32.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        h
    }

    fn record(secs: u32, frac: u32, data: &[u8], caplen: u32) -> Vec<u8> {
        let mut r = Vec::new();
        for v in [secs, frac, caplen, data.len() as u32] {
            r.extend_from_slice(&v.to_le_bytes());
        }
        r.extend_from_slice(data);
        r
    }

    #[test]
    fn reads_records_with_micro_and_nanosecond_timestamps() {
        for (magic, frac, nanos) in [(0xa1b2c3d4u32, 250_000, 250_000_000), (0xa1b23c4d, 7, 7)] {
            let mut file = header(magic);
            file.extend(record(100, frac, b"abc", 3));
            let mut reader = PcapReader::new(&file[..]).unwrap();
            let p = reader.next_packet().unwrap().unwrap();
            assert_eq!(
                (p.number, p.data, p.link),
                (1, &b"abc"[..], LinkType::Ethernet)
            );
            assert_eq!(p.ts, Timestamp::from_secs_nanos(100, nanos));
            assert!(reader.next_packet().unwrap().is_none());
            assert_eq!(reader.bytes_read(), file.len() as u64);
        }
    }

    /// The look ahead sees the packets after the next one, whenever they
    /// are whole in the buffer, and changes nothing the reads return.
    #[test]
    fn peek_ahead_sees_the_packets_after_the_next() {
        let mut file = header(0xa1b2c3d4);
        let packets: Vec<Vec<u8>> = (0..2000u32)
            .map(|i| vec![i as u8; 1 + i as usize % 300])
            .collect();
        for (i, p) in packets.iter().enumerate() {
            file.extend(record(i as u32, 0, p, p.len() as u32));
        }
        for n in [1, 2, 3, 4] {
            let mut reader = PcapReader::new(&file[..]).unwrap();
            let (mut read, mut seen) = (0, 0);
            loop {
                let ahead = reader.peek_ahead(n).map(|(link, d)| (link, d.to_vec()));
                let Some(p) = reader.next_packet().unwrap() else {
                    break;
                };
                assert_eq!(p.data, &packets[read][..]);
                read += 1;
                if let Some((link, after)) = ahead {
                    let want = &packets[read + n - 1];
                    assert_eq!((link, &after), (LinkType::Ethernet, want), "{n} ahead");
                    seen += 1;
                }
            }
            assert_eq!(read, packets.len());
            // Not for the first packet (the parser reads the first record),
            // nor where a record crosses the buffer's end, nor at the end.
            assert!(seen > packets.len() * 9 / 10, "{n} ahead: {seen}");
        }
    }

    /// Records read in place (whole in the buffer) and through
    /// `pcap-parser` (the first one, those cut by the buffer's end, one
    /// larger than the buffer) give the same packets, in either byte order.
    #[test]
    fn records_read_in_place_and_by_the_parser_agree() {
        for big_endian in [false, true] {
            let word = |v: u32| {
                if big_endian {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                }
            };
            let mut file = word(0xa1b2c3d4).to_vec();
            file.extend_from_slice(&if big_endian {
                [0, 2, 0, 4]
            } else {
                [2, 0, 4, 0]
            });
            file.extend_from_slice(&[0; 8]);
            file.extend_from_slice(&word(65535));
            file.extend_from_slice(&word(1));
            let mut expected = Vec::new();
            for i in 0..3000u32 {
                let len = match i {
                    1234 => 300 * 1024,
                    _ => (i * 37 % 1500) as usize,
                };
                let data: Vec<u8> = (0..len).map(|b| (b as u32 ^ i) as u8).collect();
                // A fraction of a second or more (the parser's carry).
                let frac = if i == 7 { 2_500_000 } else { i * 311 };
                for v in [1000 + i, frac, len as u32, len as u32 + 4] {
                    file.extend_from_slice(&word(v));
                }
                file.extend_from_slice(&data);
                let ts = Timestamp::from_nanos(
                    i64::from(1000 + i) * 1_000_000_000 + i64::from(frac) * 1000,
                );
                expected.push((ts, data, len as u32 + 4));
            }
            let mut reader = PcapReader::new(&file[..]).unwrap();
            for (i, (ts, data, orig_len)) in expected.iter().enumerate() {
                let p = reader.next_packet().unwrap().unwrap();
                assert_eq!(p.number, i as u64 + 1);
                assert_eq!(
                    (p.ts, p.data, p.orig_len),
                    (*ts, &data[..], *orig_len),
                    "record {i}"
                );
            }
            assert!(reader.next_packet().unwrap().is_none());
            assert_eq!(reader.bytes_read(), file.len() as u64);
        }
    }

    #[test]
    fn a_record_claiming_4_gb_is_refused_without_allocating_it() {
        let mut file = header(0xa1b2c3d4);
        file.extend(record(1, 0, b"ok", 2));
        let mut huge = record(2, 0, b"", 0xffff_fff0);
        huge.extend_from_slice(&[0; 64]);
        file.extend(huge);
        let mut reader = PcapReader::new(&file[..]).unwrap();
        assert!(reader.next_packet().unwrap().is_some());
        let err = reader.next_packet().unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::TooLarge {
                    offset: 42,
                    packets: 1
                } | ReadError::Truncated {
                    offset: 42,
                    packets: 1
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn empty_and_foreign_files_are_named_as_such() {
        assert!(matches!(PcapReader::new(&b""[..]), Err(ReadError::Empty)));
        assert!(matches!(
            PcapReader::new(&b"GET / HTTP/1.1\r\n\r\n and more bytes"[..]),
            Err(ReadError::NotPcap)
        ));
        assert!(matches!(
            PcapReader::new(&header(0xa1b2c3d4)[..10]),
            Err(ReadError::TruncatedHeader)
        ));
    }
}
