//! The envelope on every event (ecs, agent, host, tags, fields,
//! network.direction, @metadata) and the file output's rotation, through
//! the `beat` binary on the bundled captures.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

fn beat(config: &str, name: &str, args: &[&str]) -> Output {
    let path = common::temp(name);
    std::fs::write(&path, config).unwrap();
    Command::new(env!("CARGO_BIN_EXE_beat"))
        .arg("-c")
        .arg(&path)
        .args(args)
        .output()
        .unwrap()
}

fn events(text: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(text)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn hostname() -> String {
    let out = Command::new("hostname").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn every_event_carries_the_envelope_and_the_agent_id_is_kept() {
    let data = common::temp("data-envelope");
    let config = format!(
        "name: shipper-7\ntags: [prod, db]\nfields: {{team: storage, rack: 4}}\npath:\n  data: {}\ninterface:\n  internal_networks: [private]\n",
        data.display()
    );
    let capture = common::workspace("redis/data/errors.pcap");
    let capture = capture.to_str().unwrap();
    let first = beat(&config, "envelope.yml", &["-r", capture]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = beat(&config, "envelope.yml", &["-r", capture]);
    let (first, second) = (events(&first.stdout), events(&second.stdout));
    assert_eq!(first.len(), 5);
    let id = first[0]["agent"]["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36);
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("meta.json")).unwrap()).unwrap();
    assert_eq!(stored["uuid"], id.as_str());
    for event in first.iter().chain(&second) {
        assert_eq!(event["ecs"]["version"], "8.0.0");
        let agent = &event["agent"];
        assert_eq!(agent["type"], "beat");
        assert_eq!(agent["name"], "shipper-7");
        assert_eq!(agent["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(agent["id"], id.as_str(), "stable across runs");
        assert_eq!(event["host"]["name"], "shipper-7");
        assert_eq!(event["host"]["hostname"], hostname());
        assert_eq!(event["host"]["os"]["type"], "linux");
        assert!(event["host"]["os"]["kernel"].is_string());
        assert_eq!(event["tags"], json!(["prod", "db"]));
        assert_eq!(event["fields"], json!({"team": "storage", "rack": 4}));
        // The capture is on loopback, an address of this host.
        assert_eq!(event["network"]["direction"], "ingress");
        assert_eq!(event["network"]["transport"], "tcp");
        assert_eq!(event["@metadata"]["beat"], "beat");
        let outcome = if event["status"] == "OK" {
            "success"
        } else {
            "failure"
        };
        assert_eq!(event["event"]["outcome"], outcome);
    }
    // A run's own id differs from the next run's.
    assert_ne!(
        first[0]["agent"]["ephemeral_id"],
        second[0]["agent"]["ephemeral_id"]
    );
    // Two error replies in the capture: failures.
    let failures = first.iter().filter(|e| e["event"]["outcome"] == "failure");
    assert_eq!(failures.count(), 2);
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

#[test]
fn the_file_output_rotates_and_keeps_every_event_of_the_kept_files() {
    let dir = common::temp("rotated");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Started as root, the beat runs as `nobody` once the file is open: it
    // makes the rotated files in a directory that user can write.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let path = dir.join("events.ndjson");
    let capture = common::workspace("echo/data/concurrent.pcap");
    let capture = capture.to_str().unwrap();
    let config = format!(
        "output:\n  file:\n    path: {}\n    rotate_every_kb: 4\n    number_of_files: 20\n",
        path.display()
    );
    let out = beat(
        &config,
        "rotate.yml",
        &["-r", capture, "--protocols", "echo"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counters: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(counters["output"]["acknowledged"], 15);
    let mut total = lines(&path);
    let mut files = 1;
    while dir.join(format!("events.ndjson.{files}")).exists() {
        let rotated = dir.join(format!("events.ndjson.{files}"));
        assert!(std::fs::metadata(&rotated).unwrap().len() <= 4096);
        total += lines(&rotated);
        files += 1;
    }
    assert!(
        files >= 3,
        "15 events of ~1.5 KB in files of 4 KiB: {files}"
    );
    assert_eq!(total, 15);
    // A second run rotates the first run's file away first.
    let out = beat(
        &config,
        "rotate.yml",
        &["-r", capture, "--protocols", "echo"],
    );
    assert!(out.status.success());
    assert!(dir.join(format!("events.ndjson.{files}")).exists());
}
