//! `#[derive(Protocol)]`: declare a message type, get a protocol analyzer.
//!
//! Use it through `analyzer_core`, which re-exports it (feature `derive`, on
//! by default) as `analyzer_core::Protocol`, beside the trait of the same
//! name that it implements. The derive writes only what differs per
//! protocol — its name and default ports, how the byte stream is cut into
//! messages (a delimiter, a length prefix or a function), how a frame
//! becomes a struct or an enum variant (a tag byte, a keyword or a
//! function), how a message says whether it is a request, a response or an
//! error, and how requests pair with responses — and the generated code calls
//! into `analyzer_core` for the rest.
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
//! The pipeline of `thiserror` and `serde_derive`: `attr` parses the
//! attributes (one file per family) and `ast.rs` the struct or enum into a
//! small typed AST, `valid` checks what they mean and reports every misuse as
//! a compile error pointing at the offending attribute, key, literal, field
//! or variant (all of them at once), and `expand` turns the checked model
//! into the `impl`, which calls into `analyzer_core` and into the protocol's
//! own functions. The macro's documentation is in `doc/derive.md`.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

#[doc = include_str!("../doc/derive.md")]
#[proc_macro_derive(
    Protocol,
    attributes(
        protocol,
        delimiter,
        length_prefix,
        frame_with,
        block,
        parts,
        parse_with,
        kind_with,
        correlate,
        no_response_if,
        optional_response_if,
        describe_with,
        fields_with,
        fields_json_with,
        tag,
        keyword,
        kind
    )
)]
pub fn derive_protocol(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
