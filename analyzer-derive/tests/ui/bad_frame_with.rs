use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[frame_with("frame")]
struct StringPath {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[frame_with(frame, resync = b"\n")]
struct UnknownKey {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[frame_with(frame, sync = "\n")]
struct SyncNotBytes {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[frame_with()]
struct Empty {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn frame(buf: &[u8], _: analyzer_core::Direction) -> analyzer_core::framing::FrameLen {
    analyzer_core::framing::FrameLen::Complete(buf.len())
}

fn main() {}
