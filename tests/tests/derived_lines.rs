//! A Memcache text analyzer written only with the derive's declarative
//! framing (`delimiter`, `block(..)`, `parts(..)`) and keyword variants,
//! on the project's own memcached captures: it must find the transactions
//! the hand-tuned `memcache` crate finds — same count, statuses and byte
//! counts each way — including values that hold `\r\n`, `END`, `VALUE` and
//! `STAT` lines, a 200,000-byte value over 139 segments, multi-gets with a
//! miss and `stats` answers of many lines.

use std::path::{Path, PathBuf};

use analyzer_core::replay::replay_file;
use analyzer_core::{Config, Conversation, NetString, Protocol};
use serde_json::Value;

/// The text protocol, declared.
#[derive(Protocol, Debug)]
#[protocol(
    name = "kv",
    ports(11211),
    delimiter = b"\r\n",
    max_line = 8192,
    bare_end,
    block(
        after("set", "add", "replace", "append", "prepend", "cas"),
        length_word(4)
    ),
    block(after("VALUE"), length_word(3)),
    parts("VALUE", until("END")),
    parts("STAT", until("END")),
    conversation
)]
enum Kv {
    #[protocol(keyword(request = "set"))]
    Set(NetString),
    #[protocol(keyword(request = "add"))]
    Add(NetString),
    #[protocol(keyword(request = "get"))]
    Get(NetString),
    #[protocol(keyword(request = "gets"))]
    Gets(NetString),
    #[protocol(keyword(request = "delete"))]
    Delete(NetString),
    #[protocol(keyword(request = "stats"))]
    Stats(NetString),
    #[protocol(keyword(request = "quit"))]
    Quit,
    #[protocol(keyword(response = "STORED"))]
    Stored,
    #[protocol(keyword(response = "DELETED"))]
    Deleted,
    #[protocol(keyword(response = "VALUE"))]
    Values(NetString),
    #[protocol(keyword(response = "STAT"))]
    Stat(NetString),
    #[protocol(keyword(response = "END"))]
    End,
    #[protocol(keyword(error = "NOT_FOUND"))]
    NotFound,
    #[protocol(keyword(error = "NOT_STORED"))]
    NotStored,
    #[protocol(keyword(error = "ERROR"))]
    Error,
}

impl Conversation for Kv {
    type Session = ();

    fn expects_response(&self) -> bool {
        !matches!(self, Kv::Quit)
    }
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../memcache/data")
        .join(format!("{name}.pcap"))
}

/// Each transaction as `status client-bytes/server-bytes`.
fn shape(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{} {}/{}",
                e["status"],
                e["client"]["bytes"].as_u64().unwrap_or(0),
                e["server"]["bytes"].as_u64().unwrap_or(0)
            )
        })
        .collect()
}

fn compare(name: &str, expected: &[&str]) {
    compare_file(&data(name), expected);
}

fn compare_file(path: &Path, expected: &[&str]) {
    let name = path.display();
    let derived = replay_file::<Kv>(path, Config::default()).unwrap();
    let hand = replay_file::<memcache::MemcacheMessage>(path, Config::default()).unwrap();
    assert_eq!(shape(&derived.events), expected, "derived, {name}");
    assert_eq!(shape(&hand.events), expected, "memcache crate, {name}");
    let c = &derived.counters;
    assert!(c.check_accounting().is_ok(), "{name}: {c:?}");
    assert_eq!(
        (c.messages_unparsed, c.responses_unmatched),
        (0, 0),
        "{name}: {c:?}"
    );
}

#[test]
fn set_and_get() {
    compare("text_set_get", &["\"OK\" 34/8", "\"OK\" 14/39"]);
}

#[test]
fn a_value_holding_framing_is_taken_by_length() {
    compare("text_binary_safe", &["\"OK\" 72/8", "\"OK\" 12/77"]);
    let derived = replay_file::<Kv>(data("text_binary_safe"), Config::default()).unwrap();
    let response = &derived.events[1]["kv"]["response"];
    assert_eq!(response["type"], "Values");
    let values = response["content"].as_str().unwrap();
    assert!(values.contains("line one\r\nEND\r\nVALUE fake 0 3\r\nabc\r\nSTAT pid 1\r\n"));
    assert!(values.ends_with("\r\nEND"), "{values:?}");
}

#[test]
fn multi_get_with_a_miss_is_one_answer() {
    compare(
        "text_multi_get",
        &["\"OK\" 16/8", "\"OK\" 17/8", "\"OK\" 18/8", "\"OK\" 19/56"],
    );
}

#[test]
fn a_large_value_over_many_segments() {
    compare("text_large_value", &["\"OK\" 200022/8", "\"OK\" 9/200027"]);
}

#[test]
fn delete_and_a_miss() {
    compare(
        "text_delete",
        &[
            "\"OK\" 23/8",
            "\"OK\" 15/9",
            "\"Error\" 15/11",
            "\"OK\" 12/5",
        ],
    );
}

#[test]
fn stats_lines_up_to_end_are_one_answer() {
    let derived = replay_file::<Kv>(data("text_stats"), Config::default()).unwrap();
    let hand =
        replay_file::<memcache::MemcacheMessage>(data("text_stats"), Config::default()).unwrap();
    assert_eq!(shape(&derived.events), shape(&hand.events));
    let stats = derived
        .events
        .iter()
        .find(|e| e["kv"]["response"]["type"] == "Stat");
    let stats = stats.expect("a stats answer")["kv"]["response"]["content"]
        .as_str()
        .unwrap();
    assert!(stats.matches("\r\nSTAT ").count() > 20, "{stats:?}");
    assert_eq!(derived.counters.messages_unparsed, 0);
}

/// Packetbeat's own memcache text captures (`../shared/pcaps/packetbeat`,
/// not in this repository; `.ci/run` runs this): the declared analyzer
/// finds what the memcache crate finds, which the conformance test
/// (`memcache/tests/packetbeat.rs`) checks against Packetbeat's expectations.
#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn packetbeat_text_captures() {
    let dir = analyzer_core::replay::packetbeat_pcaps().join("memcache");
    let cases: [(&str, &[&str]); 4] = [
        // A 2046-byte value over two segments, then quit (no answer).
        (
            "single_load_store",
            &["\"OK\" 2071/8", "\"OK\" 14/2076", "\"OK\" 6/0"],
        ),
        // Three values and END in one answer.
        (
            "multi_store_load",
            &[
                "\"OK\" 27/8",
                "\"OK\" 37/8",
                "\"OK\" 118/8",
                "\"OK\" 18/187",
                "\"OK\" 6/0",
            ],
        ),
        (
            "delete",
            &["\"OK\" 20/8", "\"OK\" 12/9", "\"OK\" 9/5", "\"OK\" 6/0"],
        ),
        // The STAT lines up to END: one answer.
        (
            "stats",
            &["\"OK\" 20/8", "\"OK\" 9/25", "\"OK\" 8/1154", "\"OK\" 6/0"],
        ),
    ];
    for (name, expected) in cases {
        let path = dir.join(format!("memcache_text_tcp_{name}.pcap"));
        assert!(
            path.exists(),
            "{} is missing: set PACKETBEAT_PCAPS",
            path.display()
        );
        compare_file(&path, expected);
    }
}
