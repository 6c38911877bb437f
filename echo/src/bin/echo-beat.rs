//! `echo-beat -r FILE`: analyze echo traffic in a capture, print ECS events.
//! `echo-beat --help` lists the options.

fn main() -> std::process::ExitCode {
    analyzer_beat::main::<echo::EchoMessage>("echo-beat")
}
