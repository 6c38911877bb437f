use analyzer_core::{Kind, NetString, Protocol};

// `conversation` promises an `impl Conversation`, which is missing.
#[derive(Protocol)]
#[protocol(name = "a", delimiter = b'\n', conversation)]
struct A {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    body: NetString,
}

fn main() {}
