use analyzer_core::{Cx, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;

// Nothing says how to read a frame.
#[derive(Protocol)]
#[protocol(name = "a", delimiter = b'\n')]
struct A {
    #[protocol(kind)]
    kind: Kind,
    body: NetString,
}

// Two ways.
#[derive(Protocol)]
#[protocol(name = "b", delimiter = b'\n', parse = read_b)]
struct B {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    body: NetString,
}

fn read_b(_: Bytes, _: &Cx<'_, B>) -> Result<B, ParseError> {
    unimplemented!()
}

fn main() {}
