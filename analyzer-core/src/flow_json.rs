//! The JSON of an event's parts that depend only on its connection
//! ([`FlowJson`], made on the connection's first event) or only on its
//! protocol and network type ([`SharedJson`], made once per process):
//! what the ndjson writer copies into every event instead of formatting
//! it again.

use std::sync::{Mutex, PoisonError};

use std::net::IpAddr;

use crate::decode::Endpoint;
use crate::flow::COMMUNITY_ID_LEN;
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
/// allocation holding only what varies between connections (it lives as
/// long as the connection; the constant JSON around it is written with
/// each event).
#[derive(Debug)]
pub(crate) struct FlowJson {
    /// The client's `"10.0.0.1","port":40000`, the server's, then the
    /// Community ID as a JSON string.
    text: Box<[u8]>,
    /// Where the client's address (quoted) ends, where its part ends, the
    /// same for the server.
    ends: [u16; 4],
}

impl FlowJson {
    /// Starts loading the text (a hint: the events of a connection copy it,
    /// and with many connections it is rarely cached).
    #[inline(always)]
    pub(crate) fn prefetch(&self) {
        crate::engine::prefetch::text(&self.text);
    }
}

/// `ip` as a JSON string, as `Display` writes it (which needs no escaping).
fn write_ip(out: &mut Vec<u8>, ip: IpAddr) {
    out.push(b'"');
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                out.extend_from_slice(itoa::Buffer::new().format(octet).as_bytes());
            }
        }
        IpAddr::V6(v6) => {
            use std::io::Write as _;
            // Writing to a `Vec` does not fail.
            let _ = write!(out, "{v6}");
        }
    }
    out.push(b'"');
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
    /// `"transport":"tcp","protocol":"echo","type":"ipv4","bytes":`: the
    /// `network` object after what a sink puts first in it.
    pub(crate) network: Vec<u8>,
    /// `"action":"echo.`: `event.action` up to the method in lower case.
    pub(crate) action: Vec<u8>,
}

impl SharedJson {
    /// Whether these are the parts for protocol `name` over
    /// `network_type`.
    #[inline]
    pub(crate) fn is_for(&self, name: &str, network_type: &str) -> bool {
        self.name == name && self.network_type == network_type
    }

    /// The parts for protocol `name` over `network_type`.
    pub(crate) fn get(name: &'static str, network_type: &'static str) -> &'static SharedJson {
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
                Raw("\"transport\":\"tcp\",\"protocol\":"),
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
    /// and ports), with its Community ID (without `format!` or `Display`
    /// for IPv4, whose machinery cost more than the rest of a flow's first
    /// event).
    #[cold]
    #[inline(never)]
    pub(crate) fn new(
        client: Endpoint,
        server: Endpoint,
        community_id: &[u8; COMMUNITY_ID_LEN],
    ) -> Self {
        let mut text = Vec::with_capacity(96);
        let mut ends = [0u16; 4];
        for (i, (ip, port)) in [client, server].into_iter().enumerate() {
            write_ip(&mut text, ip);
            ends[2 * i] = text.len() as u16;
            text.extend_from_slice(b",\"port\":");
            text.extend_from_slice(itoa::Buffer::new().format(port).as_bytes());
            ends[2 * i + 1] = text.len() as u16;
        }
        // Base64: nothing to escape.
        text.push(b'"');
        text.extend_from_slice(community_id);
        text.push(b'"');
        FlowJson {
            text: text.into_boxed_slice(),
            ends,
        }
    }

    /// `"10.0.0.1","port":40000`: the client's (0) or the server's (1)
    /// endpoint between `{"ip":` and its byte count.
    #[inline]
    pub(crate) fn endpoint(&self, which: usize) -> &[u8] {
        let start = if which == 0 { 0 } else { self.ends[1] as usize };
        &self.text[start..self.ends[2 * which.min(1) + 1] as usize]
    }

    /// The client's (0) or the server's (1) address as a JSON string.
    fn ip(&self, which: usize) -> &[u8] {
        let start = if which == 0 { 0 } else { self.ends[1] as usize };
        &self.text[start..self.ends[2 * which.min(1)] as usize]
    }

    /// `"community_id":"1:..."},"related":{"ip":["a","b"]}` (the comma
    /// before it is written with the byte count).
    #[inline]
    pub(crate) fn write_community_related(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"\"community_id\":");
        out.extend_from_slice(&self.text[self.ends[3] as usize..]);
        out.extend_from_slice(b"},\"related\":{\"ip\":[");
        let (client, server) = (self.ip(0), self.ip(1));
        out.extend_from_slice(client);
        if server != client {
            out.push(b',');
            out.extend_from_slice(server);
        }
        out.extend_from_slice(b"]}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_display_writes_them() {
        for text in [
            "0.0.0.0",
            "10.0.0.1",
            "192.168.100.255",
            "255.255.255.255",
            "::",
            "::1",
            "fe80::200:86ff:fe05:80da",
            "::ffff:1.2.3.4",
            "2001:db8:0:0:1:0:0:1",
        ] {
            let ip: IpAddr = text.parse().unwrap();
            let mut out = Vec::new();
            write_ip(&mut out, ip);
            assert_eq!(out, format!("\"{ip}\"").into_bytes(), "{text}");
        }
    }
}
