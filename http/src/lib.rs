//! The HTTP/1.x protocol analyzer, publishing Packetbeat 8's HTTP fields,
//! and `http-beat` (`http-beat -r FILE`, the same options as every beat;
//! default ports 80, 8080, 8000, 5000 and 8002, as Packetbeat's).
//!
//! One [`HttpMessage`] is a request or a response: its head (request or
//! status line and header fields), then its body, which streams by in as
//! many frames as it arrives in and is folded into the head's message, so
//! that only counts are kept: a response of hundreds of megabytes costs
//! the same memory as a small one. [`Framer`] cuts the frames and reads
//! them (it is the parser too: the body's framing depends on the head, and
//! a response's on its request):
//!
//! - bodies by `Content-Length`, `Transfer-Encoding: chunked` (trailer
//!   fields included) or, for a response with neither, up to the end of
//!   the connection; none in a request without either, nor in a response
//!   to `HEAD`, a 1xx, 204 or 304 response, or a 2xx answer to `CONNECT`;
//! - interim responses (`100 Continue`, `103 Early Hints`) are folded into
//!   the final response of their request: one transaction, the final status
//!   (`http.response.bytes` counts the final response; `destination.bytes`
//!   every byte the server sent for the request);
//! - `101 Switching Protocols` and a 2xx answer to `CONNECT` end the
//!   analysis of the connection ([`Follow::Stop`]: counted in
//!   `connections_not_followed`, the rest of its bytes in
//!   `bytes_not_analyzed`);
//! - an HTTP/0.9 request (`GET /path` without a version) is read as one, at
//!   version `0.9`; its answer (the document, no status line, up to the
//!   close) is a response with no status code, status `Error`; both carry
//!   a note;
//! - heads that are not HTTP are published as unparseable, with a note: a
//!   request's pairs with the answer the server gives it (a `400`).
//!
//! ```
//! use analyzer_core::{Direction, Kind, Protocol};
//! use http::HttpMessage;
//!
//! let get = HttpMessage::parse_one(
//!     "GET /index.html?lang=en HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: curl/8\r\n\r\n",
//!     Direction::FromClient,
//! )?;
//! assert_eq!((get.kind, get.method(), get.target()), (Kind::Request, &b"GET"[..], &b"/index.html?lang=en"[..]));
//! assert_eq!((get.host(), get.version.to_string()), (&b"example.com:8080"[..], "1.1".to_owned()));
//!
//! let missing = HttpMessage::parse_one(
//!     "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
//!     Direction::FromServer,
//! )?;
//! assert_eq!((missing.kind, missing.status_code), (Kind::Error, 404));
//! # Ok::<(), analyzer_core::ParseError>(())
//! ```
//!
//! # Events
//!
//! Packetbeat 8's fields ([`fields`](Conversation::fields)):
//! `http.version`, `http.request.method`, `http.request.bytes`,
//! `http.request.body.bytes`, `http.request.mime_type`,
//! `http.response.status_code`, `http.response.status_phrase` (in lower
//! case, as Packetbeat), `http.response.bytes`, `http.response.body.bytes`,
//! `http.response.mime_type` (the `Content-Type` without its parameters),
//! `url.scheme`, `url.full`, `url.domain`, `url.port` (not for 80),
//! `url.path`, `url.query`, `user_agent.original`; the top-level `method`
//! and `query` (`GET /path`, without the query string). A transaction is
//! `Error` when its status code is 400 or more.
//!
//! Opt-in, through the configuration's protocol options
//! ([`Config::options`](analyzer_core::Config::options), a beat's
//! `protocols:` entry), as Packetbeat's: header fields
//! (`http.request.headers`, `http.response.headers`, names in lower case)
//! with `send_all_headers: true` or `send_headers: [names]`; bodies
//! (`http.request.body.content`, `http.response.body.content`, at most
//! `max_body_bytes`, default 10 KiB) with `include_body_for: [content
//! types]` (both directions), `include_request_body_for`,
//! `include_response_body_for`; a content type matches when it contains one
//! of the words given (`"*"`: any). See [`Settings`].
#![warn(missing_docs)]

pub mod chunked;
mod fields;
mod framer;
mod head;
mod settings;
mod words;

use std::fmt;

use analyzer_core::{
    Conversation, Cx, Description, Fit, Follow, JsonFields, Kind, ParseError, Protocol,
};
use bytes::Bytes;

pub use framer::Framer;
pub use settings::Settings;

use chunked::Chunked;

/// One HTTP message: a request or a response, or (as the engine folds
/// them) a further frame of one: more of its body, or after an interim
/// response, the final one.
#[derive(Protocol, Clone, Debug, PartialEq, Eq)]
#[protocol(
    name = "http",
    ports(80, 8080, 8000, 5000, 8002),
    framer = Framer,
    parse = read,
    conversation
)]
pub struct HttpMessage {
    /// `Request`; `Response`, or `Error` for a status code of 400 or more
    /// (or a response without one: HTTP/0.9).
    #[protocol(kind)]
    pub kind: Kind,
    /// The protocol version (`1.1`); `0.9` for a request without one and
    /// its answer.
    #[protocol(skip)]
    pub version: Version,
    /// The status code of a response (0 for a request, or a response
    /// without status line).
    #[protocol(skip)]
    pub status_code: u16,
    /// Bytes on the wire of the message: head and body as sent (chunk
    /// framing included). Of a response after interim ones, the final
    /// response's.
    #[protocol(skip)]
    pub bytes: u64,
    /// The body's length, decoded (chunk framing excluded).
    #[protocol(skip)]
    pub body_bytes: u64,
    /// The head's bytes (empty for a further body frame); the spans below
    /// are ranges of them.
    #[protocol(skip)]
    head: Box<[u8]>,
    #[protocol(skip)]
    spans: Spans,
    /// What follows this frame of the message.
    #[protocol(skip)]
    next: Next,
    /// The analysis of the connection stops after this message (an
    /// upgrade, a tunnel): why.
    #[protocol(skip)]
    stop: Option<Stop>,
    /// Opt-in parts: header fields and body content.
    #[protocol(skip)]
    extra: Option<Box<Extra>>,
}

/// An HTTP version, `major.minor`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Version {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A range of a message's head: 16-bit offsets, a head being at most
/// [`MAX_HEAD`](framer::MAX_HEAD) bytes (its last byte a line end no span
/// covers), so that a message stays small to move.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span(u16, u16);

const _: () = assert!(framer::MAX_HEAD <= 1 << 16);

impl Span {
    /// The range `start..end` of a head (read only for a head of at most
    /// [`MAX_HEAD`](framer::MAX_HEAD) bytes: a longer one is refused).
    fn new(start: u32, end: u32) -> Span {
        Span(start as u16, end as u16)
    }

    fn of(self, head: &[u8]) -> &[u8] {
        head.get(self.0 as usize..self.1 as usize)
            .unwrap_or_default()
    }
}

/// Where the fields of a head lie in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Spans {
    method: Span,
    target: Span,
    phrase: Span,
    host: Span,
    user_agent: Span,
    content_type: Span,
}

/// Why the analysis of a connection stops after a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// `101` to `Upgrade: websocket`.
    WebSocket,
    /// `101` to `Upgrade: h2c`.
    Http2,
    /// `101` to `Upgrade: TLS`.
    Tls,
    /// `101` to another upgrade, or none named.
    Upgrade,
    /// A 2xx answer to `CONNECT`.
    Connect,
}

impl Stop {
    /// In words, for the counters and notes.
    fn why(self) -> &'static str {
        match self {
            Stop::WebSocket => "WebSocket",
            Stop::Http2 => "HTTP/2",
            Stop::Tls => "TLS",
            Stop::Upgrade => "HTTP upgrade",
            Stop::Connect => "CONNECT tunnel",
        }
    }
}

/// What follows a frame of a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Next {
    /// Nothing: the message is complete.
    #[default]
    Done,
    /// An interim response: the final response's head.
    FinalHead,
    /// This many more body bytes.
    Body(u64),
    /// More of a chunked body.
    Chunked(Chunked),
    /// Body bytes up to the end of the connection.
    UntilClose,
}

/// The opt-in parts of a message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Extra {
    /// Header fields (name, value), as spans of the head.
    headers: Vec<(Span, Span)>,
    /// Body content kept (up to the configured bound); `None`: not asked.
    body: Option<Vec<u8>>,
}

impl HttpMessage {
    /// A further frame of a body: `bytes` on the wire, `decoded` of body.
    fn body_frame(kind: Kind, bytes: u64, decoded: u64, next: Next) -> Self {
        HttpMessage {
            kind,
            version: Version::default(),
            status_code: 0,
            bytes,
            body_bytes: decoded,
            head: Box::default(),
            spans: Spans::default(),
            next,
            stop: None,
            extra: None,
        }
    }

    /// The request method (`GET`); empty for a response.
    pub fn method(&self) -> &[u8] {
        self.spans.method.of(&self.head)
    }

    /// The request-target as sent (`/index.html?lang=en`, `host:443`).
    pub fn target(&self) -> &[u8] {
        self.spans.target.of(&self.head)
    }

    /// A response's reason phrase as sent (`Not Found`).
    pub fn status_phrase(&self) -> &[u8] {
        self.spans.phrase.of(&self.head)
    }

    /// The `Host` header field's value.
    pub fn host(&self) -> &[u8] {
        self.spans.host.of(&self.head)
    }

    /// The `User-Agent` header field's value.
    pub fn user_agent(&self) -> &[u8] {
        self.spans.user_agent.of(&self.head)
    }

    /// The `Content-Type` header field's value without its parameters
    /// (`text/html`).
    pub fn mime_type(&self) -> &[u8] {
        let value = self.spans.content_type.of(&self.head);
        let end = words::find(value, b';').unwrap_or(value.len());
        value[..end].trim_ascii()
    }

    /// The header fields kept (`send_headers`), as sent: (name, value).
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let head = &self.head[..];
        self.extra
            .iter()
            .flat_map(|e| e.headers.iter())
            .map(move |&(name, value)| (name.of(head), value.of(head)))
    }

    /// The body content kept (`include_body_for`), at most `max_body_bytes`.
    pub fn body(&self) -> Option<&[u8]> {
        self.extra.as_ref()?.body.as_deref()
    }

    /// Whether this is a request with method `HEAD`.
    fn is_method(&self, method: &[u8]) -> bool {
        self.method() == method
    }
}

/// [`Framer`] reads what it frames; this reads one frame alone (a head,
/// with its body if the frame holds all of it), as the first frame of a
/// message on `cx`'s connection.
fn read(frame: Bytes, cx: &Cx<'_, HttpMessage>) -> Result<HttpMessage, ParseError> {
    framer::read_alone(&frame, cx)
}

impl Conversation for HttpMessage {
    type Session = Settings;

    /// The opt-in settings from the configuration's options.
    fn session(config: &analyzer_core::Config) -> Settings {
        Settings::from_options(&config.options)
    }

    const OPTIONS: &'static [&'static str] = Settings::OPTIONS;

    fn check_option(name: &str, value: &serde_json::Value) -> Result<(), String> {
        Settings::check(name, value)
    }

    /// Further frames follow: body, or the final response after an interim
    /// one.
    fn continues(&self) -> bool {
        self.next != Next::Done
    }

    /// Folds a further frame: body counts added; a final response replaces
    /// the interim one it follows.
    fn fold(&mut self, next: Self) {
        if !next.head.is_empty() || next.status_code != 0 {
            *self = next;
            return;
        }
        self.bytes += next.bytes;
        self.body_bytes += next.body_bytes;
        self.next = next.next;
        if let (Some(extra), Some(more)) = (&mut self.extra, next.extra) {
            if let (Some(body), Some(more)) = (&mut extra.body, more.body) {
                body.extend_from_slice(&more);
            }
        }
    }

    /// HTTP/0.9: a request without version, an answer without status line.
    fn note(&self) -> Option<std::borrow::Cow<'static, str>> {
        if self.version != (Version { major: 0, minor: 9 }) {
            return None;
        }
        Some(match self.kind {
            Kind::Request => "HTTP/0.9 request (no version)".into(),
            _ => "HTTP/0.9 response (no status line, up to the close)".into(),
        })
    }

    /// A body delimited by the end of the connection is complete there.
    fn ends_with_connection(&self) -> bool {
        self.next == Next::UntilClose
    }

    /// After `101 Switching Protocols` or a 2xx answer to `CONNECT`, the
    /// connection carries something else: stop.
    fn update(&self, _session: &mut Settings, _direction: analyzer_core::Direction) -> Follow {
        match self.stop {
            Some(stop) => Follow::Stop(stop.why()),
            None => Follow::Continue,
        }
    }

    /// After packet loss: a response to `HEAD` carries no body, and only a
    /// request asking for an upgrade gets a `101`.
    fn fits(&self, request: &Self) -> Fit {
        if self.status_code == 101 && !request.head.is_empty() {
            return match head::header(&request.head, b"upgrade").is_some() {
                true => Fit::Possible,
                false => Fit::Impossible,
            };
        }
        if request.is_method(b"HEAD") && self.body_bytes > 0 {
            return Fit::Impossible;
        }
        Fit::Possible
    }

    /// `method` and `query` (`GET /index.html`, the path without the
    /// query string), as Packetbeat publishes them.
    fn describe(&self) -> Description<'_> {
        fields::describe(self)
    }

    /// `http.*`, `url.*` and `user_agent.original`.
    fn fields(request: Option<&Self>, response: Option<&Self>, out: &mut JsonFields<'_>) {
        fields::write(request, response, out);
    }
}
