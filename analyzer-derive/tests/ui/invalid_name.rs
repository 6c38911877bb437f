use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "Echo-Protocol")]
#[delimiter(b'\n')]
struct Upper {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "")]
#[delimiter(b'\n')]
struct Empty {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = echo)]
#[delimiter(b'\n')]
struct NotAString {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn main() {}
