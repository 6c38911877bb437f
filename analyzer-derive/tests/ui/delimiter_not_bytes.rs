use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter("\n")]
struct Text {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(10)]
struct Number {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter]
struct Bare {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn main() {}
