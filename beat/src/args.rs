//! The command line, and what it and the config file amount to together
//! ([`Settings`]): flags override the file.

use std::path::PathBuf;
use std::time::Duration;

use analyzer_core::Config;
use clap::{Parser, Subcommand, ValueEnum};

use crate::analyzer::Registration;
use crate::config::{ConfigError, ConfigFile};
use crate::envelope::EnvelopeSettings;
use crate::outputs::settings::OutputKind;
use crate::privileges::RunAs;

/// Options every beat takes.
#[derive(Debug, Default, Parser)]
#[command(
    about = "Analyze a capture file or sniff an interface, and write one JSON event per transaction (ECS fields, as Packetbeat publishes them).",
    after_help = "At the end, the counters (packets, connections, messages, drops) are printed on stderr as one JSON object. Reading a file shows a progress bar when stderr is a terminal. SIGINT or SIGTERM stops reading: pending requests are published as unanswered, the output is flushed, the counters printed, and the exit status is 0.\nStarted as root, the beat drops to an unprivileged user (see --user) after opening its input and output, before reading a packet.\nExit status: 0 when the whole input was read (or a signal stopped it); 1 on a missing, unreadable or corrupt file (after every event from its readable part was written), an interface that cannot be opened, an output error, or privileges that cannot be dropped; 2 on bad arguments (an unknown --user included) or a bad config file."
)]
pub struct Args {
    /// Config file (YAML, shaped like packetbeat.yml); options given here override it.
    #[arg(short = 'c', long = "config", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// `setup`: prepare the output instead of analyzing.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Capture file to analyze (pcap or pcapng).
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Option<PathBuf>,
    /// Interface to sniff, e.g. `lo` or `eth0` (live capture; stop with Ctrl-C).
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        conflicts_with = "read"
    )]
    pub interface: Option<String>,
    /// Write the events to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Server ports to analyze, comma-separated (default: the protocol's).
    #[arg(long, value_delimiter = ',', value_name = "PORTS")]
    pub ports: Vec<u16>,
    /// Protocols to analyze, comma-separated (default: those the config file enables, else all).
    #[arg(long, value_delimiter = ',', value_name = "TYPES")]
    pub protocols: Vec<String>,
    /// Add each request's raw text to its event (`request`).
    #[arg(long)]
    pub send_request: bool,
    /// Add each response's raw text to its event (`response`).
    #[arg(long)]
    pub send_response: bool,
    /// Seconds (capture time) a request waits for its response [default: 10].
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    pub transaction_timeout: Option<f64>,
    /// A protocol's own setting, as in its config file entry, over the file's: NAME=VALUE (for every protocol analyzed that takes NAME) or PROTOCOL.NAME=VALUE; VALUE in YAML, e.g. `--option 'send_headers=[host, user-agent]'`, `--option http.max_body_bytes=4096`. Repeatable.
    #[arg(short = 'O', long = "option", value_name = "[PROTOCOL.]NAME=VALUE")]
    pub option: Vec<String>,
    /// Longest message analyzed, in bytes; longer ones are noted and skipped [default: 10485760].
    #[arg(long, value_name = "BYTES")]
    pub max_message_size: Option<usize>,
    /// Don't print the counters on stderr at the end.
    #[arg(long)]
    pub no_counters: bool,
    /// Print a summary on stderr at the end: per protocol, transactions, errors, unanswered requests, response times, top methods, drops.
    #[arg(long)]
    pub summary: bool,
    /// The summary's format (implies --summary).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub summary_format: Option<SummaryFormat>,
    /// Don't show the progress bar while reading a file.
    #[arg(long)]
    pub no_progress: bool,
    /// Analyze a file with N threads, connections spread over them (both
    /// directions of a connection on one thread; events of one connection
    /// in order, of different connections interleaved).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// Once the input and output are open, run as this user (its primary group, no other group, no capabilities). Started as root, the beat does this by default with `analyzer-beat` if that user exists, else `nobody`; `--user root` keeps root (with a warning).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
}

/// What the beat does instead of analyzing.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Prepare the configured output: for Elasticsearch, install the index
    /// template of the events' fields (a data stream named as the output's
    /// `index`), as `packetbeat setup --index-management` does.
    Setup {
        /// Install the index template (the only setup there is; the default).
        #[arg(long)]
        index_management: bool,
    },
}

/// How `--summary` is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// A table per protocol, with a response-time histogram.
    #[default]
    Table,
    /// The same as one line of JSON.
    Json,
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

/// Everything a run needs, from the command line over the config file.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The protocols to analyze, each with its engine configuration.
    pub protocols: Vec<(Registration, Config)>,
    /// Where packets come from.
    pub input: Input,
    /// Events go to this file (`-o`, or `output.file.path`); `None`: stdout
    /// or the network output of `output_kind`.
    pub output: Option<PathBuf>,
    /// The output: `-o FILE` is `Console` (plain lines to `output`), the
    /// config file's `output.file` is `File` (rotated).
    pub output_kind: OutputKind,
    /// What the envelope of each event holds.
    pub envelope: EnvelopeSettings,
    /// Events the delivery queue holds (`queue.mem.events`).
    pub queue_events: usize,
    /// Events per batch handed to the output (`queue.mem.flush.min_events`).
    pub batch_events: usize,
    /// After a signal, how long the output may take to deliver.
    pub shutdown_timeout: Duration,
    /// Print the counters at the end.
    pub counters: bool,
    /// Print a summary at the end, in this format.
    pub summary: Option<SummaryFormat>,
    /// Show a progress bar (when stderr is a terminal).
    pub progress: bool,
    /// Threads analyzing a file (1: the reading thread does it all).
    pub workers: usize,
    /// Whom to run as once the input and output are open.
    pub user: RunAs,
}

/// Where packets come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A pcap or pcapng file.
    File(PathBuf),
    /// A live interface.
    Live(LiveSettings),
}

/// How to sniff an interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSettings {
    /// The interface.
    pub device: String,
    /// Bytes kept of each packet.
    pub snaplen: usize,
    /// Kernel buffer size in bytes.
    pub buffer_size: usize,
    /// The BPF capture filter.
    pub filter: String,
}

/// Why the command line and config file cannot be run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingsError {
    /// The config file is bad.
    Config(ConfigError),
    /// The options are bad (or contradict the file).
    Usage(String),
}

impl Settings {
    /// Resolves `args` (and the config file they name) for a beat that
    /// knows `protocols`.
    pub fn new(args: &Args, protocols: &[Registration]) -> Result<Self, SettingsError> {
        let known: Vec<&'static str> = protocols.iter().map(|p| p.name).collect();
        let file = match &args.config {
            Some(path) => ConfigFile::load(path, protocols).map_err(SettingsError::Config)?,
            None => ConfigFile::default(),
        };
        for name in &args.protocols {
            if !known.contains(&name.as_str()) {
                return Err(SettingsError::Usage(format!(
                    "--protocols: unknown protocol `{name}`; this beat analyzes {}",
                    known.join(", ")
                )));
            }
        }
        let mut chosen = Vec::new();
        for registration in protocols {
            let (enabled, mut config) = file.protocol(registration.name);
            let enabled = if args.protocols.is_empty() {
                enabled
            } else {
                args.protocols.iter().any(|p| p == registration.name)
            };
            if enabled {
                override_config(args, &mut config);
                chosen.push((*registration, config));
            }
        }
        match chosen.as_mut_slice() {
            [] => return Err(SettingsError::Usage("no protocol is enabled".into())),
            [(_, config)] if !args.ports.is_empty() => config.ports = args.ports.clone(),
            _ if !args.ports.is_empty() => {
                return Err(SettingsError::Usage(
                    "--ports needs a single protocol: choose one with --protocols, or set each protocol's ports in the config file".into(),
                ))
            }
            _ => {}
        }
        crate::option_flag::apply(&args.option, &mut chosen).map_err(SettingsError::Usage)?;
        let interface = &file.interface;
        let input = match (&args.read, &args.interface, &interface.file, &interface.device) {
            (Some(path), _, _, _) => Input::File(path.clone()),
            (None, Some(device), _, _) => Input::Live(live(device, &file, &chosen)),
            (None, None, Some(path), _) => Input::File(path.clone()),
            (None, None, None, Some(device)) => Input::Live(live(device, &file, &chosen)),
            (None, None, None, None) => {
                return Err(SettingsError::Usage(
                    "nothing to analyze: give -r FILE or -i IFACE (or interface.file or interface.device in the config file)".into(),
                ))
            }
        };
        let (output, output_kind) = match &args.output {
            Some(path) => (Some(path.clone()), OutputKind::Console),
            None => (file.output.file.clone(), file.output.kind.clone()),
        };
        let envelope = EnvelopeSettings {
            name: file.name.clone(),
            tags: file.tags.clone(),
            fields: file.fields.clone(),
            internal_networks: file.interface.internal_networks.clone(),
            data_path: file.path.data.clone(),
        };
        Ok(Settings {
            protocols: chosen,
            input,
            output,
            output_kind,
            envelope,
            queue_events: file.queue.mem.events.0,
            batch_events: file.queue.mem.flush.min_events.0,
            shutdown_timeout: file
                .shutdown_timeout
                .map_or(Duration::from_secs(5), |s| s.0),
            counters: !args.no_counters,
            summary: args
                .summary_format
                .or(args.summary.then_some(SummaryFormat::Table)),
            progress: !args.no_progress,
            workers: usize::from(args.workers.max(1)),
            user: match args.user.clone().or(file.user) {
                Some(name) => RunAs::User(name),
                None => RunAs::Default,
            },
        })
    }
}

fn override_config(args: &Args, config: &mut Config) {
    config.send_request |= args.send_request;
    config.send_response |= args.send_response;
    if let Some(secs) = args.transaction_timeout {
        config.transaction_timeout = Duration::from_secs_f64(secs);
    }
    if let Some(size) = args.max_message_size {
        config.max_message_size = size;
    }
}

fn live(device: &str, file: &ConfigFile, protocols: &[(Registration, Config)]) -> LiveSettings {
    let ports: Vec<u16> = protocols
        .iter()
        .flat_map(|(registration, config)| {
            if config.ports.is_empty() {
                registration.default_ports.to_vec()
            } else {
                config.ports.clone()
            }
        })
        .collect();
    let interface = &file.interface;
    LiveSettings {
        device: device.to_string(),
        snaplen: interface.snaplen.0,
        buffer_size: interface.buffer_size_mb.0.saturating_mul(1 << 20),
        filter: match &interface.bpf_filter {
            Some(filter) => filter.clone(),
            None => crate::filter::capture_filter(&ports, interface.with_vlans),
        },
    }
}
