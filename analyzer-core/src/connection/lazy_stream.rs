//! A direction's stream buffer, allocated only while it holds something.

use crate::frame_len::FrameLen;
use crate::protocol::{Conversation, Cx, Framer};
use crate::stream::{Frame, Partial, StreamBuffer};
use crate::time::Timestamp;

/// A [`StreamBuffer`] made when bytes must wait (a message split across
/// packets, a message being skipped) and let go once it holds nothing
/// again: most of the time a connection's messages come whole in their
/// packets, and an idle connection holds one word per direction here.
///
/// An idle buffer keeps nothing a new one would not have (its framing
/// state is reset when a message ends; its scan count is only read by
/// users of `StreamBuffer` itself).
#[derive(Debug, Default)]
pub(super) struct LazyStream(Option<Box<StreamBuffer>>);

impl LazyStream {
    /// The buffer, made if there is none (dropping messages longer than
    /// `max_message`).
    #[inline]
    pub fn get(&mut self, max_message: usize) -> &mut StreamBuffer {
        self.0
            .get_or_insert_with(|| Box::new(StreamBuffer::new(max_message)))
    }

    /// Starts loading the buffer, if there is one.
    #[inline(always)]
    pub fn prefetch(&self) {
        if let Some(buffer) = &self.0 {
            crate::engine::prefetch::lines(&**buffer);
        }
    }

    /// Whether it holds nothing at all (see [`StreamBuffer::is_idle`]).
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.0.as_ref().is_none_or(|s| s.is_idle())
    }

    /// Whether no bytes of an unfinished message are held or skipped.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|s| s.is_empty())
    }

    /// Lets the buffer go if it holds nothing.
    #[inline]
    pub fn tidy(&mut self) {
        if self.0.as_ref().is_some_and(|s| s.is_idle()) {
            self.0 = None;
        }
    }

    /// Appends bytes captured at `ts`.
    #[inline]
    pub fn push(&mut self, ts: Timestamp, data: &[u8], max_message: usize) {
        self.get(max_message).push(ts, data);
    }

    /// [`StreamBuffer::push_framed`].
    #[inline]
    pub fn push_framed(&mut self, ts: Timestamp, data: &[u8], found: &FrameLen, max: usize) {
        self.get(max).push_framed(ts, data, found);
    }

    /// The next frame the bytes held complete; none when nothing is held.
    #[inline]
    pub fn next_frame<P: Conversation, F: Framer<P>>(
        &mut self,
        framer: &mut F,
        cx: &Cx<'_, P>,
    ) -> Option<Frame> {
        self.0.as_mut()?.next_frame(framer, cx)
    }

    /// [`StreamBuffer::end_at_gap`].
    pub fn end_at_gap(&mut self) -> Option<Frame> {
        self.0.as_mut()?.end_at_gap()
    }

    /// [`StreamBuffer::take_partial`].
    pub fn take_partial(&mut self) -> Option<Partial> {
        self.0.as_mut()?.take_partial()
    }

    /// [`StreamBuffer::take_rejected`].
    pub fn take_rejected(&mut self) -> Option<Frame> {
        self.0.as_mut()?.take_rejected()
    }
}
