//! The echo protocol from the Packetbeat tutorial, as a derived analyzer.
//!
//! A client sends lines starting with `>`; the server answers each with the
//! same line starting with `<`, or with an error line starting with `!` when
//! the request was not a `>` line. This crate also holds `echo-server`,
//! `echo-client` and the beat, `echo-beat`.
//!
//! ```
//! use analyzer_core::{Direction, Kind, Protocol};
//! use echo::EchoMessage;
//!
//! let msg = EchoMessage::parse(">hello".into(), Direction::FromClient).unwrap();
//! assert_eq!(msg.kind, Kind::Request);
//! assert_eq!(msg.content.as_bytes(), b"hello");
//! assert_eq!(EchoMessage::NAME, "echo");
//! ```

use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

/// One echo message: its role from the leading byte, and the rest of the
/// line (zero-copy). Published as `echo.request` / `echo.response`, e.g.
/// `{"kind":"request","content":"hello"}`.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "echo", ports(3030), fast_json)]
#[delimiter(b'\n')]
pub struct EchoMessage {
    /// `>` request, `<` response, `!` error response.
    #[tag(request = b'>', response = b'<', error = b'!')]
    pub kind: Kind,
    /// The rest of the line, without the tag and the newline.
    pub content: NetString,
}
