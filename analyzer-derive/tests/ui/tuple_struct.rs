use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct Message(#[tag(request = b'>')] Kind, NetString);

fn main() {}
