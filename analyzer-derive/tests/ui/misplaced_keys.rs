use analyzer_core::{Kind, NetString, Protocol};

#[derive(Protocol)]
#[protocol(name = "a", delimiter = b'\n', tag(request = b'>'))]
struct A {
    #[protocol(tag(request = b'>'), keyword(request = "GET"), delimiter = b'\n')]
    kind: Kind,
    #[protocol(colour)]
    body: NetString,
}

#[derive(Protocol)]
#[protocol(name = "b", delimiter = b'\n')]
enum B {
    #[protocol(tag(request = b'>'), kind)]
    Say(#[protocol(skip)] NetString),
}

fn main() {}
