use analyzer_core::{NetString, Protocol};

// A parse function of the wrong shape, a framer type that is not one, a
// nom parser of the wrong shape, a plausibility check of the wrong shape.
#[derive(Protocol)]
#[protocol(name = "a", delimiter = b'\n', parse = read)]
struct A {
    body: NetString,
}

fn read(_: &[u8]) -> Option<A> {
    None
}

#[derive(Protocol)]
#[protocol(name = "b", framer = String, parse = read_b)]
struct B {
    body: NetString,
}

fn read_b(_: bytes::Bytes, _: &analyzer_core::Cx<'_, B>) -> Result<B, analyzer_core::ParseError> {
    unimplemented!()
}

#[derive(Protocol)]
#[protocol(name = "c", nom = tlv, length(width = 2, plausible = check))]
struct C {
    body: NetString,
}

fn tlv(_: &str) -> u8 {
    0
}

fn check(_: u8) -> bool {
    true
}

fn main() {}
