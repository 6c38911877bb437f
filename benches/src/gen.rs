//! The workload generator: a classic pcap (Ethernet, IPv4, TCP, microsecond
//! timestamps) of many interleaved echo, Redis or MySQL connections, deterministic
//! from a seed and written as a stream (memory does not grow with the size).
//!
//! Each connection: SYN, SYN-ACK, ACK; then batches of 1 request (80%) or 2–6
//! pipelined requests (20%), each batch answered after it was sent, with
//! correct sequence and acknowledgment numbers, some pure ACKs; then FIN, FIN,
//! ACK. A batch is cut into segments one message per segment, all messages in
//! one segment, or at random points (messages split across segments); no
//! segment exceeds 1460 bytes. ~5% of the replies are errors.

use std::collections::VecDeque;
use std::io::{self, BufWriter, Write};

use etherparse::PacketBuilder;
use serde::{Deserialize, Serialize};

use crate::messages::AppProtocol;
use crate::rng::Rng;

/// Largest TCP payload of a generated segment.
pub const MSS: usize = 1460;
/// First packet's time: 2026-01-01T00:00:00Z, in microseconds.
const START_MICROS: u64 = 1_767_225_600_000_000;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Echo, Redis or HTTP.
    pub protocol: AppProtocol,
    /// Stop opening connections and starting batches once the file has this
    /// many bytes (the open connections then close: the file ends a little
    /// past it).
    pub size: u64,
    /// Seed of the PRNG: same seed and options, same bytes.
    pub seed: u64,
    /// Connections open at the same time.
    pub concurrency: usize,
    /// Total connections to open (`None`: as many as `size` takes).
    pub max_connections: Option<u64>,
    /// Transactions per connection, drawn uniformly from this range.
    pub transactions_per_connection: (u64, u64),
    /// Leave each connection open once its transactions are done (no FIN):
    /// the file ends with every connection idle (`bench-pipeline`'s idle
    /// footprint).
    pub keep_open: bool,
    /// Addresses as IPv6 (`fd00::` and the IPv4 address's four bytes)
    /// instead of IPv4.
    pub ipv6: bool,
    /// A VLAN tag (802.1Q, id 7) in every frame.
    pub vlan: bool,
    /// Linux cooked frames (SLL, what `tcpdump -i any` writes) instead of
    /// Ethernet.
    pub sll: bool,
}

impl Options {
    /// ~1,000 interleaved connections of `protocol` up to `size` bytes.
    pub fn new(protocol: AppProtocol, size: u64, seed: u64) -> Self {
        Options {
            protocol,
            size,
            seed,
            concurrency: 1000,
            max_connections: None,
            transactions_per_connection: (1, 200),
            keep_open: false,
            ipv6: false,
            vlan: false,
            sll: false,
        }
    }
}

/// What was written: the expected results of analyzing the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// `echo` or `redis`.
    pub protocol: String,
    /// The seed used.
    pub seed: u64,
    /// Bytes of the pcap file.
    pub bytes: u64,
    /// TCP connections (all complete: handshake to FIN).
    pub connections: u64,
    /// Connections open at the same time (`Options::concurrency`; 0 in
    /// summaries written before it was recorded).
    #[serde(default)]
    pub concurrency: u64,
    /// Packets (records) in the file.
    pub packets: u64,
    /// Request/reply pairs: the transactions an analyzer must publish.
    pub transactions: u64,
    /// Of those, answered with an error reply.
    pub error_replies: u64,
    /// Requests sent in a pipelined batch (before the previous answer).
    pub pipelined_requests: u64,
    /// Messages whose bytes span more than one segment.
    pub split_messages: u64,
    /// Segments holding the end of more than one message.
    pub multi_message_segments: u64,
}

const SYN: u8 = 1;
const ACK: u8 = 2;
const FIN: u8 = 4;
const PSH: u8 = 8;

/// One packet, planned with its sequence numbers.
struct Segment {
    from_client: bool,
    flags: u8,
    seq: u32,
    ack: u32,
    payload: Vec<u8>,
}

struct Conn {
    /// Client and server: IPv4 address, port.
    ends: [([u8; 4], u16); 2],
    /// Next sequence number of the client (0) and the server (1).
    next_seq: [u32; 2],
    remaining: u64,
    closing: bool,
    /// The protocol's opening (MySQL's handshake and login) was planned.
    opened: bool,
    queue: VecDeque<Segment>,
}

impl Conn {
    fn new(n: u64, port: u16, rng: &mut Rng, per_conn: (u64, u64)) -> Self {
        let host = n / 28_000;
        let client = (
            [10, 1, (host >> 8) as u8, host as u8],
            32_768 + (n % 28_000) as u16,
        );
        let server = ([10, 0, 0, 1 + (n % 4) as u8], port);
        let mut conn = Conn {
            ends: [client, server],
            next_seq: [rng.next_u64() as u32, rng.next_u64() as u32],
            remaining: rng.range(per_conn.0, per_conn.1),
            closing: false,
            opened: false,
            queue: VecDeque::new(),
        };
        conn.push(true, SYN, Vec::new());
        conn.push(false, SYN | ACK, Vec::new());
        conn.push(true, ACK, Vec::new());
        if port == AppProtocol::Pgsql.port() {
            // The startup phase: no transaction.
            let (mut req, mut resp) = (Vec::new(), Vec::new());
            crate::pgsql::startup(&mut req, &mut resp);
            conn.push(true, ACK | PSH, req);
            conn.push(false, ACK | PSH, resp);
        }
        conn
    }

    /// Queues a packet; the sender's sequence number advances.
    fn push(&mut self, from_client: bool, flags: u8, payload: Vec<u8>) {
        let (me, peer) = if from_client { (0, 1) } else { (1, 0) };
        let seq = self.next_seq[me];
        let ack = if flags & ACK != 0 {
            self.next_seq[peer]
        } else {
            0
        };
        let len = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        self.next_seq[me] = seq.wrapping_add(len);
        self.queue.push_back(Segment {
            from_client,
            flags,
            seq,
            ack,
            payload,
        });
    }

    /// Queues the next batch of requests and replies, or the close.
    fn plan(&mut self, protocol: AppProtocol, rng: &mut Rng, sum: &mut Summary) {
        if !std::mem::replace(&mut self.opened, true) {
            let (flights, transactions) = protocol.opening(rng);
            if !flights.is_empty() {
                sum.transactions += transactions;
                for (from_client, bytes) in flights {
                    self.push(from_client, ACK | PSH, bytes);
                }
                return;
            }
        }
        if self.remaining == 0 || self.closing {
            self.push(true, FIN | ACK, Vec::new());
            self.push(false, FIN | ACK, Vec::new());
            self.push(true, ACK, Vec::new());
            self.closing = true;
            return;
        }
        let batch = if rng.percent(20) { rng.range(2, 6) } else { 1 };
        let batch = batch.min(self.remaining);
        self.remaining -= batch;
        let (mut req, mut resp) = (Vec::new(), Vec::new());
        let (mut req_ends, mut resp_ends) = (Vec::new(), Vec::new());
        for _ in 0..batch {
            sum.error_replies += u64::from(protocol.exchange(rng, &mut req, &mut resp));
            req_ends.push(req.len());
            resp_ends.push(resp.len());
        }
        sum.transactions += batch;
        if batch > 1 {
            sum.pipelined_requests += batch;
        }
        for (from_client, bytes, ends) in [(true, req, req_ends), (false, resp, resp_ends)] {
            for (start, end) in segments(rng, &ends, sum) {
                self.push(from_client, ACK | PSH, bytes[start..end].to_vec());
            }
            // The receiver sometimes acknowledges at once (else the data it
            // sends next does).
            if rng.percent(40) {
                self.push(!from_client, ACK, Vec::new());
            }
        }
    }
}

/// Cuts a flight of messages ending at `ends` into segments.
fn segments(rng: &mut Rng, ends: &[usize], sum: &mut Summary) -> Vec<(usize, usize)> {
    let total = *ends.last().expect("a batch has a message");
    let mode = rng.range(0, 99);
    let mut cuts: Vec<usize> = if ends.len() > 1 && mode < 50 {
        ends.to_vec() // one message per segment
    } else if (ends.len() == 1 && mode < 85) || mode < 80 {
        vec![total] // the whole flight in one segment
    } else {
        let mut cuts: Vec<usize> = (0..rng.range(1, ends.len() as u64 + 1))
            .map(|_| rng.between(1, total - 1))
            .collect();
        cuts.push(total);
        cuts.sort_unstable();
        cuts.dedup();
        cuts
    };
    // No segment over the MSS.
    let mut bounded = Vec::with_capacity(cuts.len());
    let mut start = 0;
    for cut in cuts.drain(..) {
        while cut - start > MSS {
            start += MSS;
            bounded.push(start);
        }
        bounded.push(cut);
        start = cut;
    }
    let mut out = Vec::with_capacity(bounded.len());
    let mut start = 0;
    for end in bounded {
        out.push((start, end));
        start = end;
    }
    for &(s, e) in &out {
        let inside = ends.iter().filter(|&&m| m > s && m <= e).count();
        sum.multi_message_segments += u64::from(inside > 1);
    }
    let mut msg_start = 0;
    for &m in ends {
        let pieces = out.iter().filter(|&&(s, e)| s < m && e > msg_start).count();
        sum.split_messages += u64::from(pieces > 1);
        msg_start = m;
    }
    out
}

/// Streams pcap records to `out`.
struct PcapOut<W: Write> {
    out: BufWriter<W>,
    bytes: u64,
    packets: u64,
    frame: Vec<u8>,
    ipv6: bool,
    vlan: bool,
    sll: bool,
}

impl<W: Write> PcapOut<W> {
    fn new(out: W, opts: &Options) -> io::Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 20, out);
        // Classic pcap, little endian, microseconds, v2.4, snaplen 65535.
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        out.write_all(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0])?;
        out.write_all(&65_535u32.to_le_bytes())?;
        // Ethernet (1) or Linux cooked (113).
        let link: u32 = if opts.sll { 113 } else { 1 };
        out.write_all(&link.to_le_bytes())?;
        Ok(PcapOut {
            out,
            bytes: 24,
            packets: 0,
            frame: Vec::with_capacity(2048),
            ipv6: opts.ipv6,
            vlan: opts.vlan,
            sll: opts.sll,
        })
    }

    fn write(&mut self, micros: u64, conn: &Conn, seg: &Segment) -> io::Result<()> {
        let (src, dst) = if seg.from_client {
            (conn.ends[0], conn.ends[1])
        } else {
            (conn.ends[1], conn.ends[0])
        };
        let mac = |ip: [u8; 4]| [2, 0, ip[0], ip[1], ip[2], ip[3]];
        let v6 = |ip: [u8; 4]| {
            let mut a = [0; 16];
            a[0] = 0xfd;
            a[12..].copy_from_slice(&ip);
            a
        };
        let ethernet = PacketBuilder::ethernet2(mac(src.0), mac(dst.0));
        let vlan = etherparse::VlanId::try_new(7).expect("a valid id");
        let ip = match (self.vlan, self.ipv6) {
            (false, false) => ethernet.ipv4(src.0, dst.0, 64),
            (false, true) => ethernet.ipv6(v6(src.0), v6(dst.0), 64),
            (true, false) => ethernet.single_vlan(vlan).ipv4(src.0, dst.0, 64),
            (true, true) => ethernet.single_vlan(vlan).ipv6(v6(src.0), v6(dst.0), 64),
        };
        let mut b = ip.tcp(src.1, dst.1, seg.seq, 65_535);
        if seg.flags & SYN != 0 {
            b = b.syn();
        }
        if seg.flags & ACK != 0 {
            b = b.ack(seg.ack);
        }
        if seg.flags & FIN != 0 {
            b = b.fin();
        }
        if seg.flags & PSH != 0 {
            b = b.psh();
        }
        self.frame.clear();
        b.write(&mut self.frame, &seg.payload)
            .map_err(io::Error::other)?;
        if self.sll {
            // The Ethernet header's place: packet type (to us), ARPHRD_ETHER,
            // address length, the source address (padded to 8), ether type.
            let mut header = [0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            header[6..12].copy_from_slice(&self.frame[6..12]);
            header[14..].copy_from_slice(&self.frame[12..14]);
            self.frame.splice(..14, header);
        }
        let len = self.frame.len() as u32;
        for v in [
            (micros / 1_000_000) as u32,
            (micros % 1_000_000) as u32,
            len,
            len,
        ] {
            self.out.write_all(&v.to_le_bytes())?;
        }
        self.out.write_all(&self.frame)?;
        self.bytes += 16 + u64::from(len);
        self.packets += 1;
        Ok(())
    }
}

/// Writes a workload to `out`; returns what it holds.
pub fn generate<W: Write>(opts: &Options, out: W) -> io::Result<Summary> {
    let mut rng = Rng::new(opts.seed);
    let mut pcap = PcapOut::new(out, opts)?;
    let mut sum = Summary {
        protocol: opts.protocol.name().to_string(),
        seed: opts.seed,
        concurrency: opts.concurrency.max(1) as u64,
        ..Summary::default()
    };
    let mut active: Vec<Conn> = Vec::with_capacity(opts.concurrency);
    let mut micros = START_MICROS;
    let mut stopping = false;
    loop {
        let may_open = |opened| !matches!(opts.max_connections, Some(max) if opened >= max);
        while !stopping && active.len() < opts.concurrency.max(1) && may_open(sum.connections) {
            let port = opts.protocol.port();
            let per_conn = opts.transactions_per_connection;
            active.push(Conn::new(sum.connections, port, &mut rng, per_conn));
            sum.connections += 1;
        }
        if active.is_empty() {
            break;
        }
        let i = rng.between(0, active.len() - 1);
        let conn = &mut active[i];
        if conn.queue.is_empty() {
            conn.closing |= stopping;
            conn.plan(opts.protocol, &mut rng, &mut sum);
        }
        if opts.keep_open && conn.closing && conn.remaining == 0 {
            // Done, left open: its close is not written.
            active.swap_remove(i);
            continue;
        }
        let seg = conn.queue.pop_front().expect("planned a packet");
        pcap.write(micros, conn, &seg)?;
        micros += rng.range(1, 20);
        if conn.closing && conn.queue.is_empty() {
            active.swap_remove(i);
        }
        stopping |= pcap.bytes >= opts.size;
    }
    pcap.out.flush()?;
    sum.bytes = pcap.bytes;
    sum.packets = pcap.packets;
    Ok(sum)
}

/// Parses a size with an optional K, M or G suffix (powers of 1024): `200M`,
/// `10k`, `2G`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_uppercase()),
        _ => (text, ' '),
    };
    let shift = match unit {
        ' ' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return Err(format!("`{text}`: the size suffix must be K, M or G")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 200M)"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}
