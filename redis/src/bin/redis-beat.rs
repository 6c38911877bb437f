//! `redis-beat -r FILE`: analyze Redis traffic in a capture, print ECS events
//! (Packetbeat's Redis fields). `redis-beat --help` lists the options.

use std::process::ExitCode;

fn main() -> ExitCode {
    analyzer_beat::main::<redis::RedisMessage>("redis-beat")
}
