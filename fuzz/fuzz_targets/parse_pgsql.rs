#![no_main]
//! `cargo fuzz run parse_pgsql`: see `fuzz/README.md` and `analyzer_fuzz::targets::parse_pgsql`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyzer_fuzz::targets::parse_pgsql(data));
