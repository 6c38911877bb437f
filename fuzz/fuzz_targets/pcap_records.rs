#![no_main]
//! `cargo fuzz run pcap_records`: see `fuzz/README.md` and `analyzer_fuzz::targets::pcap_records`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyzer_fuzz::targets::pcap_records(data));
