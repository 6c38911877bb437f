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
