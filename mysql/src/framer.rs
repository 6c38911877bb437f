//! Cutting packets: a 3-byte little-endian payload length and a sequence
//! id, then the payload ([`PACKET`]); after bytes lost in capture, where a
//! packet plausibly starts, judged by what the connection expects there.

use std::ops::Range;

use analyzer_core::framing::LengthPrefix;
use analyzer_core::{Cx, Direction, FrameLen, ParseError};

use crate::command;
use crate::long::Pieces;
use crate::message::{Body, State};
use crate::MysqlMessage;

/// A packet: a 3-byte little-endian payload length, a sequence id, the
/// payload. The parser gets the sequence id and the payload. After lost
/// bytes, a header is judged with its sequence id and first payload byte
/// (5 bytes).
pub const PACKET: LengthPrefix = LengthPrefix::new(3)
    .little_endian()
    .adjust(1)
    .skip(3)
    .header(5)
    .max_frame(4 + 0xFF_FFFF);

/// How far past a candidate header a row is read to judge it (after a gap);
/// a longer row is not recognized there.
const MAX_ROW_CHECK: usize = 64 * 1024;

/// The framer of one direction: [`PACKET`]s, and after a gap the first
/// offset where what the connection expects plausibly starts (a row of the
/// result set being read, whose columns must fill its length exactly; its
/// terminator; a command with sequence id 0; an answer's first packet).
/// A payload of 16 MiB or more (packets of 0xFFFFFF bytes, continued) is
/// cut into pieces of at most 64 KiB, counted and folded into its first
/// packet's message: nothing of it is held whole.
#[derive(Debug, Default)]
pub struct Framer {
    long: Pieces,
}

impl analyzer_core::Framer<MysqlMessage> for Framer {
    /// A packet's total is announced (so that bytes lost inside it are
    /// skipped exactly and the answer it belongs to goes on) only once its
    /// first payload byte shows it is not an answer's end or first packet
    /// (`0x00` OK, `0xFE` EOF, `0xFF` ERR): losing one of those makes the
    /// stream lose its place, so that the answer being folded ends there
    /// and pairing is checked after the loss.
    #[inline]
    fn frame(&mut self, buf: &[u8], cx: &Cx<'_, MysqlMessage>) -> FrameLen {
        if let Some(piece) = self.long.frame(buf, cx) {
            return piece;
        }
        match PACKET.frame_len(buf) {
            FrameLen::Incomplete(Some(total)) if total > 4 => match buf.get(4) {
                None => FrameLen::AtLeast(5),
                Some(0x00 | 0xFE | 0xFF) => FrameLen::AtLeast(total),
                Some(_) => FrameLen::Incomplete(Some(total)),
            },
            other => other,
        }
    }

    /// The sequence id and the payload; nothing for a piece of a long
    /// payload, read already.
    #[inline]
    fn payload(&self, frame: &[u8]) -> Range<usize> {
        if self.long.cutting() {
            return 0..0;
        }
        PACKET.skip.min(frame.len())..frame.len()
    }

    #[inline]
    fn reset(&mut self) {
        self.long.reset();
    }

    #[inline]
    fn take_parsed(&mut self) -> Option<Result<MysqlMessage, ParseError>> {
        self.long.take_parsed()
    }

    fn max_frame(&self) -> Option<usize> {
        PACKET.max_frame
    }

    fn plausible(&self, buf: &[u8], cx: &Cx<'_, MysqlMessage>) -> Option<bool> {
        // Under 5 bytes a packet has no payload: no start (and an answer
        // without waiting).
        if cx.limit() < 5 {
            return Some(false);
        }
        // Once the length prefix says yes, the sequence id and the first
        // payload byte are there (its header is 5 bytes), or the frame is
        // 4 bytes long, payload-less.
        if !PACKET.plausible_at(buf, cx.limit())? {
            return Some(false);
        }
        let [a, b, c, seq] = *buf.first_chunk::<4>()?;
        let len = usize::from(a) | usize::from(b) << 8 | usize::from(c) << 16;
        if len == 0 {
            return Some(false);
        }
        let payload = &buf[4..];
        let &first = payload.first()?;
        let answer = match cx.partial().map(|m| &m.body) {
            Some(Body::Answer(answer)) if answer.state != State::Done => answer,
            _ => {
                return Some(match cx.direction() {
                    // Not the server's internal commands: COM_SLEEP (0x00)
                    // would take "text, length, 00, 00" for a header.
                    Direction::FromClient => {
                        seq == 0
                            && command::name(first).is_some()
                            && !matches!(first, 0x00 | 0x0B | 0x10 | 0x13 | 0x14 | 0x1D)
                    }
                    Direction::FromServer => seq == 1,
                });
            }
        };
        let terminator = matches!(first, 0xFE | 0xFF) && len < 1024;
        Some(match answer.state {
            State::Rows { binary: false } | State::ColumnsEnd { binary: false } => {
                terminator || text_row(len, payload, answer.num_fields)?
            }
            State::Rows { binary: true } | State::ColumnsEnd { binary: true } => {
                terminator || (first == 0x00 && len as u64 > answer.num_fields.div_ceil(8))
            }
            // A column definition starts with its catalog, "def".
            State::Columns { .. }
            | State::Params { .. }
            | State::PreparedColumns { .. }
            | State::FieldList => {
                if payload.len() < len.min(4) {
                    return None;
                }
                payload.starts_with(b"\x03def") || terminator
            }
            _ => true,
        })
    }
}

/// Whether a text row of `columns` columns (NULL, or a length-encoded
/// string each) fills exactly `len` payload bytes; `None` when more of it
/// is needed to tell.
fn text_row(len: usize, payload: &[u8], columns: u64) -> Option<bool> {
    if columns == 0 {
        return Some(true);
    }
    let mut at = 0usize;
    for _ in 0..columns {
        if at >= len {
            return Some(false);
        }
        if at >= MAX_ROW_CHECK {
            return Some(false);
        }
        let first = *payload.get(at)?;
        let (header, value) = match first {
            0xFB => (1, 0),
            0..=0xFA => (1, u64::from(first)),
            0xFC..=0xFE => {
                let width = match first {
                    0xFC => 2,
                    0xFD => 3,
                    _ => 8,
                };
                let bytes = payload.get(at + 1..at + 1 + width)?;
                let mut value = [0u8; 8];
                value[..width].copy_from_slice(bytes);
                (1 + width, u64::from_le_bytes(value))
            }
            _ => return Some(false),
        };
        let Some(next) = usize::try_from(value)
            .ok()
            .and_then(|v| (at + header).checked_add(v))
        else {
            return Some(false);
        };
        at = next;
    }
    Some(at == len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rows_fill_their_length() {
        assert_eq!(text_row(6, b"\x02ab\x01c\xfb", 3), Some(true));
        assert_eq!(text_row(7, b"\x02ab\x01c\xfbx", 3), Some(false));
        assert_eq!(text_row(5, b"\x02ab\x01c", 3), Some(false));
        assert_eq!(text_row(6, b"\x02ab", 3), None);
        assert_eq!(text_row(447, b"\xfc\xbc\x01", 1), Some(true));
        assert_eq!(text_row(446, b"\xfc\xbc\x01", 1), Some(false));
        assert_eq!(text_row(10, b"\xff", 1), Some(false));
    }

    #[test]
    fn plausible_headers_need_their_sequence_id_and_first_byte() {
        use analyzer_core::Framer as _;
        let session = crate::Session::default();
        let cx = Cx::new(Direction::FromServer, &session);
        // Found by fuzzing (fuzz/regressions/parse_mysql): a 3-byte header.
        assert_eq!(Framer::default().plausible(b"\x05\0\0", &cx), None);
        // Nor more than the maximum message size (found by fuzzing too).
        let tiny = Cx::new(Direction::FromServer, &session).with_limit(4);
        assert_eq!(Framer::default().plausible(b"\x05\0", &tiny), Some(false));
        assert_eq!(Framer::default().plausible(b"\x05\0\0\x01", &cx), None);
        assert_eq!(Framer::default().plausible(b"\0\0\0\x01", &cx), Some(false));
        assert_eq!(
            Framer::default().plausible(b"\x05\0\0\x01\xfe", &cx),
            Some(true)
        );
        assert_eq!(
            Framer::default().plausible(b"\x05\0\0\x02\xfe", &cx),
            Some(false)
        );
        let client = Cx::new(Direction::FromClient, &session);
        assert_eq!(
            Framer::default().plausible(b"\x01\0\0\0\x0e", &client),
            Some(true)
        );
        assert_eq!(
            Framer::default().plausible(b"\x01\0\0\0\x77", &client),
            Some(false)
        );
        // Two bytes of text and a header's length byte, then its "00 00".
        assert_eq!(
            Framer::default().plausible(b"yz\x4b\0\0\0\x03", &client),
            Some(false)
        );
    }

    #[test]
    fn totals_are_announced_for_rows_only() {
        use analyzer_core::Framer as _;
        let session = crate::Session::default();
        let cx = Cx::new(Direction::FromServer, &session);
        let mut f = Framer::default();
        assert_eq!(f.frame(b"\x05\0\0\x03", &cx), FrameLen::AtLeast(5));
        assert_eq!(f.frame(b"\x05\0\0\x03\xfe", &cx), FrameLen::AtLeast(9));
        assert_eq!(
            f.frame(b"\x05\0\0\x03\x04abc", &cx),
            FrameLen::Incomplete(Some(9))
        );
        assert_eq!(
            f.frame(b"\x05\0\0\x03\xfe\0\0\x02\0", &cx),
            FrameLen::Complete(9)
        );
        assert_eq!(f.frame(b"\0\0\0\x03", &cx), FrameLen::Complete(4));
    }

    #[test]
    fn packets() {
        assert_eq!(PACKET.frame_len(b"\x01\0\0\0\x0e"), FrameLen::Complete(5));
        assert_eq!(
            PACKET.frame_len(b"\x05\0\0\x01"),
            FrameLen::Incomplete(Some(9))
        );
        assert_eq!(PACKET.frame_len(b"\x05\0"), FrameLen::AtLeast(3));
    }
}
