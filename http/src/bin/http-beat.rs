//! `http-beat -r FILE`: analyze HTTP/1.x traffic in a capture, print ECS
//! events (Packetbeat's HTTP fields). `http-beat --help` lists the options.

use std::process::ExitCode;

/// jemalloc: faster than the system allocator for a beat's many small,
/// short-lived blocks (see `analyzer_beat::Allocator`).
#[global_allocator]
static ALLOC: analyzer_beat::Allocator = analyzer_beat::Allocator;

fn main() -> ExitCode {
    analyzer_beat::main::<http::HttpMessage>("http-beat")
}
