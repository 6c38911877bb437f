//! [`LengthPrefix`]: frames whose header holds their length.

use std::ops::Range;

use crate::frame_len::FrameLen;
use crate::protocol::{Conversation, Cx, Framer};

/// How the length is written in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthField {
    /// An unsigned integer of `width` bytes (1 to 8), in either byte order
    /// (MySQL: 3 bytes, little endian).
    Fixed {
        /// Its size in bytes.
        width: usize,
        /// Its byte order.
        big_endian: bool,
    },
    /// A variable-length integer of at most `max_bytes` bytes, seven bits
    /// per byte, least significant group first, the high bit of each byte
    /// saying another follows (LEB128; MQTT's remaining length, at most 4).
    Varint {
        /// The most bytes it may take.
        max_bytes: usize,
    },
}

/// Every frame starts with a header holding its length (the vocabulary of
/// tokio-util's `LengthDelimitedCodec`, plus variable-length integers).
///
/// The frame is `offset` bytes (a type byte, say), the length field, then
/// `length + adjust` more bytes; with [`counts_itself`](Self::counts_itself)
/// the length counts the field too (PostgreSQL). The payload handed to
/// `Protocol::parse` is the frame without its first `skip` bytes. A frame
/// of known length is skipped exactly, even across lost bytes, so the
/// stream keeps its place; after a gap where no header was seen, framing
/// resumes at the next plausible header.
///
/// ```
/// use analyzer_core::framing::LengthPrefix;
/// use analyzer_core::FrameLen;
///
/// // Memcache binary: 24-byte header, body length as u32 big endian at 8.
/// const MEMCACHE: LengthPrefix = LengthPrefix::new(4).offset(8).adjust(12);
/// let mut header = [0u8; 24];
/// header[8..12].copy_from_slice(&5u32.to_be_bytes());
/// assert_eq!(MEMCACHE.frame_len(&header), FrameLen::Incomplete(Some(29)));
///
/// // PostgreSQL: a type byte, then a 4-byte length counting itself.
/// const PGSQL: LengthPrefix = LengthPrefix::new(4).offset(1).counts_itself();
/// assert_eq!(PGSQL.frame_len(b"Z\0\0\0\x05I"), FrameLen::Complete(6));
///
/// // MySQL: a 3-byte little-endian length, then a sequence byte.
/// const MYSQL: LengthPrefix = LengthPrefix::new(3).little_endian().adjust(1);
/// assert_eq!(MYSQL.frame_len(b"\x01\0\0\0\x0e"), FrameLen::Complete(5));
///
/// // MQTT: a type byte, then a variable-length "remaining length".
/// const MQTT: LengthPrefix = LengthPrefix::varint(4).offset(1);
/// assert_eq!(MQTT.frame_len(&[0x30, 0x80, 0x01]), FrameLen::Incomplete(Some(131)));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LengthPrefix {
    /// Bytes before the length field (a type byte, say).
    pub offset: usize,
    /// How the length is written.
    pub field: LengthField,
    /// Added to the length to give the bytes that follow the field.
    pub adjust: i64,
    /// The length counts the length field itself.
    pub counts_itself: bool,
    /// Bytes stripped from the start of the frame before parsing.
    pub skip: usize,
    /// Longest frame accepted (header included); a longer one is skipped
    /// exactly and published with a note. `None`: the engine's
    /// `max_message_size` alone applies (it always does).
    pub max_frame: Option<usize>,
    /// Whether a header (the first bytes of a frame: at least the type byte
    /// and the length field) is plausible, asked after lost bytes to find
    /// where framing resumes. `None`: any header with a length within the
    /// limits is.
    pub plausible: Option<fn(&[u8]) -> bool>,
    /// The bytes a header takes, to be judged after lost bytes (the whole
    /// frame when it is shorter). `None`: up to the end of the length
    /// field. See [`header`](Self::header).
    pub header: Option<usize>,
}

impl PartialEq for LengthPrefix {
    fn eq(&self, other: &Self) -> bool {
        let plausible = match (self.plausible, other.plausible) {
            (Some(a), Some(b)) => std::ptr::fn_addr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        self.offset == other.offset
            && self.field == other.field
            && self.adjust == other.adjust
            && self.counts_itself == other.counts_itself
            && self.skip == other.skip
            && self.max_frame == other.max_frame
            && self.header == other.header
            && plausible
    }
}

impl Eq for LengthPrefix {}

impl LengthPrefix {
    /// A `width`-byte big-endian length (1 to 8 bytes) at the start of the
    /// frame, counting the bytes after it. Panics (at compile time, in a
    /// constant) on another width.
    pub const fn new(width: usize) -> Self {
        assert!(
            width >= 1 && width <= 8,
            "a length field is 1 to 8 bytes wide"
        );
        LengthPrefix::with_field(LengthField::Fixed {
            width,
            big_endian: true,
        })
    }

    /// A variable-length integer of at most `max_bytes` bytes (1 to 9),
    /// seven bits per byte, least significant first (LEB128, MQTT).
    pub const fn varint(max_bytes: usize) -> Self {
        assert!(
            max_bytes >= 1 && max_bytes <= 9,
            "a variable-length integer takes 1 to 9 bytes"
        );
        LengthPrefix::with_field(LengthField::Varint { max_bytes })
    }

    const fn with_field(field: LengthField) -> Self {
        LengthPrefix {
            offset: 0,
            field,
            adjust: 0,
            counts_itself: false,
            skip: 0,
            max_frame: None,
            plausible: None,
            header: None,
        }
    }

    /// Frames longer than `max` bytes are not analyzed.
    pub const fn max_frame(mut self, max: usize) -> Self {
        self.max_frame = Some(max);
        self
    }

    /// The length field starts `offset` bytes into the frame (after a type
    /// byte, say).
    pub const fn offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// A fixed-width length field is little endian.
    pub const fn little_endian(mut self) -> Self {
        if let LengthField::Fixed { width, .. } = self.field {
            self.field = LengthField::Fixed {
                width,
                big_endian: false,
            };
        }
        self
    }

    /// `adjust` is added to the length field's value.
    pub const fn adjust(mut self, adjust: i64) -> Self {
        self.adjust = adjust;
        self
    }

    /// The length counts the length field itself.
    pub const fn counts_itself(mut self) -> Self {
        self.counts_itself = true;
        self
    }

    /// The first `skip` bytes of the frame are not handed to the parser.
    pub const fn skip(mut self, skip: usize) -> Self {
        self.skip = skip;
        self
    }

    /// After lost bytes, framing resumes where `plausible` says a header
    /// starts (and its length is within the limits).
    pub const fn plausible(mut self, plausible: fn(&[u8]) -> bool) -> Self {
        self.plausible = Some(plausible);
        self
    }

    /// A header is `len` bytes (a sequence id or a command after the
    /// length field, say): after lost bytes, [`plausible_at`](Self::plausible_at)
    /// judges one only once that many bytes are there (or the whole frame,
    /// when it is shorter), so that `plausible` always sees them.
    pub const fn header(mut self, len: usize) -> Self {
        self.header = Some(len);
        self
    }

    /// The length field's value and its size in bytes, `None` before it
    /// is all there; `Err` when a variable-length integer runs past its
    /// bytes.
    fn field(&self, buf: &[u8]) -> Result<Option<(u64, usize)>, String> {
        let at = buf.get(self.offset..).unwrap_or_default();
        match self.field {
            LengthField::Fixed { width, big_endian } => {
                let Some(field) = at.get(..width) else {
                    return Ok(None);
                };
                let mut bytes = [0u8; 8];
                let value = if big_endian {
                    bytes[8 - width..].copy_from_slice(field);
                    u64::from_be_bytes(bytes)
                } else {
                    bytes[..width].copy_from_slice(field);
                    u64::from_le_bytes(bytes)
                };
                Ok(Some((value, width)))
            }
            LengthField::Varint { max_bytes } => {
                let mut value = 0u64;
                for (i, &byte) in at.iter().take(max_bytes).enumerate() {
                    value |= u64::from(byte & 0x7f) << (7 * i);
                    if byte & 0x80 == 0 {
                        return Ok(Some((value, i + 1)));
                    }
                }
                if at.len() >= max_bytes {
                    return Err(format!(
                        "variable-length integer longer than {max_bytes} bytes"
                    ));
                }
                Ok(None)
            }
        }
    }

    /// The shortest header: the offset and the smallest length field.
    fn min_header(&self) -> usize {
        self.offset
            + match self.field {
                LengthField::Fixed { width, .. } => width,
                LengthField::Varint { .. } => 1,
            }
    }

    /// The length of the frame at the start of `buf`: `Complete` when all of
    /// it is there, `Incomplete` with the total once the header is,
    /// `AtLeast` before that, `Invalid` when the length is impossible
    /// (shorter than the header or the skipped bytes after adjustment, or
    /// beyond 16 GiB).
    pub fn frame_len(&self, buf: &[u8]) -> FrameLen {
        let (value, field_len) = match self.field(buf) {
            Ok(Some(field)) => field,
            Ok(None) => return FrameLen::AtLeast((buf.len() + 1).max(self.min_header())),
            Err(why) => return FrameLen::Invalid(why),
        };
        let header = self.offset + field_len;
        let counted = if self.counts_itself {
            self.offset
        } else {
            header
        };
        let total = i128::from(value) + i128::from(self.adjust) + counted as i128;
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

    /// Whether a frame plausibly starts at `buf`'s start, frames being at
    /// most `limit` bytes: its header is (by [`plausible`](Self::plausible),
    /// if given, which sees the whole [`header`](Self::header), or the
    /// whole frame when shorter) and its length is possible. `None`: more
    /// bytes needed, never more than `limit` (a header that cannot fit is
    /// no start).
    ///
    /// ```
    /// use analyzer_core::framing::LengthPrefix;
    ///
    /// // MySQL: a 3-byte length, a sequence id, and the first payload byte
    /// // judged (5 bytes).
    /// let mysql = LengthPrefix::new(3).little_endian().adjust(1).header(5)
    ///     .plausible(|h| h.len() >= 5 || h[..3] == [0, 0, 0]);
    /// assert_eq!(mysql.plausible_at(b"\x05\0\0\x01", 1024), None);
    /// assert_eq!(mysql.plausible_at(b"\x05\0\0\x01\xfe", 1024), Some(true));
    /// assert_eq!(mysql.plausible_at(b"\0\0\0\x01", 1024), Some(true), "a 4-byte frame");
    /// // A length field beyond a 4-byte maximum: not a start.
    /// assert_eq!(mysql.plausible_at(b"\x05\0", 2), Some(false));
    /// ```
    pub fn plausible_at(&self, buf: &[u8], limit: usize) -> Option<bool> {
        let limit = self.max_frame.map_or(limit, |max| max.min(limit));
        match self.frame_len(buf) {
            FrameLen::Invalid(_) => Some(false),
            FrameLen::AtLeast(needed) if needed > limit => Some(false),
            FrameLen::AtLeast(_) => None,
            FrameLen::Complete(total) | FrameLen::Incomplete(Some(total)) if total > limit => {
                Some(false)
            }
            FrameLen::Complete(total) | FrameLen::Incomplete(Some(total))
                if buf.len() < self.header.unwrap_or(0).min(total) =>
            {
                None
            }
            _ => Some(self.plausible.is_none_or(|plausible| plausible(buf))),
        }
    }
}

impl<P: Conversation> Framer<P> for LengthPrefix {
    #[inline]
    fn frame(&mut self, buf: &[u8], _: &Cx<'_, P>) -> FrameLen {
        self.frame_len(buf)
    }

    fn payload(&self, frame: &[u8]) -> Range<usize> {
        self.skip.min(frame.len())..frame.len()
    }

    fn max_frame(&self) -> Option<usize> {
        self.max_frame
    }

    fn plausible(&self, buf: &[u8], cx: &Cx<'_, P>) -> Option<bool> {
        self.plausible_at(buf, cx.limit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_widths_in_both_orders() {
        let be16 = LengthPrefix::new(2);
        assert_eq!(be16.frame_len(&[0]), FrameLen::AtLeast(2));
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
        let le24 = LengthPrefix::new(3).little_endian();
        assert_eq!(
            le24.frame_len(&[0x01, 0x01, 0x00]),
            FrameLen::Incomplete(Some(260))
        );
        let be24 = LengthPrefix::new(3);
        assert_eq!(
            be24.frame_len(&[0x00, 0x01, 0x01]),
            FrameLen::Incomplete(Some(260))
        );
    }

    #[test]
    fn a_type_byte_and_a_length_counting_itself() {
        let pg = LengthPrefix::new(4).offset(1).counts_itself();
        assert_eq!(pg.frame_len(b"Q"), FrameLen::AtLeast(5));
        assert_eq!(pg.frame_len(b"Q\0\0\0\x04"), FrameLen::Complete(5));
        assert_eq!(pg.frame_len(b"Q\0\0\0\x09"), FrameLen::Incomplete(Some(10)));
        // Shorter than its own field: impossible.
        assert!(matches!(pg.frame_len(b"Q\0\0\0\x03"), FrameLen::Invalid(_)));
    }

    #[test]
    fn variable_length_integers() {
        let mqtt = LengthPrefix::varint(4).offset(1);
        assert_eq!(mqtt.frame_len(&[0x30]), FrameLen::AtLeast(2));
        assert_eq!(mqtt.frame_len(&[0x30, 0x00]), FrameLen::Complete(2));
        assert_eq!(
            mqtt.frame_len(&[0x30, 0x7f]),
            FrameLen::Incomplete(Some(129))
        );
        assert_eq!(mqtt.frame_len(&[0x30, 0x80]), FrameLen::AtLeast(3));
        // 16,383: 0xff 0x7f; 2,097,152: 0x80 0x80 0x80 0x01.
        assert_eq!(
            mqtt.frame_len(&[0x30, 0xff, 0x7f]),
            FrameLen::Incomplete(Some(3 + 16_383))
        );
        assert_eq!(
            mqtt.frame_len(&[0x30, 0x80, 0x80, 0x80, 0x01]),
            FrameLen::Incomplete(Some(5 + 2_097_152))
        );
        // A fifth continuation byte is not MQTT.
        assert!(matches!(
            mqtt.frame_len(&[0x30, 0x80, 0x80, 0x80, 0x80, 0x01]),
            FrameLen::Invalid(_)
        ));
        let counted = LengthPrefix::varint(4).counts_itself();
        assert_eq!(counted.frame_len(&[0x03, 1, 2]), FrameLen::Complete(3));
    }

    #[test]
    fn plausible_headers() {
        fn known_type(header: &[u8]) -> bool {
            matches!(header.first(), Some(b'Q' | b'X'))
        }
        let pg = LengthPrefix::new(4)
            .offset(1)
            .counts_itself()
            .plausible(known_type);
        assert_eq!(pg.plausible_at(b"Q\0\0\0\x09select", 1024), Some(true));
        assert_eq!(pg.plausible_at(b"?\0\0\0\x09select", 1024), Some(false));
        assert_eq!(pg.plausible_at(b"Q\x7f\0\0\x09", 1024), Some(false));
        assert_eq!(pg.plausible_at(b"Q\0", 1024), None);
    }

    #[test]
    fn plausible_headers_are_judged_whole_and_within_the_limit() {
        // Memcache binary: the length field at 8..12 of a 24-byte header.
        // Under a 10-byte limit the field cannot be read: no start (the
        // stream holds at most 10 bytes, it must not wait for 12).
        let memcache = LengthPrefix::new(4).offset(8).adjust(12);
        assert_eq!(memcache.plausible_at(&[0x80; 9], 10), Some(false));
        assert_eq!(memcache.plausible_at(&[0x80; 9], 1024), None);
        // Its whole header judged: the magic byte and the opcode with it.
        fn request(h: &[u8]) -> bool {
            assert!(h.len() >= 24, "a {}-byte header judged", h.len());
            h[0] == 0x80 && h[1] < 0x30
        }
        let judged = memcache.header(24).plausible(request);
        let mut header = [0u8; 24];
        header[0] = 0x80;
        assert_eq!(judged.plausible_at(&header[..12], 1024), None);
        assert_eq!(judged.plausible_at(&header[..23], 1024), None);
        assert_eq!(judged.plausible_at(&header, 1024), Some(true));
        header[1] = 0x99;
        assert_eq!(judged.plausible_at(&header, 1024), Some(false));
        // A frame shorter than the header is judged whole.
        fn short(h: &[u8]) -> bool {
            h.len() == 4
        }
        let mysql = LengthPrefix::new(3).little_endian().adjust(1).header(5);
        assert_eq!(
            mysql.plausible(short).plausible_at(b"\0\0\0\x07", 1024),
            Some(true)
        );
        assert_eq!(mysql.plausible_at(b"\x05\0\0\x01", 1024), None);
        // Never more than the limit waited for: a frame of 4 under a limit
        // of 4 is judged on its 4 bytes.
        assert_eq!(
            mysql.plausible(short).plausible_at(b"\0\0\0\x07", 4),
            Some(true)
        );
        assert_eq!(mysql.plausible_at(b"\x05\0\0", 4), Some(false));
    }
}
