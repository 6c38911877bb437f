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

use bytes::{Buf, Bytes, BytesMut};

use crate::framing::{FrameLen, FrameProgress, Framing, LengthPrefix};
use crate::protocol::Direction;
use crate::time::Timestamp;

pub use frame::{Complete, DropReason, Dropped, Frame, Partial};
use skip::{skip_to, Rejected, Skip, SkipTo};

/// A buffer allocation above this size is not shared with small frames.
const LARGE_ALLOCATION: usize = 64 * 1024;
/// Frames up to this size cut from a large allocation are copied.
const SMALL_FRAME: usize = 4096;
/// A buffer that must grow gets at least this much room: several small
/// messages then share one allocation (and one reference-count header)
/// instead of one each, while what one waiting message can pin stays small.
const MIN_GROWTH: usize = 512;

/// Bytes of one direction of a connection, cut into frames.
#[derive(Debug)]
// In this order: the fields a delimited message touches come first, in two
// cache lines; the rare states (boxed) last.
#[repr(C)]
pub struct StreamBuffer {
    buf: BytesMut,
    /// Leading bytes of `buf` already searched for a delimiter or sync
    /// sequence without finding it.
    searched: usize,
    /// Capture time of the first byte in `buf` (or of the skipped message).
    head_ts: Timestamp,
    /// Capture time of the last byte pushed.
    last_ts: Timestamp,
    /// `Some` while the current message is being skipped. Boxed, as the
    /// other rare states: the usual fields stay in few cache lines.
    skip: Option<Box<Skip>>,
    max_message: usize,
    scanned_total: u64,
    /// A custom framer is not called again before `buf` holds this many.
    needed: usize,
    /// A resuming custom framer's place in the current message.
    progress: FrameProgress,
    /// `needed` is the message's announced total, not just "one more byte".
    needed_known: bool,
    /// Rejected bytes being merged (custom framings).
    rejected: Option<Box<Rejected>>,
    /// The frame that ended a run of rejected bytes, handed out next.
    lookahead: Option<Box<Frame>>,
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
    #[inline]
    pub fn next_frame(&mut self, framing: &Framing, direction: Direction) -> Option<Frame> {
        match framing {
            // The hot path of line protocols, small enough to inline.
            Framing::Delimiter(delim) if self.skip.is_none() => self.next_delimited(delim, framing),
            _ if self.skip.is_none() && self.rejected.is_none() && self.lookahead.is_none() => {
                self.next_asked(framing, direction)
            }
            _ => self.next_frame_general(framing, direction),
        }
    }

    /// [`next_frame`](Self::next_frame) for a delimiter framing (`framing`
    /// is `Framing::Delimiter(delim)`): small enough to inline in a
    /// caller whose framing is a constant, where the whole `next_frame`
    /// is not.
    #[inline(always)]
    pub(crate) fn next_frame_delimited(
        &mut self,
        delim: &[u8],
        framing: &Framing,
        direction: Direction,
    ) -> Option<Frame> {
        if self.skip.is_none() {
            self.next_delimited(delim, framing)
        } else {
            self.next_frame_general(framing, direction)
        }
    }

    /// The next frame of any other framing, when nothing is being skipped
    /// or merged: the framer is asked and its answer handled; only rejected
    /// bytes go the general way (they may start a run to merge).
    #[inline]
    fn next_asked(&mut self, framing: &Framing, direction: Direction) -> Option<Frame> {
        let limit = self.limit(framing);
        let found = self.ask(framing, direction, limit)?;
        match self.handle_found(found, framing, limit) {
            dropped @ Some(Frame::Dropped(_)) => self.merged(dropped, framing, direction),
            other => other,
        }
    }

    /// [`next_frame`](Self::next_frame) for every case but a delimiter
    /// framing's usual one.
    #[inline(never)]
    fn next_frame_general(&mut self, framing: &Framing, direction: Direction) -> Option<Frame> {
        if let Framing::Delimiter(_) = framing {
            // Rejected bytes are a custom framing's: nothing to merge.
            return self.continue_skip(framing);
        }
        if let Some(frame) = self.lookahead.take() {
            return Some(*frame);
        }
        let first = self.next_frame_once(framing, direction);
        self.merged(first, framing, direction)
    }

    /// Hands out `next`, merging it into the run of rejected bytes when it
    /// is rejected bytes too (and then framing on), or handing out the run
    /// first when one ends with it.
    #[inline(never)]
    fn merged(
        &mut self,
        mut next: Option<Frame>,
        framing: &Framing,
        direction: Direction,
    ) -> Option<Frame> {
        loop {
            match next {
                Some(Frame::Dropped(dropped))
                    if matches!(framing, Framing::Custom(_) | Framing::Lines(_)) =>
                {
                    match (&mut self.rejected, &dropped.reason) {
                        (Some(run), DropReason::Invalid(_)) => {
                            run.wire_len += dropped.wire_len;
                            run.end = dropped.end;
                        }
                        (None, DropReason::Invalid(why)) => {
                            self.rejected = Some(Box::new(Rejected {
                                wire_len: dropped.wire_len,
                                why: why.clone(),
                                start: dropped.start,
                                end: dropped.end,
                            }))
                        }
                        // Too long or lost bytes: handed out as they are.
                        _ => return self.hand_out(Frame::Dropped(dropped)),
                    }
                }
                Some(frame) => return self.hand_out(frame),
                None => return None,
            }
            next = self.next_frame_once(framing, direction);
        }
    }

    /// Hands out `frame`, or first the run of rejected bytes it ends.
    fn hand_out(&mut self, frame: Frame) -> Option<Frame> {
        match self.rejected.take() {
            Some(run) => {
                self.lookahead = Some(Box::new(frame));
                Some(run.into_frame())
            }
            None => Some(frame),
        }
    }

    /// The next frame of a delimiter framing, when no message is being
    /// skipped: the hot path of line protocols, kept apart from the general
    /// one.
    #[inline(always)]
    fn next_delimited(&mut self, delim: &[u8], framing: &Framing) -> Option<Frame> {
        if self.buf.is_empty() {
            // The packet ended with a message: the usual case, no search.
            return None;
        }
        match self.find(delim) {
            Some(len) if len <= self.max_message => {
                Some(self.split_frame(len, 0..len - delim.len(), false))
            }
            None if self.buf.len() < self.max_message => None,
            found => self.delimited_too_long(found, framing),
        }
    }

    /// A delimited message over the limit: skipped exactly when its end was
    /// found, else up to the next delimiter.
    #[cold]
    fn delimited_too_long(&mut self, found: Option<usize>, framing: &Framing) -> Option<Frame> {
        let to = match found {
            Some(len) => SkipTo::Exact(len as u64),
            None => SkipTo::Sync,
        };
        self.start_skip(to, None);
        self.continue_skip(framing)
    }

    /// A run of rejected bytes not handed out yet, at the end of the stream.
    pub fn take_rejected(&mut self) -> Option<Frame> {
        self.rejected.take().map(|r| r.into_frame())
    }

    fn next_frame_once(&mut self, framing: &Framing, direction: Direction) -> Option<Frame> {
        if self.skip.is_some() {
            return self.continue_skip(framing);
        }
        let limit = self.limit(framing);
        let found = self.ask(framing, direction, limit)?;
        self.handle_found(found, framing, limit)
    }

    /// The longest message this framing lets the stream keep.
    #[inline]
    fn limit(&self, framing: &Framing) -> usize {
        match framing {
            Framing::LengthPrefixed(LengthPrefix {
                max_frame: Some(max),
                ..
            }) => self.max_message.min(*max),
            _ => self.max_message,
        }
    }

    /// Where the message at the front ends, by the framing; `None` when a
    /// framer is not to be asked before more bytes arrive.
    #[inline]
    fn ask(&mut self, framing: &Framing, direction: Direction, limit: usize) -> Option<FrameLen> {
        Some(match framing {
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
        })
    }

    /// The part of the first `len` bytes the protocol parses.
    #[inline]
    fn payload(&self, framing: &Framing, len: usize) -> std::ops::Range<usize> {
        match framing {
            Framing::Delimiter(delim) => 0..len - delim.len(),
            Framing::LengthPrefixed(prefix) => prefix.skip.min(len)..len,
            Framing::Lines(lines) => 0..len - lines.end_len(&self.buf[..len]),
            Framing::Custom(_) => 0..len,
        }
    }

    /// What the framer's answer means: a frame cut, a message skipped, or
    /// waiting for more bytes.
    #[inline]
    fn handle_found(&mut self, found: FrameLen, framing: &Framing, limit: usize) -> Option<Frame> {
        match found {
            FrameLen::Complete(len) | FrameLen::Cut(len) if len > limit => {
                self.start_skip(SkipTo::Exact(len as u64), None);
                self.continue_skip(framing)
            }
            FrameLen::Complete(len) | FrameLen::Cut(len) if len > 0 && len <= self.buf.len() => {
                let payload = self.payload(framing, len);
                let cut = matches!(found, FrameLen::Cut(_));
                Some(self.split_frame(len, payload, cut))
            }
            FrameLen::Complete(len) | FrameLen::Cut(len) => {
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
    #[inline]
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

    /// Cuts a complete frame of `len` bytes off the front; `payload` is the
    /// part of it the protocol parses, `cut` whether the framer cut a longer
    /// message there.
    #[inline(always)]
    fn split_frame(&mut self, len: usize, payload: std::ops::Range<usize>, cut: bool) -> Frame {
        // A frame shares the buffer's allocation (zero-copy) and keeps all
        // of it alive while the message lives, e.g. while a request waits
        // for its response. A small frame cut from a large allocation (one
        // grown by a long message) is copied instead, and an emptied large
        // buffer is let go, so waiting messages pin little memory.
        let large = self.buf.capacity() > LARGE_ALLOCATION;
        let wire = if large && len <= SMALL_FRAME {
            let copy = Bytes::copy_from_slice(&self.buf[..len]);
            self.buf.advance(len);
            copy
        } else {
            self.buf.split_to(len).freeze()
        };
        if large && self.buf.is_empty() {
            self.buf = BytesMut::new();
        }
        let frame = Frame::Complete(Complete {
            wire,
            payload,
            start: self.head_ts,
            end: self.last_ts,
            cut,
        });
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

/// For a delimiter framing, when a stream holds nothing: the length
/// (delimiter included) of the first message `data` holds whole, if it is
/// at most `limit` bytes, the stream's maximum. `None` otherwise: the bytes
/// then go to the stream, which drops an over-long message with its note.
#[inline]
pub(crate) fn whole_delimited(data: &[u8], delim: &[u8], limit: usize) -> Option<usize> {
    find_end(data, delim).filter(|&len| len <= limit)
}

/// The end of the first occurrence of `pattern` in `hay`. Delimiters are
/// short: search for their last byte with memchr and check the rest, which
/// needs no searcher built per call.
#[inline]
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

mod frame;
mod skip;

#[cfg(test)]
mod tests;
