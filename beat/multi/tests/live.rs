//! Live capture on the loopback interface: `beat -i lo` while `echo-server`
//! and `echo-client` talk, stopped by a signal. Needs root, libpcap and the
//! echo binaries, so it is ignored by default; `.ci/run` runs it:
//!
//! ```sh
//! cargo build -p echo --bins
//! cargo test -p beat --features live --test live -- --ignored
//! ```
#![cfg(all(feature = "live", unix))]

#[path = "../../tests/common/mod.rs"]
mod common;

mod support;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{events, row, shape, sibling, Beat, Killed};

#[test]
#[ignore = "needs root and libpcap: sniffs lo (run by .ci/run)"]
fn sniffs_an_echo_conversation_and_flushes_pending_requests_on_sigint() {
    let server = Killed(
        Command::new(sibling("echo-server"))
            .args(["--listen", "127.0.0.1:3030"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect("127.0.0.1:3030").is_err() {
        assert!(Instant::now() < deadline, "echo-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A server that never answers, on a second echo port.
    let silent = TcpListener::bind("127.0.0.1:3031").unwrap();
    let config = common::temp("live.yml");
    std::fs::write(
        &config,
        "protocols:\n  - type: echo\n    ports: [3030, 3031]\n  - type: redis\n",
    )
    .unwrap();
    let out = common::temp("live.ndjson");
    let beat = Beat::start(&["-c", config.to_str().unwrap(), "-o", out.to_str().unwrap()]);

    let client = Command::new(sibling("echo-client"))
        .args([
            "--connect",
            "127.0.0.1:3030",
            ">hello",
            ">big world",
            "oops",
        ])
        .output()
        .unwrap();
    assert!(
        client.status.success(),
        "{}",
        String::from_utf8_lossy(&client.stderr)
    );
    let mut pending = TcpStream::connect("127.0.0.1:3031").unwrap();
    let _accepted = silent.accept().unwrap();
    pending.write_all(b">anyone there?\n").unwrap();
    std::thread::sleep(Duration::from_millis(500));

    let counters = beat.stop(libc::SIGINT);
    drop(server);
    let got: Vec<_> = events(&out).iter().map(shape).collect();
    let expected = [
        row("OK", 3030, "hello", "hello", "-"),
        row("OK", 3030, "big world", "big world", "-"),
        // No `>`: the server answers `!oops`, the analyzer notes the request.
        row(
            "Error",
            3030,
            "-",
            "oops",
            "unparseable request: unknown tag byte b'o'",
        ),
        // Still waiting when the beat stopped: published as unanswered.
        row(
            "Error",
            3031,
            "anyone there?",
            "-",
            "capture ended before the response",
        ),
    ];
    assert_eq!(got, expected, "{counters}");
    assert_eq!(counters["echo"]["transactions"], 4);
    assert_eq!(counters["redis"]["transactions"], 0);
    assert_eq!(counters["capture"]["dropped"], 0);
}

#[test]
#[ignore = "needs root and libpcap: sniffs lo (run by .ci/run)"]
fn timeouts_fire_on_a_quiet_link_and_sigterm_stops_cleanly() {
    let silent = TcpListener::bind("127.0.0.1:3032").unwrap();
    let out = common::temp("quiet.ndjson");
    let beat = Beat::start(&[
        "--protocols",
        "echo",
        "--ports",
        "3032",
        "--transaction-timeout",
        "1",
        "-o",
        out.to_str().unwrap(),
    ]);
    let mut client = TcpStream::connect("127.0.0.1:3032").unwrap();
    let _accepted = silent.accept().unwrap();
    client.write_all(b">hello?\n").unwrap();
    // No packet follows: the beat's tick publishes the request when its
    // timeout passes, and flushes the output.
    let deadline = Instant::now() + Duration::from_secs(5);
    while events(&out).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no event within 5 s of a 1 s timeout"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let counters = beat.stop(libc::SIGTERM);
    let got: Vec<_> = events(&out).iter().map(shape).collect();
    let timeout = "no response within the transaction timeout (1s)";
    assert_eq!(got, [row("Error", 3032, "hello?", "-", timeout)]);
    assert_eq!(counters["echo"]["transactions"], 1);
    assert_eq!(counters["echo"]["requests_unanswered"], 1);
}

/// A free TCP port on 127.0.0.1 (free when asked).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
#[ignore = "needs root, libpcap and redis-server: sniffs lo (run by .ci/run)"]
fn a_full_queue_on_a_live_interface_drops_the_oldest_events_and_counts_them() {
    // Twenty echo transactions while the Redis output is down: the queue
    // (4 events) keeps the one being sent (batches of one) and the newest
    // three; the rest are dropped, counted. Then Redis comes up and gets
    // those four.
    let echo_port = free_port();
    let _server = support::echo_server(echo_port);
    let redis_port = free_port();
    let config = common::temp("live-drop.yml");
    std::fs::write(
        &config,
        format!(
            "queue:\n  mem:\n    events: 4\n    flush:\n      min_events: 1\noutput:\n  redis:\n    hosts: [\"127.0.0.1:{redis_port}\"]\n    key: events\n    bulk_max_size: 1\n    backoff: {{init: 50ms, max: 100ms}}\n"
        ),
    )
    .unwrap();
    let port = echo_port.to_string();
    let beat = Beat::start(&[
        "-c",
        config.to_str().unwrap(),
        "--protocols",
        "echo",
        "--ports",
        &port,
    ]);
    let lines: Vec<String> = (1..=20).map(|n| format!(">line {n:02}")).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    support::echo_client(echo_port, &lines);
    std::thread::sleep(Duration::from_millis(1500));
    let dir = common::temp("live-drop-redis");
    std::fs::create_dir_all(&dir).unwrap();
    let redis = Killed(
        Command::new("redis-server")
            .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--dir", dir.to_str().unwrap()])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server"),
    );
    let llen = || {
        let out = Command::new("redis-cli")
            .args(["-p", &redis_port.to_string(), "LLEN", "events"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while llen() != "4" {
        assert!(Instant::now() < deadline, "Redis got {}", llen());
        std::thread::sleep(Duration::from_millis(50));
    }
    let counters = beat.stop(libc::SIGINT);
    let out = Command::new("redis-cli")
        .args([
            "-p",
            &redis_port.to_string(),
            "--raw",
            "LRANGE",
            "events",
            "0",
            "-1",
        ])
        .output()
        .unwrap();
    drop(redis);
    let contents: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            e["echo"]["request"]["content"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    // The one in flight (the first, unless the worker was slow to take
    // it), then the newest three.
    assert_eq!(contents.len(), 4);
    assert!(contents[0].as_str() < "line 18", "{contents:?}");
    assert_eq!(contents[1..], ["line 18", "line 19", "line 20"]);
    let delivery = &counters["output"];
    assert_eq!(delivery["published"], 20, "{counters}");
    assert_eq!(delivery["acknowledged"], 4);
    assert_eq!(delivery["dropped"], 16);
}
