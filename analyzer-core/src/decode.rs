//! Packet decoding: link layer, IPv4/IPv6 and TCP headers, with `etherparse`.
//!
//! TCP checksums are never verified: loopback captures and NICs with checksum
//! offload record wrong checksums on perfectly good packets.

use std::net::IpAddr;

use etherparse::err::packet::SliceError;
use etherparse::{
    EtherType, Ipv4HeaderSlice, Ipv6HeaderSlice, LaxNetSlice, LaxSlicedPacket, LenSource, NetSlice,
    SlicedPacket, TransportSlice,
};

/// The link layer of a capture (its pcap `LINKTYPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// `LINKTYPE_ETHERNET` (1), with or without 802.1Q / QinQ VLAN tags.
    Ethernet,
    /// `LINKTYPE_NULL` (0) and `LINKTYPE_LOOP` (108): BSD loopback, a 4-byte
    /// address family before the IP header.
    Null,
    /// `LINKTYPE_LINUX_SLL` (113): Linux "cooked" capture (`tcpdump -i any`).
    LinuxSll,
    /// `LINKTYPE_LINUX_SLL2` (276): Linux "cooked" capture v2.
    LinuxSll2,
    /// `LINKTYPE_RAW` (101, and 12/14 on some systems), `LINKTYPE_IPV4` (228),
    /// `LINKTYPE_IPV6` (229): the packet starts with the IP header.
    RawIp,
    /// Any other link type: its packets are counted and skipped.
    Unsupported(u32),
}

impl LinkType {
    /// The link type for a pcap `LINKTYPE_*` number.
    pub fn from_linktype(value: u32) -> Self {
        match value {
            1 => LinkType::Ethernet,
            0 | 108 => LinkType::Null,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            12 | 14 | 101 | 228 | 229 => LinkType::RawIp,
            other => LinkType::Unsupported(other),
        }
    }
}

mod fast;
mod hint;

/// A TCP endpoint: address and port.
pub type Endpoint = (IpAddr, u16);

/// The TCP flags the engine acts on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    /// SYN: opens a direction; its sequence number is the stream's origin.
    pub syn: bool,
    /// ACK: the acknowledgment number is valid.
    pub ack: bool,
    /// FIN: the sender has no more data.
    pub fin: bool,
    /// RST: the connection is gone.
    pub rst: bool,
}

/// The parts of a decoded TCP packet the engine uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Sender.
    pub src: Endpoint,
    /// Receiver.
    pub dst: Endpoint,
    /// Sequence number of the first payload byte (or of the SYN/FIN).
    pub seq: u32,
    /// Acknowledgment number (valid when `flags.ack`).
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// TCP payload (Ethernet padding excluded): what was captured of it.
    pub payload: &'a [u8],
    /// The capture cut the packet short (snapshot length): `payload` is
    /// only the start of the segment's data.
    pub truncated: bool,
}

/// Why a packet carries no TCP segment the engine can use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The capture's link type is not one the decoder knows.
    #[error("unsupported link type {0}")]
    UnsupportedLink(u32),
    /// Not an IPv4 or IPv6 packet (ARP, LLDP, ...).
    #[error("not an IP packet")]
    NotIp,
    /// IP, but not TCP (UDP, ICMP, ...).
    #[error("not a TCP packet")]
    NotTcp,
    /// An IP fragment: skipped (fragments are not reassembled).
    #[error("IP fragment")]
    Fragment,
    /// The packet ends before its headers do (snaplen, or a broken capture).
    #[error("truncated packet: {0}")]
    Truncated(String),
    /// A header has values that make no sense (IPv4 header length below 20,
    /// TCP data offset past the packet, ...).
    #[error("malformed packet: {0}")]
    Malformed(String),
}

/// Decodes one captured packet down to its TCP segment.
///
/// ```
/// use analyzer_core::decode::{decode_tcp, LinkType, DecodeError};
/// // An ARP frame: Ethernet with ether type 0x0806.
/// let mut arp = vec![0u8; 42];
/// arp[12] = 0x08;
/// arp[13] = 0x06;
/// assert!(matches!(decode_tcp(LinkType::Ethernet, &arp), Err(DecodeError::NotIp)));
/// ```
pub fn decode_tcp(link: LinkType, data: &[u8]) -> Result<TcpSegment<'_>, DecodeError> {
    if link == LinkType::Ethernet {
        if let Some(segment) = fast::ethernet_ipv4_tcp(data) {
            return Ok(segment);
        }
    }
    decode_general(link, data)
}

/// The endpoints of a packet in the common cases (any link type read, one
/// VLAN tag or none, IPv4 or IPv6, TCP), read with the least checking, for
/// a hint: where [`decode_tcp`] takes the packet, its endpoints; `None` for
/// the other cases.
#[inline]
pub(crate) fn endpoints_hint(link: LinkType, data: &[u8]) -> Option<(Endpoint, Endpoint)> {
    hint::endpoints(link, data)
}

/// [`decode_tcp`] by `etherparse`, for every packet the fast path leaves.
fn decode_general(link: LinkType, data: &[u8]) -> Result<TcpSegment<'_>, DecodeError> {
    let (ether_type, rest) = match link {
        LinkType::Ethernet => {
            return strict_or_lax(SlicedPacket::from_ethernet(data), || {
                LaxSlicedPacket::from_ethernet(data).ok()
            })
        }
        LinkType::RawIp => {
            return strict_or_lax(SlicedPacket::from_ip(data), || {
                LaxSlicedPacket::from_ip(data).ok()
            })
        }
        // The loopback header is the address family; the IP version nibble
        // says the rest.
        LinkType::Null => {
            let ip = data
                .get(4..)
                .ok_or_else(|| DecodeError::Truncated("loopback header".into()))?;
            return strict_or_lax(SlicedPacket::from_ip(ip), || {
                LaxSlicedPacket::from_ip(ip).ok()
            });
        }
        // etherparse's SLL parser refuses some ARP hardware types that
        // `tcpdump -i any` records (772, loopback); the headers are fixed
        // size with the ether type at a known place, so hand the rest to
        // etherparse.
        LinkType::LinuxSll => split_cooked(data, 16, 14)?,
        LinkType::LinuxSll2 => split_cooked(data, 20, 0)?,
        LinkType::Unsupported(value) => return Err(DecodeError::UnsupportedLink(value)),
    };
    strict_or_lax(SlicedPacket::from_ether_type(ether_type, rest), || {
        Some(LaxSlicedPacket::from_ether_type(ether_type, rest))
    })
}

/// The ether type and payload of a Linux cooked header of `len` bytes with
/// the protocol field at `at`.
fn split_cooked(data: &[u8], len: usize, at: usize) -> Result<(EtherType, &[u8]), DecodeError> {
    let (header, rest) = data
        .split_at_checked(len)
        .ok_or_else(|| DecodeError::Truncated("Linux cooked header".into()))?;
    Ok((
        EtherType(u16::from_be_bytes([header[at], header[at + 1]])),
        rest,
    ))
}

/// The strict decode; when it fails only for length (the capture's snapshot
/// length cut the packet), the lax one, which keeps the captured part of
/// the payload.
fn strict_or_lax<'a>(
    strict: Result<SlicedPacket<'a>, SliceError>,
    lax: impl FnOnce() -> Option<LaxSlicedPacket<'a>>,
) -> Result<TcpSegment<'a>, DecodeError> {
    match strict {
        Ok(sliced) => {
            let (src, dst, fragmented) = match &sliced.net {
                Some(NetSlice::Ipv4(ip)) => addrs_v4(ip.header(), ip.is_payload_fragmented()),
                Some(NetSlice::Ipv6(ip)) => addrs_v6(ip.header(), ip.is_payload_fragmented()),
                _ => return Err(DecodeError::NotIp),
            };
            segment(src, dst, fragmented, sliced.transport.as_ref(), false)
        }
        // Shorter than the IP header says: a header field is wrong, the
        // capture did not cut it.
        Err(SliceError::Len(len)) if len.len_source != LenSource::Slice => {
            Err(DecodeError::Malformed(len.to_string()))
        }
        Err(SliceError::Len(len)) => {
            let err = DecodeError::Truncated(len.to_string());
            let Some(sliced) = lax() else { return Err(err) };
            let (src, dst, fragmented, incomplete) = match &sliced.net {
                Some(LaxNetSlice::Ipv4(ip)) => {
                    let (s, d, f) = addrs_v4(ip.header(), ip.payload().fragmented);
                    (s, d, f, ip.payload().incomplete)
                }
                Some(LaxNetSlice::Ipv6(ip)) => {
                    let (s, d, f) = addrs_v6(ip.header(), ip.payload().fragmented);
                    (s, d, f, ip.payload().incomplete)
                }
                _ => return Err(err),
            };
            match sliced.transport {
                Some(TransportSlice::Tcp(_)) if incomplete => {
                    segment(src, dst, fragmented, sliced.transport.as_ref(), true)
                }
                _ => Err(err),
            }
        }
        Err(other) => Err(DecodeError::Malformed(other.to_string())),
    }
}

fn addrs_v4(header: Ipv4HeaderSlice<'_>, fragmented: bool) -> (IpAddr, IpAddr, bool) {
    (
        header.source_addr().into(),
        header.destination_addr().into(),
        fragmented,
    )
}

fn addrs_v6(header: Ipv6HeaderSlice<'_>, fragmented: bool) -> (IpAddr, IpAddr, bool) {
    (
        header.source_addr().into(),
        header.destination_addr().into(),
        fragmented,
    )
}

fn segment<'a>(
    src: IpAddr,
    dst: IpAddr,
    fragmented: bool,
    transport: Option<&TransportSlice<'a>>,
    truncated: bool,
) -> Result<TcpSegment<'a>, DecodeError> {
    if fragmented {
        return Err(DecodeError::Fragment);
    }
    match transport {
        Some(TransportSlice::Tcp(tcp)) => Ok(TcpSegment {
            src: (src, tcp.source_port()),
            dst: (dst, tcp.destination_port()),
            seq: tcp.sequence_number(),
            ack: tcp.acknowledgment_number(),
            flags: TcpFlags {
                syn: tcp.syn(),
                ack: tcp.ack(),
                fin: tcp.fin(),
                rst: tcp.rst(),
            },
            payload: tcp.payload(),
            truncated,
        }),
        _ => Err(DecodeError::NotTcp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    fn tcp_packet(payload: &[u8]) -> Vec<u8> {
        let builder = PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(40000, 3030, 7, 1024)
            .ack(1)
            .psh();
        let mut out = Vec::new();
        builder.write(&mut out, payload).unwrap();
        out
    }

    #[test]
    fn decodes_ethernet_ipv4_tcp_and_ignores_padding() {
        let mut packet = tcp_packet(b">a\n");
        packet.extend_from_slice(&[0; 6]); // Ethernet padding past the IP length
        let seg = decode_tcp(LinkType::Ethernet, &packet).unwrap();
        assert_eq!(seg.src, ("10.0.0.1".parse().unwrap(), 40000));
        assert_eq!(seg.dst, ("10.0.0.2".parse().unwrap(), 3030));
        assert_eq!(seg.seq, 7);
        assert!(seg.flags.ack && !seg.flags.syn);
        assert_eq!(seg.payload, b">a\n");
    }

    #[test]
    fn null_link_skips_the_family_word() {
        let packet = tcp_packet(b"x");
        let mut null = vec![2, 0, 0, 0];
        null.extend_from_slice(&packet[14..]);
        assert_eq!(decode_tcp(LinkType::Null, &null).unwrap().payload, b"x");
        assert_eq!(
            decode_tcp(LinkType::RawIp, &packet[14..]).unwrap().payload,
            b"x"
        );
    }

    #[test]
    fn bad_checksums_are_accepted() {
        let mut packet = tcp_packet(b"data");
        let checksum_at = 14 + 20 + 16;
        packet[checksum_at] ^= 0xff;
        assert_eq!(
            decode_tcp(LinkType::Ethernet, &packet).unwrap().payload,
            b"data"
        );
    }

    #[test]
    fn snaplen_cut_payload_is_kept_and_flagged() {
        let packet = tcp_packet(b"0123456789");
        let seg = decode_tcp(LinkType::Ethernet, &packet[..packet.len() - 4]).unwrap();
        assert_eq!(seg.payload, b"012345");
        assert!(seg.truncated);
        assert!(!decode_tcp(LinkType::Ethernet, &packet).unwrap().truncated);
    }

    #[test]
    fn reports_truncation_and_malformed_headers() {
        let packet = tcp_packet(b"data");
        let err = decode_tcp(LinkType::Ethernet, &packet[..30]).unwrap_err();
        assert!(matches!(err, DecodeError::Truncated(_)), "{err}");
        // The TCP header itself cut short.
        let err = decode_tcp(LinkType::Ethernet, &packet[..14 + 20 + 10]).unwrap_err();
        assert!(matches!(err, DecodeError::Truncated(_)), "{err}");
        let mut bad = packet.clone();
        bad[14] = 0x44; // IPv4 header length 4 words = 16 bytes < 20
        let err = decode_tcp(LinkType::Ethernet, &bad).unwrap_err();
        assert!(matches!(err, DecodeError::Malformed(_)), "{err}");
        assert_eq!(
            decode_tcp(LinkType::Unsupported(147), &packet).unwrap_err(),
            DecodeError::UnsupportedLink(147)
        );
    }

    #[test]
    fn decodes_vlan_qinq_and_ipv6() {
        use etherparse::VlanId;
        let vid = |v| VlanId::try_new(v).unwrap();
        let mut single = Vec::new();
        PacketBuilder::ethernet2([1; 6], [2; 6])
            .single_vlan(vid(10))
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(1, 3030, 0, 100)
            .write(&mut single, b"v")
            .unwrap();
        assert_eq!(
            decode_tcp(LinkType::Ethernet, &single).unwrap().payload,
            b"v"
        );
        let mut double = Vec::new();
        PacketBuilder::ethernet2([1; 6], [2; 6])
            .double_vlan(vid(10), vid(20))
            .ipv6([1; 16], [2; 16], 64)
            .tcp(1, 3030, 0, 100)
            .write(&mut double, b"qq")
            .unwrap();
        let seg = decode_tcp(LinkType::Ethernet, &double).unwrap();
        assert_eq!(seg.payload, b"qq");
        assert!(seg.src.0.is_ipv6());
    }

    #[test]
    fn udp_and_non_ip_are_not_tcp() {
        let mut udp = Vec::new();
        PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .udp(1, 2)
            .write(&mut udp, b"x")
            .unwrap();
        assert_eq!(
            decode_tcp(LinkType::Ethernet, &udp),
            Err(DecodeError::NotTcp)
        );
    }

    #[test]
    fn linux_cooked_loopback_is_decoded() {
        // SLL header as `tcpdump -i any` writes it for `lo`: ARP hardware
        // type 772, then the IPv4 ether type.
        let packet = tcp_packet(b"sll");
        let mut sll = vec![0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0];
        sll.extend_from_slice(&packet[14..]);
        assert_eq!(
            decode_tcp(LinkType::LinuxSll, &sll).unwrap().payload,
            b"sll"
        );
        assert!(matches!(
            decode_tcp(LinkType::LinuxSll, &sll[..10]),
            Err(DecodeError::Truncated(_))
        ));
    }

    #[test]
    fn ipv6_extension_headers_are_skipped() {
        let mut packet = Vec::new();
        PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv6([1; 16], [2; 16], 64)
            .tcp(1, 3030, 0, 100)
            .write(&mut packet, b"ext")
            .unwrap();
        // Insert an 8-byte hop-by-hop options header before TCP.
        let ip = 14;
        packet[ip + 6] = 0; // next header: hop-by-hop
        let payload_len = u16::from_be_bytes([packet[ip + 4], packet[ip + 5]]) + 8;
        packet[ip + 4..ip + 6].copy_from_slice(&payload_len.to_be_bytes());
        let hop_by_hop = [6u8, 0, 1, 4, 0, 0, 0, 0]; // next: TCP; PadN option
        packet.splice(ip + 40..ip + 40, hop_by_hop);
        let seg = decode_tcp(LinkType::Ethernet, &packet).unwrap();
        assert_eq!((seg.dst.1, seg.payload), (3030, &b"ext"[..]));
    }
}
