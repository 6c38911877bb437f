#![no_main]
//! `cargo fuzz run parse_memcache`: see `fuzz/README.md` and `analyzer_fuzz::targets::parse_memcache`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyzer_fuzz::targets::parse_memcache(data));
