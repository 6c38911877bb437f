//! `echo-beat` as a user runs it: exit status, stdout, stderr.

use std::path::PathBuf;
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

fn beat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_echo-beat"))
        .args(args)
        .output()
        .expect("echo-beat runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("echo-beat-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn prints_one_event_per_line_and_the_counters_on_stderr() {
    let out = beat(&["-r", data("plain.pcap").to_str().unwrap()]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 3);
    assert_eq!(events[2]["echo"]["request"]["content"], "echo me");
    let counters: serde_json::Value = serde_json::from_str(text(&out.stderr).trim()).unwrap();
    assert_eq!(counters["transactions"], 3);
    assert_eq!(counters["packets"], 14);
}

#[test]
fn writes_to_a_file_with_options() {
    let path = temp("out.ndjson");
    let out = beat(&[
        "--read",
        data("plain.pcap").to_str().unwrap(),
        "-o",
        path.to_str().unwrap(),
        "--send-request",
        "--ports",
        "3030,4000",
        "--no-counters",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let written = std::fs::read_to_string(&path).unwrap();
    let first: serde_json::Value = serde_json::from_str(written.lines().next().unwrap()).unwrap();
    assert_eq!(first["request"], ">hello\n");
}

#[test]
fn other_ports_publish_nothing() {
    let out = beat(&[
        "-r",
        data("plain.pcap").to_str().unwrap(),
        "--ports",
        "4000",
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("\"packets_other_ports\":14"));
}

#[test]
fn truncated_file_publishes_what_it_read_then_fails_with_one_line() {
    let whole = std::fs::read(data("pipelined.pcap")).unwrap();
    let path = temp("truncated.pcap");
    std::fs::write(&path, &whole[..whole.len() - 40]).unwrap();
    let out = beat(&["-r", path.to_str().unwrap(), "--no-counters"]);
    assert_eq!(out.status.code(), Some(1));
    let events = text(&out.stdout).lines().count();
    assert_eq!(events, 50, "every transaction from the readable part");
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("echo-beat: "), "{stderr}");
    assert!(
        stderr.contains(
            "truncated.pcap: truncated capture: the file ends inside record 61 at byte offset"
        ),
        "{stderr}"
    );
}

#[test]
fn missing_or_non_pcap_files_fail_with_one_line() {
    let out = beat(&["-r", "/nonexistent/x.pcap", "--no-counters"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "echo-beat: /nonexistent/x.pcap: cannot open: No such file or directory (os error 2)\n"
    );
    let path = temp("not.pcap");
    std::fs::write(&path, b"this is not a capture file at all").unwrap();
    let out = beat(&["-r", path.to_str().unwrap(), "--no-counters"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).ends_with("not.pcap: not a pcap or pcapng file (unknown magic number)\n")
    );
    let empty = temp("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let out = beat(&["-r", empty.to_str().unwrap(), "--no-counters"]);
    assert!(text(&out.stderr).ends_with("empty.pcap: empty file: not a pcap or pcapng capture\n"));
}

#[test]
fn help_documents_the_options() {
    let out = beat(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for flag in [
        "--read",
        "--output",
        "--ports",
        "--send-request",
        "--send-response",
        "--transaction-timeout",
        "--max-message-size",
        "Exit status",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    let out = beat(&["-r", "x", "--transaction-timeout", "-1"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn workers_give_the_same_events_and_counters() {
    let file = data("concurrent.pcap");
    let one = beat(&["-r", file.to_str().unwrap()]);
    let three = beat(&["-r", file.to_str().unwrap(), "--workers", "3"]);
    assert!(one.status.success() && three.status.success());
    // The same events but for `agent.ephemeral_id`, which is per run.
    let sorted = |out: &[u8]| {
        let mut lines: Vec<String> = text(out)
            .lines()
            .map(|line| {
                let mut event: serde_json::Value = serde_json::from_str(line).unwrap();
                let agent = event["agent"].as_object_mut().unwrap();
                assert!(agent.remove("ephemeral_id").is_some());
                event.to_string()
            })
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&three.stdout), sorted(&one.stdout));
    assert_eq!(sorted(&one.stdout).len(), 15);
    let counters =
        |out: &[u8]| -> serde_json::Value { serde_json::from_str(text(out).trim()).unwrap() };
    assert_eq!(counters(&three.stderr), counters(&one.stderr));
    // Per connection, the order is kept.
    let order = |out: &[u8], port: &serde_json::Value| -> Vec<String> {
        text(out)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|e| &e["client"]["port"] == port)
            .map(|e| {
                e["echo"]["request"]["content"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let first: serde_json::Value =
        serde_json::from_str(text(&one.stdout).lines().next().unwrap()).unwrap();
    let port = &first["client"]["port"];
    assert_eq!(order(&three.stdout, port), order(&one.stdout, port));
}
