#![no_main]
//! `cargo fuzz run parse_http`: see `fuzz/README.md` and `analyzer_fuzz::targets::parse_http`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyzer_fuzz::targets::parse_http(data));
