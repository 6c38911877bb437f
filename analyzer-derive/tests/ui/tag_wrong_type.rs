use analyzer_core::{NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct Message {
    #[tag(request = b'>')]
    kind: u8,
    content: NetString,
}

fn main() {}
