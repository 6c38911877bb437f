use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b"")]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn main() {}
