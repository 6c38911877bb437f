#![no_main]
//! `cargo fuzz run pcap`: see `fuzz/README.md` and `analyzer_fuzz::targets::pcap`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyzer_fuzz::targets::pcap(data));
