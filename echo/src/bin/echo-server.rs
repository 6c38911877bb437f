//! A test server for the echo protocol (a port of the Go server from the Packetbeat tutorial).
//!
//! The protocol is line based (`\n` delimited). A line starting with `>` is a request and is answered
//! with the same line with `<` in place of `>`; any other line is answered with `!` followed by the
//! original line. A partial line at end of stream gets no answer.

use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

use clap::Parser;

/// Echo protocol test server.
///
/// Reads `\n`-terminated lines. A line starting with `>` (a request) is answered with the same line
/// with `<` in place of `>`. Any other line is answered with an error line: `!` followed by the
/// original line (`hello` -> `!hello`). Each answer is flushed as soon as it is written; a partial
/// line at end of stream gets no answer. One thread per connection, TCP_NODELAY on every accepted
/// socket. Connections are logged to stderr.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(short, long, value_name = "ADDR", default_value = "0.0.0.0:3030")]
    listen: SocketAddr,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let listener = match TcpListener::bind(args.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("echo-server: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    eprintln!("echo-server: listening on {}", args.listen);
    for conn in listener.incoming() {
        match conn {
            Ok(stream) => {
                thread::spawn(move || {
                    let peer = stream
                        .peer_addr()
                        .map_or_else(|_| "?".to_string(), |a| a.to_string());
                    eprintln!("echo-server: {peer}: connected");
                    match serve(stream) {
                        Ok(n) => eprintln!("echo-server: {peer}: closed after {n} answer(s)"),
                        Err(e) => eprintln!("echo-server: {peer}: error: {e}"),
                    }
                });
            }
            Err(e) => eprintln!("echo-server: accept failed: {e}"),
        }
    }
    ExitCode::SUCCESS
}

/// Answers every complete line on `stream` until end of stream; returns the number of answers.
fn serve(stream: TcpStream) -> io::Result<usize> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = BufWriter::new(stream);
    let mut line = Vec::new();
    let mut answers = 0;
    loop {
        line.clear();
        reader.read_until(b'\n', &mut line)?;
        if line.last() != Some(&b'\n') {
            // End of stream, possibly after a partial line: no answer for it.
            return Ok(answers);
        }
        writer.write_all(&answer(&line))?;
        writer.flush()?;
        answers += 1;
    }
}

/// The answer to one complete line (delimiter included).
fn answer(line: &[u8]) -> Vec<u8> {
    match line.split_first() {
        Some((b'>', rest)) => {
            let mut out = Vec::with_capacity(line.len());
            out.push(b'<');
            out.extend_from_slice(rest);
            out
        }
        _ => {
            let mut out = Vec::with_capacity(line.len() + 1);
            out.push(b'!');
            out.extend_from_slice(line);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::answer;

    #[test]
    fn answers() {
        assert_eq!(answer(b">hello\n"), b"<hello\n");
        assert_eq!(answer(b"hello\n"), b"!hello\n");
        assert_eq!(answer(b"\n"), b"!\n");
        assert_eq!(answer(b"<x\n"), b"!<x\n");
    }
}
