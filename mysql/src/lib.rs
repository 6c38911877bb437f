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
//!   sequence id and the payload (payloads of 16 MiB or more, split over
//!   several packets, are beyond the default maximum message size).
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
    /// The packet's sequence id (of an answer's first packet).
    #[protocol(skip)]
    pub seq: u8,
    /// What it is.
    #[protocol(skip)]
    pub body: Body,
}

/// Reads a packet (its sequence id, then its payload) in its connection's
/// context.
fn read(frame: Bytes, cx: &Cx<'_, MysqlMessage>) -> Result<MysqlMessage, ParseError> {
    let Some(&seq) = frame.first() else {
        return Err(ParseError::Empty);
    };
    let payload = frame.slice(1..);
    let (kind, body) = match cx.direction() {
        Direction::FromClient => (Kind::Request, client::parse(seq, payload, cx.session())?),
        Direction::FromServer => {
            let partial = match cx.partial().map(|m| &m.body) {
                Some(Body::Answer(answer)) => Some(answer),
                _ => None,
            };
            let request = cx.request().map(|m| &m.body);
            server::parse(seq, payload, cx.session(), request, partial)?
        }
    };
    Ok(MysqlMessage { kind, seq, body })
}
