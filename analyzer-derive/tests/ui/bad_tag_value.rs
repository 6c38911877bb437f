use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct Message {
    #[tag(request = '>', response = b"<", error = b'!')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct NotALiteral {
    #[tag(request = GT)]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct Bare {
    #[tag]
    kind: Kind,
    content: NetString,
}

fn main() {}
