//! A secret given through the environment (`${ES_PASSWORD}` in the config
//! file) never shows in what the beat prints, whatever makes the run fail.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::{Command, Output};

/// The secret: long and unlikely, so finding it anywhere is a leak.
const SECRET: &str = "Zq8-s3cr3t-from-the-environment-4417";

/// Runs the beat with `ES_PASSWORD` set, on `config` (if any) and `args`.
fn beat(config: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_beat"));
    command.env("ES_PASSWORD", SECRET).env_remove("NOT_SET");
    if let Some(text) = config {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = common::temp(&format!("secret-{n}.yml"));
        std::fs::write(&path, text).unwrap();
        command.arg("-c").arg(path);
    }
    command.args(args).output().unwrap()
}

/// Asserts the run failed with `status` and that neither stream holds the
/// secret; returns stderr.
fn failed_without_secret(out: &Output, status: i32) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stdout.contains(SECRET), "stdout: {stdout}");
    assert!(!stderr.contains(SECRET), "stderr: {stderr}");
    assert_eq!(out.status.code(), Some(status), "{stderr}");
    stderr
}

#[test]
fn a_secret_from_the_environment_never_shows_in_a_failing_run() {
    let plain = common::workspace("echo/data/plain.pcap");
    let plain = plain.to_str().unwrap();
    // A value holding the secret (the outputs' password keys will), and
    // something else wrong.
    let holds = "interface:\n  bpf_filter: \"tcp and not host ${ES_PASSWORD}\"\n";
    let cases: &[(String, &[&str], i32, &str)] = &[
        // Another key wrong.
        (
            format!("{holds}limits:\n  max_mesage_size: 1MiB\n"),
            &["-r", plain],
            2,
            "unknown field `max_mesage_size`",
        ),
        // Another value wrong.
        (
            format!("{holds}  snaplen: 0\n"),
            &["-r", plain],
            2,
            "interface.snaplen: `0`: must be at least 1",
        ),
        // Another variable unset: named, not valued.
        (
            format!("{holds}  device: ${{NOT_SET}}\n"),
            &["-r", plain],
            2,
            "environment variable `NOT_SET` is not set",
        ),
        // The secret itself where it does not fit.
        (
            "interface:\n  snaplen: ${ES_PASSWORD}\n".into(),
            &["-r", plain],
            2,
            "the value of `${ES_PASSWORD}` is not valid here (not shown): expected a positive integer",
        ),
        (
            "protocols:\n  - type: ${ES_PASSWORD}\n".into(),
            &["-r", plain],
            2,
            "unknown protocol type `[redacted]`",
        ),
        (
            "output:\n  file: ${ES_PASSWORD}\n".into(),
            &["-r", plain],
            2,
            ".yml:2:9: output.file: ",
        ),
        // The outputs' secret keys, with another key wrong.
        (
            "output:\n  redis:\n    password: ${ES_PASSWORD}\n    datatype: heap\n".into(),
            &["-r", plain],
            2,
            "output.redis.datatype: unknown variant `heap`",
        ),
        (
            "output:\n  elasticsearch:\n    username: elastic\n    password: ${ES_PASSWORD}\n    api_key: ${ES_PASSWORD}\n    bulk_max_size: 0\n".into(),
            &["-r", plain],
            2,
            "output.elasticsearch.bulk_max_size: `0`: must be at least 1",
        ),
        // The secret where a secret goes, but not a string.
        (
            "output:\n  redis:\n    password: [\"${ES_PASSWORD}\"]\n".into(),
            &["-r", plain],
            2,
            "output.redis.password",
        ),
        // The run fails: the input, then the output.
        (holds.into(), &["-r", "/nonexistent/x.pcap"], 1, "cannot open"),
        (
            holds.into(),
            &["-r", plain, "-o", "/nonexistent/dir/events.ndjson"],
            1,
            "cannot create",
        ),
    ];
    for (config, args, status, says) in cases {
        let out = beat(Some(config), args);
        let stderr = failed_without_secret(&out, *status);
        assert!(stderr.contains(says), "{config}: {stderr}");
    }
}

#[test]
fn help_and_usage_errors_do_not_show_the_environment() {
    let help = beat(None, &["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(!text.contains(SECRET));
    assert!(text.contains("--user <NAME>"), "{text}");
    let usage = beat(None, &["--no-such-flag", SECRET]);
    // clap echoes the bad flag, not the environment.
    let stderr = String::from_utf8(usage.stderr).unwrap();
    assert_eq!(usage.status.code(), Some(2));
    assert!(stderr.contains("--no-such-flag"), "{stderr}");
}
