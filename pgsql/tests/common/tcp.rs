//! Synthetic TCP connections to port 5432, fed to an engine packet by
//! packet (nothing of the input is held), with segments that can be left
//! out (captured loss).

use analyzer_core::decode::LinkType;
use analyzer_core::{Engine, Sink, Timestamp};
use etherparse::PacketBuilder;
use pgsql::PgsqlMessage;

pub const CLIENT: ([u8; 4], u16) = ([10, 0, 0, 1], 40000);
pub const SERVER: ([u8; 4], u16) = ([10, 0, 0, 2], 5432);

/// One connection's packets, built with correct sequence numbers and fed
/// to `engine` at once.
pub struct Conn<'e, S: Sink<PgsqlMessage>> {
    pub engine: &'e mut Engine<PgsqlMessage, S>,
    seq: [u32; 2],
    micros: i64,
}

impl<'e, S: Sink<PgsqlMessage>> Conn<'e, S> {
    pub fn new(engine: &'e mut Engine<PgsqlMessage, S>) -> Self {
        let mut conn = Conn {
            engine,
            seq: [1000, 5000],
            micros: 0,
        };
        conn.push(true, b"", true, false, false, true);
        conn.push(false, b"", true, true, false, true);
        conn.push(true, b"", false, true, false, true);
        conn
    }

    /// A packet; `sent == false` leaves it out of the capture (its
    /// sequence space is used all the same).
    fn push(
        &mut self,
        from_client: bool,
        payload: &[u8],
        syn: bool,
        ack: bool,
        fin: bool,
        sent: bool,
    ) {
        let (src, dst, i) = if from_client {
            (CLIENT, SERVER, 0)
        } else {
            (SERVER, CLIENT, 1)
        };
        if sent {
            let mut b = PacketBuilder::ethernet2([1; 6], [2; 6])
                .ipv4(src.0, dst.0, 64)
                .tcp(src.1, dst.1, self.seq[i], 65535);
            if syn {
                b = b.syn();
            }
            if ack {
                b = b.ack(self.seq[1 - i]);
            }
            if fin {
                b = b.fin();
            }
            let mut out = Vec::with_capacity(payload.len() + 64);
            b.write(&mut out, payload).unwrap();
            let ts = Timestamp::from_nanos(1_700_000_000_000_000_000 + self.micros * 1000);
            self.engine.packet(ts, LinkType::Ethernet, &out);
        }
        self.seq[i] = self.seq[i]
            .wrapping_add(payload.len() as u32)
            .wrapping_add(u32::from(syn) + u32::from(fin));
        self.micros += 10;
    }

    pub fn client(&mut self, data: &[u8]) -> &mut Self {
        self.push(true, data, false, true, false, true);
        self
    }

    pub fn server(&mut self, data: &[u8]) -> &mut Self {
        self.push(false, data, false, true, false, true);
        self
    }

    /// A server segment lost in capture.
    pub fn server_lost(&mut self, data: &[u8]) -> &mut Self {
        self.push(false, data, false, true, false, false);
        self
    }

    pub fn close(&mut self) {
        self.push(true, b"", false, true, true, true);
        self.push(false, b"", false, true, true, true);
        self.push(true, b"", false, true, false, true);
    }
}

/// A typed message: type, length counting itself, body.
pub fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A simple query.
pub fn query(text: &str) -> Vec<u8> {
    msg(b'Q', format!("{text}\0").as_bytes())
}

/// A DataRow of text values.
pub fn row(values: &[&str]) -> Vec<u8> {
    let mut body = (values.len() as u16).to_be_bytes().to_vec();
    for v in values {
        body.extend_from_slice(&(v.len() as u32).to_be_bytes());
        body.extend_from_slice(v.as_bytes());
    }
    msg(b'D', &body)
}

/// A RowDescription of `n` text fields.
pub fn row_description(n: u16) -> Vec<u8> {
    let mut body = n.to_be_bytes().to_vec();
    for i in 0..n {
        body.extend_from_slice(format!("c{i}\0").as_bytes());
        body.extend_from_slice(&[
            0, 0, 0, 0, 0, 0, 0, 0, 0, 25, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0,
        ]);
    }
    msg(b'T', &body)
}

pub fn complete(tag: &str) -> Vec<u8> {
    msg(b'C', format!("{tag}\0").as_bytes())
}

pub fn ready() -> Vec<u8> {
    msg(b'Z', b"I")
}
