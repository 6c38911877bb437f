//! How a byte stream is cut into messages: [`Framing`] and its variants.
//!
//! A protocol declares one framing (`Protocol::FRAMING`); the stream buffer
//! applies it. Each variant also says how to find the next message after
//! bytes that cannot be framed (too long, lost in capture, invalid).

use crate::protocol::Direction;

mod lines;

pub use lines::{Block, Lines, Parts};

/// How a byte stream is cut into messages (frames).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Framing {
    /// Every message ends with this byte sequence (not empty), e.g. `b"\n"` or
    /// `b"\r\n"`. The delimiter counts in byte counts but is not part of the
    /// payload handed to `Protocol::parse`. After bytes that cannot be framed,
    /// the stream picks up after the next delimiter.
    Delimiter(&'static [u8]),
    /// Every message starts with a header holding its length (the vocabulary
    /// of tokio-util's `LengthDelimitedCodec`). A message of known length is
    /// skipped exactly, even across lost bytes, so the stream never loses
    /// its place; an impossible length field loses it for good.
    LengthPrefixed(LengthPrefix),
    /// Text lines, some followed by a data block whose byte count is written
    /// on the line, some opening a multi-part message that runs to a
    /// terminator line (Memcache text). After bytes that cannot be framed,
    /// the stream picks up after the next line end.
    Lines(Lines),
    /// The protocol finds message boundaries itself (nested or
    /// length-in-a-text-field formats such as RESP or Memcache text).
    Custom(CustomFraming),
}

/// A length field in each message's header.
///
/// The frame is `offset` bytes, the `width`-byte length field, then
/// `length + adjust` more bytes. The payload handed to `Protocol::parse` is
/// the frame without its first `skip` bytes.
///
/// ```
/// use analyzer_core::framing::{FrameLen, LengthPrefix};
/// // Memcache binary: 24-byte header, body length as u32 big endian at 8.
/// const MEMCACHE: LengthPrefix = LengthPrefix::new(4).offset(8).adjust(12);
/// let mut header = [0u8; 24];
/// header[8..12].copy_from_slice(&5u32.to_be_bytes());
/// assert_eq!(MEMCACHE.frame_len(&header), FrameLen::Incomplete(Some(29)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthPrefix {
    /// Bytes before the length field.
    pub offset: usize,
    /// Width of the length field: 1, 2, 4 or 8 bytes.
    pub width: usize,
    /// Byte order of the length field.
    pub big_endian: bool,
    /// Added to the length field to give the bytes that follow the field.
    pub adjust: i64,
    /// Bytes stripped from the start of the frame before parsing.
    pub skip: usize,
    /// Longest frame accepted (header included); a longer one is skipped
    /// exactly and published with a note. `None`: the engine's
    /// `max_message_size` alone applies (it always does).
    pub max_frame: Option<usize>,
}

impl LengthPrefix {
    /// A `width`-byte big-endian length at the start of the frame, counting
    /// the bytes after it.
    pub const fn new(width: usize) -> Self {
        LengthPrefix {
            offset: 0,
            width,
            big_endian: true,
            adjust: 0,
            skip: 0,
            max_frame: None,
        }
    }

    /// Frames longer than `max` bytes are not analyzed.
    pub const fn max_frame(mut self, max: usize) -> Self {
        self.max_frame = Some(max);
        self
    }

    /// The length field starts `offset` bytes into the frame.
    pub const fn offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// The length field is little endian.
    pub const fn little_endian(mut self) -> Self {
        self.big_endian = false;
        self
    }

    /// `adjust` is added to the length field's value.
    pub const fn adjust(mut self, adjust: i64) -> Self {
        self.adjust = adjust;
        self
    }

    /// The first `skip` bytes of the frame are not handed to the parser.
    pub const fn skip(mut self, skip: usize) -> Self {
        self.skip = skip;
        self
    }

    /// The length of the frame at the start of `buf`: `Complete` when all of
    /// it is there, `Incomplete` with the total when only the header is,
    /// `Incomplete(None)` before that, `Invalid` when the length is
    /// impossible (negative after adjustment, or overflowing).
    pub fn frame_len(&self, buf: &[u8]) -> FrameLen {
        let header = self.offset.saturating_add(self.width);
        if !matches!(self.width, 1 | 2 | 4 | 8) {
            return FrameLen::Invalid(format!("length field width {} (1, 2, 4 or 8)", self.width));
        }
        let Some(field) = buf.get(self.offset..header) else {
            return FrameLen::Incomplete(Some(header));
        };
        let mut bytes = [0u8; 8];
        let value = if self.big_endian {
            bytes[8 - self.width..].copy_from_slice(field);
            u64::from_be_bytes(bytes)
        } else {
            bytes[..self.width].copy_from_slice(field);
            u64::from_le_bytes(bytes)
        };
        let total = i128::from(value) + i128::from(self.adjust) + header as i128;
        if total < header.max(self.skip) as i128 || total > i128::from(u32::MAX) * 4 {
            return FrameLen::Invalid(format!("impossible length field {value}"));
        }
        let total = total as usize;
        if buf.len() >= total {
            FrameLen::Complete(total)
        } else {
            FrameLen::Incomplete(Some(total))
        }
    }
}

/// A protocol's own framing function, and where to pick up after bytes it
/// rejects.
#[derive(Clone, Copy, Debug)]
pub struct CustomFraming {
    /// Finds the length of the message at the start of the buffer. Called
    /// again only when more bytes arrived, and only once at least the
    /// `Incomplete(Some(n))` total it last asked for is there: return the
    /// total whenever it is known, so a long message is not rescanned.
    pub frame: fn(&[u8], Direction) -> FrameLen,
    /// After bytes the framer rejected, the stream picks up after the next
    /// occurrence of this sequence (e.g. `b"\r\n"`); empty: never (the rest
    /// of the direction is dropped and counted).
    pub sync: &'static [u8],
    /// The same framer, resuming where its previous call on the same message
    /// stopped: called instead of `frame` with the progress it saved (empty
    /// at the start of each message). For nested formats whose total length
    /// is not known before the end (a RESP array of many elements), it
    /// keeps a message arriving in many segments from being rescanned from
    /// its start each time.
    pub resume: Option<ResumeFn>,
}

/// A framer that resumes from saved progress (see [`CustomFraming::resume`]).
pub type ResumeFn = fn(&[u8], Direction, &mut FrameProgress) -> FrameLen;

/// A resuming framer's saved place in the message being framed: opaque
/// words it writes and reads back. The stream buffer clears it whenever a
/// message ends, is skipped, or loses bytes.
///
/// It also tells the framer the longest message the stream accepts
/// ([`FrameProgress::limit`]): a framer of multi-part messages can then cut
/// a longer one at a part boundary ([`FrameLen::Cut`]) instead of leaving
/// the stream to skip it blind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameProgress(pub Vec<u64>, usize);

impl FrameProgress {
    /// Empty progress, for messages of at most `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        FrameProgress(Vec::new(), limit)
    }

    /// The longest message the stream accepts (the engine's
    /// `max_message_size`); `usize::MAX` when not said.
    pub fn limit(&self) -> usize {
        match self.1 {
            0 => usize::MAX,
            limit => limit,
        }
    }

    /// Sets [`FrameProgress::limit`].
    pub(crate) fn set_limit(&mut self, limit: usize) {
        self.1 = limit;
    }
}

impl PartialEq for CustomFraming {
    fn eq(&self, other: &Self) -> bool {
        let resume = match (self.resume, other.resume) {
            (Some(a), Some(b)) => std::ptr::fn_addr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        std::ptr::fn_addr_eq(self.frame, other.frame) && self.sync == other.sync && resume
    }
}

impl Eq for CustomFraming {}

/// What a framer found at the start of the buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameLen {
    /// A whole message of this many bytes (more than 0).
    Complete(usize),
    /// The first this many bytes (more than 0) of a multi-part message too
    /// long, or with too many parts, to keep whole, cut at a part boundary.
    /// They are handed out as a message marked as cut
    /// ([`Complete::cut`](crate::stream::Complete::cut)); the rest follows
    /// as messages of their own.
    Cut(usize),
    /// Not enough bytes yet; the total length of the message when known.
    /// A total given here must be exact: the stream skips exactly that many
    /// bytes when the message is too long or loses bytes.
    Incomplete(Option<usize>),
    /// Not enough bytes yet; the message is at least this long but its total
    /// is not known (the framer is not called again before this many bytes
    /// are there).
    AtLeast(usize),
    /// Not a message: the reason, in words.
    Invalid(String),
}

impl Framing {
    /// The byte sequence that resynchronizes the stream, if any.
    pub(crate) fn sync(&self) -> Option<&'static [u8]> {
        match self {
            Framing::Delimiter(delim) => Some(delim),
            Framing::LengthPrefixed(_) => None,
            Framing::Lines(lines) => Some(lines.sync()),
            Framing::Custom(custom) => (!custom.sync.is_empty()).then_some(custom.sync),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefix_variants() {
        let be16 = LengthPrefix::new(2);
        assert_eq!(be16.frame_len(&[0]), FrameLen::Incomplete(Some(2)));
        assert_eq!(be16.frame_len(&[0, 3, 1, 2, 3, 9]), FrameLen::Complete(5));
        let le32 = LengthPrefix::new(4).little_endian().adjust(-4);
        assert_eq!(
            le32.frame_len(&[8, 0, 0, 0, 1, 2, 3, 4]),
            FrameLen::Complete(8)
        );
        assert!(matches!(
            le32.frame_len(&[1, 0, 0, 0]),
            FrameLen::Invalid(_)
        ));
        let huge = LengthPrefix::new(8);
        assert!(matches!(huge.frame_len(&[0xff; 8]), FrameLen::Invalid(_)));
        let bad = LengthPrefix::new(3);
        assert!(matches!(bad.frame_len(&[0; 8]), FrameLen::Invalid(_)));
    }
}
