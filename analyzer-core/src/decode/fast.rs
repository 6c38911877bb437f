//! The common case read straight from its places: Ethernet (no VLAN tag),
//! IPv4 (not fragmented), TCP, all headers whole and consistent. Anything
//! else, valid or not, goes to `etherparse`, so results and errors are the
//! same as without this path (the tests below compare the two on mangled
//! packets).

use std::net::{IpAddr, Ipv4Addr};

use super::{TcpFlags, TcpSegment};

const ETHERNET: usize = 14;
pub(super) const ETHER_TYPE_IPV4: [u8; 2] = [0x08, 0x00];
pub(super) const TCP: u8 = 6;

/// The segment of an Ethernet/IPv4/TCP packet, when it is the simple case;
/// `None` sends the packet to the general decoder.
#[inline]
pub(super) fn ethernet_ipv4_tcp(data: &[u8]) -> Option<TcpSegment<'_>> {
    if data.get(12..14)? != ETHER_TYPE_IPV4 {
        return None;
    }
    ipv4_tcp(&data[ETHERNET..])
}

/// The segment of an IPv4/TCP packet (the IP header first), when it is the
/// simple case.
#[inline]
fn ipv4_tcp(ip: &[u8]) -> Option<TcpSegment<'_>> {
    let header: &[u8; 20] = ip.get(..20)?.try_into().ok()?;
    let ihl = usize::from(header[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let more_fragments = header[6] & 0x20 != 0;
    let offset = u16::from_be_bytes([header[6] & 0x1f, header[7]]);
    if header[0] >> 4 != 4
        || ihl < 20
        || total < ihl + 20
        || total > ip.len()
        || more_fragments
        || offset != 0
        || header[9] != TCP
    {
        return None;
    }
    let tcp = &ip[ihl..total];
    let data_offset = usize::from(tcp[12] >> 4) * 4;
    if data_offset < 20 || data_offset > tcp.len() {
        return None;
    }
    let addr = |at: usize| v4_at(header, at);
    let word = |at: usize| u32::from_be_bytes([tcp[at], tcp[at + 1], tcp[at + 2], tcp[at + 3]]);
    let port = |at: usize| u16::from_be_bytes([tcp[at], tcp[at + 1]]);
    let flags = tcp[13];
    Some(TcpSegment {
        src: (addr(12), port(0)),
        dst: (addr(16), port(2)),
        seq: word(4),
        ack: word(8),
        flags: TcpFlags {
            syn: flags & 0x02 != 0,
            ack: flags & 0x10 != 0,
            fin: flags & 0x01 != 0,
            rst: flags & 0x04 != 0,
        },
        payload: &tcp[data_offset..],
        truncated: false,
    })
}

/// The IPv4 address at `at` in an IPv4 header (12: source, 16:
/// destination; the header is at least 20 bytes, checked by the callers).
#[inline(always)]
fn v4_at(header: &[u8], at: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        header[at],
        header[at + 1],
        header[at + 2],
        header[at + 3],
    ))
}

#[cfg(test)]
mod tests {
    use etherparse::PacketBuilder;
    use proptest::prelude::*;

    use super::*;
    use crate::decode::{decode_general, LinkType};

    fn packet(payload: &[u8], options: bool) -> Vec<u8> {
        let builder = PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(40000, 3030, 7, 1024)
            .ack(1)
            .psh();
        let builder = if options {
            builder
                .options(&[etherparse::TcpOptionElement::MaximumSegmentSize(1460)])
                .expect("options fit")
        } else {
            builder
        };
        let mut out = Vec::new();
        builder.write(&mut out, payload).unwrap();
        out
    }

    #[test]
    fn the_simple_case_is_taken_and_agrees() {
        for options in [false, true] {
            let p = packet(b">hello\n", options);
            let fast = ethernet_ipv4_tcp(&p).expect("the simple case");
            assert_eq!(Ok(fast), decode_general(LinkType::Ethernet, &p));
        }
    }

    proptest! {
        /// Whatever the fast path accepts, the general decoder decodes the
        /// same way.
        #[test]
        fn mangled_packets_agree_with_the_general_decoder(
            options in any::<bool>(),
            payload in proptest::collection::vec(any::<u8>(), 0..40),
            edits in proptest::collection::vec((0usize..80, any::<u8>()), 0..4),
            cut in 0usize..240,
            pad in 0usize..8,
        ) {
            let mut p = packet(&payload, options);
            p.extend(std::iter::repeat_n(0, pad));
            for (at, byte) in edits {
                if let Some(slot) = p.get_mut(at) {
                    *slot = byte;
                }
            }
            p.truncate(cut.max(1));
            if let Some(fast) = ethernet_ipv4_tcp(&p) {
                prop_assert_eq!(Some((fast.src, fast.dst)), crate::decode::hint::endpoints(LinkType::Ethernet, &p));
                prop_assert_eq!(Ok(fast), decode_general(LinkType::Ethernet, &p));
            }
        }
    }
}
