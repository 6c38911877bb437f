//! # analyzer-beat
//!
//! Ready-made beats on top of `analyzer-core`: a protocol's beat binary is
//! one call,
//!
//! ```no_run
//! #[global_allocator]
//! static ALLOC: analyzer_beat::Allocator = analyzer_beat::Allocator;
//!
//! fn main() -> std::process::ExitCode {
//!     analyzer_beat::main::<echo::EchoMessage>("echo-beat")
//! }
//! ```
//!
//! (the allocator line is optional: see [`Allocator`])
//!
//! and a beat for several protocols at once is one line per protocol:
//!
//! ```no_run
//! use analyzer_beat::{protocol, Registration};
//!
//! const PROTOCOLS: &[Registration] = &[
//!     protocol::<echo::EchoMessage>(),
//!     protocol::<redis::RedisMessage>(),
//!     protocol::<memcache::MemcacheMessage>(),
//! ];
//!
//! #[global_allocator]
//! static ALLOC: analyzer_beat::Allocator = analyzer_beat::Allocator;
//!
//! fn main() -> std::process::ExitCode {
//!     analyzer_beat::main_with("beat", PROTOCOLS)
//! }
//! ```
//!
//! What the command does ([`Args`] lists the options):
//!
//! - reads a pcap or pcapng file (`-r FILE`, with a progress bar when stderr
//!   is a terminal) or sniffs an interface (`-i IFACE`, cargo feature
//!   `live`, through libpcap, with a capture filter built from the ports);
//! - takes its settings from a YAML file shaped like `packetbeat.yml`
//!   (`-c FILE`, see [`config`]); command-line options override it;
//! - publishes one JSON event per transaction, with the envelope
//!   Packetbeat's publisher adds ([`envelope`]), through a bounded queue
//!   ([`delivery`]: at least once, backpressure, counters) to one output
//!   ([`outputs`]: console, file with rotation, Redis, Elasticsearch,
//!   Kafka with the `kafka` feature); `setup --index-management` installs
//!   the Elasticsearch index template;
//! - started as root, drops to an unprivileged user once its input and
//!   output are open, before it reads a packet (see [`privileges`]);
//! - on SIGINT or SIGTERM stops reading, publishes pending requests as
//!   unanswered, flushes the output and exits 0;
//! - at the end prints the counters on stderr as one JSON object (for
//!   several protocols, one object per protocol under its name) and, with
//!   `--summary`, a [`Summary`] table or JSON.
//!
//! Several protocols share one run as [`Beat`] does it: one engine per
//! protocol, each packet handed to every engine, all events to one
//! [`Output`] (see [`analyzer`] for the cost).
#![warn(missing_docs)]

pub mod analyzer;
mod args;
pub mod config;
pub mod delivery;
pub mod envelope;
mod expand;
pub mod filter;
#[cfg(feature = "live")]
mod live;
mod option_flag;
mod output;
pub mod outputs;
pub mod privileges;
pub mod progress;
mod run;
pub mod secret;
mod signal;
pub mod summary;
mod table;
pub mod values;
mod workers;

use std::process::ExitCode;

use analyzer_core::Protocol;
use clap::{CommandFactory, FromArgMatches};

pub use analyzer::{protocol, Analyzer, Output, Registration};
pub use args::{Args, Command, Input, LiveSettings, Settings, SettingsError, SummaryFormat};
pub use run::{run, Beat, Failure, Opened, Report};
pub use summary::Summary;
pub use table::duration;

/// The memory allocator the project's beats install with
/// `#[global_allocator]` (jemalloc, through `tikv-jemallocator`).
///
/// A beat allocates and frees per message (the request kept until its
/// answer, the queue that holds it, the event), in many size classes; with
/// tens of thousands of connections open those blocks are rarely in cache,
/// and glibc's `malloc` spent ~16% of a beat's time managing them. With
/// jemalloc `echo-beat` takes 13% less time at 60,000 connections open at
/// once, in the same peak memory (BENCHMARKS.md, issue 16's fifth round).
/// Installing it is the binary's choice, not the library's: a beat that
/// leaves the line out uses the system allocator and works the same; a
/// crate that does not want jemalloc built turns off this crate's default
/// feature `jemalloc`, which this re-export needs.
#[cfg(feature = "jemalloc")]
pub use tikv_jemallocator::Jemalloc as Allocator;

/// Parses the command line and runs the beat for protocol `P`; `name` is the
/// program name used in messages. The counters are one flat JSON object.
pub fn main<P: Protocol + 'static>(name: &str) -> ExitCode {
    main_with(name, &[protocol::<P>()])
}

/// Parses the command line and runs a beat for `protocols` (those the
/// config file or `--protocols` enable; all of them by default).
pub fn main_with(name: &str, protocols: &[Registration]) -> ExitCode {
    let mut command = Args::command();
    if protocols.len() == 1 {
        command = command.mut_arg("protocols", |arg| arg.hide(true));
    }
    let matches = command.clone().get_matches();
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    if let Some(Command::Setup { .. }) = &args.command {
        return setup(name, &args, protocols);
    }
    let settings = match Settings::new(&args, protocols) {
        Ok(settings) => settings,
        Err(SettingsError::Usage(message)) => {
            command
                .error(clap::error::ErrorKind::ArgumentConflict, message)
                .exit();
        }
        Err(SettingsError::Config(err)) => {
            eprintln!("{name}: {err}");
            return ExitCode::from(2);
        }
    };
    let flat = protocols.len() == 1;
    // The user is looked up first (a bad --user fails before anything is
    // opened); privileges go once the input and output are open, before a
    // packet is read, and before any thread starts (capabilities are per
    // thread; the signal handler runs on one).
    let plan = match privileges::Plan::new(&settings.user) {
        Ok(plan) => plan,
        Err(err) => {
            eprintln!("{name}: {err}");
            return ExitCode::from(if err.is_usage() { 2 } else { 1 });
        }
    };
    let opened = match Opened::open(&settings) {
        Ok(opened) => opened,
        Err(failure) => {
            eprintln!("{name}: {}", failure.message);
            return ExitCode::FAILURE;
        }
    };
    match plan.apply() {
        Ok(dropped) => {
            if let Some(warning) = dropped.warning() {
                eprintln!("{name}: warning: {warning}");
            }
        }
        Err(err) => {
            eprintln!("{name}: {err}");
            return ExitCode::FAILURE;
        }
    }
    match opened.run(name, &settings, signal::stop_flag()) {
        Ok(report) => {
            print_report(&settings, &report, flat);
            ExitCode::SUCCESS
        }
        Err(Failure { message, report }) => {
            if let Some(report) = report {
                print_report(&settings, &report, flat);
            }
            eprintln!("{name}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `setup`: installs the Elasticsearch index template of the configured
/// output.
fn setup(name: &str, args: &Args, protocols: &[Registration]) -> ExitCode {
    let file = match &args.config {
        Some(path) => match config::ConfigFile::load(path, protocols) {
            Ok(file) => file,
            Err(err) => {
                eprintln!("{name}: {err}");
                return ExitCode::from(2);
            }
        },
        None => config::ConfigFile::default(),
    };
    match &file.output.kind {
        outputs::settings::OutputKind::Elasticsearch(es) => {
            match outputs::template::install(es, name) {
                Ok(done) => {
                    eprintln!("{name}: {done}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("{name}: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        other => {
            eprintln!(
                "{name}: nothing to set up for output `{}` (index management is for output.elasticsearch)",
                other.name()
            );
            ExitCode::SUCCESS
        }
    }
}

/// The counters as one JSON object: a single protocol's counters (`flat`),
/// or each protocol's under its name; a live capture adds libpcap's counts
/// under `capture`.
pub fn counters_json(report: &Report, flat: bool) -> String {
    let mut fields: Vec<String> = match (flat, report.counters.as_slice()) {
        (true, [(_, counters)]) => {
            let object = json(counters);
            let inner = &object[1..object.len() - 1];
            vec![inner.to_string()]
        }
        _ => report
            .counters
            .iter()
            .map(|(name, counters)| format!("{}:{}", json(name), json(counters)))
            .collect(),
    };
    if let Some(capture) = &report.capture {
        fields.push(format!("\"capture\":{capture}"));
    }
    if let Some(delivery) = &report.delivery {
        fields.push(format!("\"output\":{}", json(delivery)));
    }
    format!("{{{}}}", fields.join(","))
}

/// Serializes to a JSON string (keeping field order, which a
/// `serde_json::Map` would sort).
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("serializes")
}

fn print_report(settings: &Settings, report: &Report, flat: bool) {
    if settings.counters {
        eprintln!("{}", counters_json(report, flat));
    }
    if let Some(d) = &report.delivery {
        if d.dropped > 0 || d.failed > 0 {
            eprintln!(
                "warning: output: {} events not delivered ({} dropped, {} refused)",
                d.dropped + d.failed,
                d.dropped,
                d.failed
            );
        }
    }
    if let Some(summary) = &report.summary {
        match settings.summary {
            Some(SummaryFormat::Json) => eprintln!("{}", summary.json()),
            _ => eprint!("{}", summary.table()),
        }
    }
}
