//! The fast path of [`NdjsonWriter`](crate::NdjsonWriter): an event's JSON
//! written directly, byte for byte what its `Serialize` implementation gives
//! (a test checks this on every capture), without the generic serializer's
//! per-byte escaping of constant keys.
//!
//! What costs: the per-connection parts (addresses, ports, Community ID) are
//! formatted once per connection and reused, those of the protocol's name
//! once per process; the date part of timestamps is formatted once per
//! second ([`TimeCache`]); short strings and numbers are made on the stack
//! and appended as one copy of fixed size (`json::short`, `digits`); only
//! the protocol's own fields and free text go through `serde_json`, unless
//! the protocol writes them itself (`fast_json`, `#[fields_json_with]`).

use std::sync::{Mutex, PoisonError};

use serde::ser::Serializer as _;

use crate::event::Event;
use crate::flow::Flow;
use crate::json;
use crate::json::short::{self, Plain};
use crate::message::Status;
use crate::protocol::Protocol;

mod digits;
mod times;

use digits::Decimal;
pub(crate) use times::TimeCache;

/// The JSON of a connection's fixed parts, made on its first event.
#[derive(Debug)]
pub(crate) struct FlowJson {
    /// `{"ip":"10.0.0.1","port":40000,"bytes":`, the client's then the
    /// server's: the value of `source` and `client`, then of `destination`
    /// and `server`, up to its byte count. Without the count, it ends
    /// before [`BYTES`].
    endpoints: [Vec<u8>; 2],
    /// `"type":"ipv4","bytes":` is not fixed; this is
    /// `"community_id":"1:..."},"related":{"ip":["a","b"]}` (the comma
    /// before it is written with the byte count).
    community_related: Vec<u8>,
    /// What depends only on the protocol and the network type.
    shared: &'static SharedJson,
}

/// The parts of an event that depend only on its protocol's name and its
/// network type: made once per process for each pair (a few, and never
/// freed), shared by the flows.
#[derive(Debug)]
pub(crate) struct SharedJson {
    name: &'static str,
    network_type: &'static str,
    /// `,"type":"echo","status":"`.
    type_status: Vec<u8>,
    /// `"kind":"event",..,"dataset":"echo","start":`.
    dataset_start: Vec<u8>,
    /// `,"network":{"transport":"tcp","protocol":"echo","type":"ipv4","bytes":`.
    network: Vec<u8>,
    /// `"action":"echo.`: `event.action` up to the method in lower case.
    action: Vec<u8>,
}

impl SharedJson {
    /// The parts for protocol `name` over `network_type`.
    fn get(name: &'static str, network_type: &'static str) -> &'static SharedJson {
        static MADE: Mutex<Vec<&'static SharedJson>> = Mutex::new(Vec::new());
        let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
        let known = made
            .iter()
            .find(|json| json.name == name && json.network_type == network_type);
        if let Some(json) = known {
            return json;
        }
        use Part::{Raw, Str};
        let json = Box::leak(Box::new(SharedJson {
            name,
            network_type,
            type_status: concat(&[Raw(",\"type\":"), Str(name), Raw(",\"status\":\"")]),
            dataset_start: concat(&[
                Raw("\"kind\":\"event\",\"category\":[\"network\"],\"type\":[\"connection\",\"protocol\"],\"dataset\":"),
                Str(name),
                Raw(",\"start\":"),
            ]),
            network: concat(&[
                Raw(",\"network\":{\"transport\":\"tcp\",\"protocol\":"),
                Str(name),
                Raw(",\"type\":"),
                Str(network_type),
                Raw(BYTES),
            ]),
            action: concat(&[Raw("\"action\":"), Str(name)]),
        }));
        // `"action":"echo"` without its closing quote, then the dot.
        json.action.pop();
        json.action.push(b'.');
        made.push(json);
        json
    }
}

/// What precedes an endpoint's byte count.
const BYTES: &str = ",\"bytes\":";

/// Concatenates JSON fragments: `Raw` as is, `Str` as a JSON string.
enum Part<'a> {
    Raw(&'a str),
    Str(&'a str),
}

fn concat(parts: &[Part<'_>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    for part in parts {
        match part {
            Part::Raw(text) => out.extend_from_slice(text.as_bytes()),
            Part::Str(text) => json::write_str(&mut out, text),
        }
    }
    out
}

impl FlowJson {
    /// The flow's JSON, made on first use for protocol `name` (without
    /// `format!`, whose machinery costs more than the rest of a flow's
    /// first event).
    #[inline]
    pub(crate) fn get<'f>(flow: &'f Flow, name: &'static str) -> &'f FlowJson {
        match flow.json.get() {
            Some(json) => json,
            None => Self::init(flow, name),
        }
    }

    /// Once per flow: out of line, so the per-event path stays small.
    #[cold]
    #[inline(never)]
    fn init<'f>(flow: &'f Flow, name: &'static str) -> &'f FlowJson {
        flow.json.get_or_init(|| {
            use Part::{Raw, Str};
            let endpoint = |ip: &str, port: u16| {
                let mut digits = itoa::Buffer::new();
                concat(&[
                    Raw("{\"ip\":"),
                    Str(ip),
                    Raw(",\"port\":"),
                    Raw(digits.format(port)),
                    Raw(BYTES),
                ])
            };
            let mut tail = concat(&[
                Raw("\"community_id\":"),
                Str(flow.community_id()),
                Raw("},\"related\":{\"ip\":["),
                Str(flow.client_ip()),
            ]);
            if flow.server_ip() != flow.client_ip() {
                tail.push(b',');
                json::write_str(&mut tail, flow.server_ip());
            }
            tail.extend_from_slice(b"]}");
            FlowJson {
                endpoints: [
                    endpoint(flow.client_ip(), flow.client.1),
                    endpoint(flow.server_ip(), flow.server.1),
                ],
                community_related: tail,
                shared: SharedJson::get(name, flow.network_type()),
            }
        })
    }
}

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

/// `,"key":` then an endpoint's JSON up to its byte count, then the count
/// (and the brace after it), or without a count its JSON up to
/// [`BYTES`] and the brace.
#[inline(always)]
fn endpoint(out: &mut Vec<u8>, key: &[u8], json: &[u8], bytes: Option<Decimal>) {
    out.extend_from_slice(key);
    match bytes {
        Some(bytes) => {
            out.extend_from_slice(json);
            bytes.append(out);
        }
        None => {
            out.extend_from_slice(&json[..json.len() - BYTES.len()]);
            out.push(b'}');
        }
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

/// Appends the event's JSON (no newline) to `out`. `scratch` is reused for
/// the protocol's own fields.
pub(crate) fn write_event<P: Protocol>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    times: &mut TimeCache,
    event: &Event<P>,
) -> serde_json::Result<()> {
    let t = &event.transaction;
    let flow = FlowJson::get(&event.flow, P::NAME);
    let req_bytes = t.request.as_ref().map(|m| m.wire_len);
    let resp_bytes = t.response.as_ref().map(|m| m.wire_len);
    let request = t.request.as_ref().and_then(|m| m.fields.as_ref());
    let response = t.response.as_ref().and_then(|m| m.fields.as_ref());
    let description = request.map(P::describe).unwrap_or_default();

    out.extend_from_slice(b"{\"@timestamp\":");
    let start_at = out.len();
    times.write(out, event.start());
    let start = start_at..out.len();
    out.extend_from_slice(&flow.shared.type_status);
    status(out, event.status());
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
            out.extend_from_slice(&flow.shared.action);
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
    out.extend_from_slice(&flow.shared.dataset_start);
    out.extend_from_within(start);
    out.extend_from_slice(b",\"end\":");
    times.write(out, event.end());
    match event.duration_nanos() {
        Some(duration) => {
            out.extend_from_slice(b",\"duration\":");
            Decimal::new(duration, b'}').append(out);
        }
        None => out.push(b'}'),
    }
    // Each count is made once, with the brace that ends its endpoint.
    let req_text = req_bytes.map(|n| Decimal::new(n, b'}'));
    let resp_text = resp_bytes.map(|n| Decimal::new(n, b'}'));
    let [client, server] = &flow.endpoints;
    endpoint(out, b",\"source\":", client, req_text);
    endpoint(out, b",\"destination\":", server, resp_text);
    endpoint(out, b",\"client\":", client, req_text);
    endpoint(out, b",\"server\":", server, resp_text);
    out.extend_from_slice(&flow.shared.network);
    Decimal::new(req_bytes.unwrap_or(0) + resp_bytes.unwrap_or(0), b',').append(out);
    out.extend_from_slice(&flow.community_related);
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
    // The protocol's own entries, spliced in as `,"key":value` each: by the
    // writer the derive generates under `#[protocol(fast_json)]`, else
    // through `own_fields` and `Serialize`.
    let mark = out.len();
    if P::__own_fields_json(request, response, out).is_ok() {
        if cfg!(debug_assertions) {
            let fast = out[mark..].to_vec();
            out.truncate(mark);
            own_fields(out, scratch, request, response)?;
            check_fast_json::<P>(&fast, &out[mark..]);
        }
    } else {
        out.truncate(mark);
        own_fields(out, scratch, request, response)?;
    }
    out.push(b'}');
    Ok(())
}

/// Appends the protocol's own entries through `own_fields`. What the fast
/// serializer leaves to serde_json is redone there: serialized as a map of
/// its own, spliced in without its braces.
fn own_fields<P: Protocol>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    request: Option<&P>,
    response: Option<&P>,
) -> serde_json::Result<()> {
    let mark = out.len();
    let mut entries = json::Writer { out: &mut *out }.splice();
    let written = P::own_fields(request, response, &mut entries)
        .and_then(|()| serde::ser::SerializeMap::end(entries));
    if written.is_ok() {
        return Ok(());
    }
    out.truncate(mark);
    scratch.clear();
    {
        let mut ser = serde_json::Serializer::new(&mut *scratch);
        let mut map = ser.serialize_map(None)?;
        P::own_fields(request, response, &mut map)?;
        serde::ser::SerializeMap::end(map)?;
    }
    if scratch.len() > 2 {
        out.push(b',');
        out.extend_from_slice(&scratch[1..scratch.len() - 1]);
    }
    Ok(())
}

/// In debug builds, the generated writer's output against `Serialize`'s:
/// `#[protocol(fast_json)]` promises a plain `#[derive(Serialize)]`, which
/// the derive cannot see.
#[track_caller]
fn check_fast_json<P: Protocol>(fast: &[u8], serialized: &[u8]) {
    assert!(
        fast == serialized,
        "#[protocol(fast_json)] on {} wrote\n{}\nwhere its `Serialize` gives\n{}\n\
         (fast_json needs a plain #[derive(Serialize)], without #[serde] attributes)",
        std::any::type_name::<P>(),
        String::from_utf8_lossy(fast),
        String::from_utf8_lossy(serialized),
    );
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
