//! `echo-server` and `echo-client` talking over loopback.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Held by each test for its whole run: a port one test found free must not
/// be handed to the other's server meanwhile (the refused-connection test
/// once reached the other test's server that way).
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static PORTS: Mutex<()> = Mutex::new(());
    PORTS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn client_gets_echoes_and_errors_from_the_server() {
    let _ports = one_at_a_time();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_echo-server"))
        .args(["--listen", &addr])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let out = loop {
        let out = Command::new(env!("CARGO_BIN_EXE_echo-client"))
            .args(["--connect", &addr, ">hello", "oops", ">bye"])
            .output()
            .unwrap();
        if out.status.success() || started.elapsed() > Duration::from_secs(10) {
            break out;
        }
        std::thread::sleep(Duration::from_millis(50)); // server still starting
    };
    server.kill().unwrap();
    let _ = server.wait();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "<hello\n!oops\n<bye\n"
    );
}

#[test]
fn client_reports_a_refused_connection() {
    let _ports = one_at_a_time();
    let port = free_port();
    let out = Command::new(env!("CARGO_BIN_EXE_echo-client"))
        .args(["--connect", &format!("127.0.0.1:{port}"), ">x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("echo-client: cannot connect to"), "{err}");
    assert_eq!(err.lines().count(), 1);
}
