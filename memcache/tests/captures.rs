//! The analyzer on every capture the project recorded from memcached 1.6
//! (`memcache/data/`, see its README): the exact transactions.

mod common;

use std::path::PathBuf;

use analyzer_core::replay::Replay;
use common::{lines, replay};
use serde_json::{json, Value};

fn run(name: &str) -> Replay {
    let run = replay(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("data")
            .join(name),
    );
    let c = &run.counters;
    assert_eq!(
        (c.messages_unparsed, c.messages_cut_short, c.gaps),
        (0, 0, 0),
        "{name}: {c:?}"
    );
    assert_eq!(c.connections_opened, 1, "{name}");
    for e in &run.events {
        assert_eq!(e["type"], "memcache");
        assert_eq!(e["server"]["port"], 11211);
        let text = name.starts_with("text_");
        let protocol = if text { "text" } else { "binary" };
        assert_eq!(e["memcache"]["protocol_type"], protocol, "{name}");
    }
    run
}

fn req(run: &Replay, i: usize) -> &Value {
    &run.events[i]["memcache"]["request"]
}

fn resp(run: &Replay, i: usize) -> &Value {
    &run.events[i]["memcache"]["response"]
}

#[test]
fn text_set_get() {
    let run = run("text_set_get.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK set greeting(34) -> STORED(8)",
            "OK get greeting(14) -> VALUE greeting(39)"
        ]
    );
    let set = req(&run, 0);
    assert_eq!(
        *set,
        json!({"command": "set", "type": "Store", "keys": ["greeting"], "flags": 0,
               "exptime": 0, "bytes": 11, "count_values": 1, "noreply": false})
    );
    assert_eq!(resp(&run, 0)["type"], "Success");
    assert_eq!(
        *resp(&run, 1),
        json!({"command": "VALUE", "type": "Load", "keys": ["greeting"], "flags": 0,
               "bytes": 11, "count_values": 1})
    );
    // event.action from the request's type, as Packetbeat; no method.
    let actions: Vec<_> = run
        .events
        .iter()
        .map(|e| e["event"]["action"].clone())
        .collect();
    assert_eq!(actions, [json!("memcache.store"), json!("memcache.load")]);
    assert!(run.events.iter().all(|e| e.get("method").is_none()));
}

#[test]
fn text_multi_get_with_a_miss() {
    let run = run("text_multi_get.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK set a(16) -> STORED(8)",
            "OK set b(17) -> STORED(8)",
            "OK set c(18) -> STORED(8)",
            // VALUE a (1 byte), b (2), c (3): 13 + 3 + 13 + 4 + 13 + 5 + END 5
            "OK get a b missing c(19) -> VALUE a b c(56)",
        ]
    );
    assert_eq!(resp(&run, 3)["bytes"], 6);
    assert_eq!(resp(&run, 3)["count_values"], 3);
}

#[test]
fn text_value_holding_crlf_end_and_value_is_framed_by_length() {
    let run = run("text_binary_safe.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK set tricky(72) -> STORED(8)",
            "OK get tricky(12) -> VALUE tricky(77)"
        ]
    );
    assert_eq!(
        (
            req(&run, 0)["bytes"].clone(),
            resp(&run, 1)["bytes"].clone()
        ),
        (json!(51), json!(51))
    );
    assert_eq!(run.counters.responses_unmatched, 0);
}

#[test]
fn text_value_over_many_segments() {
    let run = run("text_large_value.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK set big(200022) -> STORED(8)",
            "OK get big(9) -> VALUE big(200027)"
        ]
    );
    assert_eq!(resp(&run, 1)["bytes"], 200_000);
    assert!(run.counters.packets > 250, "{:?}", run.counters);
}

#[test]
fn text_noreply_requests_are_published_at_once() {
    let run = run("text_noreply.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK set nr1(28) -> -",
            "OK add nr2(28) -> -",
            "OK delete nr1(20) -> -",
            "OK get nr1 nr2(13) -> VALUE nr2(25)",
        ]
    );
    for i in 0..3 {
        assert_eq!(req(&run, i)["noreply"], true);
    }
    assert_eq!(req(&run, 1)["flags"], 5);
    assert_eq!(run.counters.requests_no_response_expected, 3);
}

#[test]
fn text_counters() {
    let run = run("text_counters.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK set n(17) -> STORED(8)",
            "OK incr n(10) -> <counter_op_res>(4)",
            "OK decr n(11) -> <counter_op_res>(3)",
            "Error incr nothing(16) -> NOT_FOUND(11)",
        ]
    );
    assert_eq!(
        (
            req(&run, 1)["delta"].clone(),
            resp(&run, 1)["value"].clone()
        ),
        (json!(5), json!(15))
    );
    assert_eq!(
        (
            req(&run, 2)["delta"].clone(),
            resp(&run, 2)["value"].clone()
        ),
        (json!(20), json!(0))
    );
    assert_eq!(resp(&run, 3)["type"], "Fail");
}

#[test]
fn text_delete() {
    let run = run("text_delete.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK set doomed(23) -> STORED(8)",
            "OK delete doomed(15) -> DELETED(9)",
            "Error delete doomed(15) -> NOT_FOUND(11)",
            "OK get doomed(12) -> END(5)",
        ]
    );
}

#[test]
fn text_stats_merged_into_one_response() {
    let run = run("text_stats.pcap");
    assert_eq!(lines(&run), ["OK stats(7) -> STAT(2230)"]);
    assert_eq!(req(&run, 0)["raw_args"], "");
    let stats = resp(&run, 0)["stats"].as_array().unwrap();
    assert_eq!(stats.len(), 92);
    assert_eq!(stats[0]["name"], "pid");
    assert!(stats.contains(&json!({"name": "version", "value": "1.6.18"})));
}

#[test]
fn text_unknown_command_and_client_error() {
    let run = run("text_unknown_command.pcap");
    let long_key = "k".repeat(300);
    assert_eq!(
        lines(&run),
        [
            "Error UNKNOWN(15) -> ERROR(7)".to_string(),
            format!("Error get {long_key}(306) -> CLIENT_ERROR(38)"),
            "OK version(9) -> VERSION(16)".to_string(),
        ]
    );
    assert_eq!(req(&run, 0)["line"], "bogus command");
    assert_eq!(resp(&run, 1)["error_msg"], "bad command line format");
    assert_eq!(resp(&run, 2)["version"], "1.6.18");
}

#[test]
fn text_quit_is_published_without_a_response() {
    let run = run("text_quit.pcap");
    assert_eq!(
        lines(&run),
        ["OK version(9) -> VERSION(16)", "OK quit(6) -> -"]
    );
    assert_eq!(run.counters.requests_unanswered, 0);
}

#[test]
fn bin_set_get() {
    let run = run("bin_set_get.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK set greeting(52) -> set(24)",
            "OK get greeting(32) -> get(40)",
            "OK get greeting(32) -> get greeting(48)",
            "OK quit(24) -> quit(24)",
        ]
    );
    assert_eq!(
        *req(&run, 0),
        json!({"command": "set", "type": "Store", "keys": ["greeting"], "flags": 0, "exptime": 0,
               "bytes": 12, "count_values": 1, "opcode": "Set", "opcode_value": 1, "opaque": 1,
               "quiet": false, "vbucket": 0})
    );
    let get = resp(&run, 1);
    assert_eq!(
        (get["opcode"].clone(), get["bytes"].clone()),
        (json!("Get"), json!(12))
    );
    assert_eq!(get["cas_unique"], resp(&run, 0)["cas_unique"]);
    assert_eq!(resp(&run, 2)["opcode"], "GetK");
    let actions: Vec<_> = run
        .events
        .iter()
        .map(|e| e["event"]["action"].clone())
        .collect();
    assert_eq!(
        actions,
        [
            "memcache.store",
            "memcache.load",
            "memcache.load",
            "memcache.info"
        ]
    );
}

#[test]
fn bin_quiet_multi_get() {
    let run = run("bin_quiet_multi_get.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK set k1(37) -> set(24)",
            "OK set k2(37) -> -", // SetQ: stored, so not answered
            "OK get k1(26) -> get k1(33)",
            "OK get nope(28) -> -", // GetKQ misses get no answer
            "OK get k2(26) -> get k2(33)",
            "OK get gone(28) -> -",
            "OK noop(24) -> noop(24)",
        ]
    );
    assert_eq!(req(&run, 1)["opcode"], "SetQ");
    assert_eq!(req(&run, 3)["quiet"], true);
    assert_eq!(resp(&run, 4)["opaque"], 5);
    assert_eq!(run.counters.responses_unmatched, 0);
}

#[test]
fn bin_counters() {
    let run = run("bin_counters.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK incr hits(48) -> incr(32)",
            "OK incr hits(48) -> incr(32)",
            "OK decr hits(48) -> decr(32)",
        ]
    );
    let pairs: Vec<_> = (0..3)
        .map(|i| {
            (
                req(&run, i)["delta"].clone(),
                req(&run, i)["initial"].clone(),
                resp(&run, i)["value"].clone(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            (json!(1), json!(100), json!(100)),
            (json!(5), json!(0), json!(105)),
            (json!(200), json!(0), json!(0))
        ]
    );
}

#[test]
fn bin_delete() {
    let run = run("bin_delete.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK set doomed(41) -> set(24)",
            "OK delete doomed(30) -> delete(24)",
            "Error delete doomed(30) -> delete (Key not found)(33)",
            // A get's miss is not a failure (as text `END` alone), as
            // Packetbeat publishes it.
            "OK get doomed(30) -> get doomed (Key not found)(30)",
        ]
    );
    assert_eq!(resp(&run, 2)["status_code"], 1);
}

#[test]
fn bin_stats_merged_into_one_response() {
    let run = run("bin_stats.pcap");
    assert_eq!(lines(&run), ["OK stats(24) -> stats(3724)"]);
    let stats = resp(&run, 0)["stats"].as_array().unwrap();
    assert_eq!(stats.len(), 92);
    assert!(stats.contains(&json!({"name": "version", "value": "1.6.18"})));
    assert_eq!(run.counters.responses, 1);
}

#[test]
fn bin_error_statuses() {
    let run = run("bin_error.pcap");
    assert_eq!(
        lines(&run),
        [
            "OK set word(39) -> set(24)",
            "Error add word(39) -> add (Key exists)(44)",
            "Error incr word(48) -> incr (Incr/Decr on non-numeric value.)(70)",
            "Error UNKNOWN(24) -> UNKNOWN (Unknown command)(39)",
        ]
    );
    assert_eq!(resp(&run, 3)["status_code"], 0x81);
    assert_eq!(req(&run, 3)["opcode_value"], 0x50);
}
