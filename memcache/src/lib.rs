//! The memcache protocol analyzer: text and binary protocols on one port
//! (11211), publishing the fields Packetbeat publishes, and `memcache-beat`
//! (`memcache-beat -r FILE`, the same options as every beat).
//!
//! The whole protocol definition is [`MemcacheMessage`], its
//! `#[derive(Protocol)]` attribute and its [`Conversation`]; [`Framer`] and
//! [`parse`] are the protocol's own framer and parser, the rest (streams,
//! correlation, timing, events) is `analyzer_core`'s.
//!
//! Each message tells its protocol by its first byte, as Packetbeat tells a
//! connection's: binary requests start with the magic byte `0x80`, binary
//! responses with `0x81`; anything else is text. [`frame`] cuts the stream:
//! binary messages by their header's body length (binary stat entries up to
//! the one without a key as one message); text messages by the declarative
//! [`TEXT_FRAMING`] (`analyzer_core`'s [`Lines`] framer, what the derive's
//! `block(..)` and `parts(..)` keys generate): storage commands and
//! `VALUE` blocks by the byte count on their line, so a value holding `\r\n`,
//! `END` or `VALUE` is never mistaken for framing, and multi-part answers
//! (`VALUE`... `END`, `STAT`... `END`) as one message.
//!
//! ```
//! use analyzer_core::{Conversation, Direction, JsonFields, Kind, Protocol};
//! use memcache::{FrameLen, MemcacheMessage};
//!
//! let get = MemcacheMessage::parse_one("get k1 k2\r\n", Direction::FromClient)?;
//! assert_eq!((get.kind, get.fields.command), (Kind::Request, "get"));
//!
//! // The value holds "END\r\n": it is taken by its length, 5 (the answer
//! // is at least 21 bytes; its END is still to come).
//! let wire = b"VALUE k1 0 5\r\nEND\r\n\r\nEND\r\n";
//! assert_eq!(memcache::frame(&wire[..20], Direction::FromServer), FrameLen::AtLeast(21));
//! assert_eq!(memcache::frame(wire, Direction::FromServer), FrameLen::Complete(26));
//! let value = MemcacheMessage::parse_one(&wire[..], Direction::FromServer)?;
//!
//! // The event's own fields, as Packetbeat names them.
//! let mut json = b"{".to_vec();
//! let mut fields = JsonFields::first(&mut json);
//! MemcacheMessage::fields(Some(&get), Some(&value), &mut fields);
//! assert!(fields.done());
//! json.push(b'}');
//! assert_eq!(
//!     String::from_utf8(json)?,
//!     r#"{"memcache":{"protocol_type":"text","#.to_owned()
//!         + r#""request":{"command":"get","type":"Load","keys":["k1","k2"]},"#
//!         + r#""response":{"command":"VALUE","type":"Load","keys":["k1"],"flags":0,"#
//!         + r#""bytes":5,"count_values":1}}}"#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Events
//!
//! `memcache.protocol_type` (`text` or `binary`), `memcache.request` and
//! `memcache.response` with Packetbeat's names ([`Fields`]): `command` (the
//! text command; for binary messages the command of the opcode), `type`
//! ([`CommandType`]), `keys`, `flags`, `exptime`, `bytes`, `count_values`,
//! `cas_unique`, `noreply`, `delta`, `initial`, `value`, `verbosity`,
//! `raw_args`, `line` (unknown commands), `error_msg`, `stats`, `version`,
//! and for binary messages `opcode`, `opcode_value`, `opaque`, `quiet`,
//! `vbucket`, `status`, `status_code`. Replies Packetbeat classifies as
//! failures (`ERROR`, `CLIENT_ERROR`, `SERVER_ERROR`, `NOT_FOUND`,
//! `NOT_STORED`...; a binary non-zero status) make the transaction's status
//! `Error`.
//!
//! # Transactions
//!
//! Text requests pair with responses in order; binary ones by `opaque` and
//! opcode, in any order. Requests that never get an answer (`noreply`, text
//! `quit`, binary QuitQ) are published at once, status OK; quiet binary
//! requests (GetKQ, SetQ...) that get none are published, status OK, once a
//! later request is answered.
//!
//! # Bounds
//!
//! A text line is at most [`MAX_LINE`] bytes (memcached itself drops a
//! connection whose line passes about 2 KiB without an end, unless it is a
//! `get`/`gets`), a retrieval line [`MAX_KEYS_LINE`]; past them the framer
//! answers `Invalid` and the stream picks up after the next line end. A
//! multi-part answer of more than [`MAX_PARTS`] parts, or longer than the
//! engine's maximum message size, is cut at a part boundary: the first piece
//! answers the request (with a note saying it was cut, status `Error`,
//! counted in `messages_split`), each further piece is published as a
//! response without request. Data blocks and binary bodies may be as long as their
//! length fields say (text counts up to `i32::MAX - 2`, as memcached): the
//! maximum message size applies, and the framer announces their end so
//! that a longer one is skipped exactly, never rescanned.
#![warn(missing_docs)]

mod binary;
mod codes;
mod fits;
mod text;

pub use analyzer_core::FrameLen;
pub use codes::CommandType;

use analyzer_core::framing::{Block, Lines, Parts};
use analyzer_core::{
    Conversation, Cx, Description, Direction, Fit, JsonFields, JsonKey, Kind, NetString,
    ParseError, Protocol,
};
use bytes::Bytes;
use serde::Serialize;

/// Most parts (`VALUE` blocks, `STAT` lines, binary stats) in one response;
/// a longer one is invalid.
pub const MAX_PARTS: usize = 100_000;
/// Longest text line, `\r\n` included, except retrieval command lines.
pub const MAX_LINE: usize = 8 * 1024;
/// Longest `get` / `gets` command line (multi-gets of many keys).
pub const MAX_KEYS_LINE: usize = 64 * 1024;

/// The text protocol's framing: lines ending with `\r\n` (or a bare `\n`,
/// as memcached accepts) of at most [`MAX_LINE`] bytes, commands compared
/// case included (memcached's are case-sensitive). From the client, storage
/// commands (`set <key> <flags> <exptime> <bytes>`...) are followed by a
/// data block of the byte count on the line (counts above `i32::MAX - 2`,
/// which memcached refuses without reading data, are not taken); from the
/// server, `VALUE` lines too, and `VALUE` and `STAT` answers go on up to
/// the first other line (`END`, or an error line cutting them short), at
/// most [`MAX_PARTS`] parts. Meta commands: `ms <key> <datalen>` and `VA
/// <size>` carry data blocks too.
pub const TEXT_FRAMING: Lines = Lines::new(b"\r\n")
    .bare_end()
    .exact_case()
    .max_line(MAX_LINE)
    .blocks(TEXT_BLOCKS)
    .parts(TEXT_PARTS);

/// [`TEXT_FRAMING`] for `get` and `gets` lines, up to [`MAX_KEYS_LINE`].
const KEYS_FRAMING: Lines = TEXT_FRAMING.max_line(MAX_KEYS_LINE);

/// The largest data block memcached reads (`INT_MAX - 2`).
const MAX_DATA: u64 = i32::MAX as u64 - 2;

const TEXT_BLOCKS: &[Block] = &[
    Block::new(
        &[b"set", b"add", b"replace", b"append", b"prepend", b"cas"],
        4,
    )
    .max_len(MAX_DATA)
    .from(Direction::FromClient),
    Block::new(&[b"ms"], 2)
        .max_len(MAX_DATA)
        .from(Direction::FromClient),
    Block::new(&[b"VALUE"], 3)
        .max_len(MAX_DATA)
        .from(Direction::FromServer),
    Block::new(&[b"VA"], 1)
        .max_len(MAX_DATA)
        .from(Direction::FromServer),
];

const TEXT_PARTS: &[Parts] = &[
    Parts::new(b"VALUE")
        .max_parts(MAX_PARTS)
        .from(Direction::FromServer),
    Parts::new(b"STAT")
        .max_parts(MAX_PARTS)
        .from(Direction::FromServer),
];

/// One memcache message, text or binary.
#[derive(Protocol, Clone, Debug, PartialEq, Serialize)]
#[protocol(name = "memcache", ports(11211), framer = Framer, parse = read, conversation)]
pub struct MemcacheMessage {
    /// Request, response, or error response (text failure replies such as
    /// `ERROR`, `NOT_FOUND`, `SERVER_ERROR`; binary non-zero status but a
    /// get's miss).
    #[protocol(kind)]
    #[serde(skip)]
    pub kind: Kind,
    /// Text or binary (`memcache.protocol_type`).
    #[serde(skip)]
    pub protocol_type: ProtocolType,
    /// What is published as `memcache.request` or `memcache.response`.
    #[serde(flatten)]
    pub fields: Fields,
}

/// `memcache.protocol_type`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProtocolType {
    /// Text protocol.
    #[default]
    Text,
    /// Binary protocol.
    Binary,
}

/// One `STAT name value` line or binary stat entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stat {
    /// Its name.
    pub name: NetString,
    /// Its value.
    pub value: NetString,
}

/// A message's fields, with Packetbeat's names; absent ones are not
/// published.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[allow(missing_docs)] // the names are Packetbeat's, documented in README.md
pub struct Fields {
    /// The text command (`set`, `VALUE`, `STORED`...); for binary messages
    /// the text command of the opcode.
    pub command: &'static str,
    #[serde(rename = "type")]
    pub command_type: CommandType,
    /// The raw command line, for unknown commands only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<NetString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<NetString>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exptime: Option<i64>,
    /// Value bytes carried (summed over `VALUE` blocks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count_values: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cas_unique: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noreply: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial: Option<u64>,
    /// A counter's new value (responses); `lru_crawler tocrawl`'s argument.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_args: Option<NetString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_class: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest_class: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automove: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sleep_us: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<NetString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<Vec<Stat>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<NetString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opcode: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opcode_value: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opaque: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quiet: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vbucket: Option<u16>,
    /// Binary response status name (`Success`, `Key not found`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
}

/// The length of the message at the start of `buf`: binary if it starts
/// with `0x80` or `0x81`, else text ([`TEXT_FRAMING`]). (A new [`Framer`]'s
/// answer: the engine's framer resumes where it stopped.)
pub fn frame(buf: &[u8], direction: Direction) -> FrameLen {
    Framer::default().frame_in(buf, direction, usize::MAX)
}

/// The framer of one direction: binary messages (and binary stats answers
/// as one message) or text lines, each with its progress on the message
/// being cut. After bytes that cannot be framed, the stream picks up after
/// the next `\n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Framer {
    text: Lines,
    keys: Lines,
    stats: binary::StatsProgress,
}

impl Default for Framer {
    fn default() -> Self {
        Framer {
            text: TEXT_FRAMING,
            keys: KEYS_FRAMING,
            stats: binary::StatsProgress::default(),
        }
    }
}

impl Framer {
    fn frame_in(&mut self, buf: &[u8], direction: Direction, limit: usize) -> FrameLen {
        match buf.first() {
            None => FrameLen::Incomplete(None),
            Some(&binary::REQUEST_MAGIC | &binary::RESPONSE_MAGIC) => {
                binary::frame(buf, &mut self.stats, limit)
            }
            Some(_) if buf.starts_with(b"get ") || buf.starts_with(b"gets ") => {
                self.keys.frame_from(buf, direction, limit)
            }
            Some(_) => self.text.frame_from(buf, direction, limit),
        }
    }
}

impl<P: Conversation> analyzer_core::Framer<P> for Framer {
    #[inline]
    fn frame(&mut self, buf: &[u8], cx: &Cx<'_, P>) -> FrameLen {
        self.frame_in(buf, cx.direction(), cx.limit())
    }

    fn reset(&mut self) {
        *self = Framer::default();
    }

    fn sync(&self) -> Option<&'static [u8]> {
        Some(b"\n")
    }
}

/// `Complete` when `buf` holds the `total` bytes of a message, else
/// `Incomplete` with that total.
fn have(buf: &[u8], total: usize) -> FrameLen {
    if buf.len() >= total {
        FrameLen::Complete(total)
    } else {
        FrameLen::Incomplete(Some(total))
    }
}

/// Parses one complete frame (as cut by [`frame`]) sent in `direction`.
pub fn parse(frame: Bytes, direction: Direction) -> Result<MemcacheMessage, ParseError> {
    match frame.first() {
        None => Err(ParseError::Empty),
        Some(&binary::REQUEST_MAGIC | &binary::RESPONSE_MAGIC) => binary::parse(frame, direction),
        Some(_) => text::parse(frame, direction),
    }
}

/// [`parse`] as the derive calls it: from the connection, the direction.
fn read(frame: Bytes, cx: &Cx<'_, MemcacheMessage>) -> Result<MemcacheMessage, ParseError> {
    parse(frame, cx.direction())
}

impl Conversation for MemcacheMessage {
    type Session = ();

    /// `event.action` is `memcache.<request type in lower case>`
    /// (`memcache.load`, `memcache.store`), as Packetbeat publishes it; no
    /// `method`.
    fn describe(&self) -> Description<'_> {
        Description::action(self.fields.command_type.name())
    }

    /// Requests that never get an answer: `noreply`, text `quit`, binary
    /// QuitQ.
    fn expects_response(&self) -> bool {
        let f = &self.fields;
        !(f.noreply == Some(true)
            || (self.protocol_type == ProtocolType::Text && f.command == "quit")
            || f.opcode_value == Some(0x17))
    }

    /// Quiet binary requests: answered only on a miss or an error.
    fn response_optional(&self) -> bool {
        self.fields.quiet == Some(true)
    }

    /// Binary messages pair by `opaque` and opcode (as Packetbeat does);
    /// text ones in order.
    fn correlation_key(&self) -> Option<u64> {
        let f = &self.fields;
        Some(u64::from(f.opaque?) << 8 | u64::from(f.opcode_value?))
    }

    /// After packet loss, a text reply's class rules out the commands that
    /// never get it (`STORED` does not answer a `get`).
    fn fits(&self, request: &Self) -> Fit {
        fits::fits(&self.fields, &request.fields)
    }

    /// Packetbeat's words for which side failed: `Client Error` for a
    /// `CLIENT_ERROR` reply or a response without request, `Server Error`
    /// for a `SERVER_ERROR` reply, a binary status of 0x80 or more, or a
    /// request left unanswered; other failures are `Error`.
    fn error_status(request: Option<&Self>, response: Option<&Self>) -> Option<&'static str> {
        match (request, response) {
            (None, Some(_)) => Some("Client Error"),
            (Some(_), None) => Some("Server Error"),
            (_, Some(r)) if r.fields.command == "CLIENT_ERROR" => Some("Client Error"),
            (_, Some(r))
                if r.fields.command == "SERVER_ERROR"
                    || r.fields.status_code.is_some_and(|c| c >= 0x80) =>
            {
                Some("Server Error")
            }
            _ => None,
        }
    }

    /// `"memcache": {"protocol_type": .., "request": .., "response": ..}`.
    fn fields(request: Option<&Self>, response: Option<&Self>, out: &mut JsonFields<'_>) {
        const MEMCACHE: JsonKey = JsonKey::new("memcache");
        const PROTOCOL_TYPE: JsonKey = JsonKey::new("protocol_type");
        const REQUEST: JsonKey = JsonKey::new("request");
        const RESPONSE: JsonKey = JsonKey::new("response");
        let Some(first) = request.or(response) else {
            return;
        };
        out.object(MEMCACHE);
        out.serialize(PROTOCOL_TYPE, &first.protocol_type);
        for (key, message) in [(REQUEST, request), (RESPONSE, response)] {
            if let Some(message) = message {
                out.object(key);
                message.write_fields(out);
                out.end();
            }
        }
        out.end();
    }
}
