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

/// The JSON of a connection's fixed parts, made on its first event.
#[derive(Debug)]
pub(crate) struct FlowJson {
    /// `{"ip":"10.0.0.1","port":40000,"bytes":`, the client's then the
    /// server's: the value of `source` and `client`, then of `destination`
    /// and `server`, up to its byte count. Without the count, it ends
    /// before [`BYTES`].
    pub(crate) endpoints: [Vec<u8>; 2],
    /// `"type":"ipv4","bytes":` is not fixed; this is
    /// `"community_id":"1:..."},"related":{"ip":["a","b"]}` (the comma
    /// before it is written with the byte count).
    pub(crate) community_related: Vec<u8>,
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
        FlowJson {
            endpoints: [endpoint(client.0, client.1), endpoint(server.0, server.1)],
            community_related: tail,
            shared: SharedJson::get(name, network_type),
        }
    }
}
