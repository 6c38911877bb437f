use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct Message;

#[allow(dead_code)]
fn uses(_: Kind, _: NetString) {}

fn main() {}
