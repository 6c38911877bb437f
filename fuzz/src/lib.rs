//! Fuzz targets of the analyzer (see `README.md`): the logic of each target
//! is a plain function here, so the corpus regression test
//! (`tests/tests/fuzz_corpus.rs`) runs the same code without a fuzzer.
//!
//! - [`harness`]: the generic checks (a protocol's framing and parser on a
//!   chunked byte stream, the packet decoder, the whole engine on a capture).
//! - [`wire`]: packets and capture files written by hand.
//! - [`targets`]: each fuzz target, for every protocol of the workspace.

pub mod harness;
pub mod text_kv;
pub mod wire;

/// The fuzz targets, one function each (`fuzz_targets/<name>.rs` calls
/// `targets::<name>`).
pub mod targets {
    use super::harness;
    use echo::EchoMessage;
    use http::HttpMessage;
    use memcache::MemcacheMessage;
    use mysql::MysqlMessage;
    use redis::RedisMessage;

    /// `parse_echo`: the echo parser on a chunked byte stream.
    pub fn parse_echo(data: &[u8]) {
        harness::parse_stream::<EchoMessage>(data);
    }

    /// `parse_redis`: the Redis framer and parser on a chunked byte stream.
    pub fn parse_redis(data: &[u8]) {
        harness::parse_stream::<RedisMessage>(data);
    }

    /// `parse_memcache`: the memcache framer and parser on a chunked byte
    /// stream, and the same text protocol framed only by derive attributes
    /// ([`text_kv`](super::text_kv)).
    pub fn parse_memcache(data: &[u8]) {
        harness::parse_stream::<MemcacheMessage>(data);
        harness::parse_stream::<super::text_kv::TextKv>(data);
    }

    /// `parse_pgsql`: the PostgreSQL framer and parser on a chunked byte
    /// stream (with a new connection's session), and the same bytes as a
    /// `tcp_session` input into a PostgreSQL engine, where the session
    /// follows the conversation (startup phase, SSL answers, folded
    /// answers, COPY).
    pub fn parse_pgsql(data: &[u8]) {
        harness::parse_stream::<pgsql::PgsqlMessage>(data);
        harness::session::<pgsql::PgsqlMessage>(data);
    }

    /// `parse_mysql`: the MySQL framer and parser on a chunked byte stream
    /// (a fresh connection: commands from the client, answers without
    /// their request from the server), and the same bytes as a synthesized
    /// TCP session ([`wire::session_to_pcap`](super::wire::session_to_pcap))
    /// through MySQL's engine, which reaches the handshake, login, result
    /// sets and prepared statements with the connection's state.
    pub fn parse_mysql(data: &[u8]) {
        harness::parse_stream::<MysqlMessage>(data);
        harness::session::<MysqlMessage>(data);
    }

    /// `parse_http`: the HTTP framer (which reads what it frames) on a
    /// chunked byte stream.
    pub fn parse_http(data: &[u8]) {
        harness::parse_stream_stateful::<HttpMessage>(data);
    }

    /// `decode`: the packet decoder, every link type.
    pub fn decode(data: &[u8]) {
        harness::decode(data);
    }

    /// `pcap`: arbitrary bytes as a capture file, into every protocol's
    /// engine.
    pub fn pcap(data: &[u8]) {
        engines(data);
    }

    /// `pcap_records`: records of arbitrary packet data after a valid pcap
    /// header ([`harness::records_packets`]), handed to the engines as the
    /// reader would.
    pub fn pcap_records(data: &[u8]) {
        harness::records::<EchoMessage>(data);
        harness::records::<RedisMessage>(data);
        harness::records::<MemcacheMessage>(data);
        harness::records::<MysqlMessage>(data);
        harness::records::<HttpMessage>(data);
    }

    /// `tcp_session`: TCP connections with fuzzed flags, sequence numbers,
    /// times and payloads ([`wire::session_to_pcap`]).
    pub fn tcp_session(data: &[u8]) {
        harness::session::<EchoMessage>(data);
        harness::session::<RedisMessage>(data);
        harness::session::<MemcacheMessage>(data);
        harness::session::<MysqlMessage>(data);
        harness::session::<HttpMessage>(data);
    }

    fn engines(pcap: &[u8]) {
        harness::engine_on_pcap_all_configs::<EchoMessage>(pcap);
        harness::engine_on_pcap_all_configs::<RedisMessage>(pcap);
        harness::engine_on_pcap_all_configs::<MemcacheMessage>(pcap);
        harness::engine_on_pcap_all_configs::<pgsql::PgsqlMessage>(pcap);
        harness::engine_on_pcap_all_configs::<MysqlMessage>(pcap);
        harness::engine_on_pcap_all_configs::<HttpMessage>(pcap);
    }

    /// A target's function.
    pub type Target = fn(&[u8]);

    /// Every target, by name.
    pub const ALL: [(&str, Target); 10] = [
        ("parse_echo", parse_echo),
        ("parse_redis", parse_redis),
        ("parse_memcache", parse_memcache),
        ("parse_pgsql", parse_pgsql),
        ("parse_mysql", parse_mysql),
        ("parse_http", parse_http),
        ("decode", decode),
        ("pcap", pcap),
        ("pcap_records", pcap_records),
        ("tcp_session", tcp_session),
    ];
}
