use analyzer_core::{Kind, NetString, Protocol};

#[derive(Protocol)]
#[protocol(name = "a", length(width = 3, varint = 4))]
struct A {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    body: NetString,
}

#[derive(Protocol)]
#[protocol(name = "b", length(width = 9, adjust = 99999999999999999999, bytes = 2))]
struct B {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    body: NetString,
}

#[derive(Protocol)]
#[protocol(name = "c", length(offset = 1), length(varint = 12, little_endian))]
struct C {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    body: NetString,
}

fn main() {}
