use analyzer_core::{Kind, NetString, Protocol};

// A duplicate byte, an unknown role, a byte that is not a byte.
#[derive(Protocol)]
#[protocol(name = "a", delimiter = b'\n')]
struct A {
    #[protocol(tag(request = b'>', response = b'>', answer = b'<', error = '!'))]
    kind: Kind,
    body: NetString,
}

// A tag field that is not a Kind; a body that is not a NetString.
#[derive(Protocol)]
#[protocol(name = "b", delimiter = b'\n')]
struct B {
    #[protocol(tag(request = b'>'))]
    kind: u8,
    body: String,
}

// A third field; `kind` beside `tag`.
#[derive(Protocol)]
#[protocol(name = "c", delimiter = b'\n')]
struct C {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    #[protocol(kind)]
    other: Kind,
    body: NetString,
}

fn main() {}
