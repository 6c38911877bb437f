//! The PostgreSQL analyzer (frontend/backend protocol 3.0, port 5432),
//! publishing what Packetbeat's PostgreSQL module publishes, and
//! `pgsql-beat` (`pgsql-beat -r FILE`, the same options as every beat).
//!
//! ```
//! use analyzer_core::{Conversation, Direction, Kind, Protocol};
//! use pgsql::PgsqlMessage;
//!
//! let query = PgsqlMessage::parse_one(&b"Q\0\0\0\x0dSELECT 1\0"[..], Direction::FromClient)?;
//! let what = query.describe();
//! assert_eq!((what.method.as_deref(), what.query.as_deref()), (Some("SELECT"), Some("SELECT 1")));
//!
//! // An answer is many messages, folded into one as they come: a
//! // RowDescription, DataRows, CommandComplete, up to ReadyForQuery.
//! let mut answer = PgsqlMessage::parse_one(&b"T\0\0\0\x06\0\x02"[..], Direction::FromServer)?;
//! assert!(answer.continues());
//! for _ in 0..3 {
//!     answer.fold(PgsqlMessage::parse_one(&b"D\0\0\0\x06\0\0"[..], Direction::FromServer)?);
//! }
//! let ready = PgsqlMessage::parse_one(&b"Z\0\0\0\x05I"[..], Direction::FromServer)?;
//! assert!(!ready.continues());
//! answer.fold(ready);
//! assert_eq!((answer.num_fields, answer.num_rows), (Some(2), 3));
//! assert_eq!(answer.kind(), Some(Kind::Response));
//! # Ok::<(), analyzer_core::ParseError>(())
//! ```
//!
//! # Conversations
//!
//! - **Startup** (no transaction, as Packetbeat): the client's untyped
//!   first messages ([`frame`] tells them by their leading 0 byte): an
//!   SSLRequest answered `N` goes on in the clear; answered `S` (or a
//!   GSSENCRequest answered `G`), the connection turns to TLS and its
//!   analysis stops (`connections_not_followed`; its bytes are counted in
//!   `bytes_not_analyzed`, never parsed). The StartupMessage, the
//!   authentication exchange (MD5, SCRAM) and the server's parameters up to
//!   the first ReadyForQuery change the [`Session`] and are counted in
//!   `messages_not_published`, as is the client's `Terminate`.
//! - **Simple query**: a `Q` and its whole answer (RowDescription,
//!   DataRows, CommandComplete, EmptyQueryResponse or ErrorResponse,
//!   notices, up to ReadyForQuery) are one transaction. The answer is
//!   folded message by message: a 5,000-row result costs the memory of one
//!   row.
//! - **Extended query**: Parse/Bind/Describe/Execute/Close... up to `Sync`
//!   are one request, answered up to ReadyForQuery: one transaction per
//!   `Sync`. Its query is the Parse's text, or, for a Bind of a statement
//!   prepared earlier on the connection, that statement's (the session
//!   remembers [`MAX_STATEMENTS`] of them).
//! - **COPY**: `COPY ... FROM STDIN`'s request goes on with the client's
//!   CopyData up to CopyDone or CopyFail; `COPY ... TO STDOUT`'s CopyData
//!   belong to its answer. Through the extended protocol (a Bind and an
//!   Execute of a `COPY ... FROM STDIN`, then `Sync`; libpq's
//!   `PQexecParams`), the server ignores that first `Sync` while it copies:
//!   the request goes on past it with the client's CopyData, its CopyDone
//!   or CopyFail and the second `Sync`, answered by ParseComplete...
//!   CopyInResponse, CommandComplete (or ErrorResponse) and one
//!   ReadyForQuery: one transaction. A `COPY ... TO STDOUT` so executed
//!   needs nothing more: its CopyOutResponse and CopyData are its answer's.
//! - Messages the server sends unasked between queries: a
//!   NotificationResponse (`LISTEN`/`NOTIFY`) is published alone (status
//!   OK, `method` `NOTIFY`, `resource` the channel, `query` the payload);
//!   ParameterStatus and NoticeResponse change nothing and make no event.
//! - **After packet loss**, framing resumes at the next plausible header (a
//!   type byte of its direction and a sane length), and an answer's first
//!   message rules out requests it cannot answer ([`Conversation::fits`]:
//!   a ParseComplete answers no simple query).
//!
//! # Events
//!
//! `query` (the text of the `Q`, or of the statement executed), `method`
//! (its first word in upper case, as Packetbeat: `SELECT`, `SELEC` for
//! `SELEC 1`, `;` for `;`; none for an empty query), and under `pgsql`: `num_fields` (the first
//! RowDescription's field count, 0 without one), `num_rows` (the DataRows),
//! and for an answer with an ErrorResponse `error_code` (the SQLSTATE),
//! `error_message` and `error_severity`, with status `Error`.
//!
//! A `COPY ... FROM STDIN` refused before the copy starts (an
//! ErrorResponse, no CopyInResponse) ends before the client's next message,
//! which is not copy data ([`Conversation::ends_previous`]): that message
//! begins the next request.
#![warn(missing_docs)]

mod framer;
mod parse;
mod resync;
mod session;

use std::borrow::Cow;

use analyzer_core::{
    Conversation, Description, Direction, Fit, Follow, JsonFields, JsonKey, Kind, NetString,
};

pub use framer::{client_type, frame, server_type, Framer, MAX_STARTUP};
pub use parse::parse;
pub use resync::plausible;
pub use session::{Session, MAX_STATEMENTS, MAX_STATEMENT_TEXT};

/// One PostgreSQL message, or several folded into one (a request up to its
/// `Sync`, an answer up to its ReadyForQuery).
///
/// Its `Protocol` implementation is derived: name `pgsql`, port 5432,
/// framing [`Framer`], parsing [`parse`]; its [`Conversation`] keeps the
/// [`Session`], folds answers, and writes Packetbeat's fields.
#[derive(analyzer_core::Protocol, Clone, Debug, PartialEq, Eq)]
#[protocol(name = "pgsql", ports(5432), framer = Framer, parse = read, conversation)]
pub struct PgsqlMessage {
    /// `Request` from the client; from the server `Response`, `Error` for
    /// an answer with an ErrorResponse, `Greeting` for a notification sent
    /// unasked.
    #[protocol(kind)]
    pub kind: Kind,
    /// The type byte of its first message (`Q`, `P`, `T`, `E`...); 0 for
    /// the client's untyped startup-phase messages.
    #[protocol(skip)]
    pub tag: u8,
    /// A message of the startup phase or a goodbye: no transaction.
    #[protocol(skip)]
    pub setup: Option<Setup>,
    /// More messages of it follow (up to `Sync`, CopyDone, ReadyForQuery).
    #[protocol(skip)]
    pub continues: bool,
    /// The query: a `Q`'s text, a Parse's, or a bound statement's.
    #[protocol(skip)]
    pub query: Option<NetString>,
    /// A `Q` of `COPY ... FROM STDIN`, or an extended request executing
    /// one: the client's CopyData follow.
    #[protocol(skip)]
    pub copy_in: bool,
    /// An extended request of `COPY ... FROM STDIN` past its `Sync`: its
    /// CopyData, CopyDone or CopyFail, and a second `Sync`, follow.
    #[protocol(skip)]
    pub synced: bool,
    /// Not part of the message the client was folding: the `COPY ... FROM
    /// STDIN` it was sending was refused (no CopyInResponse), and this
    /// begins the next request ([`Conversation::ends_previous`]).
    #[protocol(skip)]
    pub ends_previous: bool,
    /// The first RowDescription's field count.
    #[protocol(skip)]
    pub num_fields: Option<u16>,
    /// DataRows.
    #[protocol(skip)]
    pub num_rows: u64,
    /// What few messages carry (a statement's name, an error, a
    /// notification): boxed, so that the usual message stays small.
    #[protocol(skip)]
    pub extra: Option<Box<Extra>>,
}

/// The rarer parts of a [`PgsqlMessage`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extra {
    /// The statement a Parse prepares (`""`: the unnamed one).
    pub statement: Option<NetString>,
    /// The statement a Close closes.
    pub closes: Option<NetString>,
    /// The first ErrorResponse's fields.
    pub error: Option<ErrorFields>,
    /// A NotificationResponse's channel and payload.
    pub notification: Option<Notification>,
}

/// The messages that make no transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    /// The client asks for TLS.
    SslRequest,
    /// The client asks for GSSAPI encryption.
    GssEncRequest,
    /// The client asks to cancel a query (on a connection of its own).
    CancelRequest,
    /// The StartupMessage: protocol version, user, database.
    Startup,
    /// The server's one-byte answer to an encryption request: `N` (go on in
    /// the clear), `S` (TLS) or `G` (GSSAPI).
    EncryptionAnswer(u8),
    /// Authentication and the server's parameters, up to the first
    /// ReadyForQuery (a password message from the client).
    Authentication,
    /// A ParameterStatus or NoticeResponse sent between queries.
    Status,
    /// The client's `Terminate`.
    Terminate,
}

/// An ErrorResponse's fields, as Packetbeat publishes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorFields {
    /// `S`: `ERROR`, `FATAL`, `PANIC` (possibly localized).
    pub severity: NetString,
    /// `C`: the SQLSTATE (`42P01`).
    pub code: NetString,
    /// `M`: the primary message.
    pub message: NetString,
}

/// A NotificationResponse (`NOTIFY channel, 'payload'`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The channel.
    pub channel: NetString,
    /// The payload.
    pub payload: NetString,
}

impl PgsqlMessage {
    pub(crate) fn new(kind: Kind, tag: u8) -> Self {
        PgsqlMessage {
            kind,
            tag,
            setup: None,
            continues: false,
            query: None,
            copy_in: false,
            synced: false,
            ends_previous: false,
            num_fields: None,
            num_rows: 0,
            extra: None,
        }
    }

    /// The rarer parts, to fill.
    pub(crate) fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Default::default)
    }

    /// The first ErrorResponse's fields, if any.
    pub fn error(&self) -> Option<&ErrorFields> {
        self.extra.as_ref()?.error.as_ref()
    }

    /// A NotificationResponse's channel and payload.
    pub fn notification(&self) -> Option<&Notification> {
        self.extra.as_ref()?.notification.as_ref()
    }

    /// Whether its first message belongs to the extended query protocol.
    fn extended(&self) -> bool {
        matches!(self.tag, b'P' | b'B' | b'D' | b'E' | b'C' | b'H' | b'S')
    }
}

/// [`parse`] as the derive calls it.
fn read(
    frame: bytes::Bytes,
    cx: &analyzer_core::Cx<'_, PgsqlMessage>,
) -> Result<PgsqlMessage, analyzer_core::ParseError> {
    parse(frame, cx)
}

/// Whether `query` is a `COPY ... FROM STDIN` (the client sends the data).
pub fn copy_from_stdin(query: &[u8]) -> bool {
    let mut words = query
        .split(|b| b.is_ascii_whitespace() || *b == b';')
        .filter(|w| !w.is_empty());
    if !words
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case(b"copy"))
    {
        return false;
    }
    let mut from = false;
    for word in words {
        if from && word.eq_ignore_ascii_case(b"stdin") {
            return true;
        }
        from = word.eq_ignore_ascii_case(b"from");
    }
    false
}

/// A query's method as Packetbeat gives it: its first word, upper-cased
/// (borrowed when it has no lower-case letter).
///
/// ```
/// assert_eq!(pgsql::method(b"select 1"), "SELECT");
/// assert_eq!(pgsql::method(b"SELEC 1;"), "SELEC");
/// assert_eq!(pgsql::method(b";"), ";");
/// assert_eq!(pgsql::method(b"\n  DELETE\nFROM t"), "DELETE");
/// ```
pub fn method(query: &[u8]) -> Cow<'_, str> {
    let start = query
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(query.len());
    let word = &query[start..];
    let end = word
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(word.len());
    let word = &word[..end];
    match std::str::from_utf8(word) {
        Ok(word) if !word.bytes().any(|b| b.is_ascii_lowercase()) => Cow::Borrowed(word),
        _ => Cow::Owned(String::from_utf8_lossy(word).to_uppercase()),
    }
}

impl Conversation for PgsqlMessage {
    type Session = Session;

    /// The startup phase, authentication, status messages between queries
    /// and `Terminate` make no transaction.
    fn published(&self) -> bool {
        self.setup.is_none()
    }

    /// Follows the startup phase (an encryption request and its answer,
    /// the StartupMessage, the first ReadyForQuery) and remembers prepared
    /// statements; stops at TLS.
    fn update(&self, session: &mut Session, direction: Direction) -> Follow {
        match (self.setup, direction) {
            (Some(Setup::SslRequest | Setup::GssEncRequest), _) => {
                session.set_encryption_asked(true);
            }
            (Some(Setup::EncryptionAnswer(answer)), _) => {
                session.set_encryption_asked(false);
                match answer {
                    b'S' => return Follow::Stop("TLS"),
                    b'G' => return Follow::Stop("GSSAPI encryption"),
                    _ => {}
                }
            }
            (Some(Setup::Startup), _) => session.set_authenticating(true),
            (Some(Setup::Authentication), Direction::FromServer) if self.tag == b'Z' => {
                session.set_authenticating(false);
            }
            (None, Direction::FromClient) => {
                if let Some(extra) = &self.extra {
                    if let (Some(name), Some(query)) = (&extra.statement, &self.query) {
                        session.prepare(name, query);
                    }
                    if let Some(name) = &extra.closes {
                        session.close(name);
                    }
                }
            }
            _ => {}
        }
        Follow::Continue
    }

    fn continues(&self) -> bool {
        self.continues
    }

    fn ends_previous(&self) -> bool {
        self.ends_previous
    }

    /// A request keeps its first query; an answer counts its rows and keeps
    /// its first field count and its first error.
    fn fold(&mut self, next: Self) {
        if self.query.is_none() {
            self.query = next.query;
        }
        self.copy_in |= next.copy_in;
        self.synced |= next.synced;
        if self.num_fields.is_none() {
            self.num_fields = next.num_fields;
        }
        self.num_rows += next.num_rows;
        if let Some(error) = next.extra.and_then(|e| e.error) {
            if self.error().is_none() {
                self.extra_mut().error = Some(error);
            }
        }
    }

    /// After packet loss: the extended protocol's answers (ParseComplete,
    /// BindComplete...) answer no simple query, a CopyInResponse only a
    /// `COPY ... FROM STDIN`.
    fn fits(&self, request: &Self) -> Fit {
        match self.tag {
            b'1' | b'2' | b'3' | b'n' | b't' | b's' if !request.extended() => Fit::Impossible,
            b'G' if !request.copy_in => Fit::Impossible,
            _ => Fit::Possible,
        }
    }

    /// `method` and `query` (a notification: `NOTIFY`, its channel as
    /// `resource`, its payload as `query`).
    fn describe(&self) -> Description<'_> {
        let mut description = Description::default();
        if let Some(notification) = self.notification() {
            description.method = Some(Cow::Borrowed("NOTIFY"));
            description.resource = Some(notification.channel.to_string_lossy());
            description.query = Some(notification.payload.to_string_lossy());
            return description;
        }
        if self.kind != Kind::Request {
            return description;
        }
        match &self.query {
            Some(query) => {
                // An empty query has no first word: no method (nor
                // `event.action`).
                description.method = Some(method(query)).filter(|m| !m.is_empty());
                description.query = Some(query.to_string_lossy());
            }
            None if self.tag == b'F' => description.method = Some(Cow::Borrowed("FUNCTION")),
            None => {}
        }
        description
    }

    /// `pgsql.num_rows`, `pgsql.num_fields`, and for an error
    /// `pgsql.error_code`, `pgsql.error_message`, `pgsql.error_severity`.
    fn fields(_request: Option<&Self>, response: Option<&Self>, out: &mut JsonFields<'_>) {
        const PGSQL: JsonKey = JsonKey::new("pgsql");
        const NUM_ROWS: JsonKey = JsonKey::new("num_rows");
        const NUM_FIELDS: JsonKey = JsonKey::new("num_fields");
        const ERROR_CODE: JsonKey = JsonKey::new("error_code");
        const ERROR_MESSAGE: JsonKey = JsonKey::new("error_message");
        const ERROR_SEVERITY: JsonKey = JsonKey::new("error_severity");
        let Some(answer) = response.filter(|r| r.kind.is_answer()) else {
            return;
        };
        out.object(PGSQL);
        out.u64(NUM_ROWS, answer.num_rows);
        out.u64(NUM_FIELDS, answer.num_fields.map_or(0, u64::from));
        if let Some(error) = answer.error() {
            out.text(ERROR_CODE, &error.code);
            out.text(ERROR_MESSAGE, &error.message);
            out.text(ERROR_SEVERITY, &error.severity);
        }
        out.end();
    }
}

#[cfg(test)]
mod tests;
