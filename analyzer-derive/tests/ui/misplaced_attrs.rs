use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[tag(request = b'>')]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    #[delimiter(b'\n')]
    #[protocol(name = "echo")]
    content: NetString,
}

fn main() {}
