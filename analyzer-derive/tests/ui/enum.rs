use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
enum Message {
    Request(NetString),
    Response(NetString),
}

#[allow(dead_code)]
fn uses(_: Kind) {}

fn main() {}
