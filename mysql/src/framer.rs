//! Cutting packets: a 3-byte little-endian payload length and a sequence
//! id, then the payload ([`PACKET`]); after bytes lost in capture, where a
//! packet plausibly starts, judged by what the connection expects there.

use std::ops::Range;

use analyzer_core::framing::LengthPrefix;
use analyzer_core::{Cx, Direction, FrameLen};

use crate::command;
use crate::message::{Body, State};
use crate::MysqlMessage;

/// A packet: a 3-byte little-endian payload length, a sequence id, the
/// payload. The parser gets the sequence id and the payload.
pub const PACKET: LengthPrefix = LengthPrefix::new(3)
    .little_endian()
    .adjust(1)
    .skip(3)
    .max_frame(4 + 0xFF_FFFF);

/// How far past a candidate header a row is read to judge it (after a gap);
/// a longer row is not recognized there.
const MAX_ROW_CHECK: usize = 64 * 1024;

/// The framer of one direction: [`PACKET`]s, and after a gap the first
/// offset where what the connection expects plausibly starts (a row of the
/// result set being read, whose columns must fill its length exactly; its
/// terminator; a command with sequence id 0; an answer's first packet).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Framer;

impl analyzer_core::Framer<MysqlMessage> for Framer {
    #[inline]
    fn frame(&mut self, buf: &[u8], _: &Cx<'_, MysqlMessage>) -> FrameLen {
        PACKET.frame_len(buf)
    }

    fn payload(&self, frame: &[u8]) -> Range<usize> {
        PACKET.skip.min(frame.len())..frame.len()
    }

    fn max_frame(&self) -> Option<usize> {
        PACKET.max_frame
    }

    fn plausible(&self, buf: &[u8], cx: &Cx<'_, MysqlMessage>) -> Option<bool> {
        if !PACKET.plausible_at(buf, cx.limit())? {
            return Some(false);
        }
        let len = usize::from(buf[0]) | usize::from(buf[1]) << 8 | usize::from(buf[2]) << 16;
        let (seq, payload) = (buf[3], &buf[4..]);
        let &first = payload.first()?;
        if len == 0 {
            return Some(false);
        }
        let answer = match cx.partial().map(|m| &m.body) {
            Some(Body::Answer(answer)) if answer.state != State::Done => answer,
            _ => {
                return Some(match cx.direction() {
                    Direction::FromClient => seq == 0 && command::name(first).is_some(),
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
                if payload.len() < 4 {
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
    fn packets() {
        assert_eq!(PACKET.frame_len(b"\x01\0\0\0\x0e"), FrameLen::Complete(5));
        assert_eq!(
            PACKET.frame_len(b"\x05\0\0\x01"),
            FrameLen::Incomplete(Some(9))
        );
        assert_eq!(PACKET.frame_len(b"\x05\0"), FrameLen::AtLeast(3));
    }
}
