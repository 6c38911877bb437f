#![no_main]
//! `cargo fuzz run parse_redis`: see `fuzz/README.md` and `analyzer_fuzz::targets::parse_redis`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyzer_fuzz::targets::parse_redis(data));
