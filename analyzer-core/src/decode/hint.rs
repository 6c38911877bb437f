//! A packet's endpoints read from their places with the least checking, for
//! a hint ([`Engine::prefetch`]): every link type the decoder reads
//! (Ethernet or Linux cooked with one VLAN tag or none, loopback, raw IP),
//! then IPv4 or IPv6 (no extension header), then TCP. Where
//! [`decode_tcp`](super::decode_tcp) decodes such a packet, the same
//! endpoints (the tests below check it); elsewhere an answer costs at most
//! a useless prefetch, and other packets get none.
//!
//! [`Engine::prefetch`]: crate::Engine::prefetch

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::fast::{ETHER_TYPE_IPV4, TCP};
use super::{Endpoint, LinkType};

const ETHER_TYPE_VLAN: [u8; 2] = [0x81, 0x00];
const ETHER_TYPE_IPV6: [u8; 2] = [0x86, 0xdd];

/// The endpoints of a packet's TCP segment, source first.
#[inline]
pub(super) fn endpoints(link: LinkType, data: &[u8]) -> Option<(Endpoint, Endpoint)> {
    match link {
        LinkType::Ethernet => by_ether_type(data.get(12..14)?, data.get(14..)?),
        LinkType::LinuxSll => by_ether_type(data.get(14..16)?, data.get(16..)?),
        LinkType::LinuxSll2 => by_ether_type(data.get(..2)?, data.get(20..)?),
        LinkType::RawIp => by_version(data),
        LinkType::Null => by_version(data.get(4..)?),
        LinkType::Unsupported(_) => None,
    }
}

/// `rest` follows an ether type field holding `ether_type`.
#[inline]
fn by_ether_type(ether_type: &[u8], rest: &[u8]) -> Option<(Endpoint, Endpoint)> {
    let (ether_type, ip) = if ether_type == ETHER_TYPE_VLAN {
        // The tag's control word, then the ether type it wraps.
        (rest.get(2..4)?, rest.get(4..)?)
    } else {
        (ether_type, rest)
    };
    if ether_type == ETHER_TYPE_IPV4 {
        ipv4(ip)
    } else if ether_type == ETHER_TYPE_IPV6 {
        ipv6(ip)
    } else {
        None
    }
}

/// An IP header of either version.
#[inline]
fn by_version(ip: &[u8]) -> Option<(Endpoint, Endpoint)> {
    match ip.first()? >> 4 {
        4 => ipv4(ip),
        6 => ipv6(ip),
        _ => None,
    }
}

#[inline]
fn ipv4(ip: &[u8]) -> Option<(Endpoint, Endpoint)> {
    let header: &[u8; 20] = ip.get(..20)?.try_into().ok()?;
    if header[9] != TCP {
        return None;
    }
    let ihl = usize::from(header[0] & 0x0f) * 4;
    let ports: &[u8; 4] = ip.get(ihl..ihl + 4)?.try_into().ok()?;
    let addr = |at: usize| {
        let octets: [u8; 4] = header[at..at + 4].try_into().expect("4 bytes");
        IpAddr::V4(Ipv4Addr::from(octets))
    };
    Some(pair(addr(12), addr(16), ports))
}

#[inline]
fn ipv6(ip: &[u8]) -> Option<(Endpoint, Endpoint)> {
    let header: &[u8; 44] = ip.get(..44)?.try_into().ok()?;
    if header[6] != TCP {
        return None;
    }
    let addr = |at: usize| {
        let octets: [u8; 16] = header[at..at + 16].try_into().expect("16 bytes");
        IpAddr::V6(Ipv6Addr::from(octets))
    };
    let ports: &[u8; 4] = header[40..44].try_into().expect("4 bytes");
    Some(pair(addr(8), addr(24), ports))
}

#[inline]
fn pair(src: IpAddr, dst: IpAddr, ports: &[u8; 4]) -> (Endpoint, Endpoint) {
    (
        (src, u16::from_be_bytes([ports[0], ports[1]])),
        (dst, u16::from_be_bytes([ports[2], ports[3]])),
    )
}

#[cfg(test)]
mod tests {
    use etherparse::{PacketBuilder, PacketBuilderStep};
    use proptest::prelude::*;

    use super::*;
    use crate::decode::{decode_tcp, LinkType};

    /// A frame of each kind the hint reads: IPv4 or IPv6, with or without
    /// a VLAN tag.
    fn frame(v6: bool, vlan: bool, payload: &[u8]) -> Vec<u8> {
        let ethernet = PacketBuilder::ethernet2([1; 6], [2; 6]);
        let tagged = |b: PacketBuilderStep<etherparse::Ethernet2Header>| {
            b.single_vlan(etherparse::VlanId::try_new(7).unwrap())
        };
        let mut out = Vec::new();
        let tcp =
            |ip: PacketBuilderStep<etherparse::IpHeaders>| ip.tcp(40000, 3030, 7, 1024).ack(1);
        let ip = match (vlan, v6) {
            (false, false) => ethernet.ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64),
            (true, false) => tagged(ethernet).ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64),
            (false, true) => ethernet.ipv6([0xfd; 16], [0xfe; 16], 64),
            (true, true) => tagged(ethernet).ipv6([0xfd; 16], [0xfe; 16], 64),
        };
        tcp(ip).write(&mut out, payload).unwrap();
        out
    }

    /// The Ethernet frame `ethernet` as a packet of link type `link`.
    fn as_link(link: LinkType, ethernet: &[u8]) -> Vec<u8> {
        let (ether_type, rest) = (&ethernet[12..14], &ethernet[14..]);
        let mut out = match link {
            LinkType::Ethernet => return ethernet.to_vec(),
            // Packet type, ARPHRD_ETHER, address length, address (8 bytes).
            LinkType::LinuxSll => [&[0, 0, 0, 1, 0, 6][..], &[0; 8], ether_type].concat(),
            // Protocol, reserved, interface index, ARPHRD_ETHER, packet type,
            // address length, address.
            LinkType::LinuxSll2 => [ether_type, &[0; 6], &[0, 1, 0, 6], &[0; 8]].concat(),
            LinkType::Null => vec![2, 0, 0, 0],
            LinkType::RawIp | LinkType::Unsupported(_) => Vec::new(),
        };
        out.extend_from_slice(rest);
        out
    }

    const LINKS: [LinkType; 5] = [
        LinkType::Ethernet,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::Null,
        LinkType::RawIp,
    ];

    #[test]
    fn each_kind_is_read() {
        for (v6, vlan) in [(false, false), (false, true), (true, false), (true, true)] {
            for link in LINKS {
                if vlan && matches!(link, LinkType::Null | LinkType::RawIp) {
                    continue; // no ether type to tag
                }
                let p = as_link(link, &frame(v6, vlan, b">hi\n"));
                let seg = decode_tcp(link, &p).unwrap();
                let found = endpoints(link, &p);
                let what = format!("{link:?} v6 {v6} vlan {vlan}");
                assert_eq!(found, Some((seg.src, seg.dst)), "{what}");
            }
        }
    }

    proptest! {
        /// Wherever the decoder takes a mangled frame of these kinds, the
        /// hint reads its endpoints (or gives none: a hint may be missing,
        /// never wrong where the decoder agrees on a TCP segment).
        #[test]
        fn mangled_frames_agree_with_the_decoder(
            v6 in any::<bool>(),
            vlan in any::<bool>(),
            link in proptest::sample::select(LINKS.to_vec()),
            payload in proptest::collection::vec(any::<u8>(), 0..40),
            edits in proptest::collection::vec((0usize..100, any::<u8>()), 0..4),
            cut in 0usize..240,
        ) {
            let mut f = as_link(link, &frame(v6, vlan, &payload));
            for (at, byte) in edits {
                if let Some(slot) = f.get_mut(at) {
                    *slot = byte;
                }
            }
            f.truncate(cut.max(1));
            if let (Ok(seg), Some(hint)) = (decode_tcp(link, &f), endpoints(link, &f)) {
                prop_assert_eq!(hint, (seg.src, seg.dst));
            }
        }
    }
}
