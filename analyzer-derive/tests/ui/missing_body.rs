use analyzer_core::{Kind, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
}

fn main() {}
