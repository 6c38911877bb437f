use analyzer_core::{Direction, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[correlate(using = id)]
struct UnknownKey {
    #[kind]
    kind: Kind,
    id: u32,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[correlate(by = id, with = key)]
struct ByAndWith {
    #[kind]
    kind: Kind,
    id: u32,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[correlate()]
struct Empty {
    #[kind]
    kind: Kind,
    id: u32,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[correlate(by = "id", with = "key")]
struct Strings {
    #[kind]
    kind: Kind,
    id: u32,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[correlate(by = id)]
enum ByOnEnum {
    #[tag(b'>', request)]
    Request(NetString),
}

fn parse<T>(_: Bytes, _: Direction) -> Result<T, ParseError> {
    unimplemented!()
}

fn key<T>(_: &T) -> Option<u64> {
    None
}

fn main() {}
