//! The contract between a protocol's message type and the engine.
//!
//! `#[derive(Protocol)]` implements [`Protocol`] for a message type; the engine
//! does the rest (framing with [`Framing`], correlation, events). The trait can
//! also be implemented by hand.

use std::fmt;

use std::borrow::Cow;

use bytes::Bytes;
use serde::ser::SerializeMap;
use serde::Serialize;

use crate::framing::Framing;

/// Which way a message travelled on its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client (the side that is not the server) to the server.
    FromClient,
    /// From the server (the side listening on one of the analyzer's ports) to the client.
    FromServer,
}

impl Direction {
    /// The other direction.
    pub fn reverse(self) -> Self {
        match self {
            Direction::FromClient => Direction::FromServer,
            Direction::FromServer => Direction::FromClient,
        }
    }

    /// The role a message going this way has when nothing else classifies it:
    /// a request from the client, a response from the server.
    pub fn default_kind(self) -> Kind {
        match self {
            Direction::FromClient => Kind::Request,
            Direction::FromServer => Kind::Response,
        }
    }
}

/// The role of one message in a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Opens a transaction; waits for a response.
    Request,
    /// Answers the oldest pending request; the transaction's status is `OK`.
    Response,
    /// Answers the oldest pending request; the transaction's status is `Error`.
    Error,
}

impl Kind {
    /// Whether this message answers a request (a response or an error).
    pub fn is_answer(self) -> bool {
        !matches!(self, Kind::Request)
    }
}

/// Why a complete frame could not be turned into a message.
///
/// The engine never drops such a frame: it is published as a message of the
/// role its direction implies (request from the client, response from the
/// server), with this error as a note on the event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The frame was empty but the message type needs at least a tag byte.
    #[error("empty message")]
    Empty,
    /// The leading byte is none of the declared tags.
    #[error("unknown tag byte {}", ByteLiteral(*byte))]
    UnknownTag {
        /// The byte found.
        byte: u8,
    },
    /// The leading word is none of the declared keywords.
    #[error("unknown keyword {0:?}")]
    UnknownKeyword(String),
    /// Any other reason, in words.
    #[error("{0}")]
    Invalid(String),
}

/// Shows a byte as a Rust byte literal (`b'>'`, `b'\x00'`) in messages.
struct ByteLiteral(u8);

impl fmt::Display for ByteLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b'{}'", std::ascii::escape_default(self.0))
    }
}

/// A message type of an application protocol: what `#[derive(Protocol)]`
/// implements.
///
/// The type's `Serialize` implementation gives the protocol's own event fields:
/// a request is published under `<NAME>.request`, a response under
/// `<NAME>.response`.
pub trait Protocol: Serialize + Sized {
    /// The protocol's name: the event's `type`, `network.protocol`,
    /// `event.dataset`, and the key its own fields are published under.
    const NAME: &'static str;
    /// The server ports analyzed when the configuration names none.
    const DEFAULT_PORTS: &'static [u16];
    /// How the byte stream is cut into messages.
    const FRAMING: Framing;

    /// Parses one complete frame. `payload` is the frame without its
    /// delimiter; slicing it is zero-copy. `direction` tells which side sent it.
    fn parse(payload: Bytes, direction: Direction) -> Result<Self, ParseError>;

    /// The role of this message.
    fn kind(&self) -> Kind;

    /// Whether this request waits for a response. `false` for requests that
    /// never get one (Memcache `noreply`, `quit`): they are published at
    /// once as request-only transactions with status `OK`.
    fn expects_response(&self) -> bool {
        true
    }

    /// Whether this request may go unanswered without it being an error
    /// (Memcache binary "quiet" commands): once a later request is answered
    /// (or the connection ends), it is published alone with status `OK`.
    fn response_optional(&self) -> bool {
        false
    }

    /// A key pairing responses with requests (Memcache binary `opaque`): a
    /// response pairs with the pending request of the same key, in any
    /// order. `None` (the default): responses pair with requests in order.
    fn correlation_key(&self) -> Option<u64> {
        None
    }

    /// What a request asks, in Packetbeat's top-level fields: `method`
    /// (also giving `event.action` = `<name>.<method in lower case>`, unless
    /// an `action` is given), `resource` and `query`. Default: none of them.
    fn describe(&self) -> Description<'_> {
        Description::default()
    }

    /// Writes the protocol's own fields of a transaction into the event, as
    /// map entries (`map.serialize_entry(key, value)`). The default writes
    /// `<NAME>: {"request": <request>, "response": <response>}` with each
    /// message's `Serialize`; a protocol whose events Packetbeat shapes
    /// differently (e.g. `redis.return_value`) overrides it.
    fn own_fields<M: SerializeMap>(
        request: Option<&Self>,
        response: Option<&Self>,
        map: &mut M,
    ) -> Result<(), M::Error> {
        #[derive(Serialize)]
        struct Both<'a, P> {
            #[serde(skip_serializing_if = "Option::is_none")]
            request: Option<&'a P>,
            #[serde(skip_serializing_if = "Option::is_none")]
            response: Option<&'a P>,
        }
        if request.is_none() && response.is_none() {
            return Ok(());
        }
        map.serialize_entry(Self::NAME, &Both { request, response })
    }

    /// Writes what the default [`own_fields`](Protocol::own_fields) writes,
    /// as `,"key":value` JSON entries, without serde: what
    /// `#[derive(Protocol)]` generates under `#[protocol(fast_json)]`, for
    /// the ndjson writer. `Err` (the default): not written, or not all of
    /// it; the caller discards what was written and serializes the fields
    /// through `own_fields`. Not a stable API.
    #[doc(hidden)]
    fn __own_fields_json(
        request: Option<&Self>,
        response: Option<&Self>,
        out: &mut Vec<u8>,
    ) -> Result<(), __private::Unsupported> {
        let _ = (request, response, out);
        Err(__private::Unsupported)
    }
}

/// A request's `method`, `resource` and `query`, as Packetbeat publishes
/// them at the top level of an event (e.g. Redis: `SET`, `key3`,
/// `set key3 me`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Description<'a> {
    /// The command or verb, e.g. `SET`.
    pub method: Option<Cow<'a, str>>,
    /// What it acts on, e.g. a key.
    pub resource: Option<Cow<'a, str>>,
    /// The request as text, e.g. `set key3 me`.
    pub query: Option<Cow<'a, str>>,
    /// What `event.action` names (`<name>.<action in lower case>`) when it
    /// is not the method: Memcache publishes its command type
    /// (`memcache.load`) and no method. `None`: the method.
    pub action: Option<Cow<'a, str>>,
}

impl<'a> Description<'a> {
    /// A description with a method only.
    pub fn method(method: impl Into<Cow<'a, str>>) -> Self {
        Description {
            method: Some(method.into()),
            ..Description::default()
        }
    }

    /// Sets the resource.
    pub fn with_resource(mut self, resource: impl Into<Cow<'a, str>>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Sets the query.
    pub fn with_query(mut self, query: impl Into<Cow<'a, str>>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// A description with an action only (`event.action`), no method.
    pub fn action(action: impl Into<Cow<'a, str>>) -> Self {
        Description {
            action: Some(action.into()),
            ..Description::default()
        }
    }

    /// The word `event.action` is made of: the action, else the method.
    pub fn action_word(&self) -> Option<&str> {
        self.action.as_deref().or(self.method.as_deref())
    }
}

/// Helpers the derive's expansion calls. Not a stable API.
#[doc(hidden)]
pub mod __private {
    use super::*;

    pub use bytes::Bytes;
    pub use serde::ser::SerializeMap;

    pub use crate::json::fast::{
        own_fields as own_fields_json, Field, ViaSerialize, ViaWriteJson, WriteJson,
    };
    pub use crate::json::Unsupported;

    /// A [`JsonFields`](crate::JsonFields) appending entries to `out`, for
    /// the writer `#[fields_json_with]` generates.
    #[inline]
    pub fn json_fields(out: &mut Vec<u8>) -> crate::JsonFields<'_> {
        crate::JsonFields::new(out)
    }

    /// `Ok` when every object opened in `fields` was ended, and no more.
    #[inline]
    pub fn json_fields_done(fields: crate::JsonFields<'_>) -> Result<(), Unsupported> {
        fields.done()
    }

    /// Splits a frame on its leading tag byte: returns the tag's kind and the
    /// rest of the frame (zero-copy).
    #[inline]
    pub fn split_tag(payload: Bytes, tags: &[(u8, Kind)]) -> Result<(Kind, Bytes), ParseError> {
        let first = *payload.first().ok_or(ParseError::Empty)?;
        let kind = tags
            .iter()
            .find(|(tag, _)| *tag == first)
            .map(|(_, kind)| *kind)
            .ok_or(ParseError::UnknownTag { byte: first })?;
        // Advancing the frame's own handle costs no reference count.
        let mut rest = payload;
        bytes::Buf::advance(&mut rest, 1);
        Ok((kind, rest))
    }

    /// Finds which of `tags` the frame's first byte is: its index, and the
    /// rest of the frame (zero-copy).
    #[inline]
    pub fn match_tag(payload: Bytes, tags: &[u8]) -> Result<(usize, Bytes), ParseError> {
        let first = *payload.first().ok_or(ParseError::Empty)?;
        let index = tags
            .iter()
            .position(|tag| *tag == first)
            .ok_or(ParseError::UnknownTag { byte: first })?;
        let mut rest = payload;
        bytes::Buf::advance(&mut rest, 1);
        Ok((index, rest))
    }

    /// Finds which of `keywords` the frame's first word (up to the first
    /// space or line break, or the whole frame) is, comparing ASCII
    /// case-insensitively: its index, and the rest of the frame after that
    /// space (from the line break on, for a one-word first line of a
    /// multi-line frame), zero-copy.
    pub fn match_keyword(payload: Bytes, keywords: &[&[u8]]) -> Result<(usize, Bytes), ParseError> {
        if payload.is_empty() {
            return Err(ParseError::Empty);
        }
        let end = memchr::memchr3(b' ', b'\r', b'\n', &payload).unwrap_or(payload.len());
        let word = &payload[..end];
        let index = keywords
            .iter()
            .position(|k| k.eq_ignore_ascii_case(word))
            .ok_or_else(|| {
                ParseError::UnknownKeyword(String::from_utf8_lossy(word).into_owned())
            })?;
        let rest = match payload.get(end) {
            Some(b' ') => end + 1,
            _ => end,
        };
        Ok((index, payload.slice(rest..)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAGS: &[(u8, Kind)] = &[(b'>', Kind::Request), (b'<', Kind::Response)];

    #[test]
    fn split_tag_slices_after_the_tag() {
        let (kind, rest) = __private::split_tag(Bytes::from_static(b"<hi"), TAGS).unwrap();
        assert_eq!(kind, Kind::Response);
        assert_eq!(&rest[..], b"hi");
    }

    #[test]
    fn match_tag_and_keyword() {
        let (i, rest) = __private::match_tag(Bytes::from_static(b"<x"), b"><!").unwrap();
        assert_eq!((i, &rest[..]), (1, &b"x"[..]));
        let kw: &[&[u8]] = &[b"get", b"set"];
        let (i, rest) = __private::match_keyword(Bytes::from_static(b"SET k 0 0 1"), kw).unwrap();
        assert_eq!((i, &rest[..]), (1, &b"k 0 0 1"[..]));
        let (i, rest) = __private::match_keyword(Bytes::from_static(b"get"), kw).unwrap();
        assert_eq!((i, rest.len()), (0, 0));
        let (i, rest) = __private::match_keyword(Bytes::from_static(b"set\r\nx y"), kw).unwrap();
        assert_eq!((i, &rest[..]), (1, &b"\r\nx y"[..]));
        let err = __private::match_keyword(Bytes::from_static(b"quit now"), kw).unwrap_err();
        assert_eq!(err.to_string(), "unknown keyword \"quit\"");
    }

    #[test]
    fn split_tag_rejects_unknown_and_empty() {
        let err = __private::split_tag(Bytes::from_static(b"hi"), TAGS).unwrap_err();
        assert_eq!(err, ParseError::UnknownTag { byte: b'h' });
        assert_eq!(err.to_string(), "unknown tag byte b'h'");
        let err = __private::split_tag(Bytes::new(), TAGS).unwrap_err();
        assert_eq!(err, ParseError::Empty);
    }
}
