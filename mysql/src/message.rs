//! The message type's parts: what one packet (or a folded answer) holds.

use analyzer_core::NetString;

pub use crate::wire::ServerError;

impl Body {
    /// Whether more packets of this message follow, by what it is: an
    /// answer up to its end, an upload up to its empty packet.
    pub fn continues(&self) -> bool {
        match self {
            Body::Answer(answer) => answer.state != State::Done,
            Body::ClientData(data) => data.infile && !data.last,
            _ => false,
        }
    }
}

/// What a packet is, by who sent it and where the connection stands. (The
/// rare, large ones are boxed: a message is moved several times per packet.)
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// The server's handshake, the connection's first packet.
    Greeting(Box<Greeting>),
    /// The client's handshake response (its login), or its short
    /// `SSLRequest`.
    Login(Box<Login>),
    /// A command (`COM_QUERY`, `COM_STMT_EXECUTE`...).
    Command(Command),
    /// Packets the client sends inside an exchange, not commands:
    /// authentication data (after an auth switch), or a
    /// `LOAD DATA LOCAL INFILE` file's contents (up to an empty packet).
    ClientData(ClientData),
    /// The server's answer: one packet, or all the packets of a result set
    /// folded into one.
    Answer(Answer),
    /// More of a payload of 16 MiB or more (see [`long`](crate::long)):
    /// counted, folded into the message it continues.
    Continuation,
}

/// The server's handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Greeting {
    /// The protocol version (10).
    pub protocol: u8,
    /// `5.5.5-10.11.19-MariaDB-0+deb12u1`.
    pub server_version: NetString,
    /// The server's id for the connection.
    pub connection_id: u32,
    /// The capabilities offered (lower and upper 16 bits).
    pub capabilities: u32,
    /// The default authentication plugin.
    pub auth_plugin: Option<NetString>,
}

/// The client's handshake response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// The capabilities the client asks for.
    pub capabilities: u32,
    /// The user name.
    pub user: Option<NetString>,
    /// The database to use.
    pub database: Option<NetString>,
    /// The authentication plugin.
    pub auth_plugin: Option<NetString>,
    /// A short `SSLRequest`: TLS follows.
    pub ssl: bool,
}

/// A command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Its code ([`command`](crate::command)).
    pub code: u8,
    /// Its statement: a query's text, a prepared statement's (for an
    /// execution, the statement it executes, when its preparation was
    /// seen), or `COM_INIT_DB`'s database name.
    pub query: Option<NetString>,
    /// The prepared statement it names.
    pub statement: Option<u32>,
}

/// Client packets inside an exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientData {
    /// A `LOAD DATA LOCAL INFILE` upload (else authentication data).
    pub infile: bool,
    /// The packet was empty: the upload's end.
    pub last: bool,
}

/// What the rest of an answer holds: the state of a result set, a
/// prepared statement's definitions, an authentication exchange.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum State {
    /// The answer is complete.
    #[default]
    Done,
    /// Authentication packets up to an OK or ERR.
    Auth,
    /// Another result follows (`SERVER_MORE_RESULTS_EXISTS`): an OK, an
    /// ERR or a result set.
    NextResult {
        /// Its rows are binary (an execution's).
        binary: bool,
    },
    /// Column definitions still to come.
    Columns {
        /// How many.
        left: u64,
        /// Binary rows follow.
        binary: bool,
    },
    /// After the column definitions: an EOF (unless `CLIENT_DEPRECATE_EOF`),
    /// then rows.
    ColumnsEnd {
        /// Binary rows follow.
        binary: bool,
    },
    /// Rows up to an EOF, an OK (`0xFE`) or an ERR.
    Rows {
        /// Binary rows (an execution's).
        binary: bool,
    },
    /// A prepared statement's parameter definitions, then its columns.
    Params {
        /// Parameter definitions still to come.
        left: u64,
        /// Column definitions after them.
        columns: u64,
        /// Each list ends with an EOF.
        eof: bool,
    },
    /// A prepared statement's column definitions.
    PreparedColumns {
        /// Still to come.
        left: u64,
        /// The list ends with an EOF.
        eof: bool,
    },
    /// The EOF after a prepared statement's parameters or columns.
    DefinitionsEof {
        /// Column definitions after it.
        columns: u64,
    },
    /// `COM_FIELD_LIST`: column definitions up to an EOF.
    FieldList,
    /// After a `LOAD DATA LOCAL INFILE` request, the OK or ERR that follows
    /// the upload.
    Infile,
    /// Replication events up to an EOF or ERR.
    Stream,
}

impl State {
    /// Binary rows (an execution's) are expected.
    pub fn binary(self) -> bool {
        matches!(
            self,
            State::Columns { binary: true, .. }
                | State::ColumnsEnd { binary: true }
                | State::Rows { binary: true }
                | State::NextResult { binary: true }
        )
    }
}

/// The server's answer to a command, folded from all its packets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answer {
    /// What is still to come.
    pub state: State,
    /// Columns of the result set (of a prepared statement).
    pub num_fields: u64,
    /// Rows of the result set (replication events of a binlog stream).
    pub num_rows: u64,
    /// The OK packet's affected rows and insert id.
    pub ok: Option<OkCounts>,
    /// The ERR packet.
    pub error: Option<Box<ServerError>>,
    /// A `COM_STMT_PREPARE` answer: the statement's id and text.
    pub prepared: Option<Box<Prepared>>,
}

/// An OK packet's numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OkCounts {
    /// `mysql.affected_rows`.
    pub affected_rows: u64,
    /// `mysql.insert_id`.
    pub insert_id: u64,
}

/// A statement the server prepared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// Its id.
    pub id: u32,
    /// Its text (from the `COM_STMT_PREPARE` it answers).
    pub query: Option<NetString>,
}
