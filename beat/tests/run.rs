//! Runs through the library: several protocols over one capture, the
//! shipped example config against a capture, the summary, stopping early.

mod common;

use std::sync::atomic::AtomicBool;

use analyzer_beat::{protocol, run, Args, Registration, Settings};
use clap::Parser;
use serde_json::Value;

const PROTOCOLS: &[Registration] = &[
    protocol::<echo::EchoMessage>(),
    protocol::<redis::RedisMessage>(),
    protocol::<memcache::MemcacheMessage>(),
];

/// The protocols of the shipped example config (the `beat` binary's).
const EXAMPLE_PROTOCOLS: &[Registration] = &[
    protocol::<echo::EchoMessage>(),
    protocol::<redis::RedisMessage>(),
    protocol::<memcache::MemcacheMessage>(),
    protocol::<pgsql::PgsqlMessage>(),
    protocol::<mysql::MysqlMessage>(),
    protocol::<http::HttpMessage>(),
];

/// The three protocols' captures in one file: 3 echo, 5 Redis and 2
/// Memcache transactions, in 14, 10 and 12 packets.
fn mixed() -> String {
    let path = common::merged(
        "mixed.pcap",
        &[
            "echo/data/plain.pcap",
            "redis/data/pipelined.pcap",
            "memcache/data/text_set_get.pcap",
        ],
    );
    path.to_str().unwrap().to_string()
}

fn settings(args: &[&str]) -> Settings {
    settings_for(PROTOCOLS, args)
}

fn settings_for(protocols: &'static [Registration], args: &[&str]) -> Settings {
    let args = Args::try_parse_from([&"beat"].into_iter().chain(args)).unwrap();
    Settings::new(&args, protocols).unwrap()
}

/// Runs `args` with events to a temporary file; returns the report and the
/// events.
fn run_to_file(name: &str, args: &[&str]) -> (analyzer_beat::Report, Vec<Value>) {
    run_to_file_for(PROTOCOLS, name, args)
}

fn run_to_file_for(
    protocols: &'static [Registration],
    name: &str,
    args: &[&str],
) -> (analyzer_beat::Report, Vec<Value>) {
    let out = common::temp(name);
    let mut args = args.to_vec();
    args.extend(["-o", out.to_str().unwrap()]);
    let settings = settings_for(protocols, &args);
    let report = run("beat", &settings, &AtomicBool::new(false)).unwrap();
    let events = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (report, events)
}

#[test]
fn one_run_analyzes_every_protocol_on_its_ports() {
    let mixed = mixed();
    let (report, events) = run_to_file("mixed.ndjson", &["-r", &mixed]);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let count = |t: &str| types.iter().filter(|&&x| x == t).count();
    assert_eq!(
        (count("echo"), count("redis"), count("memcache")),
        (3, 5, 2)
    );
    assert_eq!(events.len(), 10);
    // In capture order: the captures were recorded one after the other.
    let times: Vec<&str> = events
        .iter()
        .map(|e| e["@timestamp"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    let names: Vec<&str> = report.counters.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["echo", "redis", "memcache"]);
    for (name, counters) in &report.counters {
        let own = events.iter().filter(|e| e["type"] == *name).count() as u64;
        assert_eq!(counters.transactions, own, "{name}");
        assert_eq!(
            counters.packets,
            14 + 10 + 12,
            "every engine sees every packet"
        );
        assert_eq!(counters.connections_opened, 1, "{name}");
    }
    assert_eq!(report.counters[0].1.packets_other_ports, 10 + 12);
    let flat = analyzer_beat::counters_json(&report, false);
    let json: Value = serde_json::from_str(&flat).unwrap();
    assert_eq!(json["redis"]["transactions"], 5);
    assert!(flat.starts_with("{\"echo\":{\"packets\":36,"), "{flat}");
}

#[test]
fn the_example_config_runs_against_a_capture() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/beat.example.yml");
    let mixed = mixed();
    let (report, events) = run_to_file_for(
        EXAMPLE_PROTOCOLS,
        "example.ndjson",
        &["-c", example, "-r", &mixed],
    );
    assert_eq!(events.len(), 10);
    // Every protocol of the example (PostgreSQL's, MySQL's and HTTP's too,
    // seeing nothing).
    assert_eq!(report.counters.len(), 6);
    assert!(events.iter().all(|e| e["status"] == "OK"));
    assert!(
        events.iter().all(|e| e.get("request").is_none()),
        "send_request: false"
    );
}

#[test]
fn the_summary_table_on_a_bundled_capture() {
    let mixed = mixed();
    let (report, _) = run_to_file("summary.ndjson", &["-r", &mixed, "--summary"]);
    let table = report.summary.unwrap().table();
    // Echo: 45, 31 and 26 µs; Redis: five pipelined commands answered in
    // one segment 102 µs after they left; Memcache: 23 µs and 738 µs.
    let expected = "\
echo
  connections     1
  transactions    3
  errors          0
  unanswered      0
  response time   p50 31µs  p90 45µs  p99 45µs  max 45µs
         20µs-50µs  ██████████████████████████████ 3
  drops           none

redis
  connections     1
  transactions    5
  errors          0
  unanswered      0
  response time   p50 102µs  p90 102µs  p99 102µs  max 102µs
       100µs-200µs  ██████████████████████████████ 5
  top methods     SET 2, DEL 1, GET 1, INCR 1
  drops           none

memcache
  connections     1
  transactions    2
  errors          0
  unanswered      0
  response time   p50 23µs  p90 738µs  p99 738µs  max 738µs
         20µs-50µs  ██████████████████████████████ 1
        50µs-100µs                                 0
       100µs-200µs                                 0
       200µs-500µs                                 0
         500µs-1ms  ██████████████████████████████ 1
  drops           none
";
    assert_eq!(table, expected, "\n{table}");
}

#[test]
fn the_summary_as_json() {
    let errors = common::workspace("redis/data/errors.pcap");
    let (report, events) = run_to_file(
        "summary-json.ndjson",
        &[
            "-r",
            errors.to_str().unwrap(),
            "--protocols",
            "redis",
            "--summary-format",
            "json",
        ],
    );
    let summary: Value = serde_json::from_str(&report.summary.unwrap().json()).unwrap();
    let redis = &summary["protocols"][0];
    assert_eq!(redis["type"], "redis");
    assert_eq!(redis["transactions"], 5);
    let failed = events.iter().filter(|e| e["status"] == "Error").count();
    assert_eq!(redis["errors"], failed as u64);
    assert_eq!(redis["errors"], 2);
    assert_eq!(redis["unanswered"], 0);
    let times = &redis["response_time"];
    assert_eq!(times["count"], 5);
    let max = events
        .iter()
        .filter_map(|e| e["event"]["duration"].as_u64())
        .max();
    assert_eq!(times["max_ns"].as_u64(), max);
    let p50 = times["p50_ns"].as_u64().unwrap();
    assert!(p50 <= max.unwrap() && p50 >= 10_000, "{p50}");
    let buckets: u64 = times["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(buckets, 5);
    assert_eq!(redis["methods"].as_array().unwrap().len(), 5);
    assert_eq!(redis["drops"]["gaps"], 0);
    assert_eq!(summary["protocols"].as_array().unwrap().len(), 1);
}

#[test]
fn unanswered_requests_are_summarized() {
    let path = common::workspace("echo/data/unanswered.pcap");
    let (report, events) = run_to_file(
        "unanswered.ndjson",
        &[
            "-r",
            path.to_str().unwrap(),
            "--protocols",
            "echo",
            "--summary",
        ],
    );
    let summary = report.summary.unwrap();
    let echo = &summary.protocols[0];
    let alone = events
        .iter()
        .filter(|e| e.get("echo").is_some_and(|f| f.get("response").is_none()))
        .count() as u64;
    assert!(alone > 0);
    assert_eq!(echo.unanswered, alone);
    assert_eq!(echo.unanswered, report.counters[0].1.requests_unanswered);
}

#[test]
fn a_stop_request_ends_the_run_cleanly() {
    let plain = common::workspace("echo/data/plain.pcap");
    let out = common::temp("stopped.ndjson");
    let s = settings(&["-r", plain.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let report = run("beat", &s, &AtomicBool::new(true)).unwrap();
    assert_eq!(report.counters[0].1.packets, 0);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "");
}

#[test]
fn input_and_output_errors_are_one_line() {
    let s = settings(&["-r", "/nonexistent/x.pcap"]);
    let failure = run("beat", &s, &AtomicBool::new(false)).unwrap_err();
    assert_eq!(
        failure.message,
        "/nonexistent/x.pcap: cannot open: No such file or directory (os error 2)"
    );
    assert!(failure.report.is_none());
    let plain = common::workspace("echo/data/plain.pcap");
    let s = settings(&[
        "-r",
        plain.to_str().unwrap(),
        "-o",
        "/nonexistent/out.ndjson",
    ]);
    let failure = run("beat", &s, &AtomicBool::new(false)).unwrap_err();
    assert_eq!(
        failure.message,
        "/nonexistent/out.ndjson: cannot create: No such file or directory (os error 2)"
    );
}
