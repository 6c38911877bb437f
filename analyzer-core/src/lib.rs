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
mod correlate;
pub mod decode;
pub mod flow;
mod message;
pub use message::{Message, Status, Transaction};
pub mod pcap;
pub mod stream;
mod time;
pub use time::Timestamp;
mod config;
mod connection;
mod counters;
mod engine;
mod event;
mod sink;
pub use config::Config;
pub use counters::Counters;
pub use engine::Engine;
pub use event::Event;
pub use sink::{NdjsonWriter, Sink};
#[cfg(feature = "cli")]
pub mod cli;
pub mod replay;
