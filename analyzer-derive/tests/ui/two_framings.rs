use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[length_prefix(width = 4)]
struct DelimiterAndLength {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[frame_with(frame)]
#[delimiter(b'\n')]
#[length_prefix(width = 2)]
struct ThreeFramings {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn frame(buf: &[u8], _: analyzer_core::Direction) -> analyzer_core::framing::FrameLen {
    analyzer_core::framing::FrameLen::Complete(buf.len())
}

fn main() {}
