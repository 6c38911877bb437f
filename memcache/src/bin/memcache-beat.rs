//! `memcache-beat -r FILE`: analyze memcache traffic (text and binary) in a
//! capture, print ECS events. `memcache-beat --help` lists the options.

use std::process::ExitCode;

fn main() -> ExitCode {
    analyzer_beat::main::<memcache::MemcacheMessage>("memcache-beat")
}
