//! Every committed fuzz input through its fuzz target, as an ordinary test:
//! the seeds built from the project's captures (`fuzz/seeds/<target>/`,
//! made by `fuzz/make-corpus.sh`) and the inputs that once crashed a target
//! (`fuzz/regressions/<target>/`). No fuzzer needed: the targets' logic is
//! plain functions (`fuzz/src/`), included here by path.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzz;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir`, sorted; none if it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// Inputs that fail because of a bug not fixed yet: (target, file name
/// under `seeds/` or `regressions/`, the bug). The target's test skips
/// them; `known_bugs_are_fixed` (ignored) runs them.
const KNOWN_BUGS: &[(&str, &str, &str)] = &[];

fn is_known_bug(target: &str, path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default();
    KNOWN_BUGS
        .iter()
        .any(|(t, f, _)| *t == target && name == *f)
}

/// Runs `run` on the file; the panic message if it panics.
fn run_file(run: fn(&[u8]), path: &Path) -> Result<(), String> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    catch_unwind(AssertUnwindSafe(|| run(&data))).map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("{}: {why}", path.display())
    })
}

/// Runs every input of `target` (seeds and regressions) but the known
/// bugs; returns how many ran and the failures, each naming its file.
fn run_target(target: &str, run: fn(&[u8])) -> (usize, Vec<String>) {
    let mut ran = 0;
    let mut failures = Vec::new();
    for kind in ["seeds", "regressions"] {
        for path in files(&fuzz_dir().join(kind).join(target)) {
            if is_known_bug(target, &path) {
                continue;
            }
            ran += 1;
            if let Err(failure) = run_file(run, &path) {
                failures.push(failure);
            }
        }
    }
    (ran, failures)
}

/// One test per target, so they run in parallel and fail separately.
macro_rules! corpus_tests {
    ($($target:ident: $min:expr),* $(,)?) => {$(
        #[test]
        fn $target() {
            let (ran, failures) = run_target(stringify!($target), fuzz::targets::$target);
            assert!(
                failures.is_empty(),
                "{} of {ran} inputs of `{}` failed:\n{}",
                failures.len(),
                stringify!($target),
                failures.join("\n")
            );
            assert!(
                ran >= $min,
                "only {ran} inputs for `{}`: run fuzz/make-corpus.sh",
                stringify!($target)
            );
        }
    )*};
}

corpus_tests! {
    parse_echo: 10,
    parse_redis: 10,
    parse_memcache: 10,
    parse_pgsql: 10,
    parse_mysql: 10,
    parse_http: 10,
    decode: 30,
    pcap: 30,
    pcap_records: 30,
    tcp_session: 30,
}

#[test]
fn every_target_has_a_test_here() {
    let here = [
        "parse_echo",
        "parse_redis",
        "parse_memcache",
        "parse_pgsql",
        "parse_mysql",
        "parse_http",
        "decode",
        "pcap",
        "pcap_records",
        "tcp_session",
    ];
    let all: Vec<&str> = fuzz::targets::ALL.iter().map(|(name, _)| *name).collect();
    assert_eq!(all, here);
    for name in all {
        let source = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(source.is_file(), "no {}", source.display());
    }
}

#[test]
fn seeds_are_what_make_corpus_writes() {
    // The seeds are files in the targets' input formats: spot-check one of
    // each against the captures they come from.
    let echo_plain = std::fs::read(fuzz_dir().join("../echo/data/plain.pcap")).unwrap();
    let seed = std::fs::read(fuzz_dir().join("seeds/pcap/echo-plain.pcap")).unwrap();
    assert_eq!(seed, echo_plain);
    let run = fuzz::harness::engine_on_pcap::<echo::EchoMessage>(
        &fuzz::wire::session_to_pcap(
            &std::fs::read(fuzz_dir().join("seeds/tcp_session/echo-plain.pcap")).unwrap(),
        ),
        fuzz::harness::configs()[0].clone(),
    );
    assert_eq!((run.events, run.error.as_deref()), (3, None), "{run:?}");
    let run = fuzz::harness::engine_on_pcap::<echo::EchoMessage>(
        &fuzz::harness::records_to_pcap(
            &std::fs::read(fuzz_dir().join("seeds/pcap_records/echo-plain.pcap")).unwrap(),
        ),
        fuzz::harness::configs()[0].clone(),
    );
    assert_eq!((run.events, run.error.as_deref()), (3, None), "{run:?}");
}

#[test]
#[ignore = "BUG: the inputs of KNOWN_BUGS (see there)"]
fn known_bugs_are_fixed() {
    let mut failures = Vec::new();
    for (target, file, bug) in KNOWN_BUGS {
        let (_, run) = fuzz::targets::ALL
            .iter()
            .find(|(name, _)| name == target)
            .expect("a target");
        let path = ["seeds", "regressions"]
            .iter()
            .map(|kind| fuzz_dir().join(kind).join(target).join(file))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("no input {file} for {target}"));
        if let Err(failure) = run_file(*run, &path) {
            failures.push(format!("{failure}\n  (known bug: {bug})"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
