//! The loss benchmark's traffic: pipelined batches of requests, each batch
//! answered after it was sent, cut into small segments, with the TCP
//! handshake, acknowledgments and close of real connections.

use etherparse::PacketBuilder;

use super::lenkey;
use crate::messages::AppProtocol;
use crate::rng::Rng;

/// The protocols the loss benchmark runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossProtocol {
    /// The tutorial's line protocol (answers repeat their request).
    Echo,
    /// Redis RESP2.
    Redis,
    /// Memcache's text protocol.
    Memcache,
    /// A length-prefixed protocol whose answers carry their request's id
    /// ([`lenkey`]); answers of a batch come in any order.
    LenKey,
}

impl LossProtocol {
    /// Every protocol, in the order the benchmark prints them.
    pub const ALL: [LossProtocol; 4] = [
        LossProtocol::Echo,
        LossProtocol::Redis,
        LossProtocol::Memcache,
        LossProtocol::LenKey,
    ];

    /// The protocol's name.
    pub fn name(self) -> &'static str {
        match self {
            LossProtocol::Echo => "echo",
            LossProtocol::Redis => "redis",
            LossProtocol::Memcache => "memcache",
            LossProtocol::LenKey => "lenkey",
        }
    }

    fn port(self) -> u16 {
        match self {
            LossProtocol::Echo => AppProtocol::Echo.port(),
            LossProtocol::Redis => AppProtocol::Redis.port(),
            LossProtocol::Memcache => 11211,
            LossProtocol::LenKey => lenkey::PORT,
        }
    }

    /// One batch of `n` requests and their answers.
    fn batch(self, rng: &mut Rng, n: usize, next_id: &mut u16) -> (Vec<u8>, Vec<u8>) {
        let (mut req, mut resp) = (Vec::new(), Vec::new());
        match self {
            LossProtocol::Echo | LossProtocol::Redis => {
                let app = if self == LossProtocol::Echo {
                    AppProtocol::Echo
                } else {
                    AppProtocol::Redis
                };
                for _ in 0..n {
                    app.exchange(rng, &mut req, &mut resp);
                }
            }
            LossProtocol::Memcache => {
                for _ in 0..n {
                    memcache_exchange(rng, &mut req, &mut resp);
                }
            }
            LossProtocol::LenKey => {
                let mut answers = Vec::new();
                for _ in 0..n {
                    let id = *next_id;
                    *next_id = next_id.wrapping_add(1);
                    lenkey::message(&mut req, b'Q', id, rng.between(5, 80));
                    let t = if rng.percent(5) { b'E' } else { b'A' };
                    answers.push((t, id, rng.between(5, 120)));
                }
                // Answers in any order: a keyed protocol allows it.
                for i in (1..answers.len()).rev() {
                    answers.swap(i, rng.between(0, i));
                }
                for (t, id, size) in answers {
                    lenkey::message(&mut resp, t, id, size);
                }
            }
        }
        (req, resp)
    }
}

/// A text command and its reply: `get` (hit or miss), `set`, `delete`,
/// `incr`.
fn memcache_exchange(rng: &mut Rng, req: &mut Vec<u8>, resp: &mut Vec<u8>) {
    let key = format!("k{}", rng.range(0, 9_999));
    let mut value = Vec::new();
    let len = rng.between(1, 100);
    rng.fill_from(&mut value, b"abcdefghijklmnopqrstuvwxyz", len);
    match rng.range(0, 3) {
        0 => {
            req.extend_from_slice(format!("get {key}\r\n").as_bytes());
            if rng.percent(30) {
                resp.extend_from_slice(b"END\r\n");
            } else {
                resp.extend_from_slice(format!("VALUE {key} 0 {len}\r\n").as_bytes());
                resp.extend_from_slice(&value);
                resp.extend_from_slice(b"\r\nEND\r\n");
            }
        }
        1 => {
            req.extend_from_slice(format!("set {key} 0 0 {len}\r\n").as_bytes());
            req.extend_from_slice(&value);
            req.extend_from_slice(b"\r\n");
            resp.extend_from_slice(b"STORED\r\n");
        }
        2 => {
            req.extend_from_slice(format!("delete {key}\r\n").as_bytes());
            let reply: &[u8] = if rng.percent(30) {
                b"NOT_FOUND\r\n"
            } else {
                b"DELETED\r\n"
            };
            resp.extend_from_slice(reply);
        }
        _ => {
            req.extend_from_slice(format!("incr {key} 1\r\n").as_bytes());
            resp.extend_from_slice(format!("{}\r\n", rng.range(1, 100_000)).as_bytes());
        }
    }
}

/// One Ethernet frame of a generated capture.
#[derive(Clone, Debug)]
pub struct Packet {
    /// Capture time, microseconds.
    pub micros: u64,
    /// The frame.
    pub frame: Vec<u8>,
    /// Whether it carries application bytes (what the benchmark drops).
    pub data: bool,
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Connections, one after another.
    pub connections: usize,
    /// Transactions per connection.
    pub transactions: usize,
    /// Requests per pipelined batch, drawn from this range (inclusive).
    pub batch: (usize, usize),
    /// Largest TCP payload of a segment.
    pub segment: usize,
}

/// Builds the capture: `shape.connections` connections of `protocol`, each
/// with its handshake, batches (the requests cut into segments, then the
/// answers, then the client's ACK) and close.
pub fn capture(protocol: LossProtocol, shape: Shape, seed: u64) -> Vec<Packet> {
    let mut rng = Rng::new(seed);
    let mut packets = Vec::new();
    let mut micros = 1_767_225_600_000_000u64;
    let mut next_id = 0u16;
    for c in 0..shape.connections {
        let mut conn = Conn {
            client_port: 40_000 + c as u16,
            server_port: protocol.port(),
            seq: [1_000, 50_000],
        };
        let mut emit = |from_client: bool, flags: Flags, payload: &[u8]| {
            micros += 10;
            packets.push(Packet {
                micros,
                frame: conn.frame(from_client, flags, payload),
                data: !payload.is_empty(),
            });
        };
        emit(true, Flags::Syn, &[]);
        emit(false, Flags::SynAck, &[]);
        emit(true, Flags::Ack, &[]);
        let mut done = 0;
        while done < shape.transactions {
            let n = rng
                .between(shape.batch.0, shape.batch.1)
                .min(shape.transactions - done);
            done += n;
            let (req, resp) = protocol.batch(&mut rng, n, &mut next_id);
            for chunk in req.chunks(shape.segment) {
                emit(true, Flags::Ack, chunk);
            }
            for chunk in resp.chunks(shape.segment) {
                emit(false, Flags::Ack, chunk);
            }
            emit(true, Flags::Ack, &[]);
        }
        emit(true, Flags::Fin, &[]);
        emit(false, Flags::Fin, &[]);
        emit(true, Flags::Ack, &[]);
    }
    packets
}

#[derive(Clone, Copy)]
enum Flags {
    Syn,
    SynAck,
    Ack,
    Fin,
}

/// One connection's addresses and next sequence numbers (client, server).
struct Conn {
    client_port: u16,
    server_port: u16,
    seq: [u32; 2],
}

impl Conn {
    fn frame(&mut self, from_client: bool, flags: Flags, payload: &[u8]) -> Vec<u8> {
        let (me, peer) = if from_client { (0, 1) } else { (1, 0) };
        let (src, dst, sport, dport) = if from_client {
            (
                [10, 0, 0, 1],
                [10, 0, 0, 2],
                self.client_port,
                self.server_port,
            )
        } else {
            (
                [10, 0, 0, 2],
                [10, 0, 0, 1],
                self.server_port,
                self.client_port,
            )
        };
        let tcp = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src, dst, 64)
            .tcp(sport, dport, self.seq[me], 65_535);
        let tcp = match flags {
            Flags::Syn => tcp.syn(),
            Flags::SynAck => tcp.syn().ack(self.seq[peer]),
            Flags::Ack => tcp.ack(self.seq[peer]).psh(),
            Flags::Fin => tcp.fin().ack(self.seq[peer]),
        };
        let mut out = Vec::with_capacity(tcp.size(payload.len()));
        tcp.write(&mut out, payload)
            .expect("writing to a Vec cannot fail");
        let used = match flags {
            Flags::Syn | Flags::SynAck | Flags::Fin => 1,
            Flags::Ack => payload.len() as u32,
        };
        self.seq[me] = self.seq[me].wrapping_add(used);
        out
    }
}
