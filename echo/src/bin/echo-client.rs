//! A test client for the echo protocol, with the traffic shapes the test captures need
//! (pipelining, messages split across segments, a missing last delimiter, FIN or RST before the
//! answer).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::thread::sleep;
use std::time::Duration;

use clap::Parser;
use socket2::SockRef;

/// Echo protocol test client.
///
/// Sends each line (from the arguments, else every line of stdin, read up front) terminated by
/// `\n`, and prints each answer line to stdout. By default it sends a line, waits for its answer,
/// then sends the next. TCP_NODELAY is on, so every write() becomes its own TCP segment.
/// The flags below shape the traffic; the "last line" ones apply to the last line only.
/// Lines that start with `-` must follow `--`.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Server address (host:port).
    #[arg(short, long, value_name = "ADDR", default_value = "127.0.0.1:3030")]
    connect: String,

    /// Write all lines in ONE write() call (one TCP segment), then read the answers.
    #[arg(long, conflicts_with_all = ["split_at", "interval", "delay_last"])]
    pipeline: bool,

    /// Write each line in two writes: its first N bytes, a pause (--pause), then the rest, so each
    /// message is split across two segments. Lines of N bytes or less go in one write.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    split_at: Option<u64>,

    /// Pause between the two halves of a split line, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 50)]
    pause: u64,

    /// Pause before sending each line after the first, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    interval: u64,

    /// Pause before sending the last line, in milliseconds (time to stop the server, for example).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    delay_last: u64,

    /// Send the last line without its trailing `\n`, then shut down the write side (FIN) and print
    /// whatever arrives until the server closes (a correct server sends nothing more).
    #[arg(long)]
    no_newline_last: bool,

    /// After sending the last line, do not wait for its answer: close the socket with SO_LINGER 0,
    /// so the kernel sends RST.
    #[arg(long, conflicts_with = "no_wait_last")]
    reset_after_send: bool,

    /// After sending the last line, do not wait for its answer: close the socket normally (FIN).
    #[arg(long)]
    no_wait_last: bool,

    /// The lines to send, without their `\n` (default: the lines of stdin).
    #[arg(value_name = "LINES")]
    lines: Vec<String>,
}

fn main() -> ExitCode {
    let mut args = Args::parse();
    if args.lines.is_empty() {
        match read_stdin_lines() {
            Ok(lines) => args.lines = lines,
            Err(e) => {
                eprintln!("echo-client: cannot read stdin: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let stream = match TcpStream::connect(&args.connect) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("echo-client: cannot connect to {}: {e}", args.connect);
            return ExitCode::FAILURE;
        }
    };
    match run(&args, stream) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo-client: {}: {e}", args.connect);
            ExitCode::FAILURE
        }
    }
}

fn read_stdin_lines() -> io::Result<Vec<String>> {
    io::stdin().lock().lines().collect()
}

fn run(args: &Args, stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    let n = args.lines.len();
    let Some(last_index) = n.checked_sub(1) else {
        return Ok(());
    };
    let frame = |i: usize| {
        let mut bytes = args.lines[i].as_bytes().to_vec();
        if !(i == last_index && args.no_newline_last) {
            bytes.push(b'\n');
        }
        bytes
    };

    if args.pipeline {
        let all: Vec<u8> = (0..n).flat_map(frame).collect();
        stream.write_all(&all)?;
        for _ in 0..last_index {
            read_answer(&mut reader)?;
        }
    } else {
        for i in 0..n {
            if i > 0 && args.interval > 0 {
                sleep(Duration::from_millis(args.interval));
            }
            if i == last_index && args.delay_last > 0 {
                sleep(Duration::from_millis(args.delay_last));
            }
            send(&mut stream, &frame(i), args.split_at, args.pause)?;
            if i != last_index {
                read_answer(&mut reader)?;
            }
        }
    }
    finish(args, stream, reader)
}

/// Writes one framed line, in two writes separated by a pause when `split_at` says so.
fn send(stream: &mut TcpStream, bytes: &[u8], split_at: Option<u64>, pause: u64) -> io::Result<()> {
    let at = split_at.map_or(bytes.len(), |n| usize::try_from(n).unwrap_or(usize::MAX));
    if at >= bytes.len() {
        return stream.write_all(bytes);
    }
    stream.write_all(&bytes[..at])?;
    sleep(Duration::from_millis(pause));
    stream.write_all(&bytes[at..])
}

/// Deals with the answer to the last line, which has been sent.
fn finish(args: &Args, stream: TcpStream, mut reader: BufReader<TcpStream>) -> io::Result<()> {
    if args.reset_after_send {
        // SO_LINGER with a zero timeout: close() discards the socket and sends RST.
        SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
        drop(reader);
        drop(stream);
    } else if args.no_wait_last {
        stream.shutdown(Shutdown::Write)?;
    } else if args.no_newline_last {
        stream.shutdown(Shutdown::Write)?;
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest)?;
        if !rest.is_empty() {
            print_line(&rest)?;
        }
    } else {
        read_answer(&mut reader)?;
    }
    Ok(())
}

/// Reads one answer line and prints it; an error if the server closes first.
fn read_answer(reader: &mut BufReader<TcpStream>) -> io::Result<()> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "server closed the connection before answering",
        ));
    }
    print_line(&line)
}

fn print_line(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    if bytes.last() != Some(&b'\n') {
        out.write_all(b"\n")?;
    }
    out.flush()
}
