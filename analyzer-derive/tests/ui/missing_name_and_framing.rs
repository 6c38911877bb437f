use analyzer_core::{Kind, NetString, Protocol};

// No name, no framing.
#[derive(Protocol)]
#[protocol(ports(3030))]
struct Echo {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    content: NetString,
}

// No #[protocol] at all.
#[derive(Protocol)]
struct Bare {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    content: NetString,
}

fn main() {}
