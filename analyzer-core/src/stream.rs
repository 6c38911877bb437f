//! Per-direction stream buffer: bytes in, frames out.
//!
//! The buffer asks the direction's [`Framer`] for the frame at its start;
//! the framer keeps its own place in that frame, and the buffer does not
//! ask again before the bytes the framer said it needs are there, so no byte
//! is rescanned however a message is split into segments (Packetbeat's
//! `CollectUntil` rescans from the message start on every call: quadratic
//! on long lines that arrive in many pieces). A message longer than the
//! maximum, one that lost bytes in capture, and bytes the framer rejects are
//! not kept: they are counted and skipped (exactly, when the message's
//! length is known; else up to the framer's synchronization sequence, or to
//! the next plausible frame start) and come out as one [`Frame::Dropped`].
//!
//! Each frame carries the capture times of the packets that held its first
//! and its last byte, also when the framer needed bytes of a later packet to
//! see where the frame ends: the buffer remembers where the last packet's
//! bytes start and when the packet before it came. (A frame ending more than
//! one packet before the last is dated by the packet before the last: only
//! a framer needing two packets of lookahead sees it.)

use bytes::{Buf, Bytes, BytesMut};

use crate::frame_len::FrameLen;
use crate::protocol::{Conversation, Cx, Framer};
use crate::time::Timestamp;

pub use frame::{AfterGap, Complete, DropReason, Dropped, Frame, Partial};
use skip::{skip_to, Rejected, Skip, SkipTo};

/// A buffer allocation above this size is not shared with small frames.
const LARGE_ALLOCATION: usize = 64 * 1024;
/// Frames up to this size cut from a large allocation are copied.
const SMALL_FRAME: usize = 4096;
/// A buffer that must grow gets at least this much room: several small
/// messages then share one allocation (and one reference-count header)
/// instead of one each, while what one waiting message can pin stays small.
const MIN_GROWTH: usize = 256;
/// The least room made for the first bytes of a message that must wait
/// ([`StreamBuffer::push_framed`]).
const FIRST_ROOM: usize = 64;
/// Bytes of one direction of a connection, cut into frames.
#[derive(Debug)]
// In this order: the fields a message touches come first; the rare states
// (boxed) last.
#[repr(C)]
pub struct StreamBuffer {
    buf: BytesMut,
    /// A framer is not asked again before `buf` holds this many.
    needed: usize,
    /// Capture time of the packet that held the first byte in `buf`.
    head_ts: Timestamp,
    /// Capture time of the last byte pushed.
    last_ts: Timestamp,
    /// The rare states: a message being skipped, rejected bytes being
    /// merged, a frame waiting behind them. One box, `None` when there is
    /// none of them: the usual fields stay in one cache line.
    rare: Option<Box<Rare>>,
    /// Where the last packet's bytes start in `buf` (0: every byte held
    /// came at `last_ts`, or `buf` holds one packet's).
    tail: usize,
    /// Capture time of the packet before the last, whose bytes end at
    /// `tail`.
    before_tail: Timestamp,
    max_message: usize,
    /// Leading bytes of `buf` already searched for a sync sequence.
    searched: usize,
    scanned_total: u64,
    /// `needed` is the message's announced total, not just a lower bound.
    needed_known: bool,
}

/// [`StreamBuffer`]'s rare states.
#[derive(Debug, Default)]
struct Rare {
    /// `Some` while the current message is being skipped.
    skip: Option<Skip>,
    /// Rejected bytes being merged.
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
            head_ts: Timestamp::default(),
            last_ts: Timestamp::default(),
            rare: None,
            tail: 0,
            before_tail: Timestamp::default(),
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
        if self.buf.is_empty() {
            self.head_ts = ts;
            self.tail = 0;
        } else if ts != self.last_ts {
            self.before_tail = self.last_ts;
            self.tail = self.buf.len();
        }
        self.last_ts = ts;
        if self.buf.capacity() - self.buf.len() < data.len() {
            // At least what comes; at least `MIN_GROWTH`, or the room
            // already made (doubling it) when that is less: a short message
            // waiting in `FIRST_ROOM` grows to twice that, not by 256.
            let least = MIN_GROWTH.min(self.buf.capacity().max(FIRST_ROOM));
            self.buf.reserve(data.len().max(least));
        }
        self.buf.extend_from_slice(data);
    }

    /// Pushes `data`, captured at `ts`, into an empty buffer, where the
    /// framer already answered `found` for exactly these bytes (the
    /// connection frames a packet's messages straight from it while the
    /// buffer is empty, and hands over what is left): the buffer then does
    /// not ask it again before the bytes it asked for are there.
    pub(crate) fn push_framed(&mut self, ts: Timestamp, data: &[u8], found: &FrameLen) {
        debug_assert!(self.is_empty());
        if self.buf.capacity() - self.buf.len() < data.len() {
            // Room for the message as the framer sees it: its total when
            // known, else twice what came (a short message cut by a segment
            // boundary), within [`FIRST_ROOM`, `SMALL_FRAME`]: at tens of
            // thousands of connections each waiting on a short message,
            // `MIN_GROWTH` apiece is megabytes. Longer messages grow as usual.
            let room = match *found {
                FrameLen::Incomplete(Some(total)) | FrameLen::AtLeast(total) => total,
                _ => data.len().saturating_mul(2),
            };
            self.buf
                .reserve(room.clamp(FIRST_ROOM, SMALL_FRAME).max(data.len()));
        }
        self.push(ts, data);
        self.wait(found, self.max_message);
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether no bytes of an unfinished message are held or being skipped.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.skip().is_none()
    }

    /// The message being skipped, if any.
    #[inline]
    fn skip(&self) -> Option<&Skip> {
        self.rare.as_ref().and_then(|r| r.skip.as_ref())
    }

    /// The rare states, made when needed.
    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Default::default)
    }

    /// Lets the rare states go once none is left.
    fn tidy(&mut self) {
        if self
            .rare
            .as_ref()
            .is_some_and(|r| r.skip.is_none() && r.rejected.is_none() && r.lookahead.is_none())
        {
            self.rare = None;
        }
    }

    /// Whether the buffer holds nothing at all: no bytes, no skip, no
    /// rejected bytes or frame still to hand out. A packet's frames may
    /// then be cut straight from it.
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.buf.is_empty() && self.rare.is_none()
    }

    /// Total bytes examined by sync searches and plausibility scans over
    /// the buffer's life (the framer's own searches are the framer's).
    pub fn bytes_scanned(&self) -> u64 {
        self.scanned_total
    }

    /// The next frame, if the bytes held complete one.
    ///
    /// Consecutive runs of bytes the framer rejects come out as one
    /// [`Frame::Dropped`]: after rejected bytes the stream resynchronizes at
    /// the next sync sequence, which may still be inside the same garbage
    /// (e.g. binary data holding many CRLFs), and one bad value must not
    /// become thousands of messages.
    #[inline]
    pub fn next_frame<P: Conversation, F: Framer<P>>(
        &mut self,
        framer: &mut F,
        cx: &Cx<'_, P>,
    ) -> Option<Frame> {
        if self.rare.is_none() {
            // The usual case: no skip, nothing merged.
            let found = self.ask(framer, cx)?;
            return match self.handle_found(found, framer, cx) {
                dropped @ Some(Frame::Dropped(_)) => self.merged(dropped, framer, cx),
                other => other,
            };
        }
        self.next_frame_general(framer, cx)
    }

    /// [`next_frame`](Self::next_frame) while skipping or merging.
    #[inline(never)]
    fn next_frame_general<P: Conversation, F: Framer<P>>(
        &mut self,
        framer: &mut F,
        cx: &Cx<'_, P>,
    ) -> Option<Frame> {
        if let Some(frame) = self.rare.as_mut().and_then(|r| r.lookahead.take()) {
            self.tidy();
            return Some(frame);
        }
        let first = self.next_frame_once(framer, cx);
        self.merged(first, framer, cx)
    }

    /// Hands out `next`, merging it into the run of rejected bytes when it
    /// is rejected bytes too (and then framing on), or handing out the run
    /// first when one ends with it.
    #[inline(never)]
    fn merged<P: Conversation, F: Framer<P>>(
        &mut self,
        mut next: Option<Frame>,
        framer: &mut F,
        cx: &Cx<'_, P>,
    ) -> Option<Frame> {
        loop {
            match next {
                Some(Frame::Dropped(dropped)) => match (&mut self.rare().rejected, &dropped.reason)
                {
                    (Some(run), DropReason::Invalid(_)) => {
                        run.wire_len += dropped.wire_len;
                        run.end = dropped.end;
                    }
                    (run @ None, DropReason::Invalid(why)) => {
                        *run = Some(Rejected {
                            wire_len: dropped.wire_len,
                            why: why.clone(),
                            start: dropped.start,
                            end: dropped.end,
                        })
                    }
                    // Too long or lost bytes: handed out as they are.
                    _ => return self.hand_out(Frame::Dropped(dropped)),
                },
                Some(frame) => return self.hand_out(frame),
                None => {
                    self.tidy();
                    return None;
                }
            }
            next = self.next_frame_once(framer, cx);
        }
    }

    /// Hands out `frame`, or first the run of rejected bytes it ends.
    fn hand_out(&mut self, frame: Frame) -> Option<Frame> {
        match self.rare.as_mut().and_then(|r| r.rejected.take()) {
            Some(run) => {
                self.rare().lookahead = Some(frame);
                Some(run.into_frame())
            }
            None => {
                self.tidy();
                Some(frame)
            }
        }
    }

    /// A run of rejected bytes not handed out yet, at the end of the stream.
    pub fn take_rejected(&mut self) -> Option<Frame> {
        let run = self.rare.as_mut().and_then(|r| r.rejected.take());
        self.tidy();
        run.map(Rejected::into_frame)
    }

    fn next_frame_once<P: Conversation, F: Framer<P>>(
        &mut self,
        framer: &mut F,
        cx: &Cx<'_, P>,
    ) -> Option<Frame> {
        if self.skip().is_some() {
            return self.continue_skip(framer, cx);
        }
        let found = self.ask(framer, cx)?;
        self.handle_found(found, framer, cx)
    }

    /// The longest message this framer lets the stream keep.
    #[inline]
    fn limit<P: Conversation, F: Framer<P>>(&self, framer: &F) -> usize {
        match framer.max_frame() {
            Some(max) => self.max_message.min(max),
            None => self.max_message,
        }
    }

    /// Where the message at the front ends, by the framer; `None` when the
    /// framer is not to be asked before more bytes arrive.
    #[inline(always)]
    fn ask<P: Conversation, F: Framer<P>>(
        &mut self,
        framer: &mut F,
        cx: &Cx<'_, P>,
    ) -> Option<FrameLen> {
        if self.buf.len() < self.needed.max(1) {
            return None;
        }
        Some(framer.frame(&self.buf, cx))
    }

    /// Records that the framer waits for more bytes (`found` is
    /// `Incomplete` or `AtLeast`), never past `limit`.
    #[inline]
    fn wait(&mut self, found: &FrameLen, limit: usize) {
        let (total, known) = match *found {
            FrameLen::Incomplete(total) => (total, true),
            FrameLen::AtLeast(at_least) => (Some(at_least), false),
            _ => return,
        };
        // Wait for more bytes, but never past the limit: a lower bound
        // beyond it must not make the buffer grow with it.
        self.needed = total.unwrap_or(0).min(limit).max(self.buf.len() + 1);
        self.needed_known = known && total.is_some_and(|t| t > self.buf.len());
    }

    /// What the framer's answer means: a frame cut, a message skipped, or
    /// waiting for more bytes.
    #[inline(always)]
    fn handle_found<P: Conversation, F: Framer<P>>(
        &mut self,
        found: FrameLen,
        framer: &mut F,
        cx: &Cx<'_, P>,
    ) -> Option<Frame> {
        let limit = self.limit(framer);
        match found {
            FrameLen::Complete(len) | FrameLen::Cut(len)
                if len > 0 && len <= limit && len <= self.buf.len() =>
            {
                let payload = framer.payload(&self.buf[..len]);
                let cut = matches!(found, FrameLen::Cut(_));
                let frame = self.split_frame(len, payload, cut);
                framer.reset();
                Some(frame)
            }
            FrameLen::Incomplete(_) | FrameLen::AtLeast(_) => {
                if let FrameLen::Incomplete(Some(total)) = found {
                    if total > limit {
                        return self.too_long(SkipTo::Exact(total as u64), framer, cx);
                    }
                }
                self.wait(&found, limit);
                if self.buf.len() >= limit {
                    // Already too long and its end unknown: skip to the next
                    // synchronization point.
                    return self.too_long(skip_to(framer), framer, cx);
                }
                None
            }
            other => self.rejected_or_long(other, framer, cx),
        }
    }

    /// A frame over the limit, claimed beyond the bytes held, or rejected:
    /// skipped.
    #[cold]
    #[inline(never)]
    fn rejected_or_long<P: Conversation, F: Framer<P>>(
        &mut self,
        found: FrameLen,
        framer: &mut F,
        cx: &Cx<'_, P>,
    ) -> Option<Frame> {
        match found {
            FrameLen::Complete(len) | FrameLen::Cut(len) if len > self.limit(framer) => {
                self.too_long(SkipTo::Exact(len as u64), framer, cx)
            }
            FrameLen::Complete(len) | FrameLen::Cut(len) => {
                let reason = format!("framer claimed {len} of {} bytes", self.buf.len());
                self.start_skip(skip_to(framer), Some(reason), framer);
                self.continue_skip(framer, cx)
            }
            FrameLen::Invalid(reason) => {
                self.start_skip(skip_to(framer), Some(reason), framer);
                self.continue_skip(framer, cx)
            }
            FrameLen::Incomplete(_) | FrameLen::AtLeast(_) => None,
        }
    }

    /// Starts skipping a message too long to keep.
    #[cold]
    fn too_long<P: Conversation, F: Framer<P>>(
        &mut self,
        to: SkipTo,
        framer: &mut F,
        cx: &Cx<'_, P>,
    ) -> Option<Frame> {
        self.start_skip(to, None, framer);
        self.continue_skip(framer, cx)
    }

    /// The capture time of the packet that held byte `at` of `buf`.
    #[inline]
    fn time_at(&self, at: usize) -> Timestamp {
        if at >= self.tail {
            self.last_ts
        } else if self.tail > 0 {
            self.before_tail
        } else {
            self.head_ts
        }
    }

    /// After the first `len` bytes left: the bytes held start at the time
    /// of the packet that held byte `len`.
    #[inline]
    fn advance_times(&mut self, len: usize) {
        if self.tail == 0 {
            // Every byte held came at `head_ts`.
            return;
        }
        if len >= self.tail {
            self.head_ts = self.last_ts;
            self.tail = 0;
        } else {
            self.head_ts = self.before_tail;
            self.tail -= len;
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
        let start = self.head_ts;
        let end = self.time_at(len - 1);
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
        self.advance_times(len);
        self.reset_search();
        Frame::Complete(Complete {
            wire,
            payload,
            start,
            end,
            cut,
        })
    }

    /// After a message ends.
    fn reset_search(&mut self) {
        self.searched = 0;
        self.needed = 0;
        self.needed_known = false;
    }

    /// Takes what is left of an unfinished message, leaving the buffer empty.
    pub fn take_partial(&mut self) -> Option<Partial> {
        if self.is_empty() {
            return None;
        }
        let skip = self.rare.as_mut().and_then(|r| r.skip.take());
        self.tidy();
        let start = skip.as_ref().map_or(self.head_ts, |s| s.start);
        let (dropped, lost) = skip.map_or((0, 0), |s| (s.dropped, s.lost));
        let wire = self.buf.split().freeze();
        self.reset_search();
        self.tail = 0;
        Some(Partial {
            wire_len: dropped + lost + wire.len() as u64,
            lost,
            wire,
            start,
            end: self.last_ts,
        })
    }
}

mod frame;
mod skip;

#[cfg(test)]
mod tests;
