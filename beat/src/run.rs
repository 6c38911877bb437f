//! A beat's run: [`Beat`] (every protocol's engine over the same packets),
//! and [`run`], which reads a file or sniffs an interface into it until the
//! input ends or a signal stops it.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use analyzer_core::decode::LinkType;
use analyzer_core::pcap::{OpenError, PcapReader, ReadError};
use analyzer_core::{Config, Counters, Timestamp};

use crate::analyzer::{Analyzer, Output, Registration};
use crate::args::{Input, Settings};
use crate::progress::{Progress, UPDATE_EVERY};
use crate::summary::Summary;

/// Several protocols analyzed over the same packets: one engine each, all
/// writing to one [`Output`].
///
/// ```
/// use analyzer_beat::{protocol, Beat, Output};
/// use analyzer_core::Config;
///
/// let protocols = [
///     (protocol::<echo::EchoMessage>(), Config::default()),
///     (protocol::<redis::RedisMessage>(), Config::default()),
/// ];
/// let mut beat = Beat::new(&protocols, Output::new(Box::new(std::io::sink()), false));
/// // beat.packet(timestamp, link_type, &frame) for each packet, then:
/// beat.finish();
/// assert_eq!(beat.counters().len(), 2);
/// ```
pub struct Beat {
    analyzers: Vec<Box<dyn Analyzer>>,
    output: Output,
}

impl Beat {
    /// An engine per protocol, each with its configuration.
    pub fn new(protocols: &[(Registration, Config)], output: Output) -> Self {
        let analyzers = protocols
            .iter()
            .map(|(registration, config)| registration.build(config.clone(), &output))
            .collect();
        Beat { analyzers, output }
    }

    /// Hands one captured packet to every engine.
    pub fn packet(&mut self, ts: Timestamp, link: LinkType, data: &[u8]) {
        for analyzer in &mut self.analyzers {
            analyzer.packet(ts, link, data);
        }
    }

    /// Advances every engine's clock to `now` (a quiet live link).
    pub fn tick(&mut self, now: Timestamp) {
        for analyzer in &mut self.analyzers {
            analyzer.tick(now);
        }
    }

    /// Ends the input: every engine publishes what is pending.
    pub fn finish(&mut self) {
        for analyzer in &mut self.analyzers {
            analyzer.finish();
        }
    }

    /// The shared output.
    pub fn output(&self) -> &Output {
        &self.output
    }

    /// Each protocol's name and counters.
    pub fn counters(&self) -> Vec<(&'static str, &Counters)> {
        self.analyzers
            .iter()
            .map(|a| (a.name(), a.counters()))
            .collect()
    }

    /// The summary so far, if the output keeps statistics.
    pub fn summary(&self) -> Option<Summary> {
        let stats = self.output.stats()?;
        let counters: Vec<&Counters> = self.analyzers.iter().map(|a| a.counters()).collect();
        Some(Summary::new(&stats, &counters))
    }
}

/// What a run produced, besides the events.
#[derive(Clone, Debug)]
pub struct Report {
    /// Each protocol's name and counters.
    pub counters: Vec<(&'static str, Counters)>,
    /// The summary, when asked for.
    pub summary: Option<Summary>,
    /// A live capture's packet counts from libpcap, as JSON.
    pub capture: Option<serde_json::Value>,
}

/// Why a run failed: a one-line message, and the report when the analysis
/// ran (a read error part-way, an output error).
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, naming the file and where.
    pub message: String,
    /// The report at the end, if the engines ran.
    pub report: Option<Box<Report>>,
}

pub(crate) fn fail(message: String) -> Failure {
    Failure {
        message,
        report: None,
    }
}

/// Runs `settings` until the input ends or `stop` is set (then what is
/// pending is published as at the end of a capture). `name` prefixes the
/// status line of a live capture.
pub fn run(name: &str, settings: &Settings, stop: &AtomicBool) -> Result<Report, Failure> {
    match &settings.input {
        Input::File(path) => {
            let mut reader = PcapReader::open(path).map_err(|e| {
                let file = path.display();
                match e {
                    OpenError::Open(err) => fail(format!("{file}: cannot open: {err}")),
                    OpenError::Read(err) => fail(format!("{file}: {err}")),
                }
            })?;
            if settings.workers > 1 {
                let out: Box<dyn Write + Send> = match &settings.output {
                    Some(path) => Box::new(
                        File::create(path)
                            .map_err(|e| fail(format!("{}: cannot create: {e}", path.display())))?,
                    ),
                    None => Box::new(io::stdout()),
                };
                return crate::workers::run_file(
                    path,
                    &mut reader,
                    &settings.protocols,
                    out,
                    settings.workers,
                    settings.summary.is_some(),
                    stop,
                    settings.progress,
                );
            }
            let mut beat = Beat::new(&settings.protocols, open_output(settings)?);
            let read = read_file(path, &mut reader, &mut beat, stop, settings.progress);
            let read = read.map_err(|err| format!("{}: {err}", path.display()));
            end(beat, read, None)
        }
        #[cfg(feature = "live")]
        Input::Live(live) => {
            let capture = crate::live::open(live)?;
            eprintln!(
                "{name}: capturing on {} (filter: {})",
                live.device, live.filter
            );
            let mut beat = Beat::new(&settings.protocols, open_output(settings)?);
            let (sniffed, stats) = crate::live::sniff(capture, &mut beat, stop);
            end(beat, sniffed, stats)
        }
        #[cfg(not(feature = "live"))]
        Input::Live(live) => {
            let _ = (name, &live.device);
            Err(fail(
                "live capture (-i) needs a beat built with analyzer-beat's `live` feature (and libpcap-dev)".into(),
            ))
        }
    }
}

fn open_output(settings: &Settings) -> Result<Output, Failure> {
    let out: Box<dyn Write> = match &settings.output {
        Some(path) => Box::new(
            File::create(path)
                .map_err(|e| fail(format!("{}: cannot create: {e}", path.display())))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    Ok(Output::new(out, settings.summary.is_some()))
}

/// Finishes the engines, flushes the output, and reports: an output error
/// first, then an input error.
fn end(
    mut beat: Beat,
    input: Result<(), String>,
    capture: Option<serde_json::Value>,
) -> Result<Report, Failure> {
    beat.finish();
    let report = Report {
        counters: beat
            .counters()
            .into_iter()
            .map(|(name, c)| (name, c.clone()))
            .collect(),
        summary: beat.summary(),
        capture,
    };
    let failed = |message| Failure {
        message,
        report: Some(Box::new(report.clone())),
    };
    if let Err(err) = beat.output().finish() {
        return Err(failed(format!("writing events: {err}")));
    }
    input.map_err(failed)?;
    Ok(report)
}

/// Feeds the file's packets to `beat` until its end, a read error, an
/// output error or `stop`, with a progress bar.
fn read_file(
    path: &Path,
    reader: &mut PcapReader<'_>,
    beat: &mut Beat,
    stop: &AtomicBool,
    show_progress: bool,
) -> Result<(), ReadError> {
    let total = std::fs::metadata(path).map_or(0, |m| m.len());
    let progress = Progress::stderr(total, show_progress);
    let mut packets = 0u64;
    let result = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        match reader.next_packet() {
            Ok(Some(packet)) => beat.packet(packet.ts, packet.link, packet.data),
            Ok(None) => break Ok(()),
            Err(err) => break Err(err),
        }
        if beat.output().failed() {
            break Ok(());
        }
        packets += 1;
        if packets % UPDATE_EVERY == 0 {
            progress.update(reader.bytes_read(), beat.output().events_written());
        }
    };
    progress.finish();
    result
}
