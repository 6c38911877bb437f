//! The JSON of an event's parts that depend only on its connection
//! ([`FlowJson`], made on the connection's first event) or only on its
//! protocol and network type ([`SharedJson`], made once per process):
//! what the ndjson writer copies into every event instead of formatting
//! it again.

use std::sync::{Mutex, PoisonError};

use crate::json;

/// What precedes an endpoint's byte count.
pub(crate) const BYTES: &str = ",\"bytes\":";

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

/// The JSON of a connection's fixed parts, made on its first event: one
/// allocation (it lives as long as the connection).
#[derive(Debug)]
pub(crate) struct FlowJson {
    /// The client's endpoint, the server's, then the Community ID and the
    /// related addresses, one after the other (see the methods).
    text: Box<[u8]>,
    /// Where the client's endpoint ends and the server's.
    ends: [u32; 2],
    /// What depends only on the protocol and the network type.
    pub(crate) shared: &'static SharedJson,
}

/// The parts of an event that depend only on its protocol's name and its
/// network type: made once per process for each pair (a few, and never
/// freed), shared by the flows.
#[derive(Debug)]
pub(crate) struct SharedJson {
    name: &'static str,
    network_type: &'static str,
    /// `,"type":"echo","status":"`.
    pub(crate) type_status: Vec<u8>,
    /// `"kind":"event",..,"dataset":"echo","start":`.
    pub(crate) dataset_start: Vec<u8>,
    /// `,"network":{"transport":"tcp","protocol":"echo","type":"ipv4","bytes":`.
    pub(crate) network: Vec<u8>,
    /// `"action":"echo.`: `event.action` up to the method in lower case.
    pub(crate) action: Vec<u8>,
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

impl FlowJson {
    /// The JSON of a flow between `client` and `server` (addresses as text
    /// and ports), with its Community ID, for protocol `name` over
    /// `network_type` (without `format!`, whose machinery costs more than
    /// the rest of a flow's first event).
    #[cold]
    #[inline(never)]
    pub(crate) fn new(
        client: (&str, u16),
        server: (&str, u16),
        community_id: &str,
        network_type: &'static str,
        name: &'static str,
    ) -> Self {
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
            Str(community_id),
            Raw("},\"related\":{\"ip\":["),
            Str(client.0),
        ]);
        if server.0 != client.0 {
            tail.push(b',');
            json::write_str(&mut tail, server.0);
        }
        tail.extend_from_slice(b"]}");
        let mut text = endpoint(client.0, client.1);
        let client_end = text.len() as u32;
        text.extend_from_slice(&endpoint(server.0, server.1));
        let server_end = text.len() as u32;
        text.extend_from_slice(&tail);
        FlowJson {
            text: text.into_boxed_slice(),
            ends: [client_end, server_end],
            shared: SharedJson::get(name, network_type),
        }
    }

    /// `{"ip":"10.0.0.1","port":40000,"bytes":`, the client's (0) or the
    /// server's (1): the value of `source` and `client`, or of
    /// `destination` and `server`, up to its byte count. Without the count,
    /// it ends before [`BYTES`].
    #[inline]
    pub(crate) fn endpoint(&self, which: usize) -> &[u8] {
        let start = if which == 0 { 0 } else { self.ends[0] as usize };
        &self.text[start..self.ends[which.min(1)] as usize]
    }

    /// `"type":"ipv4","bytes":` is not fixed; this is
    /// `"community_id":"1:..."},"related":{"ip":["a","b"]}` (the comma
    /// before it is written with the byte count).
    #[inline]
    pub(crate) fn community_related(&self) -> &[u8] {
        &self.text[self.ends[1] as usize..]
    }
}
