use analyzer_core::{Direction, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[kind_with(kind_of)]
enum Message {
    #[tag(b'>', request)]
    Request(NetString),
    Response(NetString),
}

fn parse(_: Bytes, _: Direction) -> Result<Message, ParseError> {
    unimplemented!()
}

fn kind_of(_: &Message) -> Kind {
    Kind::Request
}

fn main() {}
