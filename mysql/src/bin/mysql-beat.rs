//! `mysql-beat -r FILE`: analyze MySQL / MariaDB traffic in a capture, print
//! ECS events. `mysql-beat --help` lists the options.

use std::process::ExitCode;

/// jemalloc: faster than the system allocator for a beat's many small,
/// short-lived blocks (see `analyzer_beat::Allocator`).
#[global_allocator]
static ALLOC: analyzer_beat::Allocator = analyzer_beat::Allocator;

fn main() -> ExitCode {
    analyzer_beat::main::<mysql::MysqlMessage>("mysql-beat")
}
