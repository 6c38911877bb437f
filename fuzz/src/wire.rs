//! Writing packets and capture files by hand: the fuzz harness builds its
//! structured inputs with these, the corpus generator converts the project's
//! captures with them, and the bad-input tests make their captures with them.
//!
//! Plain `std` on purpose: `tests/tests/*.rs` include this file with
//! `#[path = "../../fuzz/src/wire.rs"]`, so it must compile in any crate.

/// pcap `LINKTYPE_*` numbers.
pub mod linktype {
    /// BSD loopback.
    pub const NULL: u32 = 0;
    /// Ethernet.
    pub const ETHERNET: u32 = 1;
    /// Raw IP.
    pub const RAW: u32 = 101;
    /// Linux cooked capture.
    pub const LINUX_SLL: u32 = 113;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: u32 = 276;
}

/// TCP flag bits as in the header.
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// The classic pcap magic number (little endian, microseconds).
pub const PCAP_MAGIC: u32 = 0xa1b2_c3d4;

/// A classic pcap global header: little endian, microsecond timestamps.
pub fn pcap_header(linktype: u32, snaplen: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&PCAP_MAGIC.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    h.extend_from_slice(&snaplen.to_le_bytes());
    h.extend_from_slice(&linktype.to_le_bytes());
    h
}

/// Appends one pcap record: `caplen` is written as given (it may lie), then
/// `data`.
pub fn pcap_record_raw(
    out: &mut Vec<u8>,
    ts_sec: u32,
    ts_usec: u32,
    caplen: u32,
    orig_len: u32,
    data: &[u8],
) {
    for v in [ts_sec, ts_usec, caplen, orig_len] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(data);
}

/// Appends one honest pcap record (caplen = `data.len()`), at `micros`
/// microseconds since the epoch.
pub fn pcap_record(out: &mut Vec<u8>, micros: u64, data: &[u8], orig_len: u32) {
    pcap_record_raw(
        out,
        (micros / 1_000_000) as u32,
        (micros % 1_000_000) as u32,
        data.len() as u32,
        orig_len,
        data,
    );
}

/// One TCP segment to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Source address and port (an IPv4 or IPv6 address as 4 or 16 bytes).
    pub src: (&'a [u8], u16),
    /// Destination address and port.
    pub dst: (&'a [u8], u16),
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flag bits ([`flags`]).
    pub flags: u8,
    /// Payload.
    pub payload: &'a [u8],
}

/// The IP packet (IPv4 when the addresses are 4 bytes, else IPv6) carrying
/// `seg`, with a 20-byte TCP header. Checksums are left zero: the analyzer
/// does not check them.
pub fn ip_packet(seg: &Segment<'_>) -> Vec<u8> {
    let mut tcp = Vec::with_capacity(20 + seg.payload.len());
    tcp.extend_from_slice(&seg.src.1.to_be_bytes());
    tcp.extend_from_slice(&seg.dst.1.to_be_bytes());
    tcp.extend_from_slice(&seg.seq.to_be_bytes());
    tcp.extend_from_slice(&seg.ack.to_be_bytes());
    tcp.push(5 << 4); // data offset: 5 words
    tcp.push(seg.flags);
    tcp.extend_from_slice(&65535u16.to_be_bytes()); // window
    tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    tcp.extend_from_slice(seg.payload);
    let mut ip = Vec::with_capacity(40 + tcp.len());
    if seg.src.0.len() == 4 {
        let total = (20 + tcp.len()).min(0xffff) as u16;
        ip.extend_from_slice(&[0x45, 0]);
        ip.extend_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]); // id, DF, ttl, tcp, checksum
        ip.extend_from_slice(seg.src.0);
        ip.extend_from_slice(seg.dst.0);
        let sum = checksum(&ip[..20]);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
    } else {
        ip.extend_from_slice(&[0x60, 0, 0, 0]);
        ip.extend_from_slice(&(tcp.len().min(0xffff) as u16).to_be_bytes());
        ip.extend_from_slice(&[6, 64]); // next header tcp, hop limit
        ip.extend_from_slice(seg.src.0);
        ip.extend_from_slice(seg.dst.0);
    }
    ip.extend_from_slice(&tcp);
    ip
}

/// The Internet checksum of an IPv4 header.
fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Puts an IP packet in the link-layer framing of `linktype` (one of
/// [`linktype`]; anything else gets no link header).
pub fn link_frame(linktype: u32, ip: &[u8]) -> Vec<u8> {
    let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
    let ether_type: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
    let mut out = Vec::with_capacity(ip.len() + 20);
    match linktype {
        linktype::ETHERNET => {
            out.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
            out.extend_from_slice(&ether_type);
        }
        linktype::NULL => {
            let family: u32 = if v6 { 30 } else { 2 };
            out.extend_from_slice(&family.to_le_bytes());
        }
        linktype::LINUX_SLL => {
            // Packet type, ARP hardware type 772 (loopback), address length
            // and address, then the protocol.
            out.extend_from_slice(&[0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&ether_type);
        }
        linktype::LINUX_SLL2 => {
            out.extend_from_slice(&ether_type);
            out.extend_from_slice(&[0, 0, 0, 0, 0, 1, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
        }
        _ => {}
    }
    out.extend_from_slice(ip);
    out
}

/// The link types the structured fuzz input can pick, in order.
pub const SESSION_LINKS: [u32; 5] = [
    linktype::ETHERNET,
    linktype::NULL,
    linktype::LINUX_SLL,
    linktype::LINUX_SLL2,
    linktype::RAW,
];

/// The server ports the structured fuzz input can pick (the default ports of
/// echo, redis, memcache, mysql and http), in order.
pub const SESSION_PORTS: [u16; 5] = [3030, 6379, 11211, 3306, 80];

/// Bytes of a record header in the structured (session) input.
pub const SESSION_RECORD_HEADER: usize = 5;

/// Control-byte bits of a session record.
pub mod session {
    /// Bits 0-1: which of 4 connections.
    pub const CONN_MASK: u8 = 0x03;
    /// From the server (else from the client).
    pub const FROM_SERVER: u8 = 0x04;
    /// SYN.
    pub const SYN: u8 = 0x08;
    /// ACK (acknowledging everything the peer sent so far).
    pub const ACK: u8 = 0x10;
    /// FIN.
    pub const FIN: u8 = 0x20;
    /// RST.
    pub const RST: u8 = 0x40;
    /// The payload is the whole packet as captured (no headers built).
    pub const RAW: u8 = 0x80;
}

/// Time step of a record: `d * |d| * 10` ms for the signed byte `d`, so
/// small values are milliseconds, large ones up to ±163 s (past the
/// transaction and idle timeouts), and negative ones go back in time.
pub fn session_delta_micros(d: i8) -> i64 {
    let d = i64::from(d);
    d * d.abs() * 10_000
}

/// The signed byte whose [`session_delta_micros`] is closest to `micros`.
pub fn session_delta_byte(micros: i64) -> i8 {
    (-128i64..=127)
        .min_by_key(|&d| (session_delta_micros(d as i8) - micros).abs())
        .unwrap_or(0) as i8
}

/// First sequence number of each direction of connection `conn`: the first
/// wraps around 2^32 after 256 bytes.
pub fn session_isn(conn: usize, from_server: bool) -> u32 {
    match (conn, from_server) {
        (0, false) => 0xffff_ff00,
        (0, true) => 0x7fff_ff80,
        (c, s) => 1000 * (c as u32 + 1) + if s { 500_000 } else { 0 },
    }
}

/// Expands a structured fuzz input into a pcap file of up to four TCP
/// connections between synthesized endpoints.
///
/// Layout: byte 0 picks the link type (bits 0-2, modulo
/// [`SESSION_LINKS`]), IPv6 (bit 3) and the server port (bits 4-7, modulo
/// [`SESSION_PORTS`]); then records, each a control byte ([`session`]), a
/// signed sequence offset (added to the next sequence number of that
/// direction: negative retransmits, positive leaves a hole), a signed time
/// step ([`session_delta_micros`]), a payload length (u16, little endian)
/// and the payload. A record with [`session::RAW`] is a raw packet instead.
/// Sequence and acknowledgment numbers otherwise follow what was sent, so
/// most inputs are plausible connections: this reaches reassembly,
/// framing, parsing and correlation instead of stopping at the decoder.
pub fn session_to_pcap(data: &[u8]) -> Vec<u8> {
    let (link, packets) = session_packets(data);
    let mut out = pcap_header(link, 65535);
    for (micros, packet) in packets {
        pcap_record(&mut out, micros as u64, &packet, packet.len() as u32);
    }
    out
}

/// [`session_to_pcap`]'s link type and packets, with their times in
/// microseconds since the epoch.
pub fn session_packets(data: &[u8]) -> (u32, Vec<(i64, Vec<u8>)>) {
    let Some((&setup, mut rest)) = data.split_first() else {
        return (linktype::ETHERNET, Vec::new());
    };
    let link = SESSION_LINKS[usize::from(setup & 0x07) % SESSION_LINKS.len()];
    let v6 = setup & 0x08 != 0;
    let server_port = SESSION_PORTS[usize::from(setup >> 4) % SESSION_PORTS.len()];
    let mut out = Vec::new();
    // Next sequence number per connection and direction.
    let mut next = [[0u32; 2]; 4];
    for (c, n) in next.iter_mut().enumerate() {
        *n = [session_isn(c, false), session_isn(c, true)];
    }
    let mut micros: i64 = 1_700_000_000_000_000;
    while rest.len() >= SESSION_RECORD_HEADER {
        let ctl = rest[0];
        let offset = rest[1] as i8;
        let step = rest[2] as i8;
        let len = usize::from(u16::from_le_bytes([rest[3], rest[4]]));
        let body = &rest[SESSION_RECORD_HEADER..];
        let payload = &body[..len.min(body.len())];
        rest = &body[payload.len()..];
        micros = (micros + session_delta_micros(step)).max(0);
        if ctl & session::RAW != 0 {
            out.push((micros, payload.to_vec()));
            continue;
        }
        let conn = usize::from(ctl & session::CONN_MASK);
        let from_server = ctl & session::FROM_SERVER != 0;
        let dir = usize::from(from_server);
        let (client_ip, server_ip): (Vec<u8>, Vec<u8>) = if v6 {
            let mut c = vec![0xfd; 16];
            c[15] = 1 + conn as u8;
            (c, vec![0xfd; 16])
        } else {
            (vec![10, 0, 0, 1 + conn as u8], vec![10, 0, 0, 100])
        };
        let client = (&client_ip[..], 40000 + conn as u16);
        let server = (&server_ip[..], server_port);
        let (src, dst) = if from_server {
            (server, client)
        } else {
            (client, server)
        };
        let mut tcp_flags = 0;
        for (bit, flag) in [
            (session::SYN, flags::SYN),
            (session::ACK, flags::ACK),
            (session::FIN, flags::FIN),
            (session::RST, flags::RST),
        ] {
            if ctl & bit != 0 {
                tcp_flags |= flag;
            }
        }
        if !payload.is_empty() {
            tcp_flags |= flags::PSH;
        }
        let seq = if ctl & session::SYN != 0 {
            session_isn(conn, from_server).wrapping_add(offset as i32 as u32)
        } else {
            next[conn][dir].wrapping_add(offset as i32 as u32)
        };
        let seg = Segment {
            src,
            dst,
            seq,
            ack: next[conn][1 - dir],
            flags: tcp_flags,
            payload,
        };
        out.push((micros, link_frame(link, &ip_packet(&seg))));
        // The sender's next byte: past this segment if it went forward.
        let mut end = seq.wrapping_add(payload.len() as u32);
        if tcp_flags & flags::SYN != 0 {
            end = end.wrapping_add(1);
        }
        if tcp_flags & flags::FIN != 0 {
            end = end.wrapping_add(1);
        }
        if (end.wrapping_sub(next[conn][dir]) as i32) > 0 || tcp_flags & flags::SYN != 0 {
            next[conn][dir] = end;
        }
    }
    (link, out)
}

/// Appends one record of the structured (session) input.
pub fn session_record(out: &mut Vec<u8>, ctl: u8, offset: i8, step: i8, payload: &[u8]) {
    let len = payload.len().min(0xffff);
    out.extend_from_slice(&[ctl, offset as u8, step as u8]);
    out.extend_from_slice(&(len as u16).to_le_bytes());
    out.extend_from_slice(&payload[..len]);
}

/// Bytes of the header of the chunked-stream input ([`stream_input`]).
pub const STREAM_HEADER: usize = 3;

/// A chunked-stream fuzz input: byte 0 says the direction (bit 0: from the
/// server), bytes 1-2 the maximum message size minus one (u16, little
/// endian), then chunks, each a length byte and that many bytes (see
/// [`parse_stream_input`] for a length byte of 0).
pub fn stream_input(from_server: bool, max_message: u16, chunks: &[&[u8]]) -> Vec<u8> {
    let pieces: Vec<StreamPiece<'_>> = chunks.iter().map(|c| StreamPiece::Data(c)).collect();
    stream_input_with_gaps(from_server, max_message, &pieces)
}

/// [`stream_input`] with gaps: [`StreamPiece::Lost`] pieces are written as
/// a length byte of 0 and the count.
pub fn stream_input_with_gaps(
    from_server: bool,
    max_message: u16,
    pieces: &[StreamPiece<'_>],
) -> Vec<u8> {
    let mut out = vec![u8::from(from_server)];
    out.extend_from_slice(&max_message.saturating_sub(1).to_le_bytes());
    for piece in pieces {
        match *piece {
            StreamPiece::Data(chunk) => {
                for part in chunk.chunks(255) {
                    out.push(part.len() as u8);
                    out.extend_from_slice(part);
                }
            }
            StreamPiece::Lost(n) => out.extend_from_slice(&[0, n]),
        }
    }
    out
}

/// One piece of a chunked-stream input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamPiece<'a> {
    /// Bytes captured.
    Data(&'a [u8]),
    /// This many bytes lost in capture (a gap in the stream).
    Lost(u8),
}

/// Splits a chunked-stream input ([`stream_input`]) back: direction, maximum
/// message size, pieces. A length byte of 0 is followed by a count of bytes
/// lost in capture (a gap; 0 loses nothing); the last chunk may be short.
pub fn parse_stream_input(data: &[u8]) -> (bool, usize, Vec<StreamPiece<'_>>) {
    let Some(header) = data.get(..STREAM_HEADER) else {
        return (false, 1, Vec::new());
    };
    let from_server = header[0] & 1 != 0;
    let max = usize::from(u16::from_le_bytes([header[1], header[2]])) + 1;
    let mut pieces = Vec::new();
    let mut rest = &data[STREAM_HEADER..];
    while let Some((&len, body)) = rest.split_first() {
        if len == 0 {
            let Some((&lost, body)) = body.split_first() else {
                break;
            };
            pieces.push(StreamPiece::Lost(lost));
            rest = body;
            continue;
        }
        let take = usize::from(len).min(body.len());
        pieces.push(StreamPiece::Data(&body[..take]));
        rest = &body[take..];
    }
    (from_server, max, pieces)
}
