//! # analyzer-core
//!
//! The runtime of `#[derive(Protocol)]`: a sans-IO engine that takes captured
//! packets with their timestamps and hands one ECS event per transaction to a
//! sink.
//!
//! ```text
//! pcap/pcapng ─> decode ─> flow table ─> stream buffer ─> Protocol::parse ─> correlation ─> Event ─> Sink
//!  (pcap)       (decode)   (Engine)      (stream)         (your type)       (pipelined)    (ECS)    (ndjson, closure)
//! ```
//!
//! A protocol is a message type implementing [`Protocol`], usually derived:
//!
//! ```
//! use analyzer_core::{Config, Direction, Engine, Event, Kind, NetString, Protocol};
//!
//! #[derive(Protocol)]
//! #[protocol(name = "echo", ports(3030), delimiter = b'\n')]
//! struct Echo {
//!     #[protocol(tag(request = b'>', response = b'<', error = b'!'))]
//!     kind: Kind,
//!     content: NetString,
//! }
//!
//! let msg = Echo::parse_one(">hi", Direction::FromClient).unwrap();
//! assert_eq!((msg.kind, msg.content.as_bytes()), (Kind::Request, &b"hi"[..]));
//!
//! // Feed captured packets; events arrive at the sink (here a closure).
//! let mut published = 0;
//! let mut engine = Engine::new(Config::default(), |_: Event<Echo>| published += 1);
//! // engine.packet(timestamp, link_type, &frame_bytes) for each packet, then:
//! engine.finish();
//! ```
//!
//! To analyze a capture file, see [`replay`] (tests, embedding); the
//! `analyzer-beat` crate makes a ready-made beat binary of a protocol.
//!
//! Guarantees: time comes only from packets; every limit in [`Config`] has a
//! default, a counter in [`Counters`] and a note on the affected event; every
//! request seen ends in exactly one event.
#![warn(missing_docs)]

extern crate self as analyzer_core;

pub mod config;
mod connection;
mod correlate;
mod counters;
pub mod decode;
mod description;
mod engine;
mod error;
mod event;
pub mod flow;
mod flow_json;
mod frame_len;
pub mod framing;
mod json;
mod message;
mod ndjson;
mod netstring;
pub mod pcap;
mod protocol;
pub mod reassembly;
pub mod replay;
mod role;
mod sink;
pub mod stream;
mod time;

pub use config::Config;
pub use counters::Counters;
pub use description::Description;
pub use engine::Engine;
pub use error::ParseError;
pub use event::Event;
pub use frame_len::FrameLen;
pub use json::fast::WriteJson;
pub use json::fields::{JsonFields, JsonKey};
pub use message::{Message, Status, Transaction};
pub use ndjson::EventJson;
pub use netstring::NetString;
pub use protocol::{Conversation, Cx, Fit, Follow, Framer, Protocol};
pub use role::{Direction, Kind};
pub use sink::{NdjsonWriter, Sink};
pub use time::Timestamp;

#[doc(hidden)]
pub use protocol::__private;

#[cfg(feature = "derive")]
pub use analyzer_derive::Protocol;
