//! What a [`StreamBuffer`](super::StreamBuffer) hands out: frames, and the
//! unfinished message left when a stream ends.

use std::ops::Range;

use bytes::{Buf, Bytes};

use crate::time::Timestamp;

/// One unit cut from a stream.
///
/// Small on purpose (one `Bytes` handle, the payload's range, two
/// timestamps and a flag for the usual case): a frame is moved once per
/// message on the hot path, and a [`Dropped`] one, which is rare, lives
/// behind a box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete message.
    Complete(Complete),
    /// A message whose bytes were not kept. Its extent is known; its content
    /// is not.
    Dropped(Box<Dropped>),
}

/// A complete message: its bytes as on the wire, and where in them the part
/// the protocol parses lies.
///
/// ```
/// use analyzer_core::framing::Delimiter;
/// use analyzer_core::stream::{Frame, StreamBuffer};
/// use analyzer_core::{Cx, Direction, Timestamp};
/// # #[derive(analyzer_core::Protocol)]
/// # #[protocol(name = "x", delimiter = b'\n')]
/// # struct X { #[protocol(tag(request = b'>'))] kind: analyzer_core::Kind, rest: analyzer_core::NetString }
///
/// let mut stream = StreamBuffer::new(1024);
/// let mut lines = Delimiter::new(b"\n");
/// let cx = Cx::<X>::new(Direction::FromClient, &());
/// stream.push(Timestamp::from_nanos(0), b"hello\nwor");
/// let Some(Frame::Complete(frame)) = stream.next_frame(&mut lines, &cx)
/// else { panic!("a line") };
/// assert_eq!(&frame.wire[..], b"hello\n");
/// assert_eq!(frame.payload(), b"hello");
/// assert!(!frame.cut);
/// assert_eq!(&frame.into_payload()[..], b"hello");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complete {
    /// The whole frame as on the wire, delimiter included.
    pub wire: Bytes,
    /// What the protocol parses, as a range of `wire`: the frame without its
    /// delimiter (or without the skipped bytes of a length prefix).
    pub payload: Range<usize>,
    /// Capture time of the packet holding the first byte.
    pub start: Timestamp,
    /// Capture time of the packet holding the last byte.
    pub end: Timestamp,
    /// Only the first parts of a longer message, cut at a part boundary
    /// because it was too long or had too many parts ([`FrameLen::Cut`]).
    ///
    /// [`FrameLen::Cut`]: crate::FrameLen::Cut
    pub cut: bool,
}

impl Complete {
    /// The bytes the protocol parses.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.wire[self.payload.clone()]
    }

    /// The bytes the protocol parses, as the frame's own handle cut down
    /// (no reference count taken, no copy).
    #[inline]
    pub fn into_payload(self) -> Bytes {
        let mut bytes = self.wire;
        bytes.truncate(self.payload.end);
        bytes.advance(self.payload.start);
        bytes
    }
}

/// A message whose bytes were not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// Its length on the wire, lost bytes included.
    pub wire_len: u64,
    /// Why it was not kept.
    pub reason: DropReason,
    /// Capture time of the first byte.
    pub start: Timestamp,
    /// Capture time of the last byte.
    pub end: Timestamp,
    /// The stream lost its place with these bytes (it picked up at a sync
    /// sequence or a plausible frame start, not after a known length):
    /// whole messages may have gone with them.
    pub blind: bool,
    /// After lost bytes, with a delimiter framing: what followed the gap up
    /// to and including the delimiter (part of `wire_len`). The gap may have
    /// ended on a message boundary: if these bytes parse as a message, the
    /// caller can publish them as one and count only the rest as damaged.
    pub after_gap: Option<AfterGap>,
}

/// The bytes from the end of a gap up to the next delimiter
/// ([`Dropped::after_gap`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AfterGap {
    /// The bytes, delimiter included.
    pub wire: Bytes,
    /// Capture time of their first byte.
    pub start: Timestamp,
}

impl From<Dropped> for Frame {
    fn from(dropped: Dropped) -> Self {
        Frame::Dropped(Box::new(dropped))
    }
}

/// Why a [`Frame::Dropped`] message was not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Longer than the maximum message size.
    TooLong,
    /// This many of its bytes were never captured (a gap in the stream).
    Lost(u64),
    /// The framer rejected these bytes; the reason, in words.
    Invalid(String),
}

/// The bytes left in a stream when it ends (FIN, RST, end of input): an
/// incomplete message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partial {
    /// The bytes held (empty when they were being skipped).
    pub wire: Bytes,
    /// Its length on the wire so far, dropped and lost bytes included.
    pub wire_len: u64,
    /// Bytes of it lost in capture.
    pub lost: u64,
    /// Capture time of its first byte.
    pub start: Timestamp,
    /// Capture time of its last byte.
    pub end: Timestamp,
}
