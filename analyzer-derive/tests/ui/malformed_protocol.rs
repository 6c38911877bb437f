use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol]
#[delimiter(b'\n')]
struct Bare {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol = "echo"]
#[delimiter(b'\n')]
struct NameValue {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo", ports(echo, 3030))]
#[delimiter(b'\n')]
struct PortNotANumber {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name("echo"))]
#[delimiter(b'\n')]
struct NameInParens {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn main() {}
