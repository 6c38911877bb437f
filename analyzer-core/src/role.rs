//! Which way a message travelled, and its role in a transaction.

use serde::Serialize;

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

    /// The role a message going this way has when the protocol does not
    /// say: a request from the client, a response from the server.
    pub fn default_kind(self) -> Kind {
        match self {
            Direction::FromClient => Kind::Request,
            Direction::FromServer => Kind::Response,
        }
    }

    /// 0 for the client's direction, 1 for the server's.
    pub(crate) fn index(self) -> usize {
        match self {
            Direction::FromClient => 0,
            Direction::FromServer => 1,
        }
    }
}

/// The role of one message in a conversation.
///
/// | kind | from | what happens |
/// |---|---|---|
/// | `Request` | either side | opens a transaction and waits for an answer from the other side (unless [`Conversation::expects_response`] says none comes); its sender is the event's `source` |
/// | `Response` | either side | answers the oldest waiting request of the other side (or the one of its [`correlation_key`]); status `OK` |
/// | `Error` | either side | the same, status `Error` |
/// | `Greeting` | usually the server | answers nothing and asks nothing (a server's banner or handshake, a notice): published at once as a transaction of its own, status `OK` |
///
/// [`Conversation::expects_response`]: crate::Conversation::expects_response
/// [`correlation_key`]: crate::Conversation::correlation_key
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Opens a transaction; waits for an answer.
    Request,
    /// Answers a waiting request; the transaction's status is `OK`.
    Response,
    /// Answers a waiting request; the transaction's status is `Error`.
    Error,
    /// Neither asks nor answers: published alone, status `OK`.
    Greeting,
}

impl Kind {
    /// Whether this message answers a request (a response or an error).
    pub fn is_answer(self) -> bool {
        matches!(self, Kind::Response | Kind::Error)
    }

    /// `request`, `response`, `error` or `greeting`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::Response => "response",
            Kind::Error => "error",
            Kind::Greeting => "greeting",
        }
    }

    /// The word notes use for a message of this kind: `request`,
    /// `response` (errors included) or `greeting`.
    pub(crate) fn role(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::Response | Kind::Error => "response",
            Kind::Greeting => "greeting",
        }
    }
}
