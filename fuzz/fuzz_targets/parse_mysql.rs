#![no_main]
//! `cargo fuzz run parse_mysql`: see `fuzz/README.md` and `analyzer_fuzz::targets::parse_mysql`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyzer_fuzz::targets::parse_mysql(data));
