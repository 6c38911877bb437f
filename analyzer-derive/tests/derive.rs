//! What `#[derive(Protocol)]` generates, exercised through `analyzer_core`.

use analyzer_core::{Direction, Framing, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;

#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "echo", ports(3030))]
#[delimiter(b'\n')]
pub struct EchoMessage {
    #[tag(request = b'>', response = b'<', error = b'!')]
    pub kind: Kind,
    pub content: NetString,
}

/// A byte-string delimiter, several ports, a `Bytes` body declared before the
/// tag field, full paths for the field types, and only two kinds.
#[derive(Protocol, Debug, Serialize)]
#[protocol(ports(7000, 7001u16), name = "line_proto2")]
#[delimiter(b"\r\n")]
struct LineMessage {
    #[serde(skip)]
    body: bytes::Bytes,
    #[tag(response = b'+', request = b'*')]
    kind: analyzer_core::Kind,
}

/// No `ports(...)`: no default ports.
#[derive(Protocol, Debug, Serialize)]
#[delimiter(b"\0")]
#[protocol(name = "portless")]
struct Portless {
    #[tag(request = b'q')]
    kind: Kind,
    rest: NetString,
}

fn parse<P: Protocol>(payload: &'static [u8]) -> Result<P, ParseError> {
    P::parse(Bytes::from_static(payload), Direction::FromClient)
}

#[test]
fn constants() {
    assert_eq!(EchoMessage::NAME, "echo");
    assert_eq!(EchoMessage::DEFAULT_PORTS, &[3030]);
    assert_eq!(EchoMessage::FRAMING, Framing::Delimiter(b"\n"));

    assert_eq!(LineMessage::NAME, "line_proto2");
    assert_eq!(LineMessage::DEFAULT_PORTS, &[7000, 7001]);
    assert_eq!(LineMessage::FRAMING, Framing::Delimiter(b"\r\n"));

    assert_eq!(Portless::NAME, "portless");
    assert_eq!(Portless::DEFAULT_PORTS, &[] as &[u16]);
    assert_eq!(Portless::FRAMING, Framing::Delimiter(b"\0"));
}

#[test]
fn parses_each_tag() {
    let cases: [(&[u8], Kind, &str); 4] = [
        (b">hello", Kind::Request, "hello"),
        (b"<hello", Kind::Response, "hello"),
        (b"!no such thing", Kind::Error, "no such thing"),
        (b">", Kind::Request, ""),
    ];
    for (payload, kind, content) in cases {
        let message = EchoMessage::parse(Bytes::from(payload), Direction::FromServer).unwrap();
        assert_eq!(message.kind, kind);
        assert_eq!(message.kind(), kind);
        assert_eq!(message.content.as_bytes(), content.as_bytes());
    }

    let message: LineMessage = parse(b"*GET key").unwrap();
    assert_eq!(message.kind(), Kind::Request);
    assert_eq!(message.body, Bytes::from_static(b"GET key"));
    let message: LineMessage = parse(b"+OK").unwrap();
    assert_eq!(message.kind(), Kind::Response);
    assert_eq!(message.body, Bytes::from_static(b"OK"));
}

#[test]
fn body_is_the_rest_of_the_frame_without_copying() {
    let payload = Bytes::from_static(b">zero copy");
    let message = EchoMessage::parse(payload.clone(), Direction::FromClient).unwrap();
    assert_eq!(message.content.as_ptr(), payload[1..].as_ptr());
}

#[test]
fn unknown_tag() {
    let error = parse::<EchoMessage>(b"?x").unwrap_err();
    assert_eq!(error, ParseError::UnknownTag { byte: b'?' });
    // A tag declared by another message type is unknown here.
    let error = parse::<LineMessage>(b">x").unwrap_err();
    assert_eq!(error, ParseError::UnknownTag { byte: b'>' });
    let error = parse::<Portless>(b"!x").unwrap_err();
    assert_eq!(error, ParseError::UnknownTag { byte: b'!' });
}

#[test]
fn empty_payload() {
    assert_eq!(parse::<EchoMessage>(b"").unwrap_err(), ParseError::Empty);
    assert_eq!(parse::<LineMessage>(b"").unwrap_err(), ParseError::Empty);
}

#[test]
fn serializes_the_fields() {
    let message: EchoMessage = parse(b"<hi").unwrap();
    let json = serde_json::to_string(&message).unwrap();
    assert_eq!(json, r#"{"kind":"response","content":"hi"}"#);
}

/// The expansion names everything by its full path and keeps its locals to
/// itself, so the user's names cannot change what it means.
mod hygiene {
    #![allow(dead_code, non_upper_case_globals, non_camel_case_types)]

    mod core {}
    mod analyzer_core {}
    struct Result;
    struct Ok;
    struct From;
    struct Bytes;
    const payload: u8 = 0;
    const kind: u8 = 0;
    const rest: u8 = 0;

    #[derive(::analyzer_core::Protocol, serde::Serialize)]
    #[protocol(name = "hygiene")]
    #[delimiter(b'\n')]
    pub struct Message {
        #[tag(request = b'>')]
        pub kind: ::analyzer_core::Kind,
        pub content: ::analyzer_core::NetString,
    }
}

#[test]
fn expansion_is_hygienic() {
    let message: hygiene::Message = parse(b">x").unwrap();
    assert_eq!(message.kind(), Kind::Request);
    assert_eq!(message.content.as_bytes(), b"x");
}
