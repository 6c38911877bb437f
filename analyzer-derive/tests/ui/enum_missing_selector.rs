use analyzer_core::{NetString, Protocol};
use serde::Serialize;

// Without #[parse_with], every variant needs a selector.
#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
enum Message {
    #[tag(b'>', request)]
    Request(NetString),
    Response(NetString),
    Ping,
}

fn main() {}
