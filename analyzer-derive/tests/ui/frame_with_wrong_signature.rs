// A framing function with the wrong signature: the type error points at
// its path in the attribute.
use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[frame_with(frame)]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn frame(buf: &[u8]) -> usize {
    buf.len()
}

fn main() {}
