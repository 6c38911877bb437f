use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct Message<B: Into<NetString>> {
    #[tag(request = b'>')]
    kind: Kind,
    content: B,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
struct WhereClause
where
    NetString: Clone,
{
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn main() {}
