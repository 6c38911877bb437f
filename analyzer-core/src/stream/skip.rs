//! Skipping what cannot be framed: a message longer than the limit, bytes
//! the framer rejects, bytes lost in capture. Skipped exactly when the
//! message's length is known, else up to the framing's synchronization
//! sequence; consecutive rejected bytes merge into one dropped message.

use super::{DropReason, Dropped, Frame, StreamBuffer};
use crate::framing::{FrameLen, Framing};
use crate::time::Timestamp;

/// Where skipping ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SkipTo {
    /// After exactly this many more bytes (the message's length is known).
    Exact(u64),
    /// After the framing's next synchronization sequence.
    Sync,
    /// Never: the stream lost its place for good (binary framing).
    Forever,
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
            after_gap: None,
        })
    }
}

impl StreamBuffer {
    pub(super) fn start_skip(&mut self, to: SkipTo, invalid: Option<String>) {
        self.searched = 0;
        self.progress.0.clear();
        self.skip = Some(Box::new(Skip {
            dropped: 0,
            lost: 0,
            invalid,
            to,
            tail_held: false,
        }));
    }

    /// Drops the bytes of the message being skipped; returns it once its end
    /// is reached.
    pub(super) fn continue_skip(&mut self, framing: &Framing) -> Option<Frame> {
        let synced = self.skip.as_ref()?.to == SkipTo::Sync;
        let (drop, to) = match self.skip.as_ref()?.to {
            SkipTo::Exact(remaining) => {
                let n = remaining.min(self.buf.len() as u64);
                (n as usize, SkipTo::Exact(remaining - n))
            }
            SkipTo::Forever => (self.buf.len(), SkipTo::Forever),
            SkipTo::Sync => {
                let sync = framing.sync().unwrap_or_default();
                match self.find(sync) {
                    Some(len) => (len, SkipTo::Exact(0)),
                    // After a gap, keep the bytes (up to the message size
                    // limit): a message may start right after it. Otherwise
                    // keep only what could start a split sync sequence.
                    None if self.skip.as_ref()?.tail_held && self.buf.len() < self.max_message => {
                        (0, SkipTo::Sync)
                    }
                    None => {
                        let keep = sync.len().saturating_sub(1).min(self.buf.len());
                        (self.buf.len() - keep, SkipTo::Sync)
                    }
                }
            }
        };
        let dropped = self.buf.split_to(drop).freeze();
        self.searched = self.searched.saturating_sub(drop);
        let skip = self.skip.as_mut()?;
        skip.to = to;
        skip.dropped += drop as u64;
        if skip.to != SkipTo::Exact(0) {
            skip.tail_held &= drop == 0;
            return None;
        }
        let skip = self.skip.take()?;
        // What follows a gap, up to the sync sequence found: maybe a
        // message of its own. Not when the skip ended by count (the rest
        // of a message of known length, e.g. a data block).
        let after_gap = (synced
            && skip.tail_held
            && skip.lost > 0
            && matches!(framing, Framing::Delimiter(_) | Framing::Lines(_)))
        .then_some(dropped);
        let reason = match (skip.lost, skip.invalid) {
            (lost, _) if lost > 0 => DropReason::Lost(lost),
            (_, Some(why)) => DropReason::Invalid(why),
            _ => DropReason::TooLong,
        };
        let frame: Frame = Dropped {
            wire_len: skip.dropped + skip.lost,
            reason,
            start: self.head_ts,
            end: self.last_ts,
            after_gap,
        }
        .into();
        self.reset_search();
        Some(frame)
    }

    /// Records that `lost` bytes at capture time `ts` were never captured.
    ///
    /// The message they belong to comes out as a [`Frame::Dropped`] with
    /// [`DropReason::Lost`]. When its length is known (a length prefix
    /// already read, or a custom framer's announced total), it is skipped
    /// exactly and the stream keeps its place; otherwise the stream picks up
    /// at the framing's next synchronization point.
    pub fn lose(&mut self, ts: Timestamp, lost: u64, framing: &Framing) {
        if lost == 0 {
            return;
        }
        if self.is_empty() {
            self.head_ts = ts;
        }
        self.last_ts = ts;
        let held = self.buf.len() as u64;
        let known_total = match (&self.skip, framing) {
            (Some(_), _) => None,
            (None, Framing::LengthPrefixed(prefix)) => match prefix.frame_len(&self.buf) {
                FrameLen::Incomplete(Some(total))
                    if self.buf.len() >= prefix.offset + prefix.width =>
                {
                    Some(total as u64)
                }
                _ => None,
            },
            (None, Framing::Custom(_) | Framing::Lines(_))
                if self.needed_known && self.needed > self.buf.len() =>
            {
                Some(self.needed as u64)
            }
            _ => None,
        };
        let skipping = self.skip.is_some();
        if !skipping {
            let to = match known_total {
                Some(total) => SkipTo::Exact(total - held),
                None => skip_to(framing),
            };
            self.start_skip(to, None);
        }
        self.buf.clear();
        self.progress.0.clear();
        self.searched = 0;
        let Some(skip) = self.skip.as_mut() else {
            return;
        };
        skip.dropped += held;
        skip.lost += lost;
        skip.tail_held = true;
        if let SkipTo::Exact(remaining) = skip.to {
            // Held and lost bytes are part of the message being skipped, up
            // to its end (a new skip already counted the held ones).
            let remaining = if skipping {
                remaining.saturating_sub(held)
            } else {
                remaining
            };
            skip.to = if lost <= remaining {
                SkipTo::Exact(remaining - lost)
            } else {
                skip_to(framing)
            };
        }
    }

    /// Ends, here, a message that lost bytes and whose end is not known yet
    /// (delimiter framing), when nothing after the gap has arrived: used when
    /// the peer answered after the lost bytes, so a message most likely
    /// ended with them. Returns it as [`Frame::Dropped`].
    pub fn end_at_gap(&mut self) -> Option<Frame> {
        let skip = self.skip.as_ref()?;
        if skip.lost == 0 || skip.to != SkipTo::Sync || !self.buf.is_empty() {
            return None;
        }
        let skip = self.skip.take()?;
        let frame: Frame = Dropped {
            wire_len: skip.dropped + skip.lost,
            reason: DropReason::Lost(skip.lost),
            start: self.head_ts,
            end: self.last_ts,
            after_gap: None,
        }
        .into();
        self.reset_search();
        Some(frame)
    }
}

/// Where to pick up after bytes that cannot be framed.
pub(super) fn skip_to(framing: &Framing) -> SkipTo {
    match framing.sync() {
        Some(_) => SkipTo::Sync,
        None => SkipTo::Forever,
    }
}
