//! The Redis analyzer: RESP2 (plus the RESP3 types that are cheap to show)
//! and inline commands, publishing what Packetbeat's Redis module publishes.
//!
//! A request's event carries `method` (the command in upper case, `SET`, or
//! command and subcommand, `CONFIG GET`; [`RedisMessage::method`] is a
//! `Cow<'static, str>`, static for the commands Redis knows), `resource`
//! (the key: the first argument), `query` (the command and its arguments
//! joined by spaces, as sent: `set key3 me`), `event.action` (`redis.set`),
//! and the reply under `redis`: `redis.return_value` (`OK`, `3`, `me`,
//! `nil`, `[a, b]`) or, for an error reply, `redis.error` with status
//! `Error`.
//!
//! ```
//! use analyzer_core::{Conversation, Direction, Fit, Kind, Protocol};
//! use redis::RedisMessage;
//!
//! let frame = "*2\r\n$3\r\nget\r\n$4\r\nkey3\r\n";
//! assert_eq!(redis::resp::frame(frame.as_bytes(), Direction::FromClient),
//!            analyzer_core::FrameLen::Complete(frame.len()));
//! let get = RedisMessage::parse_one(frame, Direction::FromClient)?;
//! let what = get.describe();
//! assert_eq!(what.method.as_deref(), Some("GET"));
//! assert_eq!(what.resource.as_deref(), Some("key3"));
//! assert_eq!(what.query.as_deref(), Some("get key3"));
//!
//! let reply = RedisMessage::parse_one("$2\r\nme\r\n", Direction::FromServer)?;
//! assert_eq!((reply.kind(), reply.text.as_bytes()), (Some(Kind::Response), &b"me"[..]));
//! // After packet loss, a reply's type tells which commands it cannot answer.
//! assert_eq!(reply.fits(&get), Fit::Possible);
//! let ok = RedisMessage::parse_one("+OK\r\n", Direction::FromServer)?;
//! assert_eq!(ok.fits(&get), Fit::Impossible);
//! # Ok::<(), analyzer_core::ParseError>(())
//! ```
//!
//! - **Framing** ([`resp::frame`]): one RESP value per message, found
//!   iteratively by counting the values left to read; bulk strings are
//!   skipped by their length, so a value holding `\r\n` is never cut; sizes
//!   are bounded ([`resp::MAX_ELEMENTS`] elements per aggregate, lines of
//!   [`resp::MAX_LINE`] bytes, and the maximum message size). Past a bound,
//!   or on bytes that are not RESP, the message is published with a note
//!   and the stream picks up after the next `\r\n`. A value nested however
//!   deep is one message; the parser refuses one deeper than
//!   [`resp::MAX_DEPTH`] levels, so it is published as unparseable and
//!   still pairs with the server's error. The usual values (bulk strings
//!   with a plain length, short `+`/`-`/`:` lines, nils, arrays) are read
//!   by quick paths, in the framer and in the parser (a command of up to 8
//!   such arguments in one pass); they give exactly what the general walk
//!   gives, which the crate's tests check on arbitrary input.
//! - **Roles**: everything from the client is a request (Packetbeat only
//!   accepts commands from its own list); from the server, `-` and `!`
//!   replies are errors, anything else a response. Messages the server
//!   sends unasked (pub/sub messages, RESP3 pushes `>`) are published as
//!   responses without a request.
//! - **Renderings** (Packetbeat's): simple strings, errors, integers and bulk
//!   strings as their text, nil as `nil`, arrays as `[a, b]`, empty ones as
//!   `[]`; RESP3 maps as `{k: v}`, booleans as `true`/`false`, verbatim
//!   strings without their format prefix, attributes left out.
//! - **Beyond Packetbeat**: inline commands (`PING\r\n`, the line is the
//!   query; quotes are not interpreted), commands Packetbeat does not know,
//!   and RESP3 types.
//!
//! - **After packet loss**, a reply's RESP type rules out the commands that
//!   never get it ([`Conversation::fits`]: `GET` is not answered by `+OK`,
//!   `INCR` by a bulk string), so pairing finds its way back.
//!
//! The whole protocol definition is [`RedisMessage`] with its derive
//! attributes and its [`Conversation`]; framing is in [`resp`], parsing
//! in [`parse()`], the reply types of commands in `fits.rs`. The beat is `redis-beat -r FILE` (the flags of every
//! beat, e.g. `--ports 6380`, `--send-request`; `--help` lists them).
//! `redis/data/` holds captures recorded from a real `redis-server` and the
//! script that records them; its README lists their transactions.

use std::borrow::Cow;

use analyzer_core::{
    Conversation, Cx, Description, Fit, JsonFields, JsonKey, Kind, NetString, ParseError, Protocol,
};
use bytes::Bytes;

mod command;
mod fits;
mod parse;
pub mod resp;

pub use parse::parse;

#[cfg(test)]
mod quick_tests;

/// One Redis message: a command from the client or a reply from the server.
///
/// Its `Protocol` implementation is derived: name `redis`, port 6379,
/// framing [`resp::Framer`] (resynchronizing after `\r\n`), parsing
/// [`parse`]; its [`Conversation`] gives Packetbeat's top-level fields
/// (`describe`) and its `redis.*` fields (`fields`).
#[derive(Protocol, Clone, Debug, PartialEq, Eq)]
#[protocol(name = "redis", ports(6379), framer = resp::Framer, parse = read, conversation)]
pub struct RedisMessage {
    /// `Request` from the client; `Response`, or `Error` for an error reply.
    #[protocol(kind)]
    pub kind: Kind,
    /// A command's name in upper case (`SET`; `CONFIG GET` for commands
    /// with subcommands): a static string for the commands Redis knows
    /// (without subcommand), so that most requests allocate nothing for it.
    pub method: Option<Cow<'static, str>>,
    /// A command's key: its first argument (after the subcommand).
    pub resource: Option<NetString>,
    /// A command's query (`set key3 me`) or a reply's value (`OK`, `[a, b]`).
    pub text: NetString,
    /// A reply's RESP type byte (`+`, `-`, `:`, `$`, `*`...); 0 for a
    /// command.
    pub reply: u8,
}

/// [`parse`] as the derive calls it: from the connection, the direction.
fn read(frame: Bytes, cx: &Cx<'_, RedisMessage>) -> Result<RedisMessage, ParseError> {
    let reply = match cx.direction() {
        analyzer_core::Direction::FromServer => frame.first().copied().unwrap_or(0),
        analyzer_core::Direction::FromClient => 0,
    };
    let mut message = parse(frame, cx.direction())?;
    message.reply = reply;
    Ok(message)
}

impl Conversation for RedisMessage {
    type Session = ();

    /// Packetbeat's top-level fields of a command: `method`, `resource`,
    /// `query`.
    fn describe(&self) -> Description<'_> {
        let mut description = Description::default();
        let Some(method) = &self.method else {
            return description;
        };
        // Filled in place: the builder methods would move it at each step.
        description.method = Some(Cow::Borrowed(method));
        description.resource = self.resource.as_ref().map(NetString::to_string_lossy);
        description.query = Some(self.text.to_string_lossy());
        description
    }

    /// `redis.return_value`, or `redis.error` for an error reply
    /// (Packetbeat publishes nothing of the request under `redis`).
    #[inline]
    fn fields(_request: Option<&Self>, response: Option<&Self>, json: &mut JsonFields<'_>) {
        const REDIS: JsonKey = JsonKey::new("redis");
        const ERROR: JsonKey = JsonKey::new("error");
        const RETURN_VALUE: JsonKey = JsonKey::new("return_value");
        let Some(reply) = response else {
            return;
        };
        json.object(REDIS);
        match reply.kind {
            Kind::Error => json.text(ERROR, &reply.text),
            _ => json.text(RETURN_VALUE, &reply.text),
        }
        json.end();
    }

    /// Whether a reply of this type can answer `request`'s command.
    fn fits(&self, request: &Self) -> Fit {
        fits::fits(self.reply, request.method.as_deref())
    }
}
