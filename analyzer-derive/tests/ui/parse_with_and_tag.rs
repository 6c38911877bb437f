use analyzer_core::{Direction, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn parse(_: Bytes, _: Direction) -> Result<Message, ParseError> {
    unimplemented!()
}

fn main() {}
