//! `mysql-beat -r FILE`: analyze MySQL / MariaDB traffic in a capture, print
//! ECS events. `mysql-beat --help` lists the options.

use std::process::ExitCode;

fn main() -> ExitCode {
    analyzer_beat::main::<mysql::MysqlMessage>("mysql-beat")
}
