//! Payloads of 16 MiB or more. A packet's length field holds at most
//! 0xFFFFFF: a payload that long or longer is sent as packets of 0xFFFFFF
//! bytes, each continued by the next (sequence ids going on), up to one
//! shorter, possibly empty, that ends it. Such a payload is a row of a
//! result set (a column of 16 MiB), a statement (`INSERT` of a large
//! value), a `LOAD DATA LOCAL INFILE` upload's packet.
//!
//! Nothing of it is held whole: [`Pieces`] cuts it into frames of at most
//! [`PIECE`] bytes (less under a smaller maximum message size). The first
//! is its first packet's header and payload start, read as the packet
//! (a row counted, a statement's start as its `query`); the rest are
//! counted and folded into it ([`Body::Continuation`], a message that
//! says whether more follows). So a 100 MiB row costs what a 64 KiB one
//! does, and it counts as one row.

use std::cell::Cell;

use analyzer_core::{Cx, FrameLen, ParseError};
use bytes::Bytes;

use crate::message::Body;
use crate::MysqlMessage;

/// The longest frame a long payload is cut into.
pub const PIECE: usize = 64 * 1024;

/// The length of a packet that another one continues.
pub const CONTINUED: usize = 0xFF_FFFF;

/// Where the payload being cut stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct At {
    /// Bytes of the current packet still to come.
    left: usize,
    /// The current packet is [`CONTINUED`] long: another packet follows.
    more: bool,
    /// The current packet's sequence id.
    seq: u8,
}

impl At {
    fn ends(&self) -> bool {
        self.left == 0 && !self.more
    }
}

/// The framer's part for long payloads: where the payload being cut
/// stands, and the message of the piece announced (it reads each piece as
/// it cuts it; the stream takes it with
/// [`take_parsed`](analyzer_core::Framer::take_parsed)). Boxed, so that
/// an ordinary packet costs a few pointer checks.
#[derive(Debug, Default)]
pub struct Pieces {
    at: Option<At>,
    /// The piece announced as complete.
    announced: Option<Box<Piece>>,
    /// The stream took the piece announced.
    cut: Cell<bool>,
    /// The piece cut, its message not taken yet.
    ready: Option<Box<Piece>>,
}

/// A piece's message, and where the payload stands after it.
#[derive(Debug)]
struct Piece {
    message: Result<MysqlMessage, ParseError>,
    next: Option<At>,
}

impl Pieces {
    /// The frame at the start of `buf` when it is a piece of a long
    /// payload (inside one, or at a packet of [`CONTINUED`] bytes); `None`:
    /// an ordinary packet.
    #[inline]
    pub fn frame(&mut self, buf: &[u8], cx: &Cx<'_, MysqlMessage>) -> Option<FrameLen> {
        if self.announced.is_none() && self.at.is_none() && buf.get(..3) != Some(&[0xFF; 3][..]) {
            return None;
        }
        self.piece(buf, cx)
    }

    /// [`frame`](Self::frame) past its quick check (out of line: rare).
    #[inline(never)]
    fn piece(&mut self, buf: &[u8], cx: &Cx<'_, MysqlMessage>) -> Option<FrameLen> {
        self.announced = None;
        if self.at.is_none() && buf.get(..3) != Some(&[0xFF; 3][..]) {
            return None;
        }
        // Under a maximum message size too small for a piece: too long.
        let piece = PIECE.min(cx.limit().saturating_sub(4));
        if piece == 0 {
            return None;
        }
        let kind = cx.direction().default_kind();
        // A piece says the message goes on as long as the payload does, or
        // the message it continues does (rows after a long row).
        let goes_on = cx.partial().is_some_and(|m| m.body.continues());
        let piece_of = |at: At| MysqlMessage {
            kind,
            seq: at.seq,
            body: Body::Continuation,
            continued: !at.ends() || goes_on,
        };
        Some(match self.at {
            // The first packet: its header and the start of its payload,
            // read as the packet.
            None => {
                let len = 4 + piece;
                if buf.len() < len {
                    return Some(FrameLen::AtLeast(len));
                }
                let at = At {
                    left: CONTINUED - piece,
                    more: true,
                    seq: buf[3],
                };
                let frame = Bytes::copy_from_slice(&buf[3..len]);
                let message = crate::read_packet(frame, cx, true).map(|mut m| {
                    m.continued = true;
                    m
                });
                self.announce(len, message, Some(at))
            }
            // The rest of a packet: what arrived of it.
            Some(at) if at.left > 0 => {
                if buf.is_empty() {
                    return Some(FrameLen::Incomplete(None));
                }
                let n = buf.len().min(at.left).min(piece);
                let next = At {
                    left: at.left - n,
                    ..at
                };
                self.announce(n, Ok(piece_of(next)), (!next.ends()).then_some(next))
            }
            // The next packet's header, and what arrived of its payload.
            Some(_) => {
                let Some(&[a, b, c, seq]) = buf.first_chunk::<4>() else {
                    return Some(FrameLen::AtLeast(4));
                };
                let packet = usize::from(a) | usize::from(b) << 8 | usize::from(c) << 16;
                let n = (buf.len() - 4).min(packet).min(piece);
                let next = At {
                    left: packet - n,
                    more: packet == CONTINUED,
                    seq,
                };
                self.announce(4 + n, Ok(piece_of(next)), (!next.ends()).then_some(next))
            }
        })
    }

    fn announce(
        &mut self,
        len: usize,
        message: Result<MysqlMessage, ParseError>,
        next: Option<At>,
    ) -> FrameLen {
        self.announced = Some(Box::new(Piece { message, next }));
        FrameLen::Complete(len)
    }

    /// Whether the frame about to be cut is a piece (read already); it is
    /// taken.
    #[inline]
    pub fn cutting(&self) -> bool {
        let piece = self.announced.is_some();
        if piece {
            self.cut.set(true);
        }
        piece
    }

    /// A frame was cut (the piece announced: the payload goes on after
    /// it), or bytes were skipped or lost (the payload is given up: the
    /// next frame starts at a packet).
    #[inline]
    pub fn reset(&mut self) {
        if self.cut.take() {
            if let Some(piece) = self.announced.take() {
                self.at = piece.next;
                self.ready = Some(piece);
                return;
            }
        }
        self.announced = None;
        self.at = None;
    }

    /// The message of the piece just cut.
    #[inline]
    pub fn take_parsed(&mut self) -> Option<Result<MysqlMessage, ParseError>> {
        self.ready.take().map(|piece| piece.message)
    }
}
