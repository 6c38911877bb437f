#![no_main]
//! `cargo fuzz run decode`: see `fuzz/README.md` and `analyzer_fuzz::targets::decode`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyzer_fuzz::targets::decode(data));
