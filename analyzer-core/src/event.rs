//! [`Event`]: one transaction in the Elastic Common Schema fields Packetbeat 8
//! publishes, serialized with serde.

use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::flow::Flow;
use crate::message::{Message, Status, Transaction};
use crate::protocol::Protocol;
use crate::time::Timestamp;

/// One published transaction: the connection it happened on and the
/// transaction itself.
///
/// Serializes to the ECS document Packetbeat publishes:
///
/// | field | value |
/// |---|---|
/// | `@timestamp` | request time (response time for a response alone), RFC 3339 |
/// | `method`, `resource`, `query`, `event.action` | from [`Protocol::describe`] of the request, when it says |
/// | `type`, `event.dataset`, `network.protocol` | the protocol's name |
/// | `status` | `OK` or `Error` ([`Transaction::status`]) |
/// | `event.{kind, category, type}` | `event`, `[network]`, `[connection, protocol]` |
/// | `event.{start, end, duration}` | first byte, last byte, and their distance in ns (answered only) |
/// | `source` = `client`, `destination` = `server` | `{ip, port, bytes}`; bytes on the wire, delimiters included |
/// | `network.{transport, type, bytes, community_id}` | `tcp`, `ipv4`/`ipv6`, request + response bytes, Community ID v1 |
/// | `related.ip` | both addresses |
/// | `error.message` | the notes, joined with `"; "` (only when there are notes) |
/// | `request`, `response` | raw text, only with `send_request` / `send_response` |
/// | `<name>.request`, `<name>.response` | the protocol's own fields ([`Protocol::own_fields`]; by default each message's `Serialize`) |
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

#[derive(serde::Serialize)]
struct EcsEvent<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    kind: &'static str,
    category: [&'static str; 1],
    #[serde(rename = "type")]
    types: [&'static str; 2],
    dataset: &'static str,
    start: &'a str,
    end: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<u64>,
}

#[derive(serde::Serialize)]
struct EcsEndpoint<'a> {
    ip: &'a str,
    port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
}

#[derive(serde::Serialize)]
struct EcsNetwork<'a> {
    transport: &'static str,
    protocol: &'static str,
    #[serde(rename = "type")]
    ip_type: &'static str,
    bytes: u64,
    community_id: &'a str,
}

#[derive(serde::Serialize)]
struct EcsRelated<'a> {
    ip: Vec<&'a str>,
}

#[derive(serde::Serialize)]
struct EcsError {
    message: String,
}

impl<P: Protocol> Serialize for Event<P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let t = &self.transaction;
        let flow = &*self.flow;
        let start = self.start().to_rfc3339();
        let end = self.end().to_rfc3339();
        let req_bytes = t.request.as_ref().map(|m| m.wire_len);
        let resp_bytes = t.response.as_ref().map(|m| m.wire_len);
        let client = EcsEndpoint {
            ip: flow.client_ip(),
            port: flow.client.1,
            bytes: req_bytes,
        };
        let server = EcsEndpoint {
            ip: flow.server_ip(),
            port: flow.server.1,
            bytes: resp_bytes,
        };

        let request = t.request.as_ref().and_then(|m| m.fields.as_ref());
        let response = t.response.as_ref().and_then(|m| m.fields.as_ref());
        let description = request.map(P::describe).unwrap_or_default();

        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("@timestamp", &start)?;
        map.serialize_entry("type", P::NAME)?;
        map.serialize_entry("status", self.status().as_str())?;
        if let Some(method) = &description.method {
            map.serialize_entry("method", method)?;
        }
        if let Some(resource) = &description.resource {
            map.serialize_entry("resource", resource)?;
        }
        if let Some(query) = &description.query {
            map.serialize_entry("query", query)?;
        }
        map.serialize_entry(
            "event",
            &EcsEvent {
                action: description
                    .action_word()
                    .map(|m| format!("{}.{}", P::NAME, m.to_lowercase())),
                kind: "event",
                category: ["network"],
                types: ["connection", "protocol"],
                dataset: P::NAME,
                start: &start,
                end: &end,
                duration: self.duration_nanos(),
            },
        )?;
        map.serialize_entry("source", &client)?;
        map.serialize_entry("destination", &server)?;
        map.serialize_entry("client", &client)?;
        map.serialize_entry("server", &server)?;
        map.serialize_entry(
            "network",
            &EcsNetwork {
                transport: "tcp",
                protocol: P::NAME,
                ip_type: flow.network_type(),
                bytes: req_bytes.unwrap_or(0) + resp_bytes.unwrap_or(0),
                community_id: flow.community_id(),
            },
        )?;
        let mut ips = vec![flow.client_ip()];
        if flow.server_ip() != flow.client_ip() {
            ips.push(flow.server_ip());
        }
        map.serialize_entry("related", &EcsRelated { ip: ips })?;
        if let Some(message) = self.error_message() {
            map.serialize_entry("error", &EcsError { message })?;
        }
        if let Some(wire) = t.request.as_ref().and_then(|m| m.wire.as_ref()) {
            map.serialize_entry("request", &String::from_utf8_lossy(wire))?;
        }
        if let Some(wire) = t.response.as_ref().and_then(|m| m.wire.as_ref()) {
            map.serialize_entry("response", &String::from_utf8_lossy(wire))?;
        }
        P::own_fields(request, response, &mut map)?;
        map.end()
    }
}
