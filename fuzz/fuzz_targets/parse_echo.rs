#![no_main]
//! `cargo fuzz run parse_echo`: see `fuzz/README.md` and `analyzer_fuzz::targets::parse_echo`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyzer_fuzz::targets::parse_echo(data));
