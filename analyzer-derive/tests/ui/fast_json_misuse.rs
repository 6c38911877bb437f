use analyzer_core::{Kind, NetString, Protocol};
use serde::ser::SerializeMap;
use serde::Serialize;

// `fast_json` writes what a plain #[derive(Serialize)] writes: #[serde]
// attributes and #[fields_with] are errors with it, each at its place.
#[derive(Protocol, Serialize)]
#[protocol(name = "echo", fast_json, fast_json = true)]
#[delimiter(b'\n')]
#[fields_with(fields)]
#[serde(rename_all = "UPPERCASE")]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    #[serde(skip_serializing)]
    content: NetString,
}

fn fields<M: SerializeMap>(_: Option<&Message>, _: Option<&Message>, _: &mut M) -> Result<(), M::Error> {
    Ok(())
}

#[derive(Protocol, Serialize)]
#[protocol(name = "chat", fast_json)]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[kind_with(Chat::kind_of)]
enum Chat {
    Say(NetString),
    Two(NetString, NetString),
    Named { content: NetString },
    #[serde(rename = "ping")]
    Ping,
}

impl Chat {
    fn kind_of(&self) -> Kind {
        Kind::Request
    }
}

fn parse(_: bytes::Bytes, _: analyzer_core::Direction) -> Result<Chat, analyzer_core::ParseError> {
    Ok(Chat::Ping)
}

fn main() {}
