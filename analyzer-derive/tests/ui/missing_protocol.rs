use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[delimiter(b'\n')]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn main() {}
