//! [`Event`]: one transaction on its connection, published in the Elastic
//! Common Schema fields Packetbeat 8 publishes (written by the ndjson
//! writer, which also gives its `Serialize`).

use std::sync::Arc;

use crate::flow::Flow;
use crate::message::{Message, Status, Transaction};
use crate::time::Timestamp;

/// One published transaction: the connection it happened on and the
/// transaction itself.
///
/// Serializes to the ECS document Packetbeat publishes (the fields are
/// listed with its `Serialize` implementation).
#[derive(Clone, Debug)]
pub struct Event<P> {
    /// The connection.
    pub flow: Arc<Flow>,
    /// The transaction.
    pub transaction: Transaction<P>,
}

impl<P> Event<P> {
    fn first(&self) -> &Message<P> {
        let t = &self.transaction;
        t.request
            .as_ref()
            .or(t.response.as_ref())
            .expect("a transaction has a request or a response")
    }

    /// `OK` or `Error`.
    pub fn status(&self) -> Status {
        self.transaction.status()
    }

    /// When the transaction started: the request's first byte (or the
    /// response's, for a response alone). The event's `@timestamp`.
    pub fn start(&self) -> Timestamp {
        self.first().start
    }

    /// When the last message of the transaction ended.
    pub fn end(&self) -> Timestamp {
        let t = &self.transaction;
        t.response
            .as_ref()
            .or(t.request.as_ref())
            .map_or(self.start(), |m| m.end)
    }

    /// Response time in nanoseconds (request's first byte to response's last),
    /// for answered transactions.
    pub fn duration_nanos(&self) -> Option<u64> {
        let t = &self.transaction;
        match (&t.request, &t.response) {
            (Some(req), Some(resp)) => Some(resp.end.nanos_since(req.start)),
            _ => None,
        }
    }

    /// The notes (ECS `error.message`), if any.
    pub fn error_message(&self) -> Option<String> {
        let notes = &self.transaction.notes;
        (!notes.is_empty()).then(|| notes.join("; "))
    }
}
