use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "kv")]
#[length_prefix(width = 4)]
#[block(after("set"), length_word(4))]
#[parts("VALUE", until("END"))]
struct NotLines {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "kv")]
#[delimiter(b"\r\n", max_line = 2)]
#[block(length_word(4))]
#[block(after(), length_word(1))]
#[block(after("set", "SET"), length_word(0))]
#[block(after("add"))]
#[block(after("cas"), length_word(2), flags(1))]
#[block(after("add"), length_word(2), from(both))]
struct BadBlocks {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "kv")]
#[delimiter(b'\n', bare_end)]
#[parts("VALUE", until("value"))]
#[parts("STAT", until("END"), max(0))]
#[parts("stat", until("END"))]
#[parts("two words", until(""))]
#[parts("ITEM", until("END"), limit(5))]
struct BadParts {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[derive(Protocol, Serialize)]
#[protocol(name = "kv")]
#[delimiter(b"\r\n", size = 5)]
struct BadDelimiterKey {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

fn main() {}
