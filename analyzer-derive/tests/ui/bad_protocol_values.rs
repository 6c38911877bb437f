use analyzer_core::{Kind, NetString, Protocol};

#[derive(Protocol)]
#[protocol(name = "Echo", ports(0, 3030, 3030, 70000), delimiter = b"", colour = "red")]
struct Echo {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol)]
#[protocol(name = 5, delimiter = "\n", bare_end = true)]
struct Typed {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol)]
#[protocol(name = "twice", name = "again", delimiter = b'\n', length(width = 2))]
struct Twice {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    content: NetString,
}

fn main() {}
