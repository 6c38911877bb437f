use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo", fast_json)]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[kind_with(Message::kind_of)]
struct Message(NetString);

impl Message {
    fn kind_of(&self) -> Kind {
        Kind::Request
    }
}

fn parse(payload: bytes::Bytes, _: analyzer_core::Direction) -> Result<Message, analyzer_core::ParseError> {
    Ok(Message(payload.into()))
}

fn main() {}
