//! Connections' identity: the endpoints, which one is the server, and the
//! Community ID flow hash, computed once per connection.

use std::cmp::Ordering;
use std::net::IpAddr;
use std::sync::OnceLock;

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::decode::Endpoint;

/// The key of a connection in the flow table: its two endpoints in a fixed
/// order, so both directions find the same entry. Packed into integers
/// (an address as 128 bits, IPv4 tagged apart from IPv6), so hashing and
/// comparing it are a few word operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
// Aligned to 8, not 16: 40 bytes, not 48, in each connection's allocation.
#[repr(C, packed(8))]
pub(crate) struct FlowKey {
    lo: u128,
    hi: u128,
    /// The ports of `lo` and `hi`, and which addresses are IPv4.
    rest: u64,
}

/// An endpoint as an address word and a port-and-family word; distinct
/// endpoints give distinct pairs.
fn pack((ip, port): Endpoint) -> (u128, u32) {
    match ip {
        IpAddr::V4(v4) => (u128::from(v4.to_bits()), u32::from(port) | 1 << 16),
        IpAddr::V6(v6) => (v6.to_bits(), u32::from(port)),
    }
}

impl FlowKey {
    /// The key of the connection between `a` and `b`, and whether `a` is
    /// its first endpoint (which tells the two directions apart without
    /// comparing addresses again).
    #[inline]
    pub(crate) fn ordered(a: Endpoint, b: Endpoint) -> (Self, bool) {
        let (a, b) = (pack(a), pack(b));
        let a_first = a <= b;
        let (lo, hi) = if a_first { (a, b) } else { (b, a) };
        let key = FlowKey {
            lo: lo.0,
            hi: hi.0,
            rest: u64::from(lo.1) << 32 | u64::from(hi.1),
        };
        (key, a_first)
    }
}

/// A connection as published: who is client and server, and the strings
/// every one of its events carries.
///
/// The strings are made once per connection, on first use: a sink that
/// never asks for them (one that counts events, say) never pays for the
/// address formatting and the Community ID hash.
///
/// ```
/// use analyzer_core::flow::Flow;
/// let client = ("10.0.0.1".parse().unwrap(), 40000);
/// let server = ("10.0.0.2".parse().unwrap(), 3030);
/// let flow = Flow::new(client, server);
/// assert_eq!(flow.client_ip(), "10.0.0.1");
/// assert_eq!(flow.server_ip(), "10.0.0.2");
/// assert!(flow.community_id().starts_with("1:"));
/// assert_eq!(flow.network_type(), "ipv4");
/// ```
#[derive(Debug)]
pub struct Flow {
    /// The client (requester) endpoint.
    pub client: Endpoint,
    /// The server endpoint.
    pub server: Endpoint,
    /// The addresses as text and the Community ID, made on first use
    /// (boxed, as what follows: a word each until then).
    text: OnceLock<Box<FlowText>>,
    /// The JSON of the parts above, made by the ndjson writer on first use
    /// (inline: it points to one allocation).
    pub(crate) json: OnceLock<crate::flow_json::FlowJson>,
}

/// What [`Flow`] formats once.
#[derive(Debug)]
struct FlowText {
    client_ip: String,
    server_ip: String,
    community_id: String,
}

impl Flow {
    /// Describes the connection between `client` and `server`.
    pub fn new(client: Endpoint, server: Endpoint) -> Self {
        Flow {
            client,
            server,
            text: OnceLock::new(),
            json: OnceLock::new(),
        }
    }

    fn text(&self) -> &FlowText {
        self.text.get_or_init(|| {
            Box::new(FlowText {
                client_ip: self.client.0.to_string(),
                server_ip: self.server.0.to_string(),
                community_id: community_id(self.client, self.server),
            })
        })
    }

    /// The client's address as text.
    pub fn client_ip(&self) -> &str {
        &self.text().client_ip
    }

    /// The server's address as text.
    pub fn server_ip(&self) -> &str {
        &self.text().server_ip
    }

    /// Community ID v1 of the connection (`1:...`).
    pub fn community_id(&self) -> &str {
        &self.text().community_id
    }

    /// `ipv4` or `ipv6` (ECS `network.type`).
    pub fn network_type(&self) -> &'static str {
        if self.client.0.is_ipv4() {
            "ipv4"
        } else {
            "ipv6"
        }
    }
}

/// The Community ID v1 hash of a TCP connection (seed 0), the flow identifier
/// Zeek, Suricata and Packetbeat share. The same for both directions.
///
/// ```
/// use analyzer_core::flow::community_id;
/// let a = ("128.232.110.120".parse().unwrap(), 34855);
/// let b = ("66.35.250.204".parse().unwrap(), 80);
/// assert_eq!(community_id(a, b), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
/// assert_eq!(community_id(b, a), community_id(a, b));
/// ```
pub fn community_id(a: Endpoint, b: Endpoint) -> String {
    // Base64 is ASCII: nothing is replaced.
    String::from_utf8_lossy(&community_id_bytes(a, b)).into_owned()
}

/// The bytes of a Community ID v1: `1:` and the base64 of a SHA-1 digest.
pub(crate) const COMMUNITY_ID_LEN: usize = 2 + 28;

/// [`community_id`] on the stack, without allocating (the ndjson writer
/// makes one for each new connection).
pub(crate) fn community_id_bytes(a: Endpoint, b: Endpoint) -> [u8; COMMUNITY_ID_LEN] {
    const TCP: u8 = 6;
    const SEED: u16 = 0;
    let (first, second) = match compare_endpoints(&a, &b) {
        Ordering::Greater => (b, a),
        _ => (a, b),
    };
    let mut hasher = Sha1::new();
    hasher.update(SEED.to_be_bytes());
    hash_ip(&mut hasher, first.0);
    hash_ip(&mut hasher, second.0);
    hasher.update([TCP, 0]);
    hasher.update(first.1.to_be_bytes());
    hasher.update(second.1.to_be_bytes());
    let digest = hasher.finalize();
    let mut id = [b'='; COMMUNITY_ID_LEN];
    id[..2].copy_from_slice(b"1:");
    // 20 bytes are 28 of base64: the slice always has the room.
    let _ = base64::engine::general_purpose::STANDARD.encode_slice(digest, &mut id[2..]);
    id
}

/// Orders endpoints by address bytes, then port, as the Community ID spec does.
fn compare_endpoints(a: &Endpoint, b: &Endpoint) -> Ordering {
    let (a_octets, a_len) = ip_octets(a.0);
    let (b_octets, b_len) = ip_octets(b.0);
    a_octets[..a_len]
        .cmp(&b_octets[..b_len])
        .then_with(|| a.1.cmp(&b.1))
}

/// The address's bytes (the first 4 of IPv4) and how many there are.
fn ip_octets(ip: IpAddr) -> ([u8; 16], usize) {
    match ip {
        IpAddr::V4(v4) => {
            let mut octets = [0; 16];
            octets[..4].copy_from_slice(&v4.octets());
            (octets, 4)
        }
        IpAddr::V6(v6) => (v6.octets(), 16),
    }
}

fn hash_ip(hasher: &mut Sha1, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => hasher.update(v4.octets()),
        IpAddr::V6(v6) => hasher.update(v6.octets()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_the_same_both_ways_and_tells_the_endpoints_apart() {
        let a = ("10.0.0.1".parse().unwrap(), 5000);
        let b = ("10.0.0.2".parse().unwrap(), 3030);
        let (ab, a_first) = FlowKey::ordered(a, b);
        let (ba, b_first) = FlowKey::ordered(b, a);
        assert_eq!(ab, ba);
        assert_ne!(a_first, b_first);
    }

    #[test]
    fn keys_of_different_connections_differ() {
        let ep = |ip: &str, port| (ip.parse().unwrap(), port);
        let keys = [
            FlowKey::ordered(ep("1.2.3.4", 1), ep("5.6.7.8", 2)).0,
            FlowKey::ordered(ep("::1.2.3.4", 1), ep("5.6.7.8", 2)).0,
            FlowKey::ordered(ep("::ffff:1.2.3.4", 1), ep("5.6.7.8", 2)).0,
            FlowKey::ordered(ep("1.2.3.4", 2), ep("5.6.7.8", 1)).0,
            FlowKey::ordered(ep("1.2.3.4", 1), ep("5.6.7.8", 3)).0,
            FlowKey::ordered(ep("1.2.3.4", 1), ep("1.2.3.4", 2)).0,
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn community_id_ipv6_and_same_address() {
        // Expected values computed with the reference Python implementation
        // (PyPI `communityid`), tcp, seed 0.
        let a = ("fe80::200:86ff:fe05:80da".parse().unwrap(), 1022);
        let b = ("fe80::260:97ff:fe07:69ea".parse().unwrap(), 22);
        assert_eq!(community_id(a, b), "1:gS2aYcRwGJWe7UratL8/84dclq4=");
        let lo = ("127.0.0.1".parse().unwrap(), 3030);
        let hi = ("127.0.0.1".parse().unwrap(), 45000);
        assert_eq!(community_id(hi, lo), "1:3cv/4l79utK4NxogZhbfKgFaK6Q=");
        assert_eq!(community_id(lo, hi), community_id(hi, lo));
    }
}
