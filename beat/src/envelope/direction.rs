//! `network.direction`, as Packetbeat 8 sets it: from the event's source
//! (the side that started the transaction) and destination, the host's own
//! addresses and the `internal_networks` setting.
//!
//! 1. The destination is one of the host's addresses: `ingress`; else the
//!    source is: `egress` (traffic between two addresses of the host, such
//!    as loopback, is `ingress`).
//! 2. Otherwise, with `internal_networks`: both ends internal `internal`,
//!    source internal `outbound`, destination internal `inbound`, neither
//!    `external`.
//! 3. Otherwise `unknown`.

use std::net::IpAddr;

/// A network of `internal_networks`: a CIDR block or one of the named sets
/// Beats' `network` condition knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Network {
    /// `10.0.0.0/8`, `fd00::/8`...
    Cidr(IpAddr, u8),
    /// `loopback`, `private`, `unicast`, `global_unicast`,
    /// `link_local_unicast`, `multicast`, `link_local_multicast`,
    /// `interface_local_multicast`, `unspecified`, `public`.
    Named(&'static str),
}

const NAMES: &[&str] = &[
    "loopback",
    "private",
    "unicast",
    "global_unicast",
    "link_local_unicast",
    "multicast",
    "link_local_multicast",
    "interface_local_multicast",
    "unspecified",
    "public",
];

impl Network {
    /// Parses `10.0.0.0/8`, a bare address, or a name.
    pub fn parse(text: &str) -> Result<Network, String> {
        if let Some(name) = NAMES.iter().find(|n| **n == text) {
            return Ok(Network::Named(name));
        }
        let bad = || {
            format!(
                "`{text}` is not a network: a CIDR block (`10.0.0.0/8`) or one of {}",
                NAMES.join(", ")
            )
        };
        let (ip, bits) = match text.split_once('/') {
            Some((ip, bits)) => (ip, Some(bits)),
            None => (text, None),
        };
        let ip: IpAddr = ip.parse().map_err(|_| bad())?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(bits) => bits
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(bad)?,
            None => max,
        };
        Ok(Network::Cidr(ip, bits))
    }

    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match self {
            Network::Cidr(net, bits) => in_cidr(*net, *bits, ip),
            Network::Named(name) => named(name, ip),
        }
    }
}

fn in_cidr(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(net), IpAddr::V4(ip)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(net) & mask == u32::from(ip) & mask
        }
        (IpAddr::V6(net), IpAddr::V6(ip)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(net) & mask == u128::from(ip) & mask
        }
        _ => false,
    }
}

fn named(name: &str, ip: IpAddr) -> bool {
    let cidr = |text: &str| Network::parse(text).is_ok_and(|n| n.contains(ip));
    match name {
        "loopback" => ip.is_loopback(),
        "unspecified" => ip.is_unspecified(),
        "multicast" => ip.is_multicast(),
        "link_local_unicast" => cidr("169.254.0.0/16") || cidr("fe80::/10"),
        "link_local_multicast" => cidr("224.0.0.0/24") || cidr("ff02::/16"),
        "interface_local_multicast" => cidr("ff01::/16"),
        "private" => ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
            .iter()
            .any(|c| cidr(c)),
        "unicast" => !ip.is_multicast() && !is_broadcast(ip),
        "global_unicast" => {
            !ip.is_multicast()
                && !is_broadcast(ip)
                && !ip.is_loopback()
                && !ip.is_unspecified()
                && !named("link_local_unicast", ip)
        }
        "public" => {
            !ip.is_loopback()
                && !ip.is_unspecified()
                && !ip.is_multicast()
                && !is_broadcast(ip)
                && !named("link_local_unicast", ip)
                && !named("private", ip)
        }
        _ => false,
    }
}

fn is_broadcast(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.is_broadcast())
}

impl<'de> serde::Deserialize<'de> for Network {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Network::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Decides `network.direction`: the host's addresses and the internal
/// networks.
#[derive(Clone, Debug, Default)]
pub struct Directions {
    host: Vec<IpAddr>,
    internal: Vec<Network>,
}

impl Directions {
    /// With the host's addresses and the configured internal networks.
    pub fn new(host: Vec<IpAddr>, internal: Vec<Network>) -> Directions {
        Directions { host, internal }
    }

    /// The direction of traffic from `source` to `destination`.
    ///
    /// ```
    /// use analyzer_beat::envelope::{Directions, Network};
    /// let host = vec!["192.168.1.5".parse().unwrap()];
    /// let internal = vec![Network::parse("private").unwrap()];
    /// let d = Directions::new(host, internal);
    /// let ip = |s: &str| s.parse().unwrap();
    /// assert_eq!(d.of(ip("8.8.8.8"), ip("192.168.1.5")), "ingress");
    /// assert_eq!(d.of(ip("192.168.1.5"), ip("8.8.8.8")), "egress");
    /// assert_eq!(d.of(ip("10.0.0.1"), ip("8.8.8.8")), "outbound");
    /// assert_eq!(d.of(ip("8.8.8.8"), ip("10.0.0.1")), "inbound");
    /// assert_eq!(d.of(ip("10.0.0.1"), ip("10.0.0.2")), "internal");
    /// assert_eq!(d.of(ip("8.8.8.8"), ip("1.1.1.1")), "external");
    /// ```
    pub fn of(&self, source: IpAddr, destination: IpAddr) -> &'static str {
        if self.host.contains(&destination) {
            return "ingress";
        }
        if self.host.contains(&source) {
            return "egress";
        }
        if self.internal.is_empty() {
            return "unknown";
        }
        let internal = |ip| self.internal.iter().any(|n| n.contains(ip));
        match (internal(source), internal(destination)) {
            (true, true) => "internal",
            (true, false) => "outbound",
            (false, true) => "inbound",
            (false, false) => "external",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_blocks_and_names() {
        let net = Network::parse("172.16.0.0/12").unwrap();
        assert!(net.contains(ip("172.31.255.1")));
        assert!(!net.contains(ip("172.32.0.1")));
        assert!(!net.contains(ip("::1")));
        assert!(Network::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Network::parse("10.1.2.3").unwrap().contains(ip("10.1.2.3")));
        assert!(!Network::parse("10.1.2.3").unwrap().contains(ip("10.1.2.4")));
        let private = Network::parse("private").unwrap();
        assert!(private.contains(ip("192.168.0.1")) && !private.contains(ip("8.8.8.8")));
        let public = Network::parse("public").unwrap();
        assert!(public.contains(ip("8.8.8.8")) && !public.contains(ip("127.0.0.1")));
        for bad in ["10.0.0.0/33", "privat", "10.0.0/8", "::/129"] {
            let err = Network::parse(bad).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn host_addresses_come_first_then_networks_then_unknown() {
        let loopback = Directions::new(vec![ip("127.0.0.1")], vec![]);
        assert_eq!(loopback.of(ip("127.0.0.1"), ip("127.0.0.1")), "ingress");
        assert_eq!(loopback.of(ip("10.0.0.1"), ip("10.0.0.2")), "unknown");
        let none = Directions::default();
        assert_eq!(none.of(ip("10.0.0.1"), ip("10.0.0.2")), "unknown");
    }
}
