use analyzer_core::{Direction, Kind, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[correlate(by = opaque)]
struct Named {
    #[kind]
    kind: Kind,
    id: u32,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[correlate(by = 2)]
struct Tuple(#[kind] Kind, u32);

fn parse<T>(_: Bytes, _: Direction) -> Result<T, ParseError> {
    unimplemented!()
}

fn main() {}
