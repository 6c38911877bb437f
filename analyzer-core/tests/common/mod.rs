//! Synthetic TCP conversations for engine unit tests, and a hand-written
//! line protocol (so these tests do not depend on the derive).
#![allow(dead_code)]

use analyzer_core::decode::LinkType;
use analyzer_core::framing::Delimiter;
use analyzer_core::{
    Config, Conversation, Cx, Direction, Engine, Event, JsonFields, JsonKey, Kind, NetString,
    ParseError, Protocol,
};
use bytes::Bytes;
use etherparse::PacketBuilder;
use serde_json::Value;

/// `>` request, `<` response, `!` error, newline-delimited.
#[derive(Debug)]
pub struct Line {
    pub kind: Kind,
    pub content: NetString,
}

impl Conversation for Line {
    type Session = ();

    /// Contents starting with `?` are doubtful.
    fn note(&self) -> Option<std::borrow::Cow<'static, str>> {
        self.content
            .as_bytes()
            .starts_with(b"?")
            .then(|| format!("doubtful {}", self.kind.as_str()).into())
    }
}

impl Protocol for Line {
    const NAME: &'static str = "line";
    const DEFAULT_PORTS: &'static [u16] = &[3030];
    type Framer = Delimiter;

    fn framer(_: Direction) -> Delimiter {
        Delimiter::new(b"\n")
    }

    fn parse(payload: Bytes, _cx: &Cx<'_, Self>) -> Result<Self, ParseError> {
        let (kind, rest) = analyzer_core::__private::split_tag(
            payload,
            &[
                (b'>', Kind::Request),
                (b'<', Kind::Response),
                (b'!', Kind::Error),
                (b'*', Kind::Greeting),
            ],
        )?;
        Ok(Line {
            kind,
            content: rest.into(),
        })
    }

    fn kind(&self) -> Option<Kind> {
        Some(self.kind)
    }

    fn write_fields(&self, out: &mut JsonFields<'_>) {
        out.field(const { JsonKey::new("kind") }, &self.kind);
        out.text(const { JsonKey::new("content") }, &self.content);
    }
}

pub const CLIENT: ([u8; 4], u16) = ([10, 0, 0, 1], 40000);
pub const SERVER: ([u8; 4], u16) = ([10, 0, 0, 2], 3030);

/// One TCP connection's packets, with correct sequence numbers.
pub struct Conn {
    client: ([u8; 4], u16),
    server: ([u8; 4], u16),
    seq: [u32; 2],
    pub packets: Vec<(i64, Vec<u8>)>,
    /// Capture time of the next packet, in milliseconds.
    pub ms: i64,
}

impl Conn {
    pub fn new(client: ([u8; 4], u16), server: ([u8; 4], u16)) -> Self {
        Conn {
            client,
            server,
            seq: [1000, 5000],
            packets: Vec::new(),
            ms: 0,
        }
    }

    fn push(
        &mut self,
        from_client: bool,
        payload: &[u8],
        syn: bool,
        ack: bool,
        fin: bool,
        rst: bool,
    ) -> &mut Self {
        let (src, dst, i) = if from_client {
            (self.client, self.server, 0)
        } else {
            (self.server, self.client, 1)
        };
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
        if rst {
            b = b.rst();
        }
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        self.seq[i] = self.seq[i]
            .wrapping_add(payload.len() as u32)
            .wrapping_add(u32::from(syn) + u32::from(fin));
        self.packets.push((self.ms, out));
        self.ms += 1;
        self
    }

    pub fn handshake(&mut self) -> &mut Self {
        self.push(true, b"", true, false, false, false);
        self.push(false, b"", true, true, false, false);
        self.push(true, b"", false, true, false, false)
    }
    pub fn client(&mut self, data: &[u8]) -> &mut Self {
        self.push(true, data, false, true, false, false)
    }
    pub fn server(&mut self, data: &[u8]) -> &mut Self {
        self.push(false, data, false, true, false, false)
    }
    pub fn client_fin(&mut self) -> &mut Self {
        self.push(true, b"", false, true, true, false)
    }
    pub fn server_fin(&mut self) -> &mut Self {
        self.push(false, b"", false, true, true, false)
    }
    pub fn client_rst(&mut self) -> &mut Self {
        self.push(true, b"", false, false, false, true)
    }
    /// Leaves `n` bytes out of the client's sequence space (captured loss).
    pub fn client_skip(&mut self, n: u32) -> &mut Self {
        self.seq[0] = self.seq[0].wrapping_add(n);
        self
    }
    pub fn wait_ms(&mut self, ms: i64) -> &mut Self {
        self.ms += ms;
        self
    }
}

pub struct Run {
    pub events: Vec<Value>,
    pub counters: analyzer_core::Counters,
}

/// Runs packets (time in ms) through an engine for [`Line`].
pub fn run(config: Config, packets: &[(i64, Vec<u8>)]) -> Run {
    let mut events = Vec::new();
    let mut engine = Engine::new(config, |e: Event<Line>| {
        events.push(serde_json::to_value(&e).unwrap())
    });
    for (ms, data) in packets {
        let ts = analyzer_core::Timestamp::from_nanos(1_700_000_000_000_000_000 + ms * 1_000_000);
        engine.packet(ts, LinkType::Ethernet, data);
    }
    engine.finish();
    let counters = engine.counters().clone();
    drop(engine);
    counters.check_accounting().unwrap();
    Run { events, counters }
}

/// `(status, request content, response content, error.message)` per event.
pub fn summary(events: &[Value]) -> Vec<(String, String, String, String)> {
    events
        .iter()
        .map(|e| {
            let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
            (
                s(&e["status"]),
                s(&e["line"]["request"]["content"]),
                s(&e["line"]["response"]["content"]),
                s(&e["error"]["message"]),
            )
        })
        .collect()
}
