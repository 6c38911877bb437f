//! The embedding example (`examples/embed.rs`), built and run: its code is
//! included here and called, and the example binary cargo built for the
//! tests is run.

#[allow(dead_code)]
#[path = "../examples/embed.rs"]
mod embed;

const EXPECTED: [&str; 3] = [
    "OK \"hello\" -> \"hello\" in 45 µs",
    "OK \"world\" -> \"world\" in 31 µs",
    "OK \"echo me\" -> \"echo me\" in 26 µs",
];

#[test]
fn the_example_analyzes_the_bundled_capture_with_its_own_protocol() {
    let plain = concat!(env!("CARGO_MANIFEST_DIR"), "/../echo/data/plain.pcap");
    assert_eq!(embed::analyze(plain).unwrap(), EXPECTED);
    assert!(embed::analyze("/nonexistent.pcap").is_err());
}

#[test]
fn the_example_binary_runs() {
    // target/<profile>/deps/embed-<hash> -> target/<profile>/examples/embed
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("embed");
    if !example.exists() {
        // `cargo test` builds examples; a filtered build may not have.
        eprintln!("{} not built; skipped", example.display());
        return;
    }
    let out = std::process::Command::new(&example).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), EXPECTED);
}
