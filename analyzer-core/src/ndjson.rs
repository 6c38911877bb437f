//! The event writer: an event's JSON written directly into a buffer, the
//! one implementation of the event document (the [`NdjsonWriter`] writes
//! it; [`Event`]'s `Serialize` reads it back), without a generic
//! serializer's per-byte escaping of constant keys.
//!
//! What costs: the per-connection parts (addresses, ports, Community ID) are
//! formatted once per connection and reused, those of the protocol's name
//! once per process ([`flow_json`](crate::flow_json)); the date part of
//! timestamps is formatted once per second ([`TimeCache`]); short strings
//! and numbers are made on the stack and appended as one copy of fixed size
//! (`json::short`, `digits`); the protocol writes its own fields itself
//! ([`Conversation::fields`](crate::Conversation::fields)).
//!
//! [`NdjsonWriter`]: crate::NdjsonWriter

use serde::ser::{Error as _, Serialize, Serializer};

use crate::event::Event;
use crate::flow::Flow;
use crate::flow_json::{FlowJson, SharedJson, BYTES};
use crate::json;
use crate::json::fields::JsonFields;
use crate::json::short::{self, Plain};
use crate::message::Status;
use crate::protocol::Protocol;
use crate::role::Direction;

mod digits;
mod times;

use digits::Decimal;
pub(crate) use times::TimeCache;

/// `,"key":"value"`, `key` needing no escaping: made on the stack when
/// short.
#[inline(always)]
fn entry(out: &mut Vec<u8>, key: &[u8], value: &str) {
    if !short::entry(out, true, key, value.as_bytes(), Plain::Unescaped) {
        entry_out_of_line(out, key, value);
    }
}

/// [`entry`] of a long value, or one that needs escaping.
#[inline(never)]
fn entry_out_of_line(out: &mut Vec<u8>, key: &[u8], value: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key);
    out.extend_from_slice(b"\":");
    json::write_str(out, value);
}

/// The status and its closing quote, `Status::as_str` as a copy of known
/// length.
#[inline(always)]
fn status(out: &mut Vec<u8>, status: Status) {
    match status {
        Status::Ok => out.extend_from_slice(b"OK\""),
        Status::Error => out.extend_from_slice(b"Error\""),
    }
}

/// `"outcome":"success"}` or `"outcome":"failure"}`: the end of `event`,
/// [`Status::outcome`] as a copy of known length.
#[inline(always)]
fn outcome(out: &mut Vec<u8>, status: Status) {
    match status {
        Status::Ok => out.extend_from_slice(b"\"outcome\":\"success\"}"),
        Status::Error => out.extend_from_slice(b"\"outcome\":\"failure\"}"),
    }
}

/// `,"key":` then an endpoint's JSON (`{"ip":`, the flow's part, then
/// [`BYTES`] and the count with the brace after it, or without a count
/// the brace).
#[inline(always)]
fn endpoint(out: &mut Vec<u8>, key: &[u8], part: &[u8], bytes: Option<Decimal>) {
    out.extend_from_slice(key);
    out.extend_from_slice(b"{\"ip\":");
    out.extend_from_slice(part);
    match bytes {
        Some(bytes) => {
            out.extend_from_slice(BYTES.as_bytes());
            bytes.append(out);
        }
        None => out.push(b'}'),
    }
}

/// `"<name>.<method in lower case>"`, as `format!` and `to_lowercase` give
/// it, without allocating for an ASCII method.
fn action(out: &mut Vec<u8>, name: &str, method: &str) {
    if !method.is_ascii() {
        json::write_str(out, &format!("{name}.{}", method.to_lowercase()));
        return;
    }
    out.push(b'"');
    json::write_str_contents(out, name);
    out.push(b'.');
    let start = out.len();
    json::write_str_contents(out, method);
    out[start..].make_ascii_lowercase();
    out.push(b'"');
}

/// After `"action":"<name>.`, the rest of what [`action`] writes for
/// `method`, whose escaped text is at `written` in `out`: a copy of it in
/// lower case when ASCII (ASCII escapes are lowered by `action` too).
#[inline(always)]
fn method_action(out: &mut Vec<u8>, method: &str, written: std::ops::Range<usize>) {
    if short::append_lower(out, short::Short::of(&out[written.clone()]), b"\"") {
        return;
    }
    if method.is_ascii() {
        let start = out.len();
        out.extend_from_within(written);
        out[start..].make_ascii_lowercase();
    } else {
        json::write_str_contents(out, &method.to_lowercase());
    }
    out.push(b'"');
}

/// The flow's JSON, made on its first event.
#[inline]
fn flow_json(flow: &Flow) -> &FlowJson {
    match flow.json.get() {
        Some(json) => json,
        // No text is made and kept: the connection keeps only its JSON
        // (one allocation).
        None => flow.json.get_or_init(|| {
            let id = crate::flow::community_id_bytes(flow.client, flow.server);
            FlowJson::new(flow.client, flow.server, &id)
        }),
    }
}

/// Writes events' JSON documents into a caller's buffer, as the
/// [`NdjsonWriter`](crate::NdjsonWriter) writes them (keeping the same
/// per-second cache of formatted dates): for a sink that adds to each
/// event or sends events one by one.
///
/// ```
/// use analyzer_core::{EventJson, Event, Kind, NetString, Protocol};
/// # #[derive(Protocol)]
/// # #[protocol(name = "line", ports(7), delimiter = b'\n')]
/// # struct Line { #[protocol(tag(request = b'>'))] kind: Kind, rest: NetString }
/// let mut json = EventJson::default();
/// let mut out = Vec::new();
/// let mut sink = |event: Event<Line>| json.write(&mut out, &event);
/// # let _ = &mut sink;
/// ```
#[derive(Debug, Default)]
pub struct EventJson {
    times: TimeCache,
}

impl EventJson {
    /// Appends `event`'s JSON object (no newline) to `out`.
    pub fn write<P: Protocol>(&mut self, out: &mut Vec<u8>, event: &Event<P>) {
        write_event(out, &mut self.times, event, b"");
    }

    /// As [`write`](Self::write), with `network` first in the event's
    /// `network` object: entries of the sink's own, each followed by a
    /// comma (a beat's `"direction":"ingress",`), written as they are.
    ///
    /// ```
    /// # use analyzer_core::{EventJson, Event, Kind, NetString, Protocol};
    /// # #[derive(Protocol)]
    /// # #[protocol(name = "line", ports(7), delimiter = b'\n')]
    /// # struct Line { #[protocol(tag(request = b'>'))] kind: Kind, rest: NetString }
    /// # fn sink(json: &mut EventJson, out: &mut Vec<u8>, event: Event<Line>) {
    /// json.write_with_network(out, &event, br#""direction":"inbound","#);
    /// # }
    /// ```
    pub fn write_with_network<P: Protocol>(
        &mut self,
        out: &mut Vec<u8>,
        event: &Event<P>,
        network: &[u8],
    ) {
        debug_assert!(network.is_empty() || network.ends_with(b","));
        write_event(out, &mut self.times, event, network);
    }
}

/// The JSON shared by the flows of protocol `name` over `network_type`,
/// from the writer's cache.
#[inline]
fn shared_json(
    times: &mut TimeCache,
    name: &'static str,
    network_type: &'static str,
) -> &'static SharedJson {
    match times.shared {
        Some(shared) if shared.is_for(name, network_type) => shared,
        _ => times.shared.insert(SharedJson::get(name, network_type)),
    }
}

/// Appends the event's JSON (no newline) to `out`, with `network` first in
/// its `network` object (see [`EventJson::write_with_network`]).
pub(crate) fn write_event<P: Protocol>(
    out: &mut Vec<u8>,
    times: &mut TimeCache,
    event: &Event<P>,
    network: &[u8],
) {
    let t = &event.transaction;
    let shared = shared_json(times, P::NAME, event.flow.network_type());
    let flow = flow_json(&event.flow);
    let req_bytes = t.request.as_ref().map(|m| m.wire_len);
    let resp_bytes = t.response.as_ref().map(|m| m.wire_len);
    let request = t.request.as_ref().and_then(|m| m.fields.as_ref());
    let response = t.response.as_ref().and_then(|m| m.fields.as_ref());
    // A request's description, or a greeting's.
    let described = request.or(response.filter(|_| t.is_greeting()));
    let description = described.map(P::describe).unwrap_or_default();

    out.extend_from_slice(b"{\"@timestamp\":");
    let start_at = out.len();
    times.write(out, event.start());
    let start = start_at..out.len();
    out.extend_from_slice(&shared.type_status);
    match event.status() {
        // The protocol may say which side failed (`Server Error`).
        Status::Error => match P::error_status(request, response) {
            Some(text) => {
                json::write_str_contents(out, text);
                out.push(b'"');
            }
            None => status(out, Status::Error),
        },
        ok => status(out, ok),
    }
    // Where the method's escaped text is in `out`: `event.action` copies it.
    let mut method_at = 0..0;
    if let Some(method) = &description.method {
        let start = out.len() + b",\"method\":\"".len();
        entry(out, b"method", method);
        method_at = start..out.len() - 1;
    }
    if let Some(resource) = &description.resource {
        entry(out, b"resource", resource);
    }
    if let Some(query) = &description.query {
        entry(out, b"query", query);
    }
    out.extend_from_slice(b",\"event\":{");
    match (&description.action, &description.method) {
        (None, Some(method)) => {
            out.extend_from_slice(&shared.action);
            method_action(out, method, method_at);
            out.push(b',');
        }
        _ => {
            if let Some(method) = description.action_word() {
                out.extend_from_slice(b"\"action\":");
                action(out, P::NAME, method);
                out.push(b',');
            }
        }
    }
    out.extend_from_slice(&shared.dataset_start);
    out.extend_from_within(start);
    out.extend_from_slice(b",\"end\":");
    times.write(out, event.end());
    if let Some(duration) = event.duration_nanos() {
        out.extend_from_slice(b",\"duration\":");
        Decimal::new(duration, b',').append(out);
    } else {
        out.push(b',');
    }
    outcome(out, event.status());
    // Each count is made once, with the brace that ends its endpoint. The
    // source is the side that started the transaction (the server, for a
    // request it sent).
    let req_text = req_bytes.map(|n| Decimal::new(n, b'}'));
    let resp_text = resp_bytes.map(|n| Decimal::new(n, b'}'));
    let (client, server) = (flow.endpoint(0), flow.endpoint(1));
    let (source, destination) = match t.initiator() {
        Direction::FromClient => (client, server),
        Direction::FromServer => (server, client),
    };
    endpoint(out, b",\"source\":", source, req_text);
    endpoint(out, b",\"destination\":", destination, resp_text);
    endpoint(out, b",\"client\":", source, req_text);
    endpoint(out, b",\"server\":", destination, resp_text);
    out.extend_from_slice(b",\"network\":{");
    out.extend_from_slice(network);
    out.extend_from_slice(&shared.network);
    Decimal::new(req_bytes.unwrap_or(0) + resp_bytes.unwrap_or(0), b',').append(out);
    flow.write_community_related(out);
    if !t.notes.is_empty() {
        // The notes joined with "; " (`Event::error_message`), unallocated.
        out.extend_from_slice(b",\"error\":{\"message\":\"");
        for (i, note) in t.notes.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b"; ");
            }
            json::write_str_contents(out, note);
        }
        out.extend_from_slice(b"\"}");
    }
    for (key, message) in [
        (&b",\"request\":"[..], &t.request),
        (b",\"response\":", &t.response),
    ] {
        if let Some(wire) = message.as_ref().and_then(|m| m.wire.as_ref()) {
            out.extend_from_slice(key);
            json::fast::write_lossy_str_out_of_line(out, wire);
        }
    }
    // The protocol's own entries, as `,"key":value` each.
    let mark = out.len();
    let mut fields = JsonFields::new(out);
    P::fields(request, response, &mut fields);
    if !fields.done() {
        // Objects left open (or closed twice) would break the document:
        // said in words instead.
        out.truncate(mark);
        out.extend_from_slice(
            b",\"error_fields\":\"the protocol's fields left an object or array open, or closed one too many\"",
        );
    }
    out.push(b'}');
}

/// An event serializes as the document the ndjson writer writes (read back
/// as a JSON value, keys in order): one implementation of the event.
///
/// | field | value |
/// |---|---|
/// | `@timestamp` | request time (response time for a response alone), RFC 3339 |
/// | `method`, `resource`, `query`, `event.action` | from [`Conversation::describe`](crate::Conversation::describe) of the request (or greeting), when it says |
/// | `type`, `event.dataset`, `network.protocol` | the protocol's name |
/// | `status` | `OK` or `Error` ([`Transaction::status`](crate::Transaction::status)), or the protocol's word for the error ([`Conversation::error_status`](crate::Conversation::error_status): `Client Error`, `Server Error`) |
/// | `event.{kind, category, type}` | `event`, `[network]`, `[connection, protocol]` |
/// | `event.{start, end, duration}` | first byte, last byte, and their distance in ns (answered only) |
/// | `event.outcome` | `success` or `failure`, from the status ([`Status::outcome`]) |
/// | `source` = `client`, `destination` = `server` | `{ip, port, bytes}`: the side that sent the request (the server, for a request it sent) and its peer; bytes on the wire, delimiters included |
/// | `network.{transport, type, bytes, community_id}` | `tcp`, `ipv4`/`ipv6`, request + response bytes, Community ID v1 |
/// | `related.ip` | both addresses |
/// | `error.message` | the notes, joined with `"; "` (only when there are notes) |
/// | `request`, `response` | raw text, only with `send_request` / `send_response` |
/// | `<name>.request`, `<name>.response` | the protocol's own fields ([`Conversation::fields`](crate::Conversation::fields)) |
impl<P: Protocol> Serialize for Event<P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = Vec::new();
        write_event(&mut out, &mut TimeCache::default(), self, b"");
        let value: serde_json::Value = serde_json::from_slice(&out).map_err(S::Error::custom)?;
        value.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_what_as_str_gives() {
        for s in [Status::Ok, Status::Error] {
            let mut out = Vec::new();
            status(&mut out, s);
            assert_eq!(out, format!("{}\"", s.as_str()).into_bytes());
            let mut out = Vec::new();
            outcome(&mut out, s);
            assert_eq!(
                out,
                format!("\"outcome\":\"{}\"}}", s.outcome()).into_bytes()
            );
        }
    }

    #[test]
    fn action_is_what_format_and_to_lowercase_give() {
        for (name, method) in [
            ("redis", "SET"),
            ("redis", "CONFIG GET"),
            ("Echo", "Mixed\"Case\\\n\u{1}X"),
            ("x", "ÉTÉ"),
            ("x", "Mixed\"Case\\\n\u{1}Xé longer than sixteen bytes"),
            ("x", "LONGER THAN SIXTEEN BYTES"),
            ("x", ""),
        ] {
            let mut out = Vec::new();
            action(&mut out, name, method);
            let expected =
                serde_json::to_string(&format!("{name}.{}", method.to_lowercase())).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected);
            // After the method's own entry, from its escaped text.
            let mut out = b"x".to_vec();
            json::write_str_contents(&mut out, method);
            let written = 1..out.len();
            let start = out.len();
            out.push(b'"');
            json::write_str_contents(&mut out, name);
            out.push(b'.');
            method_action(&mut out, method, written);
            assert_eq!(String::from_utf8(out[start..].to_vec()).unwrap(), expected);
        }
    }
}
