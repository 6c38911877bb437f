//! `http-beat -r FILE`: analyze HTTP/1.x traffic in a capture, print ECS
//! events (Packetbeat's HTTP fields). `http-beat --help` lists the options.

use std::process::ExitCode;

fn main() -> ExitCode {
    analyzer_beat::main::<http::HttpMessage>("http-beat")
}
