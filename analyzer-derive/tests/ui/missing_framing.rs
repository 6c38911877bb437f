use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
enum Enum {
    #[tag(b'>', request)]
    Request(NetString),
}

fn main() {}
