use analyzer_core::{NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
enum Message {
    #[tag(b'>', request)]
    TwoFields(NetString, NetString),
    #[tag(b'<', response)]
    Named { content: NetString },
    #[tag(b'!', error)]
    WrongType(String),
}

fn main() {}
