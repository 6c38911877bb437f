//! The accounting invariant on every capture the project has: every request
//! and response seen is published exactly once (`Counters::check_accounting`).
//! Packetbeat's captures (`../shared/pcaps/packetbeat`) are checked by the
//! ignored test, which `.ci/run` runs.

use std::path::{Path, PathBuf};

use analyzer_core::replay::replay_file;
use analyzer_core::{Config, Protocol};

fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(captures(&path));
        } else if path
            .extension()
            .is_some_and(|e| e == "pcap" || e == "pcapng")
        {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn check<P: Protocol>(dir: &str, ports: &[u16]) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let files = captures(&dir);
    for path in &files {
        let mut config = Config::default();
        config.ports = ports.to_vec();
        let run =
            replay_file::<P>(path, config).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(problem) = run.counters.check_accounting() {
            panic!("{}: {problem}\n{:?}", path.display(), run.counters);
        }
        assert_eq!(
            run.events.len() as u64,
            run.counters.transactions,
            "{}",
            path.display()
        );
    }
    files.len()
}

#[test]
fn every_project_capture_accounts_for_every_message() {
    assert!(check::<echo::EchoMessage>("../echo/data", &[]) >= 9);
    assert!(check::<redis::RedisMessage>("../redis/data", &[]) >= 7);
    assert!(check::<memcache::MemcacheMessage>("../memcache/data", &[]) >= 10);
    assert!(check::<mysql::MysqlMessage>("../mysql/data", &[]) >= 8);
    assert!(check::<pgsql::PgsqlMessage>("../pgsql/data", &[]) >= 9);
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn every_packetbeat_capture_accounts_for_every_message() {
    let dir = analyzer_core::replay::packetbeat_pcaps();
    let files = captures(&dir);
    assert!(
        files.len() >= 17,
        "{} captures in {}",
        files.len(),
        dir.display()
    );
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Each capture with the analyzer for its protocol when the project
        // has one, else with the Redis analyzer on all its TCP ports (any
        // bytes, any framing trouble: the accounting must still hold).
        let counters = if name.starts_with("redis") {
            let mut c = Config::default();
            c.ports = vec![6380];
            replay_file::<redis::RedisMessage>(&path, c)
                .unwrap()
                .counters
        } else if name.starts_with("mysql") {
            replay_file::<mysql::MysqlMessage>(&path, Config::default())
                .unwrap()
                .counters
        } else {
            let mut c = Config::default();
            c.ports = vec![80, 8000, 8080, 3306, 5060, 11211];
            replay_file::<redis::RedisMessage>(&path, c)
                .unwrap()
                .counters
        };
        if let Err(problem) = counters.check_accounting() {
            panic!("{name}: {problem}\n{counters:?}");
        }
    }
}
