use analyzer_core::{NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
enum Mixed {
    #[keyword("GET", request)]
    Get(NetString),
    #[tag(b'<', response)]
    Response(NetString),
    #[keyword("END", response)]
    End,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
enum Both {
    #[tag(b'>', request)]
    #[keyword("GET", request)]
    Get(NetString),
    #[tag(b'>', request)]
    #[tag(b'<', request)]
    Twice,
}

fn main() {}
