//! Which worker analyzes a packet: a hash of its connection's two endpoints,
//! the same in both directions.
//!
//! The reading thread does this for every packet, so the common case
//! (Ethernet without VLAN tag, IPv4 not fragmented, TCP) is read straight
//! from its fixed places; anything else is decoded properly (the worker
//! decodes every packet again anyway). Both ways give an endpoint the same
//! key, so all packets of a connection land on one worker whichever way each
//! was read.

use std::hash::BuildHasher;
use std::net::IpAddr;

use analyzer_core::decode::{decode_tcp, LinkType};

/// The worker for a packet among `workers`. Packets that do not decode as
/// TCP go to worker 0 (they are only counted).
#[inline]
pub(super) fn shard(link: LinkType, data: &[u8], workers: usize) -> usize {
    let keys = fast_keys(link, data).or_else(|| {
        let seg = decode_tcp(link, data).ok()?;
        Some((key(seg.src.0, seg.src.1), key(seg.dst.0, seg.dst.1)))
    });
    match keys {
        Some((a, b)) => pick(a, b, workers),
        None => 0,
    }
}

/// An endpoint as one number: an IPv4 address and port exactly (48 bits),
/// an IPv6 address folded (with the top bit set).
pub(super) fn key(ip: IpAddr, port: u16) -> u64 {
    match ip {
        IpAddr::V4(ip) => (u64::from(u32::from(ip)) << 16) | u64::from(port),
        IpAddr::V6(ip) => {
            let bits = u128::from(ip);
            let folded = (bits as u64) ^ ((bits >> 64) as u64).rotate_left(29);
            (folded.rotate_left(16) ^ u64::from(port)) | 1 << 63
        }
    }
}

/// The worker for a connection between endpoints `a` and `b`, in either
/// order.
#[inline]
pub(super) fn pick(a: u64, b: u64, workers: usize) -> usize {
    let ends = if a <= b { (a, b) } else { (b, a) };
    let hash = foldhash::fast::FixedState::with_seed(0x5eed).hash_one(ends);
    ((u128::from(hash) * workers as u128) >> 64) as usize
}

/// The endpoint keys of an untagged Ethernet, IPv4 (not a fragment), TCP
/// packet, read from their fixed places (only the ports of the TCP header
/// need to be there). Anything else gives `None`.
#[inline]
pub(super) fn fast_keys(link: LinkType, d: &[u8]) -> Option<(u64, u64)> {
    const ETH: usize = 14;
    if link != LinkType::Ethernet {
        return None;
    }
    let ip: &[u8; 20] = d.get(ETH..ETH + 20)?.try_into().ok()?;
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    // Version 4, TCP, no "more fragments" flag, fragment offset 0.
    if d[12..14] != [0x08, 0x00]
        || ip[0] >> 4 != 4
        || ihl < 20
        || ip[9] != 6
        || ip[6] & 0x3f != 0
        || ip[7] != 0
    {
        return None;
    }
    let ports: &[u8; 4] = d.get(ETH + ihl..ETH + ihl + 4)?.try_into().ok()?;
    let end = |addr: &[u8], port: &[u8]| {
        (u64::from(u32::from_be_bytes([addr[0], addr[1], addr[2], addr[3]])) << 16)
            | u64::from(u16::from_be_bytes([port[0], port[1]]))
    };
    Some((end(&ip[12..16], &ports[..2]), end(&ip[16..20], &ports[2..])))
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use analyzer_core::pcap::PcapReader;
    use etherparse::PacketBuilder;
    use proptest::prelude::*;

    use super::*;

    /// The keys the full decoder gives.
    fn slow_keys(link: LinkType, data: &[u8]) -> Option<(u64, u64)> {
        let seg = decode_tcp(link, data).ok()?;
        Some((key(seg.src.0, seg.src.1), key(seg.dst.0, seg.dst.1)))
    }

    fn ipv4(vlan: bool, from: ([u8; 4], u16), to: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
        let eth = PacketBuilder::ethernet2([1; 6], [2; 6]);
        let ip = if vlan {
            eth.single_vlan(7.try_into().unwrap())
                .ipv4(from.0, to.0, 64)
        } else {
            eth.ipv4(from.0, to.0, 64)
        };
        let mut out = Vec::new();
        ip.tcp(from.1, to.1, 1, 1024)
            .write(&mut out, payload)
            .unwrap();
        out
    }

    #[test]
    fn the_fast_read_agrees_with_the_decoder_on_the_captures() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut fast = 0;
        for dir in [
            "echo/data",
            "redis/data",
            "memcache/data",
            "fuzz/seeds/pcap",
        ] {
            let Ok(entries) = std::fs::read_dir(format!("{root}/{dir}")) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let Ok(mut reader) = PcapReader::open(&path) else {
                    continue;
                };
                while let Ok(Some(p)) = reader.next_packet() {
                    if let Some(keys) = fast_keys(p.link, p.data) {
                        fast += 1;
                        if let Some(slow) = slow_keys(p.link, p.data) {
                            assert_eq!(keys, slow, "{}", path.display());
                        }
                    }
                }
            }
        }
        assert!(fast > 1000, "{fast} packets read the fast way");
    }

    #[test]
    fn a_connection_lands_on_one_worker_whichever_way_its_packets_are_read() {
        let client = ([10, 1, 2, 3], 40123);
        let server = ([192, 168, 0, 9], 6379);
        let plain = ipv4(false, client, server, b"PING\r\n");
        let tagged = ipv4(true, server, client, b"+PONG\r\n");
        assert!(fast_keys(LinkType::Ethernet, &plain).is_some());
        assert!(fast_keys(LinkType::Ethernet, &tagged).is_none());
        for workers in 1..9 {
            let w = shard(LinkType::Ethernet, &plain, workers);
            assert_eq!(w, shard(LinkType::Ethernet, &tagged, workers));
            let reply = ipv4(false, server, client, b"+PONG\r\n");
            assert_eq!(w, shard(LinkType::Ethernet, &reply, workers));
        }
        // IPv6, both ways.
        let (a, b) = (
            Ipv6Addr::LOCALHOST.octets(),
            Ipv6Addr::new(0xfe80, 0, 0, 0, 1, 2, 3, 4).octets(),
        );
        let v6 = |from: [u8; 16], to: [u8; 16], ports: (u16, u16)| {
            let mut out = Vec::new();
            PacketBuilder::ethernet2([1; 6], [2; 6])
                .ipv6(from, to, 64)
                .tcp(ports.0, ports.1, 1, 1024)
                .write(&mut out, b"x")
                .unwrap();
            out
        };
        for workers in 2..9 {
            assert_eq!(
                shard(LinkType::Ethernet, &v6(a, b, (5000, 11211)), workers),
                shard(LinkType::Ethernet, &v6(b, a, (11211, 5000)), workers)
            );
        }
        // IPv4 and IPv6 keys never meet.
        assert!(key(IpAddr::V4(Ipv4Addr::BROADCAST), u16::MAX) < 1 << 48);
        assert!(key(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0) >= 1 << 63);
    }

    #[test]
    fn connections_spread_over_the_workers() {
        let mut counts = [0usize; 3];
        for port in 0..3000u16 {
            let p = ipv4(
                false,
                ([10, 0, 0, 1], 30000 + port),
                ([10, 0, 0, 2], 7),
                b"",
            );
            counts[shard(LinkType::Ethernet, &p, 3)] += 1;
        }
        assert!(counts.iter().all(|&n| n > 800), "{counts:?}");
    }

    proptest! {
        /// Whatever the fast read accepts, the decoder (when it decodes the
        /// packet at all) gives the same endpoints.
        #[test]
        fn mangled_packets_agree_with_the_decoder(
            vlan in any::<bool>(),
            payload in proptest::collection::vec(any::<u8>(), 0..40),
            edits in proptest::collection::vec((0usize..60, any::<u8>()), 0..4),
            cut in 0usize..120,
        ) {
            let mut p = ipv4(vlan, ([10, 0, 0, 1], 1234), ([10, 0, 0, 2], 7), &payload);
            for (at, byte) in edits {
                if let Some(slot) = p.get_mut(at) {
                    *slot = byte;
                }
            }
            p.truncate(cut.max(1));
            if let (Some(fast), Some(slow)) = (fast_keys(LinkType::Ethernet, &p), slow_keys(LinkType::Ethernet, &p)) {
                prop_assert_eq!(fast, slow);
            }
        }
    }
}
