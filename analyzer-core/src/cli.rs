//! A ready-made beat command line: a protocol's beat binary is one call.
//!
//! ```no_run
//! # use analyzer_core::{Kind, NetString, Protocol};
//! # #[derive(Protocol, serde::Serialize)]
//! # #[protocol(name = "echo", ports(3030))]
//! # #[delimiter(b'\n')]
//! # struct EchoMessage { #[tag(request = b'>', response = b'<', error = b'!')] kind: Kind, content: NetString }
//! fn main() -> std::process::ExitCode {
//!     analyzer_core::cli::main::<EchoMessage>("echo-beat")
//! }
//! ```
//!
//! The command reads a pcap or pcapng file (`-r FILE`), writes one JSON event
//! per line to stdout (or `-o FILE`), and prints the [`Counters`] as one JSON
//! object on stderr at the end. Exit status 0 when the whole input was read;
//! otherwise a one-line error naming the file, the byte offset and packet,
//! and status 1, after every event from the readable part was written.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::config::Config;
use crate::counters::Counters;
use crate::engine::Engine;
use crate::pcap::{OpenError, PcapReader};
use crate::protocol::Protocol;
use crate::sink::NdjsonWriter;

/// Options every beat takes.
#[derive(Debug, Parser)]
#[command(
    about = "Analyze a capture file and write one JSON event per transaction (ECS fields, as Packetbeat publishes them).",
    after_help = "At the end, the counters (packets, connections, messages, drops) are printed on stderr as one JSON object.\nExit status: 0 when the whole input was read; 1 on a missing, unreadable or corrupt file (after every event from its readable part was written) or an output error; 2 on bad arguments."
)]
pub struct Args {
    /// Capture file to analyze (pcap or pcapng).
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: PathBuf,
    /// Write the events to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Server ports to analyze, comma-separated (default: the protocol's).
    #[arg(long, value_delimiter = ',', value_name = "PORTS")]
    pub ports: Vec<u16>,
    /// Add each request's raw text to its event (`request`).
    #[arg(long)]
    pub send_request: bool,
    /// Add each response's raw text to its event (`response`).
    #[arg(long)]
    pub send_response: bool,
    /// Seconds (capture time) a request waits for its response.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = positive_secs)]
    pub transaction_timeout: f64,
    /// Longest message analyzed, in bytes; longer ones are noted and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_message_size: usize,
    /// Don't print the counters on stderr at the end.
    #[arg(long)]
    pub no_counters: bool,
}

fn positive_secs(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if secs.is_finite() && secs > 0.0 && secs < 1e9 {
        Ok(secs)
    } else {
        Err(format!(
            "`{text}`: the timeout must be a positive number of seconds"
        ))
    }
}

impl Args {
    /// The engine configuration these options describe.
    pub fn config(&self) -> Config {
        Config {
            ports: self.ports.clone(),
            send_request: self.send_request,
            send_response: self.send_response,
            transaction_timeout: Duration::from_secs_f64(self.transaction_timeout),
            max_message_size: self.max_message_size,
            ..Config::default()
        }
    }
}

/// Parses the command line and runs the beat for protocol `P`; `name` is the
/// program name used in messages.
pub fn main<P: Protocol>(name: &str) -> ExitCode {
    let args = Args::parse();
    match run::<P>(&args) {
        Ok(counters) => {
            print_counters(&args, &counters);
            ExitCode::SUCCESS
        }
        Err(Failure { message, counters }) => {
            if let Some(counters) = counters {
                print_counters(&args, &counters);
            }
            eprintln!("{name}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_counters(args: &Args, counters: &Counters) {
    if !args.no_counters {
        let json = serde_json::to_string(counters).expect("counters serialize");
        eprintln!("{json}");
    }
}

/// Why a run failed: a one-line message, and the counters when the analysis
/// ran (a read error part-way, an output error).
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, naming the file and where.
    pub message: String,
    /// The counters at the end, if the engine ran.
    pub counters: Option<Box<Counters>>,
}

fn fail(message: String, counters: Option<Counters>) -> Failure {
    Failure {
        message,
        counters: counters.map(Box::new),
    }
}

/// Runs the beat with parsed options; returns the counters, or a one-line
/// error message (with the counters when the analysis ran).
pub fn run<P: Protocol>(args: &Args) -> Result<Counters, Failure> {
    let file = args.read.display();
    let mut reader = PcapReader::open(&args.read).map_err(|e| match e {
        OpenError::Open(err) => fail(format!("{file}: cannot open: {err}"), None),
        OpenError::Read(err) => fail(format!("{file}: {err}"), None),
    })?;
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            File::create(path)
                .map_err(|e| fail(format!("{}: cannot create: {e}", path.display()), None))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let mut engine = Engine::<P, _>::new(args.config(), NdjsonWriter::new(out));
    let read = feed_until_output_fails(&mut reader, &mut engine);
    engine.finish();
    let counters = engine.counters().clone();
    let written = engine.into_sink().finish();
    if let Err(err) = written {
        return Err(fail(format!("writing events: {err}"), Some(counters)));
    }
    match read {
        Ok(()) => Ok(counters),
        Err(err) => Err(fail(format!("{file}: {err}"), Some(counters))),
    }
}

/// Like [`crate::replay::feed`], but stops reading once the output failed
/// (e.g. the reader of a pipe went away): the error is reported then.
fn feed_until_output_fails<P: Protocol, W: Write>(
    reader: &mut PcapReader<'_>,
    engine: &mut Engine<P, NdjsonWriter<W>>,
) -> Result<(), crate::pcap::ReadError> {
    while let Some(packet) = reader.next_packet()? {
        engine.packet(packet.ts, packet.link, packet.data);
        if engine.sink().error().is_some() {
            break;
        }
    }
    Ok(())
}
