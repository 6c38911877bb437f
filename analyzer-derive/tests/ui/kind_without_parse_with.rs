use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

// #[kind] and #[kind_with] go with #[parse_with].
#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct KindField {
    #[kind]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[kind_with(kind_of)]
struct KindWith {
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[kind_with(kind_of)]
enum Enum {
    #[tag(b'>', request)]
    Request(NetString),
}

fn kind_of<T>(_: &T) -> Kind {
    Kind::Request
}

fn main() {}
