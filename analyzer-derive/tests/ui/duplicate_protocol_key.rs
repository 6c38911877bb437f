use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo", ports(3030), name = "echo2", ports(4000))]
#[delimiter(b'\n')]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn main() {}
