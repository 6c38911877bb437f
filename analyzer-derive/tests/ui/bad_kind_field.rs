use analyzer_core::{Direction, Kind, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
struct WrongType {
    #[kind]
    kind: u8,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
struct WithArguments {
    #[kind(request)]
    kind: Kind,
}

fn parse<T>(_: Bytes, _: Direction) -> Result<T, ParseError> {
    unimplemented!()
}

fn main() {}
