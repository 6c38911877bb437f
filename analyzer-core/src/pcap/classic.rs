//! [`ClassicFormat`]: the record layout of a classic pcap file, read in
//! place. [`PcapReader`](super::PcapReader) reads its records with it when
//! they lie whole in its buffer, and a reader of its own (e.g. the beats'
//! `--workers` blocks) can too.

use crate::decode::LinkType;
use crate::time::Timestamp;

/// The record format of a classic pcap file with the usual 16-byte record
/// header (not the "modified" format): byte order, time unit and link type.
///
/// ```
/// use analyzer_core::pcap::ClassicFormat;
///
/// let mut header = [0u8; ClassicFormat::FILE_HEADER];
/// header[..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // microseconds
/// header[20..].copy_from_slice(&1u32.to_le_bytes()); // Ethernet
/// let format = ClassicFormat::of(&header).unwrap();
/// let mut record = Vec::new();
/// for word in [10u32, 2_500_000, 3, 60] {
///     record.extend_from_slice(&word.to_le_bytes());
/// }
/// let r = format.record(&record).unwrap();
/// // A fraction of a second or more carries into the seconds.
/// assert_eq!(r.ts, analyzer_core::Timestamp::from_secs_nanos(12, 500_000_000));
/// assert_eq!((r.len, r.orig_len), (3, 60));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassicFormat {
    big_endian: bool,
    nanos: bool,
    link: LinkType,
}

/// A classic record's header, read in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// Capture time.
    pub ts: Timestamp,
    /// Bytes captured, which follow the header.
    pub len: usize,
    /// The packet's length on the wire.
    pub orig_len: u32,
}

impl ClassicFormat {
    /// Bytes of the file header.
    pub const FILE_HEADER: usize = 24;
    /// Bytes of a record header.
    pub const RECORD_HEADER: usize = 16;

    /// The format a file header announces, if it is a classic one (either
    /// byte order, micro- or nanoseconds).
    pub fn of(header: &[u8; Self::FILE_HEADER]) -> Option<ClassicFormat> {
        let (big_endian, nanos) =
            match u32::from_le_bytes([header[0], header[1], header[2], header[3]]) {
                0xa1b2_c3d4 => (false, false),
                0xa1b2_3c4d => (false, true),
                0xd4c3_b2a1 => (true, false),
                0x4d3c_b2a1 => (true, true),
                _ => return None,
            };
        let link = LinkType::from_linktype(word(big_endian, &header[20..24]));
        Some(ClassicFormat::new(big_endian, nanos, link))
    }

    pub(crate) fn new(big_endian: bool, nanos: bool, link: LinkType) -> Self {
        ClassicFormat {
            big_endian,
            nanos,
            link,
        }
    }

    /// The link type of every record.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// The record header at the start of `data`; `None` when fewer than
    /// [`RECORD_HEADER`](Self::RECORD_HEADER) bytes are there. Whether the
    /// `len` bytes it announces are there is the caller's to check.
    #[inline]
    pub fn record(&self, data: &[u8]) -> Option<RecordHeader> {
        let header = data.get(..Self::RECORD_HEADER)?;
        let at = |i: usize| word(self.big_endian, &header[i..i + 4]);
        Some(RecordHeader {
            ts: classic_timestamp(at(0), at(4), self.nanos),
            len: at(8) as usize,
            orig_len: at(12),
        })
    }
}

#[inline]
fn word(big_endian: bool, b: &[u8]) -> u32 {
    let b = [b[0], b[1], b[2], b[3]];
    if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

/// A classic record's time: seconds and a fraction in micro- or
/// nanoseconds (a fraction of a second or more carries into the seconds),
/// without a division in the usual case.
#[inline]
pub(super) fn classic_timestamp(secs: u32, frac: u32, nanos: bool) -> Timestamp {
    let (per_sec, nanos_per_unit) = if nanos {
        (1_000_000_000, 1)
    } else {
        (1_000_000, 1_000)
    };
    if frac < per_sec {
        return Timestamp::from_secs_nanos(i64::from(secs), frac * nanos_per_unit);
    }
    let units = u64::from(secs) * u64::from(per_sec) + u64::from(frac);
    let whole = units / u64::from(per_sec);
    let rest = (units % u64::from(per_sec)) as u32;
    Timestamp::from_secs_nanos(whole as i64, rest * nanos_per_unit)
}
