//! Synthetic MySQL conversations: packets built with their headers, sent
//! over one TCP connection with correct sequence numbers, through the
//! engine.
#![allow(dead_code)]

use analyzer_core::decode::LinkType;
use analyzer_core::replay::replay_packets;
use analyzer_core::{Config, Counters, Timestamp};
use etherparse::PacketBuilder;
use mysql::MysqlMessage;
use serde_json::Value;

/// A MySQL packet: the 3-byte length, the sequence id, the payload.
pub fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = len.to_le_bytes()[..3].to_vec();
    out.push(seq);
    out.extend_from_slice(payload);
    out
}

/// Several packets, numbered from `seq`.
pub fn packets(seq: u8, payloads: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        out.extend(packet(seq.wrapping_add(i as u8), p));
    }
    out
}

/// A length-encoded string.
pub fn lenenc(s: &[u8]) -> Vec<u8> {
    assert!(s.len() < 251);
    let mut out = vec![s.len() as u8];
    out.extend_from_slice(s);
    out
}

/// A column definition (protocol 4.1) named `name`.
pub fn column(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [
        &b"def"[..],
        b"db",
        b"t",
        b"t",
        name.as_bytes(),
        name.as_bytes(),
    ] {
        out.extend(lenenc(part));
    }
    out.extend_from_slice(&[0x0c, 0x21, 0, 0xff, 0, 0, 0, 0xfd, 0, 0, 0, 0, 0]);
    out
}

/// An EOF with status flags.
pub fn eof(status: u16) -> Vec<u8> {
    let mut out = vec![0xfe, 0, 0];
    out.extend_from_slice(&status.to_le_bytes());
    out
}

/// An OK with affected rows, insert id and status flags (header `0x00`, or
/// `0xFE` to end rows under CLIENT_DEPRECATE_EOF).
pub fn ok(header: u8, affected: u8, insert_id: u8, status: u16) -> Vec<u8> {
    let mut out = vec![header, affected, insert_id];
    out.extend_from_slice(&status.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// An ERR packet.
pub fn err(code: u16, state: &str, message: &str) -> Vec<u8> {
    let mut out = vec![0xff];
    out.extend_from_slice(&code.to_le_bytes());
    out.push(b'#');
    out.extend_from_slice(state.as_bytes());
    out.extend_from_slice(message.as_bytes());
    out
}

/// The server's handshake offering `capabilities`.
pub fn greeting(capabilities: u32) -> Vec<u8> {
    let mut out = vec![10];
    out.extend_from_slice(b"8.0.36\0");
    out.extend_from_slice(&42u32.to_le_bytes());
    out.extend_from_slice(b"abcdefgh\0");
    out.extend_from_slice(&(capabilities as u16).to_le_bytes());
    out.push(45);
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&((capabilities >> 16) as u16).to_le_bytes());
    out.push(21);
    out.extend_from_slice(&[0; 10]);
    out.extend_from_slice(b"ijklmnopqrst\0");
    out.extend_from_slice(b"caching_sha2_password\0");
    out
}

/// A login (HandshakeResponse41) with `capabilities`.
pub fn login(capabilities: u32, user: &str) -> Vec<u8> {
    let mut out = capabilities.to_le_bytes().to_vec();
    out.extend_from_slice(&(16u32 << 20).to_le_bytes());
    out.push(45);
    out.extend_from_slice(&[0; 23]);
    out.extend_from_slice(user.as_bytes());
    out.push(0);
    out.extend_from_slice(&[20; 21]);
    out.extend_from_slice(b"caching_sha2_password\0");
    out
}

/// Capabilities of a usual client: 4.1, secure connection, plugin auth.
pub const CAPS: u32 = 0x200 | 0x8000 | 0x8_0000;
pub const DEPRECATE_EOF: u32 = 0x100_0000;
pub const SSL: u32 = 0x800;

/// One TCP connection to port 3306.
pub struct Conn {
    seq: [u32; 2],
    pub packets: Vec<(i64, Vec<u8>)>,
    ms: i64,
}

impl Conn {
    /// A connection, with its TCP handshake when `syn`.
    pub fn new(syn: bool) -> Self {
        let mut c = Conn {
            seq: [1000, 5000],
            packets: Vec::new(),
            ms: 0,
        };
        if syn {
            c.push(true, b"", true, false, false);
            c.push(false, b"", true, true, false);
            c.push(true, b"", false, true, false);
        }
        c
    }

    fn push(&mut self, from_client: bool, data: &[u8], syn: bool, ack: bool, fin: bool) {
        let (src, dst, i) = if from_client {
            (([10, 0, 0, 1], 40000), ([10, 0, 0, 2], 3306), 0)
        } else {
            (([10, 0, 0, 2], 3306), ([10, 0, 0, 1], 40000), 1)
        };
        let mut b = PacketBuilder::ipv4(src.0, dst.0, 64).tcp(src.1, dst.1, self.seq[i], 65535);
        if syn {
            b = b.syn();
        }
        if ack {
            b = b.ack(self.seq[1 - i]);
        }
        if fin {
            b = b.fin();
        }
        let mut out = Vec::new();
        b.write(&mut out, data).unwrap();
        self.seq[i] = self.seq[i]
            .wrapping_add(data.len() as u32)
            .wrapping_add(u32::from(syn) + u32::from(fin));
        self.packets.push((self.ms, out));
        self.ms += 1;
    }

    /// Continues `other`'s connection: its sequence numbers and time.
    pub fn skip_to(&mut self, other: &Conn) {
        self.seq = other.seq;
        self.ms = other.ms;
    }

    /// The client sends `data`.
    pub fn client(&mut self, data: &[u8]) -> &mut Self {
        self.push(true, data, false, true, false);
        self
    }

    /// The server sends `data`.
    pub fn server(&mut self, data: &[u8]) -> &mut Self {
        self.push(false, data, false, true, false);
        self
    }

    /// Both sides close.
    pub fn close(&mut self) -> &mut Self {
        self.push(true, b"", false, true, true);
        self.push(false, b"", false, true, true);
        self
    }

    /// Runs the packets through an engine: the events, the counters.
    pub fn run(&self) -> (Vec<Value>, Counters) {
        let packets = self
            .packets
            .iter()
            .map(|(ms, data)| (Timestamp::from_nanos(ms * 1_000_000), LinkType::RawIp, data));
        let run = replay_packets::<MysqlMessage, _>(Config::default(), packets);
        assert_eq!(run.counters.check_accounting(), Ok(()));
        (run.events, run.counters)
    }
}

/// `status method query fields/rows affected/insert error [note]`, short.
pub fn line(e: &Value) -> String {
    let m = &e["mysql"];
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        v => v.to_string(),
    };
    let mut out = format!(
        "{} {} {} {}/{} {}/{} {}",
        s(&e["status"]),
        s(&e["method"]),
        s(&e["query"]),
        s(&m["num_fields"]),
        s(&m["num_rows"]),
        s(&m["affected_rows"]),
        s(&m["insert_id"]),
        s(&m["error_code"]),
    );
    if let Some(note) = e["error"]["message"].as_str() {
        out.push_str(&format!(" [{note}]"));
    }
    out
}
