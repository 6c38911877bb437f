//! `#[derive(Protocol)]`: declare a message type, get a protocol analyzer.
//!
//! Use it through `analyzer_core`, which re-exports it (feature `derive`, on
//! by default) as `analyzer_core::Protocol`, beside the trait of the same
//! name that it implements. The derive writes only what differs per
//! protocol — its name and default ports, how the byte stream is cut into
//! frames (a delimiter, text lines with data blocks and multi-part answers,
//! a length prefix, a framer of its own, or a nom parser), how a frame
//! becomes a struct or an enum variant (a tag byte, a keyword, a function or
//! a nom parser), the message's role, and its event fields — all with one
//! attribute, `#[protocol(...)]`, on the type, its fields and its variants.
//! Everything about a conversation (state, pairing, folding, what events
//! publish) is an ordinary `impl Conversation` where a protocol needs it.
//!
//! ```
//! use analyzer_core::{Direction, Kind, NetString, ParseError, Protocol};
//!
//! /// One line of the echo protocol: `>hello` asks, `<hello` answers.
//! #[derive(Protocol, Debug)]
//! #[protocol(name = "echo", ports(3030), delimiter = b'\n')]
//! pub struct EchoMessage {
//!     #[protocol(tag(request = b'>', response = b'<', error = b'!'))]
//!     pub kind: Kind,
//!     pub content: NetString, // the rest of the frame, zero-copy
//! }
//!
//! let message = EchoMessage::parse_one(">hello", Direction::FromClient)?;
//! assert_eq!(message.kind, Kind::Request);
//! assert_eq!(message.content.as_bytes(), b"hello");
//!
//! let error = EchoMessage::parse_one("?x", Direction::FromClient);
//! assert_eq!(error.unwrap_err(), ParseError::UnknownTag { byte: b'?' });
//! # Ok::<(), ParseError>(())
//! ```
//!
//! See [`macro@Protocol`] for every key.
//!
//! # Inside
//!
//! The pipeline of `thiserror` and `serde_derive`: `attr` parses the
//! attribute (one file per place it goes) and `ast.rs` the struct or enum
//! into a small typed AST, `valid` checks what they mean and reports every
//! misuse as a compile error pointing at the offending key, literal, field
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
#[proc_macro_derive(Protocol, attributes(protocol))]
pub fn derive_protocol(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
