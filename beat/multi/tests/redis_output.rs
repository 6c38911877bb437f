//! `output.redis` against a real `redis-server` (Debian's package, started
//! by each test on a free port): every event delivered, a server restart
//! mid-run with nothing lost, channels, a dead server at SIGTERM, a
//! refused password that never shows.
//!
//! Without `redis-server` on the PATH the tests say so and pass, unless
//! `REQUIRE_REDIS=1` (as `.ci/run` sets, having installed it).

mod outputs;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use outputs::{common, counted};

/// A `redis-server` of this test, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
    args: Vec<String>,
}

fn have_redis() -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("REQUIRE_REDIS").is_none(),
            "REQUIRE_REDIS is set but redis-server cannot be run"
        );
        eprintln!("redis-server is not installed: skipped (apt-get install redis-server)");
    }
    found
}

impl Server {
    /// A server keeping every write on disk before it answers
    /// (`appendfsync always`), so a killed server loses nothing it
    /// acknowledged.
    fn start(name: &str, extra: &[&str]) -> Server {
        let dir = common::temp(&format!("redis-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = outputs::free_port();
        let mut args: Vec<String> = [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            dir.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Server::spawn(&args, port);
        Server {
            child,
            port,
            dir,
            args,
        }
    }

    fn spawn(args: &[String], port: u16) -> Child {
        let child = Command::new("redis-server")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    /// Kills the server at once (SIGKILL: no goodbye, no final save).
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts it again on the same port and files.
    fn restart(&mut self) {
        self.child = Server::spawn(&self.args, self.port);
    }

    fn cli(&self, args: &[&str]) -> Vec<u8> {
        let mut all = vec!["-p".to_string(), self.port.to_string()];
        if let Some(at) = self.args.iter().position(|a| a == "--requirepass") {
            all.extend([
                "-a".to_string(),
                self.args[at + 1].clone(),
                "--no-auth-warning".into(),
            ]);
        }
        all.extend(args.iter().map(|s| s.to_string()));
        let out = Command::new("redis-cli").args(&all).output().unwrap();
        assert!(out.status.success());
        out.stdout
    }

    /// The list's items (each an event: JSON holds no raw newline).
    fn list(&self, key: &str) -> Vec<Vec<u8>> {
        let out = self.cli(&["--raw", "LRANGE", key, "0", "-1"]);
        out.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    }

    fn config(&self, extra: &str) -> String {
        format!(
            "queue:\n  mem:\n    flush:\n      min_events: 1\nshutdown_timeout: 2s\noutput:\n  redis:\n    hosts: [\"127.0.0.1:{}\"]\n    key: events\n    timeout: 2s\n    backoff: {{init: 50ms, max: 200ms}}\n{extra}",
            self.port
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn capture(name: &str) -> String {
    common::workspace(name).to_str().unwrap().to_string()
}

#[test]
fn every_event_reaches_the_list_with_its_envelope() {
    if !have_redis() {
        return;
    }
    let server = Server::start("list", &[]);
    let capture = capture("echo/data/concurrent.pcap");
    let out = outputs::beat(&server.config("    db: 3\n"), "redis-list.yml")
        .args(["-r", &capture])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counters = outputs::counters(&out);
    assert_eq!(counters["output"]["published"], 15);
    assert_eq!(counters["output"]["acknowledged"], 15);
    assert_eq!(counters["output"]["failed"], 0);
    // `db: 3`: SELECTed, nothing in 0.
    assert_eq!(server.cli(&["LLEN", "events"]), b"0\n");
    let got = server.cli(&["-n", "3", "--raw", "LRANGE", "events", "0", "-1"]);
    let got: Vec<&[u8]> = got
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let expected = outputs::console_events(&capture, true);
    assert_eq!(counted(got), counted(expected.iter().map(Vec::as_slice)));
}

#[test]
fn a_server_restart_mid_run_loses_nothing() {
    if !have_redis() {
        return;
    }
    let mut server = Server::start("restart", &[]);
    // 600 x 15 events: more than the reader's 256 KiB buffer before the
    // cut, so events flow while the rest waits in the FIFO.
    let bytes = outputs::repeated(600);
    let capture = common::temp("repeated-600.pcap");
    std::fs::write(&capture, &bytes).unwrap();
    let capture = capture.to_str().unwrap().to_string();
    let (first, rest) = outputs::halves(&bytes, 0.5);
    let fifo = outputs::fifo("redis-restart.fifo");
    let mut command = outputs::beat(&server.config(""), "redis-restart.yml");
    let beat = outputs::spawn_on(&mut command, &fifo);
    let mut input = outputs::writer(&fifo, &first);
    // The first events arrive...
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.list("events").is_empty() {
        assert!(Instant::now() < deadline, "no event reached Redis");
        std::thread::sleep(Duration::from_millis(20));
    }
    // ...the server dies, the rest of the capture is read meanwhile (as
    // far as the queue holds: then the reading waits)...
    server.kill();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        input.write_all(&rest).unwrap();
    });
    std::thread::sleep(Duration::from_millis(600));
    // ...and comes back with what it had acknowledged.
    server.restart();
    writer.join().unwrap();
    let out = beat.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(retrying)"), "{stderr}");
    let counters = outputs::counters(&out);
    assert_eq!(counters["output"]["published"], 9000, "{stderr}");
    assert_eq!(counters["output"]["acknowledged"], 9000, "{stderr}");
    assert!(counters["output"]["retried"].as_u64().unwrap() > 0);
    assert_eq!(counters["output"]["dropped"], 0);
    let got = server.list("events");
    let expected = outputs::console_events(&capture, true);
    let expected = counted(expected.iter().map(Vec::as_slice));
    let got = counted(got.iter().map(Vec::as_slice));
    // Every event, at least once (a batch the server took as it died may
    // come twice).
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
}

#[test]
fn events_are_published_on_a_channel() {
    if !have_redis() {
        return;
    }
    let server = Server::start("channel", &[]);
    let mut subscriber = Command::new("redis-cli")
        .args([
            "-p",
            &server.port.to_string(),
            "--raw",
            "SUBSCRIBE",
            "events",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(subscriber.stdout.take().unwrap()).lines();
    // subscribe, events, 1: subscribed.
    for _ in 0..3 {
        lines.next().unwrap().unwrap();
    }
    let capture = capture("redis/data/errors.pcap");
    let out = outputs::beat(
        &server.config("    datatype: channel\n"),
        "redis-channel.yml",
    )
    .args(["-r", &capture])
    .output()
    .unwrap();
    assert!(out.status.success());
    assert_eq!(outputs::counters(&out)["output"]["acknowledged"], 5);
    let mut got = Vec::new();
    while got.len() < 5 {
        let line = lines.next().unwrap().unwrap();
        if line.starts_with('{') {
            got.push(line.into_bytes());
        }
    }
    let _ = subscriber.kill();
    let _ = subscriber.wait();
    let expected = outputs::console_events(&capture, true);
    assert_eq!(
        counted(got.iter().map(Vec::as_slice)),
        counted(expected.iter().map(Vec::as_slice))
    );
}

#[test]
fn sigterm_with_the_server_down_stops_by_the_deadline_and_counts_the_rest() {
    if !have_redis() {
        return;
    }
    // A server that refuses the password: the beat retries, never in.
    let secret = "Zq8-redis-s3cr3t-from-the-environment";
    let server = Server::start("auth", &["--requirepass", "another-one"]);
    let capture = capture("redis/data/errors.pcap");
    let child = outputs::beat(
        &server.config("    password: ${REDIS_PASSWORD}\n"),
        "redis-auth.yml",
    )
    .env("REDIS_PASSWORD", secret)
    .args(["-r", &capture])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let signalled = Instant::now();
    outputs::terminate(&child);
    let out = child.wait_with_output().unwrap();
    // shutdown_timeout: 2s.
    assert!(signalled.elapsed() < Duration::from_secs(5));
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AUTH refused"), "{stderr}");
    assert!(
        stderr.contains("5 events not delivered (5 dropped, 0 refused)"),
        "{stderr}"
    );
    assert!(!stderr.contains(secret) && !String::from_utf8_lossy(&out.stdout).contains(secret));
    let counters = outputs::counters(&out);
    assert_eq!(counters["output"]["dropped"], 5);
    assert_eq!(counters["output"]["acknowledged"], 0);
    assert_eq!(server.cli(&["LLEN", "events"]), b"0\n");
}
