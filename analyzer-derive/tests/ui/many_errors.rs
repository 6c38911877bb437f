use analyzer_core::Protocol;
use serde::Serialize;

// Every error is reported at once, each at its own place.
#[derive(Protocol, Serialize)]
#[protocol(name = "Echo", ports(0), colour = "blue")]
#[delimiter(b"")]
struct Message {
    #[tag(request = b'>', response = b'>')]
    kind: u8,
    content: String,
}

fn main() {}
