use analyzer_core::{Kind, NetString, Protocol};

#[derive(Protocol)]
#[protocol(name = "tuple", delimiter = b'\n')]
struct Tuple(Kind, NetString);

#[derive(Protocol)]
#[protocol(name = "generic", delimiter = b'\n')]
struct Generic<T> {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    body: T,
}

#[derive(Protocol)]
#[protocol(name = "union", delimiter = b'\n')]
union U {
    a: u8,
}

fn main() {}
