//! The contract between a protocol and the engine: [`Protocol`] (how
//! messages are cut and read, usually derived), [`Conversation`] (how a
//! connection's messages relate: state, pairing, folding, event fields;
//! written by hand where a protocol needs it), [`Framer`] (cutting one
//! direction's bytes into frames) and [`Cx`] (what framing and parsing see
//! of the connection).
//!
//! The data flows one way, per frame: the direction's [`Framer`] finds the
//! frame; [`Protocol::parse`] reads it (seeing the connection's session, the
//! request an answer answers and the message the frame continues);
//! [`Conversation::update`] changes the session; the message is folded into
//! the one it continues ([`Conversation::continues`], [`Conversation::fold`])
//! or paired with its request; each transaction becomes one event, whose
//! protocol fields [`Conversation::fields`] writes.

use std::ops::Range;

use bytes::Bytes;

use crate::description::Description;
use crate::error::ParseError;
use crate::frame_len::FrameLen;
use crate::json::fields::{JsonFields, JsonKey};
use crate::role::{Direction, Kind};

/// A message type of an application protocol: how its messages are cut
/// from the byte stream and read. What `#[derive(Protocol)]` implements.
///
/// A message is one frame, or several frames folded into one
/// ([`Conversation::continues`]): a request with its streamed body, an
/// answer made of many messages (a result set), an interim answer and the
/// final one.
pub trait Protocol: Conversation {
    /// The protocol's name: the event's `type`, `network.protocol`,
    /// `event.dataset`, and the key its own fields are published under. A
    /// lowercase ASCII letter, then lowercase letters, digits and `_`.
    const NAME: &'static str;
    /// The server ports analyzed when the configuration names none.
    const DEFAULT_PORTS: &'static [u16];

    /// How one direction's bytes are cut into frames: a value with typed
    /// fields (its progress on the frame being cut), one per direction.
    type Framer: Framer<Self>;

    /// The framer of a new connection's `direction`.
    fn framer(direction: Direction) -> Self::Framer;

    /// Reads one complete frame: `frame` is the part [`Framer::payload`]
    /// gives (without a delimiter, say); slicing it is zero-copy. `cx` tells
    /// which side sent it and shows the connection's session, the request
    /// an answer answers and the message the frame continues.
    fn parse(frame: Bytes, cx: &Cx<'_, Self>) -> Result<Self, ParseError>;

    /// The message's role; `None`: the role its direction implies (a
    /// request from the client, a response from the server).
    fn kind(&self) -> Option<Kind>;

    /// Writes the message's own fields as JSON entries into the object
    /// `out` has open (what the default [`Conversation::fields`] publishes
    /// under `<name>.request` and `<name>.response`).
    fn write_fields(&self, out: &mut JsonFields<'_>);

    /// A hint, for speed: starts loading into the CPU's caches what
    /// [`write_fields`](Self::write_fields) will read on the heap (each
    /// field's [`WriteJson::prefetch`](crate::WriteJson::prefetch); the
    /// derive writes it). The engine calls it for the oldest request
    /// waiting for an answer when a packet of its connection comes, so that
    /// the answer's event finds the request's text cached. Does nothing by
    /// default.
    #[inline(always)]
    fn prefetch(&self) {}

    /// Parses `frame`, sent in `direction`, as the first message of a new
    /// connection (with a fresh session): for tests and examples.
    ///
    /// ```
    /// use analyzer_core::{Direction, Kind, NetString, Protocol};
    ///
    /// #[derive(Protocol, Debug)]
    /// #[protocol(name = "echo", ports(3030), delimiter = b'\n')]
    /// struct Echo {
    ///     #[protocol(tag(request = b'>', response = b'<', error = b'!'))]
    ///     kind: Kind,
    ///     content: NetString,
    /// }
    ///
    /// let echo = Echo::parse_one(">hi", Direction::FromClient)?;
    /// assert_eq!((echo.kind, echo.content.as_bytes()), (Kind::Request, &b"hi"[..]));
    /// # Ok::<(), analyzer_core::ParseError>(())
    /// ```
    fn parse_one(frame: impl Into<Bytes>, direction: Direction) -> Result<Self, ParseError> {
        let session = Self::Session::default();
        Self::parse(frame.into(), &Cx::new(direction, &session))
    }
}

/// How a protocol's messages relate on one connection: its state, how
/// requests pair with answers, which frames fold into one message, and
/// what its events publish. Every item has a default, right for a protocol
/// whose messages are independent requests and answers.
///
/// `#[derive(Protocol)]` writes an empty implementation (all defaults)
/// unless the type says `#[protocol(conversation)]`: it then implements
/// this trait by hand.
pub trait Conversation: Sized + 'static {
    /// The state of one connection, shared by both directions: a phase
    /// (startup, authentication, queries), a negotiated version, a mode.
    /// Framers and parsers see it ([`Cx::session`]); only
    /// [`update`](Conversation::update) changes it. `()` for stateless
    /// protocols.
    type Session: Default + 'static;

    /// The session of a new connection, from the configuration (the
    /// protocol's own settings are `config.options`). Default:
    /// `Session::default()`.
    fn session(config: &crate::Config) -> Self::Session {
        let _ = config;
        Self::Session::default()
    }

    /// The names of the protocol's own settings, those
    /// [`session`](Conversation::session) reads from `config.options`
    /// (HTTP's `send_headers`): a configuration naming any other is wrong,
    /// and a beat says so. Default: none.
    const OPTIONS: &'static [&'static str] = &[];

    /// Checks `value` for option `name` (one of
    /// [`OPTIONS`](Conversation::OPTIONS)) when a configuration is read:
    /// `Err` says what the option takes, to be shown with where it was
    /// given. Default: any value.
    ///
    /// ```
    /// # use analyzer_core::{Conversation, Kind, NetString, Protocol};
    /// # #[derive(Protocol)]
    /// # #[protocol(name = "line", ports(7), delimiter = b'\n')]
    /// # struct Line { #[protocol(tag(request = b'>'))] kind: Kind, rest: NetString }
    /// assert!(Line::OPTIONS.is_empty());
    /// assert_eq!(Line::check_option("verbose", &serde_json::json!(true)), Ok(()));
    /// ```
    fn check_option(name: &str, value: &serde_json::Value) -> Result<(), String> {
        let _ = (name, value);
        Ok(())
    }

    /// The role of a message whose type does not declare one (no `tag`,
    /// `keyword` or `kind` field); `None`: the role its direction implies.
    fn role(&self) -> Option<Kind> {
        None
    }

    /// Called with every message (each frame, parsed) in the order they
    /// arrive on the connection, before it is paired: changes the session.
    /// [`Follow::Stop`] ends the analysis of the connection after this
    /// message (it switched to TLS, say): what is pending is published,
    /// the rest of its bytes are counted, not analyzed.
    fn update(&self, session: &mut Self::Session, direction: Direction) -> Follow {
        let _ = (session, direction);
        Follow::Continue
    }

    /// Whether more frames of this message follow from the same side: the
    /// next frames are parsed with this message as [`Cx::partial`] and
    /// folded into it ([`fold`](Conversation::fold)) up to one that does not
    /// continue. A request's streamed body, the rows of a result set, an
    /// interim answer (`100 Continue`) before the final one. The message
    /// is an error if any of its frames is.
    fn continues(&self) -> bool {
        false
    }

    /// Folds `next`, a further frame of this message, into it (count a
    /// row, keep the final status). Memory stays bounded by the largest
    /// frame, not by the message. The default keeps the first frame's
    /// fields.
    fn fold(&mut self, next: Self) {
        let _ = next;
    }

    /// Whether this message, still expecting further frames, is complete
    /// when its direction ends (FIN): a body that runs to the end of the
    /// connection (HTTP without a length). Otherwise a message cut by the
    /// end of its direction is published as cut short.
    fn ends_with_connection(&self) -> bool {
        false
    }

    /// Whether this message, arriving while its side was folding one (the
    /// previous frame said more follow), is not part of it but begins a
    /// new one: the folded message ends, complete, before it. A
    /// `COPY ... FROM STDIN` the server refused: the client's next query is
    /// not copy data. The default: never.
    fn ends_previous(&self) -> bool {
        false
    }

    /// Whether this message takes part in a transaction. `false` for the
    /// messages that only set a connection up or take it down and that
    /// Packetbeat publishes nothing for (PostgreSQL's startup, SSL
    /// negotiation, authentication and `Terminate`; a MySQL login): such a
    /// message still changes the session ([`update`](Conversation::update),
    /// which may stop the analysis) and is counted
    /// (`messages_not_published`), but it is neither a request nor an
    /// answer: it pairs with nothing and makes no event. Asked of a
    /// message's first frame only (further frames of a message being folded
    /// are folded). Default: `true`.
    fn published(&self) -> bool {
        true
    }

    /// A remark on this message, published in the event's `error.message`
    /// with the other notes (an HTTP/0.9 request: read, but not HTTP/1.x).
    /// It does not change the transaction's status by itself: the
    /// message's role does (an answer that is [`Kind::Error`]). Asked once
    /// per frame read; default: none.
    fn note(&self) -> Option<std::borrow::Cow<'static, str>> {
        None
    }

    /// Whether this request waits for an answer. `false` for requests that
    /// never get one (Memcache `noreply`, `quit`, a one-way notice): they
    /// are published at once, alone, with status `OK`.
    fn expects_response(&self) -> bool {
        true
    }

    /// Whether this request may go unanswered without it being an error
    /// (Memcache binary "quiet" commands): once a later request is answered
    /// (or the connection ends), it is published alone with status `OK`.
    fn response_optional(&self) -> bool {
        false
    }

    /// A key pairing answers with requests (Memcache binary `opaque`): an
    /// answer with a key pairs with the waiting request of the same key, in
    /// any order; one without a key with the oldest request without one.
    fn correlation_key(&self) -> Option<u64> {
        None
    }

    /// Whether this answer can answer `request`: asked only after packet
    /// loss may have put pairing out of step, to find which waiting request
    /// an answer belongs to. [`Fit::Certain`] proves it (echo: same text),
    /// [`Fit::Impossible`] rules it out (a Redis `GET` is not answered by
    /// `+OK`); the default, [`Fit::Possible`], tells nothing.
    fn fits(&self, request: &Self) -> Fit {
        let _ = request;
        Fit::Possible
    }

    /// What a request (or a greeting) asks, in Packetbeat's top-level
    /// fields: `method` (also giving `event.action` =
    /// `<name>.<method in lower case>`, unless an `action` is given),
    /// `resource` and `query`. Default: none of them.
    fn describe(&self) -> Description<'_> {
        Description::default()
    }

    /// Writes the protocol's own fields of a transaction into the event.
    /// The default writes `<name>: {"request": .., "response": ..}`, each
    /// message by its [`Protocol::write_fields`]; a greeting is the
    /// response of a transaction without request. The one place a protocol
    /// says what its events carry: the ndjson writer and the event's
    /// `Serialize` both call it.
    fn fields(request: Option<&Self>, response: Option<&Self>, out: &mut JsonFields<'_>)
    where
        Self: Protocol,
    {
        if request.is_none() && response.is_none() {
            return;
        }
        out.object(const { JsonKey::new(Self::NAME) });
        if let Some(request) = request {
            out.object(const { JsonKey::new("request") });
            request.write_fields(out);
            out.end();
        }
        if let Some(response) = response {
            out.object(const { JsonKey::new("response") });
            response.write_fields(out);
            out.end();
        }
        out.end();
    }

    /// The event's `status` for a transaction that is not `OK`, when the
    /// protocol knows which side failed, as Packetbeat's protocols say it:
    /// `Some("Client Error")` or `Some("Server Error")`. Called only when
    /// the [`Status`](crate::Status) is `Error` (`event.outcome` stays
    /// `failure`). Default: `None`, published as `Error`.
    ///
    /// ```
    /// # use analyzer_core::{Conversation, Kind, NetString, Protocol};
    /// # #[derive(Protocol)]
    /// # #[protocol(name = "line", ports(7), delimiter = b'\n')]
    /// # struct Line { #[protocol(tag(request = b'>'))] kind: Kind, rest: NetString }
    /// assert_eq!(Line::error_status(None, None), None);
    /// ```
    fn error_status(request: Option<&Self>, response: Option<&Self>) -> Option<&'static str> {
        let _ = (request, response);
        None
    }
}

/// Whether an answer can answer a request ([`Conversation::fits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// It answers this request: proven (the same text echoed, the same id).
    Certain,
    /// It may.
    Possible,
    /// It cannot (a reply of a type the request never gets).
    Impossible,
}

/// Whether the analysis of a connection goes on after a message
/// ([`Conversation::update`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// Go on.
    Continue,
    /// Stop analyzing this connection after this message: it switched to
    /// something the analyzer cannot follow. The reason (`"TLS"`,
    /// `"WebSocket"`) is noted on the requests still waiting, and the
    /// connection counted (`connections_not_followed`).
    Stop(&'static str),
}

/// How one direction's bytes are cut into frames: a value with typed
/// fields, as tokio-util's `Decoder`. The stream buffer asks it for the
/// frame at the start of what it holds; the framer keeps its progress on
/// that frame in its own fields (where its search stopped, the parts seen)
/// so that nothing is scanned twice, and forgets it on
/// [`reset`](Framer::reset).
///
/// The library's framers are in [`framing`](crate::framing):
/// [`Delimiter`](crate::framing::Delimiter),
/// [`LengthPrefix`](crate::framing::LengthPrefix),
/// [`Lines`](crate::framing::Lines) and [`Nom`](crate::framing::Nom).
pub trait Framer<P: Conversation> {
    /// The length of the frame at the start of `buf`. After
    /// [`FrameLen::Incomplete`]`(Some(n))` or [`FrameLen::AtLeast`]`(n)` the
    /// framer is not asked again before `buf` holds `n` bytes; after
    /// `Incomplete(None)`, before more bytes arrived. Between two calls
    /// `buf` only grows at its end, until a frame is cut or the stream
    /// skips bytes, which [`reset`](Framer::reset) announces.
    fn frame(&mut self, buf: &[u8], cx: &Cx<'_, P>) -> FrameLen;

    /// Forgets the progress on the current frame: it was cut, skipped or
    /// lost bytes, and the next call starts on a new one.
    fn reset(&mut self) {}

    /// The longest frame this framer accepts (a length prefix's
    /// `max_frame`), below the engine's `max_message_size`; a longer one is
    /// skipped and published with a note. Default: no bound of its own.
    fn max_frame(&self) -> Option<usize> {
        None
    }

    /// The part of a frame [`Protocol::parse`] reads (the frame without its
    /// delimiter, say). Default: all of it.
    fn payload(&self, frame: &[u8]) -> Range<usize> {
        0..frame.len()
    }

    /// Where the stream picks up after bytes that cannot be framed (too
    /// long, rejected, or lost in capture with their length unknown): after
    /// the next occurrence of this sequence (`b"\r\n"`). `None`: at the
    /// next offset where [`plausible`](Framer::plausible) says a frame
    /// starts.
    fn sync(&self) -> Option<&'static [u8]> {
        None
    }

    /// After lost bytes (or rejected ones, without [`sync`](Framer::sync)):
    /// whether a frame plausibly starts at the start of `buf` (a header
    /// with a known type and a sane length). `None`: more bytes are needed
    /// to tell. The default says yes: framing is tried there.
    fn plausible(&self, buf: &[u8], cx: &Cx<'_, P>) -> Option<bool> {
        let _ = (buf, cx);
        Some(true)
    }

    /// The message of the frame just cut, when the framer read it while
    /// finding its end ([`Nom`](crate::framing::Nom) parses and frames at
    /// once): then [`Protocol::parse`] is not called.
    fn take_parsed(&mut self) -> Option<Result<P, ParseError>> {
        None
    }
}

/// What framing and parsing see of a connection: the direction, the
/// session, the request an answer answers and the message a frame
/// continues.
///
/// ```
/// use analyzer_core::{Cx, Direction};
///
/// let session = 5u8; // any `Conversation::Session`
/// # #[derive(analyzer_core::Protocol)]
/// # #[protocol(name = "x", delimiter = b'\n', conversation)]
/// # struct X { #[protocol(tag(request = b'>'))] kind: analyzer_core::Kind, rest: analyzer_core::NetString }
/// # impl analyzer_core::Conversation for X { type Session = u8; }
/// let cx: Cx<'_, X> = Cx::new(Direction::FromServer, &session);
/// assert_eq!(*cx.session(), 5);
/// assert!(cx.request().is_none() && cx.partial().is_none());
/// ```
pub struct Cx<'a, P: Conversation> {
    direction: Direction,
    session: &'a P::Session,
    /// Where the request and the partial message come from.
    view: View<'a, P>,
    limit: usize,
}

/// The messages a [`Cx`] shows: given, or looked up in the connection only
/// when asked (most framers and parsers never ask).
enum View<'a, P> {
    Given {
        request: Option<&'a P>,
        partial: Option<&'a P>,
    },
    Connection(&'a dyn Pending<P>),
}

impl<P> Clone for View<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for View<'_, P> {}

/// What a connection knows of its waiting requests and messages being
/// folded, for [`Cx`]. Not a stable API.
#[doc(hidden)]
pub trait Pending<P> {
    /// The request an answer from `direction` would answer.
    fn request_for(&self, direction: Direction) -> Option<&P>;
    /// The message `direction` is folding frames into.
    fn partial(&self, direction: Direction) -> Option<&P>;
}

impl<P: Conversation> Clone for Cx<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Conversation> Copy for Cx<'_, P> {}

impl<'a, P: Conversation> Cx<'a, P> {
    /// A frame sent in `direction` on a connection in state `session`, with
    /// no request waiting and no message being folded.
    pub fn new(direction: Direction, session: &'a P::Session) -> Self {
        Cx {
            direction,
            session,
            view: View::Given {
                request: None,
                partial: None,
            },
            limit: usize::MAX,
        }
    }

    /// The same, answering `request`.
    pub fn with_request(mut self, request: Option<&'a P>) -> Self {
        let partial = self.partial();
        self.view = View::Given { request, partial };
        self
    }

    /// The same, continuing `partial`.
    pub fn with_partial(mut self, partial: Option<&'a P>) -> Self {
        let request = self.request();
        self.view = View::Given { request, partial };
        self
    }

    /// The same, looking its request and partial message up in `pending`.
    #[inline]
    pub(crate) fn with_pending(mut self, pending: &'a dyn Pending<P>) -> Self {
        self.view = View::Connection(pending);
        self
    }

    /// The same, with frames of at most `limit` bytes.
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Which side sent the frame.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The connection's state.
    pub fn session(&self) -> &'a P::Session {
        self.session
    }

    /// The request an answer from this side would answer: the oldest one
    /// of the other side still waiting for its answer (or the one being
    /// answered, while an answer is folded). `None` when none waits (or the
    /// protocol pairs by key).
    pub fn request(&self) -> Option<&'a P> {
        match self.view {
            View::Given { request, .. } => request,
            View::Connection(pending) => pending.request_for(self.direction),
        }
    }

    /// The message this frame continues, when the previous frame from this
    /// side said more follow ([`Conversation::continues`]).
    pub fn partial(&self) -> Option<&'a P> {
        match self.view {
            View::Given { partial, .. } => partial,
            View::Connection(pending) => pending.partial(self.direction),
        }
    }

    /// The longest frame the stream keeps (the engine's `max_message_size`):
    /// a framer of multi-part messages can cut a longer one at a part
    /// boundary ([`FrameLen::Cut`]) instead of leaving the stream to skip it
    /// blind.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

/// Helpers the derive's expansion calls. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use bytes::Bytes;

    pub use crate::framing::nom_complete;
    pub use crate::json::fast::{Field, ViaSerialize, ViaWriteJson};
    pub use crate::protocol::tags::{match_keyword, match_tag, split_tag};
}

mod tags;
