//! `pgsql-beat -r FILE`: analyze PostgreSQL traffic in a capture, print ECS
//! events (Packetbeat's PostgreSQL fields). `pgsql-beat --help` lists the
//! options.

use std::process::ExitCode;

fn main() -> ExitCode {
    analyzer_beat::main::<pgsql::PgsqlMessage>("pgsql-beat")
}
