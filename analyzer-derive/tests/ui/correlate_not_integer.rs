use analyzer_core::{Direction, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[correlate(by = key)]
struct Text {
    #[kind]
    kind: Kind,
    key: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[correlate(by = id)]
struct Signed {
    #[kind]
    kind: Kind,
    id: i32,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[correlate(by = id)]
struct Optional {
    #[kind]
    kind: Kind,
    id: Option<u32>,
}

fn parse<T>(_: Bytes, _: Direction) -> Result<T, ParseError> {
    unimplemented!()
}

fn main() {}
