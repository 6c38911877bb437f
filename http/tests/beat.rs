//! `http-beat` as a user runs it: the default ports, `--ports`, the
//! counters on stderr.

use std::process::Command;

use serde_json::Value;

fn run(args: &[&str]) -> (Vec<Value>, Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    integration_tests::run_beat(env!("CARGO_BIN_EXE_http-beat"), dir, args)
}

#[test]
fn default_ports_are_packetbeats() {
    for (file, port) in [("get", 80), ("post", 8000), ("simple-server", 8080)] {
        let (events, counters) = run(&["-r", &format!("data/{file}.pcap")]);
        assert_eq!(events.len(), 1, "{file}");
        assert_eq!(events[0]["destination"]["port"], port);
        assert_eq!(counters["transactions"], 1);
    }
}

#[test]
fn ports_choose_the_servers_analyzed() {
    let (events, counters) = run(&["-r", "data/get.pcap", "--ports", "8000,9000"]);
    assert!(events.is_empty());
    assert_eq!(counters["packets_other_ports"], 10);
    let (events, _) = run(&["-r", "data/post.pcap", "--ports", "8000", "--send-request"]);
    assert_eq!(events.len(), 1);
    assert!(events[0]["request"]
        .as_str()
        .unwrap()
        .starts_with("POST /upload HTTP/1.1\r\n"));
}

/// A config file with `protocols: [{type: http, ...}]`, written for a test.
fn config_file(name: &str, yaml: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("http-beat-{}-{name}.yml", std::process::id()));
    std::fs::write(&path, yaml).unwrap();
    path
}

#[test]
fn headers_and_bodies_as_the_config_file_asks() {
    let path = config_file(
        "options",
        "protocols:\n  - type: http\n    send_headers: [host, Content-Type]\n    include_body_for: [text/plain]\n",
    );
    let (events, _) = run(&["-r", "data/post.pcap", "-c", path.to_str().unwrap()]);
    assert_eq!(events.len(), 1);
    let http = &events[0]["http"];
    // Only the two headers named, in lower case, in both directions.
    assert_eq!(
        http["request"]["headers"],
        serde_json::json!({"host": "127.0.0.1:8000", "content-type": "application/x-www-form-urlencoded"})
    );
    assert_eq!(
        http["response"]["headers"],
        serde_json::json!({"content-type": "text/plain"})
    );
    // The text/plain body is kept, not the form's.
    assert_eq!(http["request"]["body"], serde_json::json!({"bytes": 23}));
    assert_eq!(
        http["response"]["body"],
        serde_json::json!({"bytes": 18, "content": "received 23 bytes\n"})
    );

    // Without options: neither headers nor bodies.
    let (events, _) = run(&["-r", "data/post.pcap"]);
    let http = &events[0]["http"];
    assert!(http["request"].get("headers").is_none() && http["response"].get("headers").is_none());
    assert_eq!(http["response"]["body"], serde_json::json!({"bytes": 18}));
    std::fs::remove_file(path).unwrap();
}

#[test]
fn option_flags_override_the_file() {
    let path = config_file(
        "flags",
        "protocols:\n  - type: http\n    send_headers: [host]\n    include_request_body_for: [form]\n",
    );
    let (events, _) = run(&[
        "-r",
        "data/post.pcap",
        "-c",
        path.to_str().unwrap(),
        "--option",
        "send_headers=true",
        "-O",
        "http.max_body_bytes=8",
    ]);
    let http = &events[0]["http"];
    assert_eq!(
        http["request"]["headers"],
        serde_json::json!({
            "host": "127.0.0.1:8000",
            "user-agent": "curl/7.88.1",
            "accept": "*/*",
            "content-length": "23",
            "content-type": "application/x-www-form-urlencoded"
        })
    );
    let response_headers: Vec<&str> = http["response"]["headers"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        response_headers,
        ["server", "date", "content-type", "content-length"]
    );
    assert_eq!(
        http["request"]["body"],
        serde_json::json!({"bytes": 23, "content": "name=ana"})
    );
    assert_eq!(http["response"]["body"], serde_json::json!({"bytes": 18}));
    std::fs::remove_file(path).unwrap();
}

#[test]
fn an_unknown_or_bad_option_stops_the_beat() {
    let path = config_file(
        "unknown",
        "protocols:\n  - type: http\n    send_all_header: true\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_http-beat"))
        .args(["-r", "data/post.pcap", "-c", path.to_str().unwrap()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "http-beat: {}:3:5: protocols[0]: unknown field `send_all_header`, expected one of `type`, ",
        path.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("`send_all_headers`"), "{stderr}");
    std::fs::remove_file(path).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_http-beat"))
        .args(["-r", "data/post.pcap", "-O", "max_body_bytes=10KiB"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("--option max_body_bytes: `max_body_bytes` takes a number of bytes"),
        "{stderr}"
    );
}
