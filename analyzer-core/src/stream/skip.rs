//! Skipping what cannot be framed: a message longer than the limit, bytes
//! the framer rejects, bytes lost in capture. Skipped exactly when the
//! message's length is known; else up to the framer's synchronization
//! sequence, or, for framers without one (length prefixes, nom), to the
//! next offset where a frame plausibly starts. Consecutive rejected bytes
//! merge into one dropped message.

use super::{AfterGap, DropReason, Dropped, Frame, StreamBuffer};
use crate::framing::find_end;
use crate::protocol::{Conversation, Cx, Framer};
use crate::time::Timestamp;

/// Where skipping ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SkipTo {
    /// After exactly this many more bytes (the message's length is known).
    Exact(u64),
    /// After the framer's next synchronization sequence.
    Sync,
    /// At the next offset (at least this many bytes on) where the framer
    /// says a frame plausibly starts.
    Plausible { min_drop: usize },
}

/// A message being skipped.
#[derive(Clone, Debug)]
pub(super) struct Skip {
    /// Captured bytes dropped.
    pub(super) dropped: u64,
    /// Bytes never captured.
    pub(super) lost: u64,
    /// Why, when the framer rejected the bytes.
    pub(super) invalid: Option<String>,
    pub(super) to: SkipTo,
    /// Every byte since the last gap is still in the buffer.
    pub(super) tail_held: bool,
    /// Capture time of the skipped message's first byte.
    pub(super) start: Timestamp,
    /// The skip went to a sync sequence or a plausible start at some point.
    pub(super) blind: bool,
}

/// Consecutive rejected bytes, merged into one dropped message.
#[derive(Clone, Debug)]
pub(super) struct Rejected {
    pub(super) wire_len: u64,
    pub(super) why: String,
    pub(super) start: Timestamp,
    pub(super) end: Timestamp,
}

impl Rejected {
    pub(super) fn into_frame(self) -> Frame {
        Frame::from(Dropped {
            wire_len: self.wire_len,
            reason: DropReason::Invalid(self.why),
            start: self.start,
            end: self.end,
            blind: false,
            after_gap: None,
        })
    }
}

impl StreamBuffer {
    pub(super) fn start_skip<P: Conversation, F: Framer<P>>(
        &mut self,
        to: SkipTo,
        invalid: Option<String>,
        framer: &mut F,
    ) {
        self.reset_search();
        framer.reset();
        self.rare().skip = Some(Skip {
            dropped: 0,
            lost: 0,
            invalid,
            to,
            tail_held: false,
            start: self.head_ts,
            blind: !matches!(to, SkipTo::Exact(_)),
        });
    }

    /// How many bytes to drop to reach the end of the skip, and whether it
    /// is reached; `None` when the skip goes on past what is held.
    fn skip_target<P: Conversation, F: Framer<P>>(
        &mut self,
        framer: &F,
        cx: &Cx<'_, P>,
    ) -> (usize, SkipTo) {
        let (to, tail_held) = {
            let skip = self.skip().expect("skipping");
            (skip.to, skip.tail_held)
        };
        match to {
            SkipTo::Exact(remaining) => {
                let n = remaining.min(self.buf.len() as u64);
                (n as usize, SkipTo::Exact(remaining - n))
            }
            SkipTo::Sync => {
                let sync = framer.sync().unwrap_or_default();
                let from = self.searched;
                self.scanned_total += self.buf.len().saturating_sub(from) as u64;
                match find_end(&self.buf, sync, from) {
                    Some(len) => (len, SkipTo::Exact(0)),
                    // After a gap, keep the bytes (up to the message size
                    // limit): a message may start right after it. Otherwise
                    // keep only what could start a split sync sequence.
                    None if tail_held && self.buf.len() < self.max_message => {
                        self.searched = self.buf.len();
                        (0, SkipTo::Sync)
                    }
                    None => {
                        let keep = sync.len().saturating_sub(1).min(self.buf.len());
                        self.searched = keep;
                        (self.buf.len() - keep, SkipTo::Sync)
                    }
                }
            }
            SkipTo::Plausible { min_drop } => {
                let mut at = min_drop.min(self.buf.len());
                while at < self.buf.len() {
                    self.scanned_total += 1;
                    match framer.plausible(&self.buf[at..], cx) {
                        Some(true) => return (at, SkipTo::Exact(0)),
                        Some(false) => at += 1,
                        None => break,
                    }
                }
                (at, SkipTo::Plausible { min_drop: 0 })
            }
        }
    }

    /// Drops the bytes of the message being skipped; returns it once its end
    /// is reached.
    pub(super) fn continue_skip<P: Conversation, F: Framer<P>>(
        &mut self,
        framer: &mut F,
        cx: &Cx<'_, P>,
    ) -> Option<Frame> {
        let synced = self.skip()?.to == SkipTo::Sync;
        // The time of the first byte held (the first after the gap, when
        // every byte since it is held).
        let held_since = self.head_ts;
        let (drop, to) = self.skip_target(framer, cx);
        let end = match drop {
            0 => self.last_ts,
            n => self.time_at(n - 1),
        };
        let dropped = self.buf.split_to(drop).freeze();
        self.advance_times(drop);
        self.searched = self.searched.saturating_sub(drop);
        let skip = self.rare.as_mut()?.skip.as_mut()?;
        skip.to = to;
        skip.dropped += drop as u64;
        if skip.to != SkipTo::Exact(0) {
            skip.tail_held &= drop == 0;
            return None;
        }
        let skip = self.rare.as_mut()?.skip.take()?;
        self.tidy();
        // What follows a gap, up to the sync sequence found: maybe a
        // message of its own. Not when the skip ended by count (the rest
        // of a message of known length, e.g. a data block).
        let after_gap = (synced && skip.tail_held && skip.lost > 0).then_some(AfterGap {
            wire: dropped,
            start: held_since,
        });
        let reason = match (skip.lost, skip.invalid) {
            (lost, _) if lost > 0 => DropReason::Lost(lost),
            (_, Some(why)) => DropReason::Invalid(why),
            _ => DropReason::TooLong,
        };
        let frame: Frame = Dropped {
            wire_len: skip.dropped + skip.lost,
            reason,
            start: skip.start,
            end,
            blind: skip.blind,
            after_gap,
        }
        .into();
        self.reset_search();
        framer.reset();
        Some(frame)
    }

    /// Records that `lost` bytes at capture time `ts` were never captured.
    ///
    /// The message they belong to comes out as a [`Frame::Dropped`] with
    /// [`DropReason::Lost`]. When its length is known (the framer announced
    /// its total), it is skipped exactly and the stream keeps its place;
    /// otherwise the stream picks up at the framer's next synchronization
    /// sequence, or, without one, at the first plausible frame start after
    /// the gap (right after it, when the gap ended on a frame boundary).
    pub fn lose<P: Conversation, F: Framer<P>>(
        &mut self,
        ts: Timestamp,
        lost: u64,
        framer: &mut F,
    ) {
        if lost == 0 {
            return;
        }
        if self.buf.is_empty() && self.skip().is_none() {
            self.head_ts = ts;
        }
        self.last_ts = ts;
        let held = self.buf.len() as u64;
        let known_total =
            (self.skip().is_none() && self.needed_known && self.needed > self.buf.len())
                .then_some(self.needed as u64);
        let skipping = self.skip().is_some();
        if !skipping {
            let to = match known_total {
                Some(total) => SkipTo::Exact(total - held),
                None => after_loss(framer),
            };
            self.start_skip(to, None, framer);
        }
        self.buf.clear();
        self.tail = 0;
        self.reset_search();
        framer.reset();
        let Some(skip) = self.rare.as_mut().and_then(|r| r.skip.as_mut()) else {
            return;
        };
        skip.dropped += held;
        skip.lost += lost;
        skip.tail_held = true;
        match skip.to {
            SkipTo::Exact(remaining) => {
                // Held and lost bytes are part of the message being
                // skipped, up to its end (a new skip already counted the
                // held ones).
                let remaining = if skipping {
                    remaining.saturating_sub(held)
                } else {
                    remaining
                };
                skip.to = if lost <= remaining {
                    SkipTo::Exact(remaining - lost)
                } else {
                    skip.blind = true;
                    after_loss(framer)
                };
            }
            // A frame may start right after the gap.
            SkipTo::Plausible { .. } => skip.to = SkipTo::Plausible { min_drop: 0 },
            SkipTo::Sync => {}
        }
    }

    /// Ends, here, a message that lost bytes and whose end is not known yet,
    /// when nothing after the gap has arrived: used when the peer answered
    /// after the lost bytes, so a message most likely ended with them.
    /// Returns it as [`Frame::Dropped`].
    pub fn end_at_gap(&mut self) -> Option<Frame> {
        let skip = self.skip()?;
        if skip.lost == 0 || matches!(skip.to, SkipTo::Exact(_)) || !self.buf.is_empty() {
            return None;
        }
        let skip = self.rare.as_mut()?.skip.take()?;
        self.tidy();
        let frame: Frame = Dropped {
            wire_len: skip.dropped + skip.lost,
            reason: DropReason::Lost(skip.lost),
            start: skip.start,
            end: self.last_ts,
            blind: true,
            after_gap: None,
        }
        .into();
        self.reset_search();
        Some(frame)
    }
}

/// Where to pick up after bytes that cannot be framed: after the framer's
/// sync sequence, else at the next plausible frame start (at least one
/// byte on, so that rejected bytes are not framed again).
pub(super) fn skip_to<P: Conversation, F: Framer<P>>(framer: &F) -> SkipTo {
    match framer.sync() {
        Some(_) => SkipTo::Sync,
        None => SkipTo::Plausible { min_drop: 1 },
    }
}

/// Where to pick up after lost bytes of unknown extent: as [`skip_to`],
/// but a frame may start right after the gap.
fn after_loss<P: Conversation, F: Framer<P>>(framer: &F) -> SkipTo {
    match framer.sync() {
        Some(_) => SkipTo::Sync,
        None => SkipTo::Plausible { min_drop: 0 },
    }
}
