//! Cutting PostgreSQL's byte streams into messages.
//!
//! Every message is a type byte and a 4-byte big-endian length that counts
//! itself, except three kinds: the client's first messages (StartupMessage,
//! SSLRequest, GSSENCRequest, CancelRequest) have no type byte, and the
//! server answers an SSLRequest or GSSENCRequest with a single byte. A type
//! byte is never 0, so a client message starting with 0 is untyped; the
//! server's one-byte answer is recognized from the session (an encryption
//! request waits for it).

use analyzer_core::framing::LengthPrefix;
use analyzer_core::{Cx, Direction, FrameLen};

use crate::{PgsqlMessage, Session};

/// Typed messages: the type byte, then the length counting itself.
const TYPED: LengthPrefix = LengthPrefix::new(4).offset(1).counts_itself();
/// The client's untyped startup-phase messages: the length counting itself.
const UNTYPED: LengthPrefix = LengthPrefix::new(4).counts_itself();

/// The longest startup-phase message PostgreSQL accepts (its
/// `MAX_STARTUP_PACKET_LENGTH`).
pub const MAX_STARTUP: usize = 10_000;

/// The codes of the untyped messages: protocol 3.0, SSLRequest,
/// GSSENCRequest, CancelRequest.
pub(crate) const PROTOCOL_3: u32 = 196_608;
pub(crate) const SSL_REQUEST: u32 = 80_877_103;
pub(crate) const GSSENC_REQUEST: u32 = 80_877_104;
pub(crate) const CANCEL_REQUEST: u32 = 80_877_102;

/// Whether `byte` is the type of a message the client sends.
pub fn client_type(byte: u8) -> bool {
    matches!(
        byte,
        b'Q' | b'P'
            | b'B'
            | b'D'
            | b'E'
            | b'C'
            | b'H'
            | b'S'
            | b'd'
            | b'c'
            | b'f'
            | b'F'
            | b'p'
            | b'X'
    )
}

/// Whether `byte` is the type of a message the server sends.
pub fn server_type(byte: u8) -> bool {
    matches!(
        byte,
        b'R' | b'S'
            | b'K'
            | b'Z'
            | b'T'
            | b'D'
            | b'C'
            | b'E'
            | b'N'
            | b'I'
            | b'1'
            | b'2'
            | b'3'
            | b'n'
            | b's'
            | b't'
            | b'G'
            | b'H'
            | b'W'
            | b'd'
            | b'c'
            | b'A'
            | b'V'
            | b'v'
    )
}

/// The length of the message at the start of `buf`, sent in `direction` on
/// a connection in state `session`.
///
/// ```
/// use analyzer_core::{Direction, FrameLen};
/// use pgsql::{frame, Session};
///
/// let session = Session::default();
/// // ReadyForQuery: type, length 5 (itself and one byte), status.
/// assert_eq!(frame(b"Z\0\0\0\x05I", Direction::FromServer, &session), FrameLen::Complete(6));
/// // An SSLRequest: no type byte.
/// let ssl = b"\0\0\0\x08\x04\xd2\x16\x2f";
/// assert_eq!(frame(ssl, Direction::FromClient, &session), FrameLen::Complete(8));
/// assert!(matches!(frame(b"?\0\0\0\x04", Direction::FromClient, &session), FrameLen::Invalid(_)));
/// ```
pub fn frame(buf: &[u8], direction: Direction, session: &Session) -> FrameLen {
    let Some(&first) = buf.first() else {
        return FrameLen::Incomplete(None);
    };
    match direction {
        Direction::FromServer
            if session.encryption_asked() && matches!(first, b'N' | b'S' | b'G') =>
        {
            FrameLen::Complete(1)
        }
        Direction::FromClient if first == 0 => match UNTYPED.frame_len(buf) {
            FrameLen::Complete(n) | FrameLen::Incomplete(Some(n))
                if !(8..=MAX_STARTUP).contains(&n) =>
            {
                FrameLen::Invalid(format!("startup-phase message of {n} bytes"))
            }
            found => found,
        },
        Direction::FromClient if !client_type(first) => unknown(first),
        Direction::FromServer if !server_type(first) => unknown(first),
        _ => TYPED.frame_len(buf),
    }
}

fn unknown(byte: u8) -> FrameLen {
    FrameLen::Invalid(format!("unknown message type b'{}'", byte.escape_ascii()))
}

/// The framer of one direction. It holds nothing: a message's length is in
/// its first five bytes, and the stream does not ask again before the
/// whole message is there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Framer;

impl analyzer_core::Framer<PgsqlMessage> for Framer {
    #[inline]
    fn frame(&mut self, buf: &[u8], cx: &Cx<'_, PgsqlMessage>) -> FrameLen {
        frame(buf, cx.direction(), cx.session())
    }

    fn plausible(&self, buf: &[u8], cx: &Cx<'_, PgsqlMessage>) -> Option<bool> {
        crate::resync::plausible(buf, cx.direction(), cx.limit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_untyped_and_one_byte_answers() {
        let mut session = Session::default();
        let server = Direction::FromServer;
        let client = Direction::FromClient;
        assert_eq!(frame(b"", client, &session), FrameLen::Incomplete(None));
        assert_eq!(frame(b"Q\0\0", client, &session), FrameLen::AtLeast(5));
        assert_eq!(
            frame(b"Q\0\0\0\x0dSELECT", client, &session),
            FrameLen::Incomplete(Some(14))
        );
        // `N` is a NoticeResponse unless an SSLRequest waits for its answer.
        assert_eq!(frame(b"N", server, &session), FrameLen::AtLeast(5));
        session.set_encryption_asked(true);
        assert_eq!(frame(b"N", server, &session), FrameLen::Complete(1));
        assert_eq!(frame(b"S\x16\x03", server, &session), FrameLen::Complete(1));
        // Startup messages: 8 bytes to 10,000.
        assert!(matches!(
            frame(b"\0\0\0\x04", client, &session),
            FrameLen::Invalid(_)
        ));
        assert!(matches!(
            frame(b"\0\x01\0\0", client, &session),
            FrameLen::Invalid(_)
        ));
        assert_eq!(
            frame(b"\0\0\0\x28\0\x03", client, &session),
            FrameLen::Incomplete(Some(40))
        );
        // A length below 4 is impossible.
        assert!(matches!(
            frame(b"Z\0\0\0\x03", server, &session),
            FrameLen::Invalid(_)
        ));
        assert!(matches!(
            frame(b"x\0\0\0\x05", server, &session),
            FrameLen::Invalid(_)
        ));
    }
}
