//! `Conversation::published`: messages that set a connection up or take it
//! down change the session and are counted, but make no transaction.

mod common;

use analyzer_core::decode::LinkType;
use analyzer_core::framing::Delimiter;
use analyzer_core::{
    Config, Conversation, Cx, Direction, Engine, Event, Follow, JsonFields, JsonKey, Kind,
    NetString, ParseError, Protocol,
};
use bytes::Bytes;
use common::{Conn, CLIENT, SERVER};
use serde_json::Value;

/// `>` request, `<` response, `*` greeting, `~` setup (not published), `^`
/// setup that switches the connection to TLS; every message says how many setup
/// messages came before it.
#[derive(Debug)]
struct Setup {
    tag: u8,
    content: NetString,
    setups_before: u64,
}

impl Conversation for Setup {
    type Session = u64;

    fn published(&self) -> bool {
        !matches!(self.tag, b'~' | b'^')
    }

    fn update(&self, session: &mut u64, _: Direction) -> Follow {
        match self.tag {
            b'~' => *session += 1,
            b'^' => return Follow::Stop("TLS"),
            _ => {}
        }
        Follow::Continue
    }
}

impl Protocol for Setup {
    const NAME: &'static str = "setup";
    const DEFAULT_PORTS: &'static [u16] = &[3030];
    type Framer = Delimiter;

    fn framer(_: Direction) -> Delimiter {
        Delimiter::new(b"\n")
    }

    fn parse(payload: Bytes, cx: &Cx<'_, Self>) -> Result<Self, ParseError> {
        let tag = *payload.first().ok_or(ParseError::Empty)?;
        Ok(Setup {
            tag,
            content: payload.slice(1..).into(),
            setups_before: *cx.session(),
        })
    }

    fn kind(&self) -> Option<Kind> {
        match self.tag {
            b'<' => Some(Kind::Response),
            b'*' => Some(Kind::Greeting),
            _ => None,
        }
    }

    fn write_fields(&self, out: &mut JsonFields<'_>) {
        out.text(const { JsonKey::new("content") }, &self.content);
        out.field(const { JsonKey::new("setups_before") }, &self.setups_before);
    }
}

fn run(packets: &[(i64, Vec<u8>)]) -> (Vec<Value>, analyzer_core::Counters) {
    let mut events = Vec::new();
    let mut engine = Engine::new(Config::default(), |e: Event<Setup>| {
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
    (events, counters)
}

#[test]
fn setup_messages_change_the_session_but_make_no_transaction() {
    let mut c = Conn::new(CLIENT, SERVER);
    c.handshake()
        .client(b"~user\n")
        .server(b"~ok\n~ready\n")
        .client(b">get\n")
        .server(b"<value\n")
        .client(b"~bye\n");
    c.client_fin().server_fin();
    let (events, counters) = run(&c.packets);
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e["status"], "OK");
    assert_eq!(e["setup"]["request"]["content"], "get");
    assert_eq!(e["setup"]["request"]["setups_before"], 3);
    assert_eq!(e["setup"]["response"]["content"], "value");
    assert_eq!(
        (
            e["source"]["bytes"].clone(),
            e["destination"]["bytes"].clone()
        ),
        (5.into(), 7.into())
    );
    assert_eq!(counters.messages_not_published, 4);
    assert_eq!(
        (counters.requests, counters.responses, counters.transactions),
        (1, 1, 1)
    );
}

#[test]
fn a_setup_message_can_stop_the_analysis() {
    let mut c = Conn::new(CLIENT, SERVER);
    c.handshake()
        .client(b"~starttls\n")
        .server(b"^go\n\x16\x03\x01 not analyzed")
        .client(b"\x16\x03\x01 encrypted >get\n");
    c.client_fin().server_fin();
    let (events, counters) = run(&c.packets);
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(counters.messages_not_published, 2);
    assert_eq!(counters.connections_not_followed, 1);
    assert_eq!(counters.bytes_not_analyzed, 16 + 19);
    assert_eq!((counters.requests, counters.messages_unparsed), (0, 0));
}

#[test]
fn greetings_are_counted() {
    let mut c = Conn::new(CLIENT, SERVER);
    c.handshake()
        .server(b"*banner\n")
        .client(b">get\n")
        .server(b"<value\n*notice\n");
    c.client_fin().server_fin();
    // `run` checks the accounting: 3 transactions, 2 of them greetings.
    let (events, counters) = run(&c.packets);
    assert_eq!(events.len(), 3);
    assert_eq!((counters.greetings, counters.transactions), (2, 3));
}
