use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo", ports(3030, 4000, 3030))]
#[delimiter(b'\n')]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn main() {}
