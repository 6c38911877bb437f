//! What `#[derive(Protocol)]` writes for structs and enums read by a tag
//! byte or a keyword: the constants, the framer, `parse`, `kind`.

use analyzer_core::framing::Delimiter;
use analyzer_core::{Cx, Direction, FrameLen, Framer, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;

#[derive(Protocol, Debug)]
#[protocol(name = "echo", ports(3030, 4000), delimiter = b'\n')]
pub struct Echo {
    #[protocol(tag(request = b'>', response = b'<', error = b'!', greeting = b'*'))]
    pub kind: Kind,
    pub content: NetString,
}

const C: Direction = Direction::FromClient;
const S: Direction = Direction::FromServer;

#[test]
fn a_tagged_struct() {
    assert_eq!(Echo::NAME, "echo");
    assert_eq!(Echo::DEFAULT_PORTS, &[3030, 4000]);
    let echo = Echo::parse_one(">hi there", C).unwrap();
    assert_eq!(
        (echo.kind(), echo.content.as_bytes()),
        (Some(Kind::Request), &b"hi there"[..])
    );
    assert_eq!(Echo::parse_one("!no", S).unwrap().kind, Kind::Error);
    assert_eq!(Echo::parse_one("*hello", S).unwrap().kind, Kind::Greeting);
    assert_eq!(
        Echo::parse_one("?x", C).unwrap_err(),
        ParseError::UnknownTag { byte: b'?' }
    );
    assert_eq!(Echo::parse_one("", C).unwrap_err(), ParseError::Empty);
}

#[test]
fn its_framer_is_a_delimiter() {
    let mut framer: Delimiter = Echo::framer(C);
    assert_eq!(framer.delimiter(), b"\n");
    let cx = Cx::<Echo>::new(C, &());
    assert_eq!(framer.frame(b">a", &cx), FrameLen::Incomplete(None));
    assert_eq!(framer.frame(b">a\n>b", &cx), FrameLen::Complete(3));
    assert_eq!(Framer::<Echo>::payload(&framer, b">a\n"), 0..2);
    // The body is the frame's own bytes, without a copy.
    let frame = Bytes::from_static(b">zero-copy");
    let echo = Echo::parse(frame.clone(), &cx).unwrap();
    assert_eq!(echo.content.as_bytes().as_ptr(), frame[1..].as_ptr());
}

#[derive(Protocol, Debug, PartialEq)]
#[protocol(name = "chat", delimiter = b"\r\n")]
enum Chat {
    #[protocol(tag(request = b'>'))]
    Say(NetString),
    #[protocol(tag(request = b'?'))]
    Ping,
    #[protocol(tag(response = b'<'))]
    Heard(Bytes),
}

#[test]
fn an_enum_of_tags() {
    assert_eq!(Chat::parse_one(">hi", C).unwrap(), Chat::Say("hi".into()));
    assert_eq!(Chat::parse_one("?ignored", C).unwrap(), Chat::Ping);
    let heard = Chat::parse_one("<ok", S).unwrap();
    assert_eq!(heard.kind(), Some(Kind::Response));
    assert_eq!(
        Chat::parse_one("#", C).unwrap_err(),
        ParseError::UnknownTag { byte: b'#' }
    );
    assert_eq!(Chat::framer(C).delimiter(), b"\r\n");
}

#[derive(Protocol, Debug, PartialEq)]
#[protocol(name = "kv", ports(7000), delimiter = b"\r\n")]
enum Kv {
    #[protocol(keyword(request = "GET"))]
    Get(NetString),
    #[protocol(keyword(request = "quit"))]
    Quit,
    #[protocol(keyword(response = "VALUE"))]
    Value(NetString),
    #[protocol(keyword(error = "ERR"))]
    Err(NetString),
    #[protocol(keyword(greeting = "HELLO"))]
    Hello,
}

#[test]
fn an_enum_of_keywords_compared_ignoring_case() {
    assert_eq!(
        Kv::parse_one("get k1 k2", C).unwrap(),
        Kv::Get("k1 k2".into())
    );
    assert_eq!(Kv::parse_one("QUIT", C).unwrap(), Kv::Quit);
    assert_eq!(
        Kv::parse_one("ERR no", S).unwrap().kind(),
        Some(Kind::Error)
    );
    assert_eq!(
        Kv::parse_one("hello world", S).unwrap().kind(),
        Some(Kind::Greeting)
    );
    assert_eq!(
        Kv::parse_one("set k", C).unwrap_err(),
        ParseError::UnknownKeyword("set".into())
    );
}

/// The role from a `kind` field, read by a function.
#[derive(Protocol, Debug)]
#[protocol(name = "words", delimiter = b'\n', parse = words)]
struct Words {
    #[protocol(kind)]
    kind: Kind,
    count: usize,
}

fn words(frame: Bytes, cx: &Cx<'_, Words>) -> Result<Words, ParseError> {
    let count = frame
        .split(|b| *b == b' ')
        .filter(|w| !w.is_empty())
        .count();
    Ok(Words {
        kind: cx.direction().default_kind(),
        count,
    })
}

/// No role declared: the direction's, unless `Conversation::role` says.
#[derive(Protocol, Debug)]
#[protocol(name = "plain", delimiter = b'\n', parse = plain)]
struct Plain {
    text: NetString,
}

fn plain(frame: Bytes, _: &Cx<'_, Plain>) -> Result<Plain, ParseError> {
    Ok(Plain { text: frame.into() })
}

#[test]
fn roles_from_a_field_or_the_direction() {
    let w = Words::parse_one("a  b c", S).unwrap();
    assert_eq!((w.kind(), w.count), (Some(Kind::Response), 3));
    let p = Plain::parse_one("x", C).unwrap();
    assert_eq!((p.kind(), p.text.as_bytes()), (None, &b"x"[..]));
}
