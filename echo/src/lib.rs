//! The echo protocol from the Packetbeat tutorial, as a derived analyzer.
//!
//! A client sends lines starting with `>`; the server answers each with the
//! same line starting with `<`, or with an error line starting with `!` when
//! the request was not a `>` line. This crate also holds `echo-server`,
//! `echo-client` and the beat, `echo-beat`.
//!
//! ```
//! use analyzer_core::{Conversation, Direction, Fit, Kind, Protocol};
//! use echo::EchoMessage;
//!
//! let msg = EchoMessage::parse_one(">hello", Direction::FromClient)?;
//! assert_eq!(msg.kind, Kind::Request);
//! assert_eq!(msg.content.as_bytes(), b"hello");
//! assert_eq!(EchoMessage::NAME, "echo");
//!
//! // An answer repeats its request: after packet loss, that tells which
//! // waiting request an answer belongs to.
//! let answer = EchoMessage::parse_one("<hello", Direction::FromServer)?;
//! let other = EchoMessage::parse_one(">bye", Direction::FromClient)?;
//! assert_eq!(answer.fits(&msg), Fit::Certain);
//! assert_eq!(answer.fits(&other), Fit::Impossible);
//! # Ok::<(), analyzer_core::ParseError>(())
//! ```

use analyzer_core::{Conversation, Fit, Kind, NetString, Protocol};

/// One echo message: its role from the leading byte, and the rest of the
/// line (zero-copy). Published as `echo.request` / `echo.response`, e.g.
/// `{"kind":"request","content":"hello"}`.
#[derive(Protocol, Debug)]
#[protocol(name = "echo", ports(3030), delimiter = b'\n', conversation)]
pub struct EchoMessage {
    /// `>` request, `<` response, `!` error response.
    #[protocol(tag(request = b'>', response = b'<', error = b'!'))]
    pub kind: Kind,
    /// The rest of the line, without the tag and the newline.
    pub content: NetString,
}

impl Conversation for EchoMessage {
    type Session = ();

    /// A response repeats its request's text: proof of which request it
    /// answers, or that it answers another (an error line says nothing).
    fn fits(&self, request: &Self) -> Fit {
        match self.kind {
            Kind::Response if self.content == request.content => Fit::Certain,
            Kind::Response => Fit::Impossible,
            _ => Fit::Possible,
        }
    }
}
