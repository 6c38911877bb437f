use analyzer_core::Protocol;

#[derive(Protocol)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
union Message {
    kind: u8,
    byte: u8,
}

fn main() {}
