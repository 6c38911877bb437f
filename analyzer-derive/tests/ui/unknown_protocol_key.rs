use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo", port(3030), transport = "udp")]
#[delimiter(b'\n')]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn main() {}
