use analyzer_core::{Direction, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[kind_with(kind_of)]
struct KindFieldAndKindWith {
    #[kind]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[kind_with(kind_of)]
struct TagAndKindWith {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
struct TwoKindFields {
    #[kind]
    kind: Kind,
    #[kind]
    other: Kind,
}

fn parse<T>(_: Bytes, _: Direction) -> Result<T, ParseError> {
    unimplemented!()
}

fn kind_of<T>(_: &T) -> Kind {
    Kind::Request
}

fn main() {}
