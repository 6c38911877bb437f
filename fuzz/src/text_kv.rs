//! A text protocol framed only by the derive's declarative keys (the
//! `Lines` framer: data blocks by a byte count on the line, multi-part
//! answers up to a terminator or a repeated reply code), so the fuzzers
//! reach that framing through the stream buffer as a derived protocol does.

use analyzer_core::{NetString, Protocol};

/// Memcache's text protocol, declared, with FTP-style replies.
#[derive(Protocol, Debug)]
#[protocol(
    name = "text_kv",
    ports(11211),
    delimiter = b"\r\n",
    max_line = 4096,
    bare_end,
    block(after("set", "cas"), length_word(4), max_len(1000000), from("client")),
    block(after("VALUE"), length_word(3)),
    parts("VALUE", max(64), from("server")),
    parts("BEGIN", until("END"), max(16)),
    parts(reply_code, max(16), from("server"))
)]
pub enum TextKv {
    /// `set <key> <flags> <exptime> <bytes>` and its data block.
    #[protocol(keyword(request = "set"))]
    Set(NetString),
    /// `cas ...` and its data block.
    #[protocol(keyword(request = "cas"))]
    Cas(NetString),
    /// `get <key>*`.
    #[protocol(keyword(request = "get"))]
    Get(NetString),
    /// `stats`.
    #[protocol(keyword(request = "stats"))]
    Stats,
    /// `VALUE` blocks up to `END`.
    #[protocol(keyword(response = "VALUE"))]
    Values(NetString),
    /// Any lines up to `END`.
    #[protocol(keyword(response = "BEGIN"))]
    Dump(NetString),
    /// `STORED`.
    #[protocol(keyword(response = "STORED"))]
    Stored,
    /// A miss.
    #[protocol(keyword(response = "END"))]
    End,
    /// `ERROR`.
    #[protocol(keyword(error = "ERROR"))]
    Error,
}
