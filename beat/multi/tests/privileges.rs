//! Least privilege, as root on `lo`: the beat opens the device (or file)
//! and its output, drops to an unprivileged user, and only then reads
//! packets; `/proc` shows it. Without root, the capability is named, and
//! file capabilities (`setcap`) are enough. Needs root, libpcap, `setcap`
//! and the echo binaries, so ignored by default; `.ci/run` runs it:
//!
//! ```sh
//! cargo build -p echo --bins
//! cargo test -p beat --features live --test privileges -- --ignored
//! ```
#![cfg(all(feature = "live", target_os = "linux"))]

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{assert_dropped, echo_client, echo_server, events, field, ids_of, row, shape, Beat};

/// The exchange each live test makes, and the events it gives.
fn talk(port: u16) {
    echo_client(port, &[">hello", ">as nobody"]);
    std::thread::sleep(Duration::from_millis(500));
}

fn assert_talk_events(out: &Path, port: u16) {
    let got: Vec<_> = events(out).iter().map(shape).collect();
    let port = u64::from(port);
    assert_eq!(
        got,
        [
            row("OK", port, "hello", "hello", "-"),
            row("OK", port, "as nobody", "as nobody", "-"),
        ]
    );
}

#[test]
#[ignore = "needs root and libpcap: sniffs lo (run by .ci/run)"]
fn as_root_with_user_nobody_it_analyzes_live_traffic_with_no_id_0_left() {
    let port = 3040;
    let _server = echo_server(port);
    let out = common::temp("nobody.ndjson");
    let ports = port.to_string();
    let beat = Beat::start(&[
        "--user",
        "nobody",
        "--protocols",
        "echo",
        "--ports",
        &ports,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(beat.before.is_empty(), "{:?}", beat.before);
    let (uid, gid) = ids_of("nobody");
    assert_ne!(uid, 0);
    // Already dropped when it says it captures, before any packet.
    assert_dropped(beat.pid(), uid, gid);
    talk(port);
    // Still so after parsing traffic.
    assert_dropped(beat.pid(), uid, gid);
    let counters = beat.stop(libc::SIGINT);
    assert_talk_events(&out, port);
    assert_eq!(counters["echo"]["transactions"], 2, "{counters}");
}

#[test]
#[ignore = "needs root and libpcap: sniffs lo (run by .ci/run)"]
fn as_root_without_user_it_drops_to_the_default_user() {
    let beat = Beat::start(&["--protocols", "echo", "--ports", "3041"]);
    let default = ["analyzer-beat", "nobody"]
        .into_iter()
        .find(|user| {
            Command::new("id")
                .arg(user)
                .output()
                .unwrap()
                .status
                .success()
        })
        .expect("nobody exists");
    let (uid, gid) = ids_of(default);
    assert_dropped(beat.pid(), uid, gid);
    beat.stop(libc::SIGTERM);
}

#[test]
#[ignore = "needs root and libpcap: sniffs lo (run by .ci/run)"]
fn user_root_keeps_root_and_says_so() {
    let beat = Beat::start(&["--user", "root", "--protocols", "echo", "--ports", "3042"]);
    assert_eq!(
        beat.before,
        ["beat: warning: running as root (--user root): every captured packet is parsed with root's privileges"]
    );
    for status in support::thread_statuses(beat.pid()) {
        assert_eq!(field(&status, "Uid"), ["0"; 4]);
    }
    beat.stop(libc::SIGTERM);
}

#[test]
#[ignore = "needs root (run by .ci/run)"]
fn reading_a_file_as_root_drops_before_the_first_byte_is_parsed() {
    // A FIFO: the beat opens it, and the capture is only written once the
    // beat has dropped to nobody.
    let fifo = common::temp("capture.fifo");
    let _ = std::fs::remove_file(&fifo);
    let c_path = CString::new(fifo.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let out = common::temp("fifo.ndjson");
    let mut child = Command::new(env!("CARGO_BIN_EXE_beat"))
        .args(["--user", "nobody", "--no-counters", "-r"])
        .arg(&fifo)
        .arg("-o")
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Blocks until the beat opened its end.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let (uid, gid) = ids_of("nobody");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
        if field(&status, "Uid") == [uid.to_string().as_str(); 4] {
            break;
        }
        assert!(Instant::now() < deadline, "no drop: {status}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_dropped(child.id(), uid, gid);
    let capture = std::fs::read(common::workspace("echo/data/plain.pcap")).unwrap();
    writer.write_all(&capture).unwrap();
    drop(writer);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    assert_eq!(events(&out).len(), 3, "{stderr}");
}

/// A copy of the beat in a fresh directory everyone can read, and a
/// directory `nobody` can write its events to.
fn public_copy(name: &str) -> (PathBuf, PathBuf) {
    let dir = common::temp(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    // The parent: created by this (root) test with the default mode.
    let parent = dir.parent().unwrap();
    std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o755)).unwrap();
    let binary = dir.join("beat");
    std::fs::copy(env!("CARGO_BIN_EXE_beat"), &binary).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    (binary, dir)
}

fn as_nobody(binary: &Path) -> Command {
    let (uid, gid) = ids_of("nobody");
    let mut command = Command::new(binary);
    command.uid(uid).gid(gid);
    command
}

#[test]
#[ignore = "needs root (run by .ci/run)"]
fn without_root_or_capability_the_error_names_cap_net_raw() {
    let (binary, _) = public_copy("plain");
    let out = as_nobody(&binary).args(["-i", "lo"]).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("beat: lo: cannot capture: permission denied: capturing needs the CAP_NET_RAW capability, which this process lacks"),
        "{stderr}"
    );
    let setcap = format!(
        "`setcap cap_net_raw,cap_net_admin=eip {}`",
        binary.display()
    );
    assert!(stderr.contains(&setcap), "{stderr}");
    // And a user cannot become another one.
    let plain = common::workspace("echo/data/plain.pcap");
    let out = as_nobody(&binary)
        .args(["--user", "root", "-r"])
        .arg(plain)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("beat: cannot run as user `root`: only root can switch users"),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs root, libpcap and setcap (run by .ci/run)"]
fn with_file_capabilities_a_user_captures_and_then_keeps_none() {
    let (binary, dir) = public_copy("setcap");
    let setcap = Command::new("setcap")
        .args(["cap_net_raw,cap_net_admin=eip"])
        .arg(&binary)
        .output()
        .expect("setcap (package libcap2-bin) is installed");
    assert!(
        setcap.status.success(),
        "{}",
        String::from_utf8_lossy(&setcap.stderr)
    );
    let port = 3043;
    let _server = echo_server(port);
    let out = dir.join("events.ndjson");
    let ports = port.to_string();
    let mut command = as_nobody(&binary);
    command.args(["--protocols", "echo", "--ports", &ports, "-o"]);
    command.arg(&out);
    let beat = Beat::spawn(command);
    let (uid, gid) = ids_of("nobody");
    assert_dropped(beat.pid(), uid, gid);
    talk(port);
    assert_dropped(beat.pid(), uid, gid);
    beat.stop(libc::SIGINT);
    assert_talk_events(&out, port);
}
