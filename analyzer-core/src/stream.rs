//! Per-direction stream buffer: bytes in, frames out.
//!
//! The buffer remembers how far it has searched for a delimiter, so every byte
//! is scanned once however the message is split into segments (Packetbeat's
//! `CollectUntil` rescans from the message start on every call: quadratic on
//! long lines that arrive in many pieces). A message longer than the maximum
//! is not kept: its bytes are counted and dropped up to the next delimiter,
//! where the stream picks up again.

use bytes::{Bytes, BytesMut};

use crate::protocol::Framing;
use crate::time::Timestamp;

/// One unit cut from a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete message.
    Complete {
        /// The whole frame as on the wire, delimiter included.
        wire: Bytes,
        /// Length of the payload (the frame without its delimiter).
        payload_len: usize,
        /// Capture time of the packet holding the first byte.
        start: Timestamp,
        /// Capture time of the packet holding the last byte.
        end: Timestamp,
    },
    /// A message whose bytes were not kept: too long, or some of them lost
    /// in capture. Its extent is known; its content is not.
    Dropped {
        /// Its length on the wire, delimiter and lost bytes included.
        wire_len: u64,
        /// Why it was not kept.
        reason: DropReason,
        /// Capture time of the first byte.
        start: Timestamp,
        /// Capture time of the last byte.
        end: Timestamp,
    },
}

/// Why a [`Frame::Dropped`] message was not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Longer than the maximum message size.
    TooLong,
    /// This many of its bytes were never captured (a gap in the stream).
    Lost(u64),
}

/// The bytes left in a stream when it ends (FIN, RST, end of input) or loses
/// data: an incomplete message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partial {
    /// The bytes held (empty when the message was already over the limit).
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

/// Bytes of a message being skipped.
#[derive(Clone, Copy, Debug, Default)]
struct Skip {
    /// Captured bytes dropped.
    dropped: u64,
    /// Bytes never captured.
    lost: u64,
}

/// Bytes of one direction of a connection, cut into frames.
#[derive(Debug)]
pub struct StreamBuffer {
    buf: BytesMut,
    /// Leading bytes of `buf` already searched without finding a delimiter.
    searched: usize,
    /// Capture time of the first byte in `buf` (or of the dropped message).
    head_ts: Timestamp,
    /// Capture time of the last byte pushed.
    last_ts: Timestamp,
    /// `Some` while skipping to the next delimiter: the current message is
    /// too long or has lost bytes.
    skip: Option<Skip>,
    max_message: usize,
    scanned_total: u64,
}

impl StreamBuffer {
    /// A buffer that drops messages longer than `max_message` bytes (delimiter
    /// included).
    pub fn new(max_message: usize) -> Self {
        StreamBuffer {
            buf: BytesMut::new(),
            searched: 0,
            head_ts: Timestamp::default(),
            last_ts: Timestamp::default(),
            skip: None,
            max_message: max_message.max(1),
            scanned_total: 0,
        }
    }

    /// Appends bytes captured at `ts`. Call [`next_frame`](Self::next_frame)
    /// until it returns `None` before pushing more.
    pub fn push(&mut self, ts: Timestamp, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if self.buf.is_empty() && self.skip.is_none() {
            self.head_ts = ts;
        }
        self.last_ts = ts;
        self.buf.extend_from_slice(data);
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether no bytes of an unfinished message are held or being dropped.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.skip.is_none()
    }

    /// Total bytes examined by delimiter searches over the buffer's life:
    /// with no rescanning, never much more than the bytes pushed.
    pub fn bytes_scanned(&self) -> u64 {
        self.scanned_total
    }

    /// The next frame, if the bytes held complete one.
    pub fn next_frame(&mut self, framing: &Framing) -> Option<Frame> {
        match *framing {
            Framing::Delimiter(delim) => self.next_delimited(delim),
        }
    }

    fn next_delimited(&mut self, delim: &[u8]) -> Option<Frame> {
        let overlap = delim.len().saturating_sub(1);
        let from = self.searched.saturating_sub(overlap);
        let hay = &self.buf[from..];
        self.scanned_total += hay.len() as u64;
        let found = memchr::memmem::find(hay, delim).map(|i| from + i + delim.len());
        let start = self.head_ts;
        let end = self.last_ts;
        match found {
            Some(frame_len) => {
                let wire = self.buf.split_to(frame_len).freeze();
                self.searched = 0;
                // What is left came in the packet that completed this frame.
                self.head_ts = self.last_ts;
                if let Some(skip) = self.skip.take() {
                    let reason = match skip.lost {
                        0 => DropReason::TooLong,
                        lost => DropReason::Lost(lost),
                    };
                    return Some(Frame::Dropped {
                        wire_len: skip.dropped + skip.lost + frame_len as u64,
                        reason,
                        start,
                        end,
                    });
                }
                if frame_len > self.max_message {
                    return Some(Frame::Dropped {
                        wire_len: frame_len as u64,
                        reason: DropReason::TooLong,
                        start,
                        end,
                    });
                }
                Some(Frame::Complete {
                    wire,
                    payload_len: frame_len - delim.len(),
                    start,
                    end,
                })
            }
            None => {
                self.searched = self.buf.len();
                // The message is already longer than allowed: keep only what
                // could be the start of a split delimiter.
                if self.skip.is_some() || self.buf.len() >= self.max_message {
                    let keep = overlap.min(self.buf.len());
                    let drop = self.buf.len() - keep;
                    let _ = self.buf.split_to(drop);
                    self.searched = self.buf.len();
                    self.skip.get_or_insert_with(Skip::default).dropped += drop as u64;
                }
                None
            }
        }
    }

    /// Records that `lost` bytes at capture time `ts` were never captured.
    /// The message they belong to (with whatever of it is held) is skipped up
    /// to the next delimiter, where the stream picks up again; it comes out as
    /// a [`Frame::Dropped`] with [`DropReason::Lost`].
    pub fn lose(&mut self, ts: Timestamp, lost: u64) {
        if lost == 0 {
            return;
        }
        if self.is_empty() {
            self.head_ts = ts;
        }
        self.last_ts = ts;
        let held = self.buf.len() as u64;
        self.buf.clear();
        self.searched = 0;
        let skip = self.skip.get_or_insert_with(Skip::default);
        skip.dropped += held;
        skip.lost += lost;
    }

    /// Takes what is left of an unfinished message, leaving the buffer empty.
    pub fn take_partial(&mut self) -> Option<Partial> {
        if self.is_empty() {
            return None;
        }
        let skip = self.skip.take().unwrap_or_default();
        let wire = self.buf.split().freeze();
        self.searched = 0;
        Some(Partial {
            wire_len: skip.dropped + skip.lost + wire.len() as u64,
            lost: skip.lost,
            wire,
            start: self.head_ts,
            end: self.last_ts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NL: Framing = Framing::Delimiter(b"\n");
    const CRLF: Framing = Framing::Delimiter(b"\r\n");

    fn t(n: i64) -> Timestamp {
        Timestamp::from_nanos(n)
    }

    fn wire(frame: Frame) -> Bytes {
        match frame {
            Frame::Complete { wire, .. } => wire,
            other => panic!("expected a complete frame, got {other:?}"),
        }
    }

    #[test]
    fn cuts_several_frames_from_one_push_and_keeps_times() {
        let mut s = StreamBuffer::new(100);
        s.push(t(1), b">a\n>b");
        let first = s.next_frame(&NL).unwrap();
        assert_eq!(
            first,
            Frame::Complete {
                wire: Bytes::from_static(b">a\n"),
                payload_len: 2,
                start: t(1),
                end: t(1)
            }
        );
        assert_eq!(s.next_frame(&NL), None);
        s.push(t(2), b"b\n");
        match s.next_frame(&NL).unwrap() {
            Frame::Complete {
                wire, start, end, ..
            } => {
                assert_eq!(&wire[..], b">bb\n");
                assert_eq!((start, end), (t(1), t(2)));
            }
            other => panic!("{other:?}"),
        }
        assert!(s.is_empty());
    }

    #[test]
    fn finds_a_two_byte_delimiter_split_across_pushes() {
        let mut s = StreamBuffer::new(100);
        s.push(t(1), b"abc\r");
        assert_eq!(s.next_frame(&CRLF), None);
        s.push(t(2), b"\nrest");
        assert_eq!(&wire(s.next_frame(&CRLF).unwrap())[..], b"abc\r\n");
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn byte_at_a_time_scans_each_byte_once() {
        let mut s = StreamBuffer::new(2 << 20);
        let line = vec![b'x'; 1 << 20];
        for b in &line {
            s.push(t(1), std::slice::from_ref(b));
            assert_eq!(s.next_frame(&NL), None);
        }
        s.push(t(2), b"\n");
        let frame = wire(s.next_frame(&NL).unwrap());
        assert_eq!(frame.len(), (1 << 20) + 1);
        // Every byte searched exactly once (plus the delimiter).
        assert_eq!(s.bytes_scanned(), (1 << 20) + 1);
    }

    #[test]
    fn over_long_message_is_dropped_and_the_stream_resynchronizes() {
        let mut s = StreamBuffer::new(8);
        s.push(t(1), b"0123456789");
        assert_eq!(s.next_frame(&NL), None);
        assert!(s.len() < 8, "the buffer never holds more than the limit");
        s.push(t(2), b"abc\n>ok\n");
        assert_eq!(
            s.next_frame(&NL),
            Some(Frame::Dropped {
                wire_len: 14,
                reason: DropReason::TooLong,
                start: t(1),
                end: t(2)
            })
        );
        assert_eq!(&wire(s.next_frame(&NL).unwrap())[..], b">ok\n");
    }

    #[test]
    fn over_long_frame_arriving_whole_is_dropped_too() {
        let mut s = StreamBuffer::new(4);
        s.push(t(1), b"123456\n>a\n");
        assert!(matches!(
            s.next_frame(&NL),
            Some(Frame::Dropped {
                wire_len: 7,
                reason: DropReason::TooLong,
                ..
            })
        ));
        assert_eq!(&wire(s.next_frame(&NL).unwrap())[..], b">a\n");
    }

    #[test]
    fn partial_counts_dropped_bytes() {
        let mut s = StreamBuffer::new(4);
        s.push(t(1), b">abcdef");
        assert_eq!(s.next_frame(&NL), None);
        s.push(t(3), b"gh");
        assert_eq!(s.next_frame(&NL), None);
        let p = s.take_partial().unwrap();
        assert_eq!(p.wire_len, 9);
        assert_eq!(p.lost, 0);
        assert_eq!((p.start, p.end), (t(1), t(3)));
        assert!(s.take_partial().is_none());
    }

    #[test]
    fn lost_bytes_skip_to_the_next_delimiter() {
        let mut s = StreamBuffer::new(100);
        s.push(t(1), b">hel");
        assert_eq!(s.next_frame(&NL), None);
        s.lose(t(2), 3);
        s.push(
            t(3),
            b"ld
>next
",
        );
        assert_eq!(
            s.next_frame(&NL),
            Some(Frame::Dropped {
                wire_len: 10,
                reason: DropReason::Lost(3),
                start: t(1),
                end: t(3)
            })
        );
        assert_eq!(&wire(s.next_frame(&NL).unwrap())[..], b">next\n");
    }
}
