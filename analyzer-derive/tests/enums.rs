//! Enums as message types: variants chosen by a leading tag byte or keyword,
//! or by the protocol's own `#[parse_with]` function.

use analyzer_core::{Direction, Framing, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use serde::{Serialize, Serializer};

/// Chosen by the first byte: tuple variants get the rest of the frame, unit
/// variants ignore it; two variants share a role.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "chat", ports(4000))]
#[delimiter(b'\n')]
enum Chat {
    #[tag(b'>', request)]
    Say(NetString),
    #[tag(b'?', request)]
    Ping,
    #[tag(b'<', response)]
    Heard(NetString),
    #[tag(b'!', error)]
    Oops(analyzer_core::NetString),
}

/// Chosen by the first word, ignoring ASCII case; keywords of different
/// lengths; a `Bytes` field.
#[derive(Protocol, Debug)]
#[protocol(name = "kv")]
#[delimiter(b"\r\n")]
enum Kv {
    #[keyword("GET", request)]
    Get(NetString),
    #[keyword("set", request)]
    Set(bytes::Bytes),
    #[keyword("VALUE", response)]
    Value(NetString),
    #[keyword("END", response)]
    End,
    #[keyword("SERVER_ERROR", error)]
    ServerError(NetString),
}

impl Serialize for Kv {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

/// Parsed by the protocol's own function, whose variants are free; the role
/// from `#[kind_with]`, which may look at the content.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "resp_like")]
#[delimiter(b"\r\n")]
#[parse_with(Reply::parse_reply)]
#[kind_with(Reply::role)]
enum Reply {
    Simple(String),
    Error { message: String },
    Integer(i64, bool),
    Command,
}

impl Reply {
    fn parse_reply(payload: Bytes, direction: Direction) -> Result<Self, ParseError> {
        let text = String::from_utf8_lossy(&payload[1..]).into_owned();
        match (direction, payload.first()) {
            (Direction::FromClient, _) => Ok(Reply::Command),
            (_, Some(b'+')) => Ok(Reply::Simple(text)),
            (_, Some(b'-')) => Ok(Reply::Error { message: text }),
            (_, Some(b':')) => text
                .parse()
                .map(|n| Reply::Integer(n, true))
                .map_err(|_| ParseError::Invalid("not an integer".into())),
            _ => Err(ParseError::Invalid("unknown reply".into())),
        }
    }

    fn role(&self) -> Kind {
        match self {
            Reply::Command => Kind::Request,
            Reply::Error { .. } => Kind::Error,
            _ => Kind::Response,
        }
    }
}

/// One variant: the keyword list has one entry.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "single")]
#[delimiter(b'\n')]
enum Single {
    #[keyword("PING", request)]
    Ping,
}

fn parse<P: Protocol>(payload: &'static [u8]) -> Result<P, ParseError> {
    P::parse(Bytes::from_static(payload), Direction::FromServer)
}

#[test]
fn constants() {
    assert_eq!(Chat::NAME, "chat");
    assert_eq!(Chat::DEFAULT_PORTS, &[4000]);
    assert_eq!(Chat::FRAMING, Framing::Delimiter(b"\n"));
    assert_eq!(Kv::FRAMING, Framing::Delimiter(b"\r\n"));
}

#[test]
fn tag_variants() {
    let Chat::Say(text) = parse(b">hello").unwrap() else {
        panic!("not Say")
    };
    assert_eq!(text.as_bytes(), b"hello");
    assert!(matches!(parse(b"?"), Ok(Chat::Ping)));
    assert!(matches!(parse(b"?ignored"), Ok(Chat::Ping)));
    let Chat::Heard(text) = parse(b"<hello").unwrap() else {
        panic!("not Heard")
    };
    assert_eq!(text.as_bytes(), b"hello");
    let Chat::Oops(text) = parse(b"!no").unwrap() else {
        panic!("not Oops")
    };
    assert_eq!(text.as_bytes(), b"no");
}

#[test]
fn tag_roles() {
    let kind = |payload| parse::<Chat>(payload).unwrap().kind();
    assert_eq!(kind(b">x"), Kind::Request);
    assert_eq!(kind(b"?"), Kind::Request);
    assert_eq!(kind(b"<x"), Kind::Response);
    assert_eq!(kind(b"!x"), Kind::Error);
}

#[test]
fn tag_errors() {
    let error = parse::<Chat>(b"#x").unwrap_err();
    assert_eq!(error, ParseError::UnknownTag { byte: b'#' });
    assert_eq!(parse::<Chat>(b"").unwrap_err(), ParseError::Empty);
}

#[test]
fn variant_field_is_the_rest_of_the_frame_without_copying() {
    let payload = Bytes::from_static(b">zero copy");
    let Ok(Chat::Say(text)) = Chat::parse(payload.clone(), Direction::FromClient) else {
        panic!("not Say")
    };
    assert_eq!(text.as_ptr(), payload[1..].as_ptr());

    let payload = Bytes::from_static(b"set k 0 0 1");
    let Ok(Kv::Set(rest)) = Kv::parse(payload.clone(), Direction::FromClient) else {
        panic!("not Set")
    };
    assert_eq!(rest, Bytes::from_static(b"k 0 0 1"));
    assert_eq!(rest.as_ptr(), payload[4..].as_ptr());
}

#[test]
fn keyword_variants() {
    let Kv::Get(key) = parse(b"GET key1").unwrap() else {
        panic!("not Get")
    };
    assert_eq!(key.as_bytes(), b"key1");
    // ASCII case-insensitive, whatever the case declared.
    assert!(matches!(parse(b"gEt key1"), Ok(Kv::Get(_))));
    assert!(matches!(parse(b"SET k 0 0 1"), Ok(Kv::Set(_))));
    // No space: the whole frame is the keyword, the rest is empty.
    let Kv::Get(key) = parse(b"get").unwrap() else {
        panic!("not Get")
    };
    assert_eq!(key.as_bytes(), b"");
    let Kv::Value(rest) = parse(b"VALUE k 0 1").unwrap() else {
        panic!("not Value")
    };
    assert_eq!(rest.as_bytes(), b"k 0 1");
    assert!(matches!(parse(b"END"), Ok(Kv::End)));
    let Kv::ServerError(text) = parse(b"SERVER_ERROR out of memory").unwrap() else {
        panic!("not ServerError")
    };
    assert_eq!(text.as_bytes(), b"out of memory");
}

#[test]
fn single_variant() {
    assert!(matches!(parse(b"ping now"), Ok(Single::Ping)));
    assert_eq!(parse::<Single>(b"ping").unwrap().kind(), Kind::Request);
}

#[test]
fn keyword_roles() {
    let kind = |payload| parse::<Kv>(payload).unwrap().kind();
    assert_eq!(kind(b"get k"), Kind::Request);
    assert_eq!(kind(b"set k 0 0 1"), Kind::Request);
    assert_eq!(kind(b"VALUE k 0 1"), Kind::Response);
    assert_eq!(kind(b"END"), Kind::Response);
    assert_eq!(kind(b"SERVER_ERROR x"), Kind::Error);
}

#[test]
fn keyword_errors() {
    let error = parse::<Kv>(b"quit now").unwrap_err();
    assert_eq!(error, ParseError::UnknownKeyword("quit".into()));
    // A keyword is a whole word.
    let error = parse::<Kv>(b"GETS k").unwrap_err();
    assert_eq!(error, ParseError::UnknownKeyword("GETS".into()));
    assert_eq!(parse::<Kv>(b"").unwrap_err(), ParseError::Empty);
}

#[test]
fn parse_with_and_kind_with() {
    let reply = parse::<Reply>(b"+OK").unwrap();
    assert!(matches!(&reply, Reply::Simple(text) if text == "OK"));
    assert_eq!(reply.kind(), Kind::Response);
    let reply = parse::<Reply>(b"-ERR wrong").unwrap();
    assert_eq!(reply.kind(), Kind::Error);
    assert!(matches!(
        parse::<Reply>(b":42"),
        Ok(Reply::Integer(42, true))
    ));
    let request = Reply::parse(Bytes::from_static(b"*1"), Direction::FromClient).unwrap();
    assert_eq!(request.kind(), Kind::Request);
    assert_eq!(
        parse::<Reply>(b"?").unwrap_err(),
        ParseError::Invalid("unknown reply".into())
    );
}

#[test]
fn serializes_the_variants() {
    let json = |message: &Chat| serde_json::to_string(message).unwrap();
    assert_eq!(json(&parse(b">hi").unwrap()), r#"{"Say":"hi"}"#);
    assert_eq!(json(&parse(b"?").unwrap()), r#""Ping""#);
}

/// The expansion names everything by its full path and keeps its locals to
/// itself, so the user's names cannot change what it means.
mod hygiene {
    #![allow(dead_code, non_upper_case_globals, non_camel_case_types)]

    mod core {}
    mod analyzer_core {}
    struct Result;
    struct Ok;
    struct Err;
    struct From;
    struct Bytes;
    struct Kind;
    struct ParseError;
    struct usize;
    const payload: u8 = 0;
    const rest: u8 = 0;

    #[derive(::analyzer_core::Protocol, serde::Serialize)]
    #[protocol(name = "hygiene")]
    #[delimiter(b'\n')]
    pub enum ByTag {
        #[tag(b'>', request)]
        Request(::analyzer_core::NetString),
        #[tag(b'.', response)]
        Done,
    }

    #[derive(::analyzer_core::Protocol, serde::Serialize)]
    #[protocol(name = "hygiene")]
    #[delimiter(b'\n')]
    pub enum ByKeyword {
        #[keyword("ask", request)]
        Ask(::analyzer_core::NetString),
        #[keyword("done", response)]
        Done,
    }
}

#[test]
fn expansion_is_hygienic() {
    let message: hygiene::ByTag = parse(b">x").unwrap();
    assert_eq!(message.kind(), Kind::Request);
    let message: hygiene::ByKeyword = parse(b"done").unwrap();
    assert_eq!(message.kind(), Kind::Response);
}
