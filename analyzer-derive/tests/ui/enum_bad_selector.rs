use analyzer_core::{NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
enum Tags {
    #[tag(request = b'>')]
    FieldForm(NetString),
    #[tag(b'<')]
    NoRole(NetString),
    #[tag(b'!', failure)]
    UnknownRole(NetString),
    #[tag("?", request)]
    NotAByte,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
enum Keywords {
    #[keyword(b"GET", request)]
    NotAString(NetString),
    #[keyword("MULTI GET", request)]
    TwoWords(NetString),
    #[keyword("", request)]
    Empty,
    #[keyword]
    Bare,
}

fn main() {}
