use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[describe_with]
#[no_response_if = "never"]
#[optional_response_if("never")]
#[fields_with()]
#[parse_with(parse extra)]
struct Message {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[no_response_if(never)]
#[no_response_if(never)]
struct Twice {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn never<T>(_: &T) -> bool {
    false
}

fn main() {}
