//! `http-beat` as a user runs it: the default ports, `--ports`, the
//! counters on stderr.

use std::process::Command;

use serde_json::Value;

fn run(args: &[&str]) -> (Vec<Value>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_http-beat"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("http-beat runs");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    let events = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (events, serde_json::from_str(stderr.trim()).unwrap())
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
