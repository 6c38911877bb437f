//! [`Delimiter`]: frames ending with a byte sequence.

use std::ops::Range;

use super::find_end;
use crate::frame_len::FrameLen;
use crate::protocol::{Conversation, Cx, Framer};

/// Every frame ends with this byte sequence (not empty), e.g. `b"\n"` or
/// `b"\r\n"`. The delimiter counts in byte counts but is not part of the
/// payload handed to `Protocol::parse`. After bytes that cannot be framed,
/// the stream picks up after the next delimiter.
///
/// The search resumes where it stopped: a line arriving in many segments
/// is scanned once.
///
/// ```
/// use analyzer_core::framing::Delimiter;
/// use analyzer_core::{Cx, Direction, FrameLen, Framer};
/// # #[derive(analyzer_core::Protocol)]
/// # #[protocol(name = "x", delimiter = b'\n')]
/// # struct X { #[protocol(tag(request = b'>'))] kind: analyzer_core::Kind, rest: analyzer_core::NetString }
///
/// let mut lines = Delimiter::new(b"\r\n");
/// let cx = Cx::<X>::new(Direction::FromClient, &());
/// assert_eq!(lines.frame(b"hello\r", &cx), FrameLen::Incomplete(None));
/// assert_eq!(lines.frame(b"hello\r\nwor", &cx), FrameLen::Complete(7));
/// assert_eq!(Framer::<X>::payload(&lines, b"hello\r\n"), 0..5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delimiter {
    delimiter: &'static [u8],
    /// Leading bytes of the frame searched without finding the delimiter.
    searched: usize,
}

impl Delimiter {
    /// Frames ending with `delimiter`; panics (at compile time, in a
    /// constant) if it is empty.
    pub const fn new(delimiter: &'static [u8]) -> Self {
        assert!(!delimiter.is_empty(), "a delimiter is not empty");
        Delimiter {
            delimiter,
            searched: 0,
        }
    }

    /// The delimiter.
    pub const fn delimiter(&self) -> &'static [u8] {
        self.delimiter
    }

    /// How many leading bytes of the current frame were searched without
    /// finding the delimiter: the next search starts there.
    pub const fn searched(&self) -> usize {
        self.searched
    }

    /// The length of the frame at the start of `buf`, up to and including
    /// the delimiter, searching from where the previous call stopped.
    #[inline(always)]
    pub fn frame_len(&mut self, buf: &[u8]) -> FrameLen {
        match find_end(buf, self.delimiter, self.searched) {
            Some(end) => FrameLen::Complete(end),
            None => {
                self.searched = buf.len();
                FrameLen::Incomplete(None)
            }
        }
    }
}

impl<P: Conversation> Framer<P> for Delimiter {
    #[inline(always)]
    fn frame(&mut self, buf: &[u8], _: &Cx<'_, P>) -> FrameLen {
        self.frame_len(buf)
    }

    #[inline(always)]
    fn reset(&mut self) {
        self.searched = 0;
    }

    #[inline(always)]
    fn payload(&self, frame: &[u8]) -> Range<usize> {
        0..frame.len() - self.delimiter.len()
    }

    fn sync(&self) -> Option<&'static [u8]> {
        Some(self.delimiter)
    }
}
