//! The MySQL (and MariaDB) analyzer: the classic client/server protocol on
//! port 3306, publishing what Packetbeat's MySQL module publishes, and
//! `mysql-beat` (`mysql-beat -r FILE`, the same options as every beat).
//!
//! ```
//! use analyzer_core::{Conversation, Direction, Kind, Protocol};
//! use mysql::{Body, MysqlMessage};
//!
//! // A COM_QUERY (sequence id 0, command 0x03, the text).
//! let query = MysqlMessage::parse_one(&b"\x00\x03SELECT 1"[..], Direction::FromClient)?;
//! let what = query.describe();
//! assert_eq!((what.method.as_deref(), what.query.as_deref()), (Some("SELECT"), Some("SELECT 1")));
//!
//! // The server's ERR (sequence id 1): status Error.
//! let err = &b"\x01\xff\x7a\x04#42S02Table 'x' doesn't exist"[..];
//! let answer = MysqlMessage::parse_one(err, Direction::FromServer)?;
//! assert_eq!(answer.kind, Kind::Error);
//! let Body::Answer(answer) = &answer.body else { unreachable!() };
//! assert_eq!(answer.error.as_ref().map(|e| e.code), Some(1146));
//! # Ok::<(), analyzer_core::ParseError>(())
//! ```
//!
//! # Conversations
//!
//! - **Framing** ([`PACKET`]): packets of a 3-byte little-endian length, a
//!   sequence id and the payload. A payload of 16 MiB or more (packets of
//!   0xFFFFFF bytes, each continued by the next, up to a shorter one) is
//!   cut into pieces and folded into its first packet's message, at
//!   constant memory ([`long`]): a row that long counts as one row.
//! - **Connection phase**: the server's handshake is a greeting (its own
//!   event, status `OK`: `mysql.server_version`, `mysql.connection_id`);
//!   the client's login (handshake response: `mysql.user`,
//!   `mysql.database`) is a transaction answered by the server's OK or ERR
//!   (status `Error`: a failed login). An auth switch or more auth data
//!   from the server continue that answer; the client's auth data packets
//!   are published alone (requests without answer). A login asking for TLS
//!   (`SSLRequest`) or a compressed protocol ends the connection's analysis
//!   (counted in `connections_not_followed`).
//! - **Commands** pair with answers in order. `COM_QUERY` and
//!   `COM_STMT_EXECUTE` are answered by an OK, an ERR or a result set
//!   (column count, definitions, EOF, rows, EOF; with
//!   `CLIENT_DEPRECATE_EOF`, no EOF after the definitions and an OK with
//!   header `0xFE` after the rows; MariaDB's cached metadata: no
//!   definitions), folded packet by packet into one answer that counts its
//!   rows without keeping them; further results (`SERVER_MORE_RESULTS_EXISTS`)
//!   fold into it too. `COM_STMT_PREPARE`'s answer takes its parameter and
//!   column definitions; the statement's text is remembered (bounded:
//!   [`MAX_STATEMENTS`], [`MAX_STATEMENT_BYTES`]) so that its executions
//!   publish it as `query`. `COM_QUIT`, `COM_STMT_CLOSE` and
//!   `COM_STMT_SEND_LONG_DATA` get no answer: each is published alone,
//!   status `OK`. `COM_PING`, `COM_INIT_DB`, `COM_STMT_RESET`,
//!   `COM_FIELD_LIST`, `COM_STATISTICS`, `COM_STMT_FETCH`,
//!   `COM_CHANGE_USER`, `LOAD DATA LOCAL INFILE` (the upload is published
//!   alone; the server's final OK folds into the query's answer) and the
//!   rest are followed as well.
//! - **Mid-connection captures**: without the handshake, a client packet
//!   with sequence id 0 is a command; `CLIENT_DEPRECATE_EOF` is then told
//!   from the packets themselves (an EOF is 5 bytes, an OK at least 7).
//! - **After packet loss**, the stream resumes at the first offset where a
//!   packet plausibly starts given what the connection expects (a text row
//!   must fill its length exactly with its columns), and an answer's shape
//!   rules out commands it cannot answer ([`Conversation::fits`](analyzer_core::Conversation::fits)).
//!   Sequence ids keep the phases apart when their boundary was lost: a
//!   client packet numbered 0 is a command, an answer numbered 1 answers a
//!   command, not the login (whose answer goes on from 2).
//!   An answer's first packet is numbered 1: another packet where one is
//!   expected is the rest of an answer whose start was lost (an error), and
//!   a packet numbered 1 inside an answer ends it. A packet's total length
//!   is announced to the stream only for rows, so that losing an OK, EOF or
//!   ERR ends the answer and pairing is checked after the loss.
//!   `mysql/tests/loss.rs` drops each data segment of every capture in turn:
//!   no event comes out `OK` and different from the clean run; `bench-loss`
//!   measures pipelined traffic.
//!
//! # Event fields (Packetbeat's)
//!
//! `method` (the statement's first word in upper case: `SELECT`; `USE` for
//! `COM_INIT_DB`, `PING`, `QUIT`), `query` (the statement; a prepared
//! statement's text for its executions; `COM_INIT_DB`'s database), and
//! under `mysql`: `num_fields` and `num_rows` (of a result set; 0 for an
//! OK or ERR), `affected_rows` and `insert_id` (from an OK), `error_code`,
//! `error_message` and `sql_state` (from an ERR; status `Error`). Commands
//! without a method publish `mysql.command` (`COM_STMT_RESET`), statement
//! commands `mysql.statement_id`.
//!
//! The whole protocol is [`MysqlMessage`], its derive attribute and its
//! [`Conversation`](analyzer_core::Conversation): [`Framer`] cuts packets, `client.rs` and `server.rs`
//! read them, `session.rs` holds the connection's state. `mysql/data/`
//! holds captures of a real MariaDB server and its README their
//! transactions.
#![warn(missing_docs)]

mod client;
pub mod command;
mod conversation;
mod framer;
pub mod long;
mod message;
mod server;
mod session;
mod wire;

use analyzer_core::{Cx, Direction, Kind, ParseError, Protocol};
use bytes::Bytes;

pub use command::verb;
pub use framer::{Framer, PACKET};
pub use message::{
    Answer, Body, ClientData, Command, Greeting, Login, OkCounts, Prepared, ServerError, State,
};
pub use session::{Phase, Session, MAX_STATEMENTS, MAX_STATEMENT_BYTES};

/// One MySQL packet (or an answer folded from many).
#[derive(Protocol, Clone, Debug, PartialEq)]
#[protocol(name = "mysql", ports(3306), framer = Framer, parse = read, conversation)]
pub struct MysqlMessage {
    /// Request (commands, the login, client data), response or error
    /// (answers), greeting (the server's handshake).
    #[protocol(kind)]
    pub kind: Kind,
    /// The packet's sequence id (of an answer folded from many, its last
    /// packet's).
    #[protocol(skip)]
    pub seq: u8,
    /// What it is.
    #[protocol(skip)]
    pub body: Body,
    /// Further frames follow because its payload is 16 MiB or more and
    /// more of it is to come (see [`long`]); of such a further frame, also
    /// when the message it continues goes on.
    #[protocol(skip)]
    pub continued: bool,
}

/// Reads a packet (its sequence id, then its payload) in its connection's
/// context.
fn read(frame: Bytes, cx: &Cx<'_, MysqlMessage>) -> Result<MysqlMessage, ParseError> {
    read_packet(frame, cx, false)
}

/// [`read`]; `long`: `frame` is the start of a payload of 16 MiB or more.
pub(crate) fn read_packet(
    frame: Bytes,
    cx: &Cx<'_, MysqlMessage>,
    long: bool,
) -> Result<MysqlMessage, ParseError> {
    let Some(&seq) = frame.first() else {
        return Err(ParseError::Empty);
    };
    let payload = frame.slice(1..);
    let (kind, body) = match cx.direction() {
        Direction::FromClient => (Kind::Request, client::parse(seq, payload, cx.session())?),
        Direction::FromServer => {
            let partial = match cx.partial() {
                Some(MysqlMessage {
                    body: Body::Answer(answer),
                    seq,
                    ..
                }) => Some((answer, *seq)),
                _ => None,
            };
            let request = cx.request().map(|m| (&m.body, m.seq));
            server::parse(seq, payload, cx.session(), request, partial, long)?
        }
    };
    Ok(MysqlMessage {
        kind,
        seq,
        body,
        continued: false,
    })
}
