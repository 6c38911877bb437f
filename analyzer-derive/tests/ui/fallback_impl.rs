// With the derive's own error reported, uses of the type as a `Protocol`
// add no errors of their own.
use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn name<P: Protocol>() -> &'static str {
    P::NAME
}

fn main() {
    let _ = name::<Message>();
}
