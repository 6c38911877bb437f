//! `echo-beat -r FILE`: analyze echo traffic in a capture, print ECS events.
//! `echo-beat --help` lists the options.

/// jemalloc: faster than the system allocator for a beat's many small,
/// short-lived blocks (see `analyzer_beat::Allocator`).
#[global_allocator]
static ALLOC: analyzer_beat::Allocator = analyzer_beat::Allocator;

fn main() -> std::process::ExitCode {
    analyzer_beat::main::<echo::EchoMessage>("echo-beat")
}
