// Types that only share the names `Kind` and `NetString`: the type errors
// point at the fields.
use analyzer_core::Protocol;
use serde::Serialize;

mod mine {
    #[derive(Clone, Copy, serde::Serialize)]
    pub struct Kind;

    #[derive(serde::Serialize)]
    pub struct NetString(pub String);
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct Message {
    #[tag(request = b'>')]
    kind: mine::Kind,
    content: mine::NetString,
}

fn main() {}
