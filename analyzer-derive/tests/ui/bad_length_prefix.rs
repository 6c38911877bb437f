use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[length_prefix(width = 3)]
struct BadWidth {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[length_prefix(offset = 4)]
struct NoWidth {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[length_prefix(width = 4, max = 100, little_endian = true)]
struct UnknownKeyAndFlagValue {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[length_prefix(width = 4, width = 2, little_endian, big_endian)]
struct Twice {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[length_prefix(width = "4", offset = -1, skip = 2u8, adjust = 4 + 1)]
struct WrongLiterals {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[length_prefix(width = 2, adjust = -9223372036854775809)]
struct AdjustOutOfRange {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[length_prefix]
struct Bare {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn main() {}
