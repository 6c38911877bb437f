//! Helpers of the live tests: the echo binaries, a running `beat -i lo`,
//! its events, and what `/proc` says of it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A binary built beside `beat` (same target directory and profile).
pub fn sibling(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_beat")).with_file_name(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p echo --bins` first",
        path.display()
    );
    path
}

/// Kills a child process of this test when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `echo-server` on `127.0.0.1:port`, once it accepts connections.
pub fn echo_server(port: u16) -> Killed {
    let address = format!("127.0.0.1:{port}");
    let server = Killed(
        Command::new(sibling("echo-server"))
            .args(["--listen", &address])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(&address).is_err() {
        assert!(Instant::now() < deadline, "echo-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// Runs `echo-client` against `127.0.0.1:port` with `lines`.
pub fn echo_client(port: u16, lines: &[&str]) {
    let client = Command::new(sibling("echo-client"))
        .args(["--connect", &format!("127.0.0.1:{port}")])
        .args(lines)
        .output()
        .unwrap();
    assert!(
        client.status.success(),
        "{}",
        String::from_utf8_lossy(&client.stderr)
    );
}

/// A running `beat -i lo`, its stderr lines on a channel.
pub struct Beat {
    pub child: Child,
    stderr: mpsc::Receiver<String>,
    /// The lines it printed before `capturing on lo` (warnings).
    pub before: Vec<String>,
}

impl Beat {
    /// Starts `beat -i lo ARGS` and waits until it captures.
    pub fn start(args: &[&str]) -> Beat {
        let mut command = Command::new(env!("CARGO_BIN_EXE_beat"));
        command.args(args);
        Beat::spawn(command)
    }

    /// Starts `command` (a beat; `-i lo` is added) and waits until it
    /// captures.
    pub fn spawn(mut command: Command) -> Beat {
        let mut child = command
            .args(["-i", "lo"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("beat starts");
        let (send, stderr) = mpsc::channel();
        let pipe = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in pipe.lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        let mut beat = Beat {
            child,
            stderr,
            before: Vec::new(),
        };
        loop {
            let line = beat.line(Duration::from_secs(10));
            if line.contains(": capturing on lo (filter: ") {
                break;
            }
            assert!(
                beat.before.len() < 5,
                "no capture: {:?} {line}",
                beat.before
            );
            beat.before.push(line);
        }
        // libpcap is reading once the filter is set; give it a moment.
        std::thread::sleep(Duration::from_millis(200));
        beat
    }

    pub fn line(&self, timeout: Duration) -> String {
        self.stderr
            .recv_timeout(timeout)
            .expect("a line on the beat's stderr in time")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal`, waits for a clean exit and returns the counters line.
    pub fn stop(mut self, signal: i32) -> Value {
        let pid = self.child.id() as i32;
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the beat did not stop");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{status}");
        // The counters: the first line that is JSON (an output may have
        // said it was retrying before).
        loop {
            let line = self.line(Duration::from_secs(1));
            if let Ok(counters) = serde_json::from_str(&line) {
                return counters;
            }
        }
    }
}

pub fn events(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// What a test can know of an event: type, status, server port, request
/// and response contents, notes.
pub type Shape = (String, String, u64, String, String, String);

pub fn shape(e: &Value) -> Shape {
    let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
    (
        s(&e["type"]),
        s(&e["status"]),
        e["server"]["port"].as_u64().unwrap(),
        s(&e["echo"]["request"]["content"]),
        s(&e["echo"]["response"]["content"]),
        s(&e["error"]["message"]),
    )
}

pub fn row(status: &str, port: u64, req: &str, resp: &str, notes: &str) -> Shape {
    let s = |x: &str| x.to_string();
    (s("echo"), s(status), port, s(req), s(resp), s(notes))
}

/// The `/proc/PID/task/*/status` of every thread of a process.
pub fn thread_statuses(pid: u32) -> Vec<String> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the process runs");
    tasks
        .map(|task| std::fs::read_to_string(task.unwrap().path().join("status")).unwrap())
        .collect()
}

/// A `status` field's value (`Uid`, `CapEff`...), whitespace-separated.
pub fn field(status: &str, key: &str) -> Vec<String> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in {status}"))
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// A user's uid and primary gid, from `id`.
pub fn ids_of(user: &str) -> (u32, u32) {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, user]).output().unwrap();
        assert!(out.status.success(), "id {flag} {user}");
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    (id("-u"), id("-g"))
}

/// Asserts that every thread of `pid` runs as `uid`:`gid` (real, effective,
/// saved and filesystem ids), with no supplementary group, no capability
/// and `no_new_privs`.
pub fn assert_dropped(pid: u32, uid: u32, gid: u32) {
    let statuses = thread_statuses(pid);
    assert!(!statuses.is_empty());
    for status in statuses {
        let uid = uid.to_string();
        let gid = gid.to_string();
        assert_eq!(field(&status, "Uid"), [uid.as_str(); 4], "{status}");
        assert_eq!(field(&status, "Gid"), [gid.as_str(); 4], "{status}");
        assert!(field(&status, "Groups").is_empty(), "{status}");
        for caps in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
            assert_eq!(field(&status, caps), ["0000000000000000"], "{status}");
        }
        assert_eq!(field(&status, "NoNewPrivs"), ["1"], "{status}");
    }
}
