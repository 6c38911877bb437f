//! # analyzer-core
//!
//! The runtime of `#[derive(Protocol)]`: a sans-IO engine that takes captured
//! packets with their timestamps and hands one ECS event per transaction to a
//! sink.
#![warn(missing_docs)]

extern crate self as analyzer_core;

mod netstring;
mod protocol;

pub use netstring::NetString;
pub use protocol::{Direction, Framing, Kind, ParseError, Protocol};

#[doc(hidden)]
pub use protocol::__private;

#[cfg(feature = "derive")]
pub use analyzer_derive::Protocol;
pub mod decode;
pub mod pcap;
mod time;
pub mod stream;
pub use time::Timestamp;
