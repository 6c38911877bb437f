//! [`ParseError`]: why a frame is not a message.

use std::fmt;

/// Why a complete frame could not be turned into a message.
///
/// The engine never drops such a frame: it is published as a message of the
/// role its direction implies (request from the client, response from the
/// server), with this error as a note on the event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The frame was empty but the message type needs at least a tag byte.
    #[error("empty message")]
    Empty,
    /// The leading byte is none of the declared tags.
    #[error("unknown tag byte {}", ByteLiteral(*byte))]
    UnknownTag {
        /// The byte found.
        byte: u8,
    },
    /// The leading word is none of the declared keywords.
    #[error("unknown keyword {0:?}")]
    UnknownKeyword(String),
    /// Any other reason, in words.
    #[error("{0}")]
    Invalid(String),
}

impl ParseError {
    /// [`ParseError::Invalid`] with `why`.
    pub fn invalid(why: impl Into<String>) -> Self {
        ParseError::Invalid(why.into())
    }
}

/// Shows a byte as a Rust byte literal (`b'>'`, `b'\x00'`) in messages.
struct ByteLiteral(u8);

impl fmt::Display for ByteLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b'{}'", std::ascii::escape_default(self.0))
    }
}
