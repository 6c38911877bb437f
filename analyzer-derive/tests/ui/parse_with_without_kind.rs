use analyzer_core::{Direction, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse_struct)]
struct Message {
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse_enum)]
enum Reply {
    Ok,
    Error(String),
}

fn parse_struct(_: Bytes, _: Direction) -> Result<Message, ParseError> {
    unimplemented!()
}

fn parse_enum(_: Bytes, _: Direction) -> Result<Reply, ParseError> {
    unimplemented!()
}

fn main() {}
