//! A text protocol framed only by the derive's declarative attributes
//! (`Framing::Lines`: data blocks by a byte count on the line, multi-part
//! answers up to a terminator), so the fuzzers reach that framing through
//! the stream buffer as a derived protocol does.

use analyzer_core::{NetString, Protocol};
use serde::Serialize;

/// Memcache's text protocol, declared.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "text_kv", ports(11211))]
#[delimiter(b"\r\n", max_line = 4096, bare_end)]
#[block(after("set", "cas"), length_word(4), max_len(1000000), from(client))]
#[block(after("VALUE"), length_word(3))]
#[parts("VALUE", max(64), from(server))]
#[parts("BEGIN", until("END"), max(16))]
pub enum TextKv {
    /// `set <key> <flags> <exptime> <bytes>` and its data block.
    #[keyword("set", request)]
    Set(NetString),
    /// `cas ...` and its data block.
    #[keyword("cas", request)]
    Cas(NetString),
    /// `get <key>*`.
    #[keyword("get", request)]
    Get(NetString),
    /// `stats`.
    #[keyword("stats", request)]
    Stats,
    /// `VALUE` blocks up to `END`.
    #[keyword("VALUE", response)]
    Values(NetString),
    /// Any lines up to `END`.
    #[keyword("BEGIN", response)]
    Dump(NetString),
    /// `STORED`.
    #[keyword("STORED", response)]
    Stored,
    /// A miss.
    #[keyword("END", response)]
    End,
    /// `ERROR`.
    #[keyword("ERROR", error)]
    Error,
}
