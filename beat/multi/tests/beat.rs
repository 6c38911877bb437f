//! `beat` as a user runs it: several protocols over one capture, the
//! counters of each, the summary, config and usage errors.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::{Command, Output};

use serde_json::Value;

fn beat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_beat"))
        .args(args)
        .output()
        .expect("beat runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

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

#[test]
fn analyzes_echo_redis_and_memcache_in_one_run() {
    let out = beat(&["-r", &mixed()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "echo", "echo", "echo", "redis", "redis", "redis", "redis", "redis", "memcache",
            "memcache"
        ]
    );
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "only the counters: {stderr}");
    let counters: Value = serde_json::from_str(stderr.trim()).unwrap();
    for (name, transactions) in [("echo", 3), ("redis", 5), ("memcache", 2)] {
        assert_eq!(counters[name]["transactions"], transactions, "{name}");
        assert_eq!(counters[name]["packets"], 36);
    }
}

#[test]
fn analyzes_postgresql_beside_the_others() {
    let path = common::merged(
        "with-pgsql.pcap",
        &["redis/data/pipelined.pcap", "pgsql/data/errors.pcap"],
    );
    let out = beat(&["-r", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pgsql: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["type"] == "pgsql")
        .map(|e| {
            (
                e["status"].as_str().unwrap(),
                e["pgsql"]["error_code"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        pgsql,
        [
            ("Error", "42601"),
            ("Error", "23505"),
            ("Error", "42P01"),
            ("OK", "-")
        ]
    );
    assert_eq!(events.len(), 5 + 4);
}

#[test]
fn the_example_config_and_a_summary() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../beat.example.yml");
    let out = beat(&["-c", example, "-r", &mixed(), "--summary", "--no-counters"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 10);
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("echo\n  connections     1\n"),
        "{stderr}"
    );
    assert!(stderr.contains("\nredis\n"), "{stderr}");
    assert!(
        stderr.contains("  top methods     SET 2, DEL 1, GET 1, INCR 1\n"),
        "{stderr}"
    );

    let out = beat(&["-r", &mixed(), "--summary-format", "json", "--no-counters"]);
    let summary: Value = serde_json::from_str(text(&out.stderr).trim()).unwrap();
    assert_eq!(summary["protocols"][2]["type"], "memcache");
    assert_eq!(summary["protocols"][2]["transactions"], 2);
}

#[test]
fn protocols_can_be_chosen() {
    let out = beat(&["-r", &mixed(), "--protocols", "redis", "--ports", "6379"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 5);
    let counters: Value = serde_json::from_str(text(&out.stderr).trim()).unwrap();
    assert_eq!(
        counters.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["redis", "output"]
    );
    // Every event delivered: the delivery counters beside the protocol's.
    assert_eq!(counters["output"]["published"], 5);
    assert_eq!(counters["output"]["acknowledged"], 5);
}

#[test]
fn config_errors_exit_2_with_file_line_and_message() {
    let path = common::temp("bad.yml");
    std::fs::write(
        &path,
        "protocols:\n  - type: echo\n    ports: [3030, 99999]\n",
    )
    .unwrap();
    let out = beat(&["-c", path.to_str().unwrap(), "-r", &mixed()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        format!(
            "beat: {}:3:19: protocols[0].ports[1]: `99999` is not a port (1 to 65535)\n",
            path.display()
        )
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = beat(&["-r", &mixed(), "--ports", "4000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--ports needs a single protocol"));
    let out = beat(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nothing to analyze"));
    let out = beat(&["-r", "x.pcap", "-i", "lo"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_documents_the_options() {
    let out = beat(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for flag in [
        "--config",
        "--read",
        "--interface",
        "--protocols",
        "--summary",
        "--summary-format",
        "--no-progress",
        "--option",
        "SIGINT or SIGTERM",
        "Exit status",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}

#[cfg(not(feature = "live"))]
#[test]
fn live_capture_needs_the_feature() {
    let out = beat(&["-i", "lo", "--no-counters"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "beat: live capture (-i) needs a beat built with analyzer-beat's `live` feature (and libpcap-dev)\n"
    );
}

#[test]
fn analyzes_mysql_on_its_port() {
    let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../mysql/data/select.pcap");
    let out = beat(&["-r", capture, "--no-counters"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The handshake, the login, the query, COM_QUIT.
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e["type"] == "mysql"));
    assert_eq!(
        events[2]["query"],
        "SELECT id, name, price FROM items ORDER BY id"
    );
    assert_eq!(events[2]["mysql"]["num_rows"], 3);
}

#[test]
fn analyzes_http_beside_the_others() {
    let path = common::merged(
        "mixed-http.pcap",
        &["redis/data/pipelined.pcap", "http/data/keepalive.pcap"],
    );
    let out = beat(&["-r", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let http: Vec<_> = events.iter().filter(|e| e["type"] == "http").collect();
    let paths: Vec<_> = http
        .iter()
        .map(|e| e["url"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/a.txt", "/b.txt", "/c.txt"]);
    assert!(http.iter().all(|e| e["status"] == "OK"));
    assert_eq!(events.iter().filter(|e| e["type"] == "redis").count(), 5);
    let counters: Value = serde_json::from_str(text(&out.stderr).trim()).unwrap();
    assert_eq!(counters["http"]["transactions"], 3);
}

#[test]
fn http_options_from_the_config_file() {
    let path = common::temp("http-options.yml");
    std::fs::write(
        &path,
        "protocols:\n  - type: redis\n  - type: http\n    send_headers: [Host]\n    include_response_body_for: [text]\n    max_body_bytes: 4\n",
    )
    .unwrap();
    let capture = common::merged(
        "mixed-http-options.pcap",
        &["redis/data/pipelined.pcap", "http/data/keepalive.pcap"],
    );
    let out = beat(&[
        "-c",
        path.to_str().unwrap(),
        "-r",
        capture.to_str().unwrap(),
        "--no-counters",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let http: Vec<_> = events.iter().filter(|e| e["type"] == "http").collect();
    assert_eq!(http.len(), 3);
    for event in &http {
        assert_eq!(
            event["http"]["request"]["headers"],
            serde_json::json!({"host": "127.0.0.1"})
        );
        assert!(event["http"]["response"].get("headers").is_none());
        assert_eq!(event["http"]["response"]["body"]["content"], "file");
    }
    // Redis takes no such option: an error at its line.
    std::fs::write(
        &path,
        "protocols:\n  - type: redis\n    send_headers: [Host]\n",
    )
    .unwrap();
    let out = beat(&[
        "-c",
        path.to_str().unwrap(),
        "-r",
        capture.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with(&format!(
        "beat: {}:3:5: protocols[0]: unknown field `send_headers`, expected one of `type`, `enabled`",
        path.display()
    )));
}
