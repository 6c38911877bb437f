//! Per-direction stream buffer: bytes in, frames out.
//!
//! The buffer remembers how far it has searched for a delimiter (and how many
//! bytes a custom framer asked for), so no byte is rescanned however a
//! message is split into segments (Packetbeat's `CollectUntil` rescans from
//! the message start on every call: quadratic on long lines that arrive in
//! many pieces). A message longer than the maximum, one that lost bytes in
//! capture, and bytes the framer rejects are not kept: they are counted and
//! skipped (exactly, when the message's length is known; else up to the
//! framing's synchronization point) and come out as one [`Frame::Dropped`].

use bytes::{Bytes, BytesMut};

use crate::framing::{FrameLen, FrameProgress, Framing, LengthPrefix};
use crate::protocol::Direction;
use crate::time::Timestamp;

use skip::{skip_to, Rejected, Skip, SkipTo};

/// A buffer allocation above this size is not shared with small frames.
const LARGE_ALLOCATION: usize = 64 * 1024;
/// Frames up to this size cut from a large allocation are copied.
const SMALL_FRAME: usize = 4096;
/// A buffer that must grow gets at least this much room: several small
/// messages then share one allocation (and one reference-count header)
/// instead of one each, while what one waiting message can pin stays small.
const MIN_GROWTH: usize = 512;

/// One unit cut from a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete message.
    Complete {
        /// The whole frame as on the wire, delimiter included.
        wire: Bytes,
        /// What the protocol parses: the frame without its delimiter (or
        /// without the skipped bytes of a length prefix).
        payload: Bytes,
        /// Capture time of the packet holding the first byte.
        start: Timestamp,
        /// Capture time of the packet holding the last byte.
        end: Timestamp,
    },
    /// A message whose bytes were not kept. Its extent is known; its content
    /// is not.
    Dropped {
        /// Its length on the wire, lost bytes included.
        wire_len: u64,
        /// Why it was not kept.
        reason: DropReason,
        /// Capture time of the first byte.
        start: Timestamp,
        /// Capture time of the last byte.
        end: Timestamp,
        /// After lost bytes, with a delimiter framing: the bytes from the end
        /// of the gap up to and including the delimiter (part of
        /// `wire_len`). The gap may have ended on a message boundary: if
        /// these parse as a message, the caller can publish them as one and
        /// count only the rest as damaged.
        after_gap: Option<Bytes>,
    },
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

/// Bytes of one direction of a connection, cut into frames.
#[derive(Debug)]
pub struct StreamBuffer {
    buf: BytesMut,
    /// Leading bytes of `buf` already searched for a delimiter or sync
    /// sequence without finding it.
    searched: usize,
    /// A custom framer is not called again before `buf` holds this many.
    needed: usize,
    /// `needed` is the message's announced total, not just "one more byte".
    needed_known: bool,
    /// A resuming custom framer's place in the current message.
    progress: FrameProgress,
    /// Capture time of the first byte in `buf` (or of the skipped message).
    head_ts: Timestamp,
    /// Capture time of the last byte pushed.
    last_ts: Timestamp,
    /// `Some` while the current message is being skipped.
    skip: Option<Skip>,
    max_message: usize,
    scanned_total: u64,
    /// Rejected bytes being merged (custom framings).
    rejected: Option<Rejected>,
    /// The frame that ended a run of rejected bytes, handed out next.
    lookahead: Option<Frame>,
}

impl StreamBuffer {
    /// A buffer that drops messages longer than `max_message` bytes
    /// (delimiter included).
    pub fn new(max_message: usize) -> Self {
        StreamBuffer {
            buf: BytesMut::new(),
            searched: 0,
            needed: 0,
            needed_known: false,
            progress: FrameProgress::default(),
            head_ts: Timestamp::default(),
            last_ts: Timestamp::default(),
            skip: None,
            max_message: max_message.max(1),
            scanned_total: 0,
            rejected: None,
            lookahead: None,
        }
    }

    /// Appends bytes captured at `ts`. Call [`next_frame`](Self::next_frame)
    /// until it returns `None` before pushing more.
    pub fn push(&mut self, ts: Timestamp, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if self.is_empty() {
            self.head_ts = ts;
        }
        self.last_ts = ts;
        if self.buf.capacity() - self.buf.len() < data.len() {
            self.buf.reserve(data.len().max(MIN_GROWTH));
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether no bytes of an unfinished message are held or being skipped.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.skip.is_none()
    }

    /// Total bytes examined by delimiter and sync searches over the buffer's
    /// life: with no rescanning, never much more than the bytes pushed.
    pub fn bytes_scanned(&self) -> u64 {
        self.scanned_total
    }

    /// The next frame, if the bytes held complete one.
    ///
    /// Consecutive runs of bytes a custom framer rejects come out as one
    /// [`Frame::Dropped`]: after rejected bytes the stream resynchronizes at
    /// the next sync sequence, which may still be inside the same garbage
    /// (e.g. binary data holding many CRLFs), and one bad value must not
    /// become thousands of messages.
    pub fn next_frame(&mut self, framing: &Framing, direction: Direction) -> Option<Frame> {
        if let Some(frame) = self.lookahead.take() {
            return Some(frame);
        }
        loop {
            match self.next_frame_once(framing, direction) {
                Some(Frame::Dropped {
                    wire_len,
                    reason: DropReason::Invalid(why),
                    start,
                    end,
                    ..
                }) if matches!(framing, Framing::Custom(_) | Framing::Lines(_)) => {
                    match &mut self.rejected {
                        Some(run) => {
                            run.wire_len += wire_len;
                            run.end = end;
                        }
                        None => {
                            self.rejected = Some(Rejected {
                                wire_len,
                                why,
                                start,
                                end,
                            })
                        }
                    }
                }
                Some(frame) => match self.rejected.take() {
                    Some(run) => {
                        self.lookahead = Some(frame);
                        return Some(run.into_frame());
                    }
                    None => return Some(frame),
                },
                None => return None,
            }
        }
    }

    /// A run of rejected bytes not handed out yet, at the end of the stream.
    pub fn take_rejected(&mut self) -> Option<Frame> {
        self.rejected.take().map(Rejected::into_frame)
    }

    fn next_frame_once(&mut self, framing: &Framing, direction: Direction) -> Option<Frame> {
        if self.skip.is_some() {
            return self.continue_skip(framing);
        }
        let limit = match framing {
            Framing::LengthPrefixed(LengthPrefix {
                max_frame: Some(max),
                ..
            }) => self.max_message.min(*max),
            _ => self.max_message,
        };
        let found = match framing {
            Framing::Delimiter(delim) => match self.find(delim) {
                Some(len) => FrameLen::Complete(len),
                None => FrameLen::Incomplete(None),
            },
            Framing::LengthPrefixed(prefix) => prefix.frame_len(&self.buf),
            Framing::Lines(lines) => {
                if self.buf.len() < self.needed.max(1) {
                    return None;
                }
                self.progress.set_limit(limit);
                lines.frame_resume(&self.buf, direction, &mut self.progress)
            }
            Framing::Custom(custom) => {
                if self.buf.len() < self.needed.max(1) {
                    return None;
                }
                self.progress.set_limit(limit);
                match custom.resume {
                    Some(resume) => resume(&self.buf, direction, &mut self.progress),
                    None => (custom.frame)(&self.buf, direction),
                }
            }
        };
        match found {
            FrameLen::Complete(len) if len > limit => {
                self.start_skip(SkipTo::Exact(len as u64), None);
                self.continue_skip(framing)
            }
            FrameLen::Complete(len) if len > 0 && len <= self.buf.len() => {
                Some(self.split_frame(len, framing))
            }
            FrameLen::Complete(len) => {
                let reason = format!("framer claimed {len} of {} bytes", self.buf.len());
                self.start_skip(skip_to(framing), Some(reason));
                self.continue_skip(framing)
            }
            FrameLen::Invalid(reason) => {
                self.start_skip(skip_to(framing), Some(reason));
                self.continue_skip(framing)
            }
            FrameLen::Incomplete(Some(total)) if total > limit => {
                self.start_skip(SkipTo::Exact(total as u64), None);
                self.continue_skip(framing)
            }
            FrameLen::Incomplete(_) | FrameLen::AtLeast(_) => {
                let (total, known) = match found {
                    FrameLen::Incomplete(total) => (total, true),
                    FrameLen::AtLeast(at_least) => (Some(at_least), false),
                    _ => (None, false),
                };
                // Wait for more bytes, but never past the limit: a lower
                // bound beyond it must not make the buffer grow with it.
                self.needed = total.unwrap_or(0).min(limit).max(self.buf.len() + 1);
                self.needed_known = known && total.is_some_and(|t| t > self.buf.len());
                if self.buf.len() >= limit {
                    // Already too long and its end unknown: skip to the next
                    // synchronization point.
                    self.start_skip(skip_to(framing), None);
                    return self.continue_skip(framing);
                }
                None
            }
        }
    }

    /// Searches for `pattern` past what was already searched; returns the
    /// length up to and including it.
    fn find(&mut self, pattern: &[u8]) -> Option<usize> {
        let from = self
            .searched
            .saturating_sub(pattern.len().saturating_sub(1));
        let hay = &self.buf[from..];
        self.scanned_total += hay.len() as u64;
        match find_end(hay, pattern) {
            Some(end) => Some(from + end),
            None => {
                self.searched = self.buf.len();
                None
            }
        }
    }

    /// Cuts a complete frame of `len` bytes off the front.
    fn split_frame(&mut self, len: usize, framing: &Framing) -> Frame {
        // A frame shares the buffer's allocation (zero-copy) and keeps all
        // of it alive while the message lives, e.g. while a request waits
        // for its response. A small frame cut from a large allocation (one
        // grown by a long message) is copied instead, and an emptied large
        // buffer is let go, so waiting messages pin little memory.
        let large = self.buf.capacity() > LARGE_ALLOCATION;
        let wire = if large && len <= SMALL_FRAME {
            let copy = Bytes::copy_from_slice(&self.buf[..len]);
            let _ = self.buf.split_to(len);
            copy
        } else {
            self.buf.split_to(len).freeze()
        };
        if self.buf.is_empty() && large {
            self.buf = BytesMut::new();
        }
        let payload = match framing {
            Framing::Delimiter(delim) => wire.slice(..len - delim.len()),
            Framing::LengthPrefixed(prefix) => wire.slice(prefix.skip.min(len)..),
            Framing::Lines(lines) => wire.slice(..len - lines.end_len(&wire)),
            Framing::Custom(_) => wire.clone(),
        };
        let frame = Frame::Complete {
            wire,
            payload,
            start: self.head_ts,
            end: self.last_ts,
        };
        self.reset_search();
        frame
    }

    /// After a message ends: what is left came in the packet that completed it.
    fn reset_search(&mut self) {
        self.searched = 0;
        self.needed = 0;
        self.needed_known = false;
        self.progress.0.clear();
        self.head_ts = self.last_ts;
    }

    /// Takes what is left of an unfinished message, leaving the buffer empty.
    pub fn take_partial(&mut self) -> Option<Partial> {
        if self.is_empty() {
            return None;
        }
        let skip = self.skip.take();
        let (dropped, lost) = skip.map_or((0, 0), |s| (s.dropped, s.lost));
        let wire = self.buf.split().freeze();
        self.searched = 0;
        self.needed = 0;
        self.progress.0.clear();
        Some(Partial {
            wire_len: dropped + lost + wire.len() as u64,
            lost,
            wire,
            start: self.head_ts,
            end: self.last_ts,
        })
    }
}

/// The end of the first occurrence of `pattern` in `hay`. Delimiters are
/// short: search for their last byte with memchr and check the rest, which
/// needs no searcher built per call.
fn find_end(hay: &[u8], pattern: &[u8]) -> Option<usize> {
    let (&last, head) = pattern.split_last()?;
    if head.is_empty() {
        // One byte: nothing else to compare.
        return memchr::memchr(last, hay).map(|i| i + 1);
    }
    let mut at = 0;
    while let Some(i) = memchr::memchr(last, &hay[at..]) {
        let end = at + i + 1;
        if end > head.len() && hay[end - 1 - head.len()..end - 1] == *head {
            return Some(end);
        }
        at = end;
    }
    None
}

mod skip;

#[cfg(test)]
mod tests;
