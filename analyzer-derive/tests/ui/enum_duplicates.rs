use analyzer_core::{NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
enum Keywords {
    #[keyword("get", request)]
    Get(NetString),
    #[keyword("set", request)]
    Set(NetString),
    #[keyword("GET", response)]
    Value(NetString),
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
enum Tags {
    #[tag(b'>', request)]
    Request(NetString),
    #[tag(b'>', response)]
    Response(NetString),
}

fn main() {}
