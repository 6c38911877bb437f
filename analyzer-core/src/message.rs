//! Messages and transactions: what correlation produces and events publish.

use bytes::Bytes;

use crate::role::{Direction, Kind};
use crate::time::Timestamp;

/// One message of a transaction.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Message<P> {
    /// Its role.
    pub kind: Kind,
    /// Which side sent it.
    pub direction: Direction,
    /// Capture time of its first byte.
    pub start: Timestamp,
    /// Capture time of its last byte.
    pub end: Timestamp,
    /// Its length on the wire, delimiter included (all its frames, for a
    /// message folded from several).
    pub wire_len: u64,
    /// The parsed message; `None` when it could not be parsed, was too long,
    /// lost bytes, or was cut short (the event's notes say which).
    pub fields: Option<P>,
    /// The bytes as captured, kept only when the configuration asks to send
    /// raw requests or responses (`send_request` / `send_response`); of a
    /// message folded from several frames, the first frame's.
    pub wire: Option<Bytes>,
    /// Not all of it was read: only the first parts of a message too long,
    /// or with too many parts, to keep whole (the rest followed as
    /// messages of their own), or a message one of whose frames was lost
    /// or unreadable.
    pub cut: bool,
}

impl<P> Message<P> {
    /// Whether the message was parsed completely (parsed, and not cut).
    pub fn is_complete(&self) -> bool {
        self.fields.is_some() && !self.cut
    }
}

/// A request paired with its response, or one of them alone, with the notes
/// explaining anything unusual.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Transaction<P> {
    /// The request, if one was seen.
    pub request: Option<Message<P>>,
    /// The response, if one was seen.
    pub response: Option<Message<P>>,
    /// What went wrong, in words (ECS `error.message`).
    pub notes: Vec<String>,
    status: Status,
}

impl<P> Transaction<P> {
    /// A transaction; its status is `OK` when a complete request got a
    /// complete, non-error response, and `Error` otherwise: an error
    /// response, no response, no request, or a message that was cut short,
    /// lost bytes, was too long or could not be parsed. (A greeting alone is
    /// `OK`: [`Transaction::greeting`].)
    pub fn new(
        request: Option<Message<P>>,
        response: Option<Message<P>>,
        notes: Vec<String>,
    ) -> Self {
        let status = match (&request, &response) {
            (Some(req), Some(resp))
                if req.is_complete() && resp.is_complete() && resp.kind == Kind::Response =>
            {
                Status::Ok
            }
            _ => Status::Error,
        };
        Transaction {
            request,
            response,
            notes,
            status,
        }
    }

    /// A request that gets no response by design (`noreply`, quiet
    /// commands): status `OK` when it was parsed.
    pub fn unanswered_by_design(request: Message<P>, notes: Vec<String>) -> Self {
        let status = if request.is_complete() {
            Status::Ok
        } else {
            Status::Error
        };
        Transaction {
            request: Some(request),
            response: None,
            notes,
            status,
        }
    }

    /// A greeting (or other message that neither asks nor answers), alone:
    /// status `OK` when it was read completely.
    pub fn greeting(greeting: Message<P>, notes: Vec<String>) -> Self {
        let status = if greeting.is_complete() {
            Status::Ok
        } else {
            Status::Error
        };
        Transaction {
            request: None,
            response: Some(greeting),
            notes,
            status,
        }
    }

    /// The same transaction with status `Error` (its pairing is uncertain,
    /// the notes say why).
    pub(crate) fn flagged(mut self) -> Self {
        self.status = Status::Error;
        self
    }

    /// `OK` or `Error`.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether this is a greeting alone.
    pub fn is_greeting(&self) -> bool {
        self.request.is_none()
            && self
                .response
                .as_ref()
                .is_some_and(|m| m.kind == Kind::Greeting)
    }

    /// The side that started the transaction (sent its request, or its
    /// message alone): the event's `source`.
    pub fn initiator(&self) -> Direction {
        match (&self.request, &self.response) {
            (Some(request), _) => request.direction,
            // An answer or greeting alone: its peer is the source, as for
            // an answer whose request was not seen.
            (None, Some(response)) => response.direction.reverse(),
            (None, None) => Direction::FromClient,
        }
    }
}

/// A transaction's outcome (the event's `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Answered with a regular response.
    Ok,
    /// Anything else.
    Error,
}

impl Status {
    /// `OK` or `Error`, as Packetbeat publishes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Error => "Error",
        }
    }

    /// ECS `event.outcome`: `success` for `OK`, `failure` otherwise.
    ///
    /// ```
    /// use analyzer_core::Status;
    /// assert_eq!(Status::Ok.outcome(), "success");
    /// assert_eq!(Status::Error.outcome(), "failure");
    /// ```
    pub fn outcome(self) -> &'static str {
        match self {
            Status::Ok => "success",
            Status::Error => "failure",
        }
    }
}
