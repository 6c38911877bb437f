#![no_main]
//! `cargo fuzz run tcp_session`: see `fuzz/README.md` and `analyzer_fuzz::targets::tcp_session`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyzer_fuzz::targets::tcp_session(data));
