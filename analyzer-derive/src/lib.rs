//! `#[derive(Protocol)]`: declare a message type, get a protocol analyzer.
//!
//! Use it through `analyzer_core`, which re-exports it (feature `derive`, on
//! by default) as `analyzer_core::Protocol`, beside the trait of the same
//! name that it implements. The derive writes only what differs per
//! protocol — its name and default ports, how the byte stream is cut into
//! messages, how a message says whether it is a request, a response or an
//! error — and the generated code calls into `analyzer_core` for the rest.
//!
//! ```
//! use analyzer_core::{Direction, Kind, NetString, ParseError, Protocol};
//! use bytes::Bytes;
//! use serde::Serialize;
//!
//! /// One line of the echo protocol: `>hello` asks, `<hello` answers.
//! #[derive(Protocol, Debug, Serialize)]
//! #[protocol(name = "echo", ports(3030))]
//! #[delimiter(b'\n')]
//! pub struct EchoMessage {
//!     #[tag(request = b'>', response = b'<', error = b'!')]
//!     pub kind: Kind,
//!     pub content: NetString, // the rest of the frame, zero-copy
//! }
//!
//! let message = EchoMessage::parse(Bytes::from_static(b">hello"), Direction::FromClient)?;
//! assert_eq!(message.kind(), Kind::Request);
//! assert_eq!(message.content.as_bytes(), b"hello");
//!
//! let error = EchoMessage::parse(Bytes::from_static(b"?x"), Direction::FromClient);
//! assert_eq!(error.unwrap_err(), ParseError::UnknownTag { byte: b'?' });
//! # Ok::<(), ParseError>(())
//! ```
//!
//! See [`macro@Protocol`] for every attribute.
//!
//! # Inside
//!
//! The pipeline of `thiserror` and `serde_derive`: `attr.rs` parses the
//! attributes and `ast.rs` the struct into a small typed AST, `valid.rs`
//! checks what they mean and reports every misuse as a compile error pointing
//! at the offending attribute, key, literal or field (all of them at once),
//! and `expand.rs` turns the checked model into the `impl`.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Implements `analyzer_core::Protocol` for the message type of a
/// delimited, tagged protocol.
///
/// The struct has exactly two named fields: a `Kind` field marked with
/// `#[tag(...)]`, and a body field. A frame is the bytes up to the delimiter;
/// its first byte is the tag, which says the message's kind; the rest of the
/// frame is the body.
///
/// ```
/// use analyzer_core::{Direction, Framing, Kind, NetString, ParseError, Protocol};
/// use bytes::Bytes;
/// use serde::Serialize;
///
/// #[derive(Protocol, Debug, Serialize)]
/// #[protocol(name = "echo", ports(3030))]
/// #[delimiter(b'\n')]
/// pub struct EchoMessage {
///     #[tag(request = b'>', response = b'<', error = b'!')]
///     pub kind: Kind,
///     pub content: NetString,
/// }
///
/// assert_eq!(EchoMessage::NAME, "echo");
/// assert_eq!(EchoMessage::DEFAULT_PORTS, &[3030]);
/// assert_eq!(EchoMessage::FRAMING, Framing::Delimiter(b"\n"));
///
/// let parse = |frame| EchoMessage::parse(Bytes::from_static(frame), Direction::FromServer);
/// let message = parse(b"!no such thing")?;
/// assert_eq!(message.kind(), Kind::Error);
/// assert_eq!(message.content.as_bytes(), b"no such thing");
/// assert_eq!(parse(b"?x").unwrap_err(), ParseError::UnknownTag { byte: b'?' });
/// assert_eq!(parse(b"").unwrap_err(), ParseError::Empty);
/// # Ok::<(), ParseError>(())
/// ```
///
/// # Attributes
///
/// ## `#[protocol(name = "...", ports(...))]` — on the struct, required
///
/// - `name = "echo"`, required: the protocol's name (`Protocol::NAME`), used
///   as the event's `type` and as the JSON key its fields are published
///   under. A string literal: a lowercase ASCII letter, then lowercase ASCII
///   letters, digits and `_`.
/// - `ports(3030, 4000)`, optional: the server ports analyzed when the
///   configuration names none (`Protocol::DEFAULT_PORTS`). Integer literals
///   in `1..=65535`, no port twice. Without it, there are none.
///
/// ## `#[delimiter(b'\n')]` or `#[delimiter(b"\r\n")]` — on the struct, required
///
/// The bytes every message ends with: a byte literal, or a non-empty byte
/// string literal. Gives `Protocol::FRAMING` =
/// `Framing::Delimiter(b"...")`. The delimiter is not part of the payload
/// handed to `parse`.
///
/// ## `#[tag(request = b'>', response = b'<', error = b'!')]` — on the `Kind` field
///
/// Which leading byte means which kind of message: `request` opens a
/// transaction, `response` answers it, `error` answers it with an error
/// status. Each key takes a byte literal and is optional, but at least one
/// is needed, and no two may share a byte. The field's type must be
/// `analyzer_core::Kind` (any path ending in `Kind`); `kind()` returns it.
/// A frame that starts with another byte fails with
/// `ParseError::UnknownTag`, an empty one with `ParseError::Empty`.
///
/// ## The body field — no attribute
///
/// The one other field receives the rest of the frame after the tag byte,
/// without copying. Its type is `NetString` (serialized as text) or
/// `bytes::Bytes` (any path ending in one of these names).
///
/// Other attributes, such as `#[serde(...)]`, are left alone.
///
/// # What it generates
///
/// ```text
/// impl ::analyzer_core::Protocol for EchoMessage {
///     const NAME: &'static str = "echo";
///     const DEFAULT_PORTS: &'static [u16] = &[3030u16];
///     const FRAMING: Framing = Framing::Delimiter(b"\n");
///     fn parse(payload: Bytes, _direction: Direction) -> Result<Self, ParseError> {
///         let (kind, rest) = ::analyzer_core::__private::split_tag(
///             payload,
///             &[(b'>', Kind::Request), (b'<', Kind::Response), (b'!', Kind::Error)],
///         )?;
///         Ok(Self { kind, content: From::from(rest) })
///     }
///     fn kind(&self) -> Kind { self.kind }
/// }
/// ```
///
/// # Errors
///
/// Misuse is a compile error at the attribute, key, literal or field at
/// fault, and every one found is reported, not only the first: a missing
/// `#[protocol]`, `name` or `#[delimiter]`; an attribute, key or `#[tag]`
/// field given twice; an unknown key; a literal of the wrong kind; an empty
/// delimiter; an invalid name; a port out of range or repeated; a tag byte
/// used twice; a `#[tag]` field that is not a `Kind`; a missing, extra or
/// mistyped body field; an enum, union, tuple struct, unit struct or generic
/// struct.
#[proc_macro_derive(Protocol, attributes(protocol, delimiter, tag))]
pub fn derive_protocol(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
