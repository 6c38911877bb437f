use analyzer_core::{NetString, Protocol};

#[derive(Protocol)]
#[protocol(
    name = "kv",
    delimiter = b'\n',
    bare_end,
    max_line = 1,
    block(after("set"), length_word(0)),
    block(length_word(2)),
    block(after("set", "GET X"), length_word(1)),
    parts("VALUE", until("value")),
    parts(reply_code, until("END")),
    parts(max(0))
)]
enum Kv {
    #[protocol(keyword(request = "set"))]
    Set(NetString),
}

#[derive(Protocol)]
#[protocol(name = "kv2", length(width = 2), parts("VALUE"), max_line = 10)]
enum Kv2 {
    #[protocol(keyword(request = "set"))]
    Set(NetString),
}

fn main() {}
