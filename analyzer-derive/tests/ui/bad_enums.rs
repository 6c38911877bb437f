use analyzer_core::{NetString, Protocol};

#[derive(Protocol)]
#[protocol(name = "a", delimiter = b'\n')]
enum A {
    #[protocol(tag(request = b'>'))]
    Say(NetString),
    // No selector.
    Ping,
    // A keyword among tags.
    #[protocol(keyword(request = "GET"))]
    Get(NetString),
}

#[derive(Protocol)]
#[protocol(name = "b", delimiter = b'\n')]
enum B {
    #[protocol(keyword(request = "get"))]
    Get(NetString),
    // Twice, ignoring case; two roles; a field of another type.
    #[protocol(keyword(request = "GET"))]
    Again(NetString),
    #[protocol(keyword(request = "set", response = "ok"))]
    Set,
    #[protocol(keyword(response = "VALUE"))]
    Value(u32),
    #[protocol(keyword(response = "PAIR"))]
    Pair(NetString, NetString),
}

#[derive(Protocol)]
#[protocol(name = "c", delimiter = b'\n')]
enum Empty {}

fn main() {}
