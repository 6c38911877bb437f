//! `beat`: echo, Redis, Memcache, PostgreSQL, MySQL and HTTP analyzed together, each on its ports,
//! as Packetbeat users run one beat for all their protocols.
//!
//! `beat -r FILE`, `beat -i IFACE` (feature `live`), `beat -c beat.yml`;
//! `beat --help` lists the options. A protocol is one line below.

use analyzer_beat::{protocol, Registration};

/// The protocols this beat analyzes (the config file's `type`s).
const PROTOCOLS: &[Registration] = &[
    protocol::<echo::EchoMessage>(),
    protocol::<redis::RedisMessage>(),
    protocol::<memcache::MemcacheMessage>(),
    protocol::<pgsql::PgsqlMessage>(),
    protocol::<mysql::MysqlMessage>(),
    protocol::<http::HttpMessage>(),
];

/// jemalloc: faster than the system allocator for a beat's many small,
/// short-lived blocks (see `analyzer_beat::Allocator`).
#[global_allocator]
static ALLOC: analyzer_beat::Allocator = analyzer_beat::Allocator;

fn main() -> std::process::ExitCode {
    analyzer_beat::main_with("beat", PROTOCOLS)
}
