//! [`FrameLen`]: what a framer found at the start of a buffer.

/// What a [`Framer`](crate::Framer) found at the start of the buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameLen {
    /// A whole message of this many bytes (more than 0).
    Complete(usize),
    /// The first this many bytes (more than 0) of a multi-part message too
    /// long, or with too many parts, to keep whole, cut at a part boundary.
    /// They are handed out as a message marked as cut
    /// ([`Complete::cut`](crate::stream::Complete::cut)); the rest follows
    /// as messages of their own.
    Cut(usize),
    /// Not enough bytes yet; the total length of the message when known.
    /// A total given here must be exact: the stream skips exactly that many
    /// bytes when the message is too long or loses bytes, and does not ask
    /// the framer again before that many bytes are there.
    Incomplete(Option<usize>),
    /// Not enough bytes yet; the message is at least this long but its total
    /// is not known (the framer is not asked again before this many bytes
    /// are there).
    AtLeast(usize),
    /// Not a message: the reason, in words.
    Invalid(String),
}
