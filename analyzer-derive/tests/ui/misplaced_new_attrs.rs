use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[kind]
struct Struct {
    #[tag(request = b'>')]
    kind: Kind,
    #[keyword("GET", request)]
    #[length_prefix(width = 4)]
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[tag(b'>', request)]
#[keyword("GET", request)]
enum Enum {
    #[kind]
    #[parse_with(parse)]
    #[tag(b'>', request)]
    Request(#[tag(b'<', response)] NetString),
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct VariantFormOnField {
    #[tag(b'>', request)]
    kind: Kind,
    content: NetString,
}

fn main() {}
