//! Conformance on Packetbeat's own memcache captures
//! (`../shared/pcaps/packetbeat/memcache/`, not in this repository): every
//! expectation its README lists, and those of Packetbeat's system tests
//! (`test_0040_memcache_tcp_{text,bin}_basic.py`). Ignored by default because
//! a fresh clone has no `../shared`; `.ci/run` runs them with `--ignored`,
//! with `PACKETBEAT_PCAPS` set.

mod common;

use analyzer_core::replay::{packetbeat_pcap, Replay};
use common::{lines, replay};
use serde_json::{json, Value};

fn run(name: &str, protocol: &str, transactions: usize) -> Replay {
    let path = packetbeat_pcap(&format!("memcache/{name}"));
    let run = replay(&path);
    assert_eq!(run.events.len(), transactions, "{name}: {:#?}", lines(&run));
    let c = &run.counters;
    assert_eq!(
        (
            c.messages_unparsed,
            c.responses_unmatched,
            c.requests_unanswered,
            c.gaps
        ),
        (0, 0, 0, 0),
        "{name}: {c:?}"
    );
    for e in &run.events {
        assert_eq!(e["client"]["ip"], "192.168.188.37", "{name}");
        assert_eq!(e["server"]["ip"], "192.168.188.38", "{name}");
        assert_eq!(e["server"]["port"], 11211, "{name}");
        assert_eq!(e["type"], "memcache", "{name}");
        assert_eq!(e["network"]["transport"], "tcp", "{name}");
        assert_eq!(e["memcache"]["protocol_type"], protocol, "{name}");
    }
    run
}

fn statuses(run: &Replay) -> Vec<&str> {
    run.events
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect()
}

fn all_ok(run: &Replay) {
    assert!(
        statuses(run).iter().all(|s| *s == "OK"),
        "{:#?}",
        lines(run)
    );
}

fn req(e: &Value) -> &Value {
    &e["memcache"]["request"]
}

fn resp(e: &Value) -> &Value {
    &e["memcache"]["response"]
}

/// Every entry has a non-empty name and value.
fn check_stats(e: &Value) -> usize {
    let stats = resp(e)["stats"].as_array().expect("stats");
    for s in stats {
        assert!(
            !s["name"].as_str().unwrap().is_empty() && !s["value"].as_str().unwrap().is_empty()
        );
    }
    stats.len()
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn text_single_load_store() {
    let run = run("memcache_text_tcp_single_load_store.pcap", "text", 3);
    all_ok(&run);
    // The 2046-byte value spans two segments each way.
    assert_eq!(
        lines(&run),
        [
            "OK set test_key(2071) -> STORED(8)",
            "OK get test_key(14) -> VALUE test_key(2076)",
            "OK quit(6) -> -"
        ]
    );
    let (set, get) = (&run.events[0], &run.events[1]);
    assert_eq!(
        *req(set),
        json!({"command": "set", "type": "Store", "keys": ["test_key"], "flags": 0, "exptime": 0,
               "bytes": 2046, "count_values": 1, "noreply": false})
    );
    assert_eq!(resp(set)["type"], "Success");
    assert_eq!(
        *req(get),
        json!({"command": "get", "type": "Load", "keys": ["test_key"]})
    );
    assert_eq!(resp(get)["type"], "Load");
    assert_eq!(resp(get)["count_values"], 1);
    assert_eq!(resp(get)["bytes"], 2046);
    assert_eq!(resp(get)["keys"], json!(["test_key"]));
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn text_multi_store_load() {
    let run = run("memcache_text_tcp_multi_store_load.pcap", "text", 5);
    all_ok(&run);
    assert_eq!(
        lines(&run),
        [
            "OK set k3(27) -> STORED(8)",
            "OK set k2(37) -> STORED(8)",
            "OK set k1(118) -> STORED(8)",
            "OK get x k1 k2 k3 y(18) -> VALUE k1 k2 k3(187)",
            "OK quit(6) -> -",
        ]
    );
    for (e, bytes) in run.events.iter().zip([10, 20, 100]) {
        assert_eq!(
            (req(e)["bytes"].as_u64(), resp(e)["type"].as_str()),
            (Some(bytes), Some("Success"))
        );
    }
    let get = &run.events[3];
    assert_eq!(req(get)["keys"], json!(["x", "k1", "k2", "k3", "y"]));
    assert_eq!(resp(get)["keys"], json!(["k1", "k2", "k3"]));
    assert_eq!(resp(get)["bytes"], 130);
    assert_eq!(resp(get)["count_values"], 3);
    // `quit` has no response by design: a request-only transaction, OK.
    assert!(run.events[4]["memcache"].get("response").is_none());
    assert_eq!(run.counters.requests_no_response_expected, 1);
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn text_counter_ops() {
    let run = run("memcache_text_tcp_counter_ops.pcap", "text", 5);
    all_ok(&run);
    let e = &run.events;
    assert_eq!(
        (req(&e[0])["command"].as_str(), req(&e[0])["type"].as_str()),
        (Some("set"), Some("Store"))
    );
    assert_eq!(req(&e[0])["keys"], json!(["cnt"]));
    for (e, command, delta, value) in [(&e[1], "incr", 2, 2), (&e[2], "decr", 5, 0)] {
        assert_eq!(req(e)["command"], command);
        assert_eq!(req(e)["delta"], delta);
        assert_eq!(req(e)["keys"], json!(["cnt"]));
        assert_eq!(resp(e)["value"], value);
    }
    assert_eq!(
        *req(&e[3]),
        json!({"command": "get", "type": "Load", "keys": ["cnt"]})
    );
    assert_eq!(resp(&e[3])["count_values"], 1);
    assert_eq!(req(&e[4])["command"], "quit");
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn text_delete() {
    let run = run("memcache_text_tcp_delete.pcap", "text", 4);
    all_ok(&run);
    assert_eq!(
        lines(&run),
        [
            "OK set key(20) -> STORED(8)",
            "OK delete key(12) -> DELETED(9)",
            "OK get key(9) -> END(5)",
            "OK quit(6) -> -",
        ]
    );
    assert_eq!(req(&run.events[1])["type"], "Delete");
    assert_eq!(resp(&run.events[1])["type"], "Success");
    assert_eq!(req(&run.events[2])["type"], "Load");
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn text_stats() {
    let run = run("memcache_text_tcp_stats.pcap", "text", 4);
    all_ok(&run);
    let stats = &run.events[2];
    assert_eq!(req(stats)["command"], "stats");
    assert_eq!(req(stats)["type"], "Stats");
    assert!(req(stats).get("raw_args").is_some());
    assert_eq!(resp(stats)["command"], "STAT");
    assert_eq!(resp(stats)["type"], "Stats");
    // Every STAT line up to END, merged into one response.
    assert_eq!(check_stats(stats), 52);
    assert_eq!(stats["destination"]["bytes"], 1154);
    assert_eq!(run.counters.responses, 3);
}

/// Binary transactions pair by opaque: request and response carry the same.
fn same_opaque(e: &Value) {
    assert_eq!(req(e)["opaque"], resp(e)["opaque"], "{e}");
    assert!(req(e)["opaque"].is_u64());
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn binary_single_load_store() {
    let run = run("memcache_bin_tcp_single_load_store.pcap", "binary", 3);
    all_ok(&run);
    let (set, get) = (&run.events[0], &run.events[1]);
    assert_eq!(
        *req(set),
        json!({"command": "set", "type": "Store", "keys": ["test_key"], "flags": 0, "exptime": 0,
               "bytes": 2046, "count_values": 1, "opcode": "Set", "opcode_value": 1,
               "opaque": 65536, "quiet": false, "vbucket": 0})
    );
    assert_eq!(
        (resp(set)["opcode"].as_str(), resp(set)["status"].as_str()),
        (Some("Set"), Some("Success"))
    );
    assert!(resp(set)["cas_unique"].is_u64());
    same_opaque(set);
    assert_eq!(req(get)["opcode"], "GetK");
    assert_eq!(req(get)["command"], "get");
    assert_eq!(req(get)["keys"], json!(["test_key"]));
    assert_eq!(
        (req(get)["type"].as_str(), resp(get)["type"].as_str()),
        (Some("Load"), Some("Load"))
    );
    assert_eq!(
        (
            resp(get)["count_values"].as_u64(),
            resp(get)["bytes"].as_u64()
        ),
        (Some(1), Some(2046))
    );
    assert_eq!(resp(get)["keys"], json!(["test_key"]));
    assert!(resp(get)["cas_unique"].is_u64());
    same_opaque(get);
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn binary_multi_store_load() {
    let run = run("memcache_bin_tcp_multi_store_load.pcap", "binary", 10);
    all_ok(&run);
    assert_eq!(
        lines(&run),
        [
            "OK set k3(44) -> set(24)",
            "OK set k2(54) -> set(24)",
            "OK set k1(134) -> set(24)",
            "OK get x(25) -> -",
            "OK get k1(26) -> get k1(130)",
            "OK get k2(26) -> get k2(50)",
            "OK get k3(26) -> get k3(40)",
            "OK get y(25) -> -",
            "OK noop(24) -> noop(24)",
            "OK quit(24) -> quit(24)",
        ]
    );
    for (e, bytes) in run.events[..3].iter().zip([10, 20, 100]) {
        assert_eq!(
            (req(e)["bytes"].as_u64(), req(e)["opcode"].as_str()),
            (Some(bytes), Some("Set"))
        );
        assert!(resp(e)["cas_unique"].is_u64());
        assert_eq!(resp(e)["status"], "Success");
        same_opaque(e);
    }
    for e in &run.events[3..8] {
        assert_eq!(req(e)["opcode"], "GetKQ");
        assert_eq!(req(e)["command"], "get");
        assert_eq!(req(e)["quiet"], true);
    }
    for e in &run.events[4..7] {
        assert!(resp(e)["cas_unique"].is_u64());
        assert_eq!(resp(e)["status"], "Success");
        same_opaque(e);
    }
    let noop = &run.events[8];
    assert_eq!(req(noop)["command"], "noop");
    same_opaque(noop);
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn binary_counter_ops() {
    let run = run("memcache_bin_tcp_counter_ops.pcap", "binary", 5);
    all_ok(&run);
    let e = &run.events;
    assert_eq!(req(&e[0])["opcode"], "Set");
    assert_eq!(req(&e[0])["keys"], json!(["cnt"]));
    assert_eq!(
        (req(&e[0])["bytes"].as_u64(), req(&e[0])["exptime"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(resp(&e[0])["status"], "Success");
    for (e, opcode, command, delta, value) in [
        (&e[1], "Increment", "incr", 2, 2),
        (&e[2], "Decrement", "decr", 5, 0),
    ] {
        assert_eq!(
            (req(e)["opcode"].as_str(), req(e)["command"].as_str()),
            (Some(opcode), Some(command))
        );
        assert_eq!(
            (req(e)["delta"].as_u64(), req(e)["initial"].as_u64()),
            (Some(delta), Some(0))
        );
        assert_eq!(req(e)["keys"], json!(["cnt"]));
        assert_eq!(resp(e)["value"], value);
        same_opaque(e);
    }
    assert_eq!(req(&e[3])["opcode"], "GetK");
    assert_eq!(
        (
            resp(&e[3])["count_values"].as_u64(),
            resp(&e[3])["bytes"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(resp(&e[3])["keys"], json!(["cnt"]));
    assert!(resp(&e[3])["cas_unique"].is_u64());
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn binary_delete() {
    let run = run("memcache_bin_tcp_delete.pcap", "binary", 4);
    // All `OK`, as the captures' README says: the get of the deleted key is
    // answered "Key not found" (status 1), a miss, which is an answer (as
    // the text protocol's `END` alone), not a failure.
    assert_eq!(statuses(&run), ["OK", "OK", "OK", "OK"]);
    let (set, delete, get) = (&run.events[0], &run.events[1], &run.events[2]);
    assert_eq!(
        (req(set)["opcode"].as_str(), req(set)["keys"].clone()),
        (Some("Set"), json!(["key"]))
    );
    same_opaque(set);
    assert_eq!(
        (req(delete)["opcode"].as_str(), req(delete)["type"].as_str()),
        (Some("Delete"), Some("Delete"))
    );
    assert_eq!(req(delete)["keys"], json!(["key"]));
    assert_eq!(resp(delete)["status"], "Success");
    assert_eq!(*req(get).get("command").unwrap(), "get");
    assert_eq!(
        (req(get)["type"].as_str(), req(get)["keys"].clone()),
        (Some("Load"), json!(["key"]))
    );
    assert_eq!(
        (
            resp(get)["status"].as_str(),
            resp(get)["status_code"].as_u64()
        ),
        (Some("Key not found"), Some(1))
    );
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn binary_stats() {
    let run = run("memcache_bin_tcp_stats.pcap", "binary", 4);
    all_ok(&run);
    let stats = &run.events[2];
    assert_eq!(req(stats)["opcode"], "Stat");
    assert_eq!(req(stats)["command"], "stats");
    assert_eq!(
        (req(stats)["type"].as_str(), resp(stats)["type"].as_str()),
        (Some("Stats"), Some("Stats"))
    );
    same_opaque(stats);
    // 52 entries and the key-less terminator: one response over two segments.
    assert_eq!(check_stats(stats), 52);
    assert_eq!(stats["destination"]["bytes"], 2005);
    assert_eq!(run.counters.responses, 4);
}
