//! A beat's run: [`Beat`] (every protocol's engine over the same packets),
//! and [`run`], which reads a file or sniffs an interface into it until the
//! input ends or a signal stops it.

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use analyzer_core::decode::LinkType;
use analyzer_core::pcap::{PcapReader, ReadError};
use analyzer_core::{Config, Counters, Timestamp};

use crate::analyzer::{Analyzer, Output, Registration};
use crate::args::{Input, Settings};
use crate::delivery::{self, Delivery, Queue, WhenFull};
use crate::envelope::{self, Envelope, Host};
use crate::output::Outputs;
use crate::outputs;
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

    /// A hint: `data` will be handed to [`packet`](Self::packet) three
    /// packets from now; each engine starts loading its connection (and
    /// what the connection of the call two before points to) into the
    /// cache ([`Engine::prefetch`](analyzer_core::Engine::prefetch)).
    pub fn prefetch(&self, link: LinkType, data: &[u8]) {
        for analyzer in &self.analyzers {
            analyzer.prefetch(link, data);
        }
    }

    /// A hint: `data` will be handed to [`packet`](Self::packet) four
    /// packets from now; each engine starts loading the table lines its
    /// lookup reads
    /// ([`Engine::prefetch_lookup`](analyzer_core::Engine::prefetch_lookup)).
    pub fn prefetch_lookup(&self, link: LinkType, data: &[u8]) {
        for analyzer in &self.analyzers {
            analyzer.prefetch_lookup(link, data);
        }
    }

    /// Whether [`prefetch`](Self::prefetch) does anything now: an engine
    /// tracks enough connections ([`Engine::prefetching`](analyzer_core::Engine::prefetching)).
    pub fn prefetching(&self) -> bool {
        self.analyzers.iter().any(|a| a.prefetching())
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
    /// The delivery counters (published, acknowledged, retried, failed,
    /// dropped), for a run that delivered through a queue.
    pub delivery: Option<Delivery>,
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
/// status line of a live capture. Privileges are left as they are: a beat
/// opens first, drops them ([`privileges`](crate::privileges)), then runs
/// the [`Opened`] input.
pub fn run(name: &str, settings: &Settings, stop: &AtomicBool) -> Result<Report, Failure> {
    Opened::open(settings)?.run(name, settings, stop)
}

/// A run's input and output, opened (what may take privileges: a capture
/// device, a file only root may read) but not read yet: nothing has been
/// parsed.
pub struct Opened {
    input: Source,
    output: outputs::Opened,
    /// The machine's description and the agent's id (kept in a directory
    /// that may take privileges).
    host: Host,
    agent_id: String,
}

enum Source {
    File {
        path: PathBuf,
        file: File,
        /// A second handle, for `--workers` to read the file in blocks.
        again: Option<File>,
    },
    #[cfg(feature = "live")]
    Live(crate::live::Live),
}

impl Opened {
    /// Opens the input (a file, or the capture device with its filter set)
    /// and then the output file; reads the agent's id.
    pub fn open(settings: &Settings) -> Result<Opened, Failure> {
        let input = match &settings.input {
            Input::File(path) => {
                let file = File::open(path)
                    .map_err(|e| fail(format!("{}: cannot open: {e}", path.display())))?;
                let again = (settings.workers > 1)
                    .then(|| File::open(path).ok())
                    .flatten();
                Source::File {
                    path: path.clone(),
                    file,
                    again,
                }
            }
            #[cfg(feature = "live")]
            Input::Live(live) => Source::Live(crate::live::open(live)?),
            #[cfg(not(feature = "live"))]
            Input::Live(_) => {
                return Err(fail(
                    "live capture (-i) needs a beat built with analyzer-beat's `live` feature (and libpcap-dev)".into(),
                ))
            }
        };
        let output = outputs::open(&settings.output_kind, settings.output.as_ref())?;
        let dir = settings
            .envelope
            .data_path
            .clone()
            .unwrap_or_else(envelope::default_data_path);
        let agent_id = envelope::agent_id(&dir).unwrap_or_else(|err| {
            eprintln!(
                "warning: agent.id cannot be kept in {} ({err}); this run's id is random (set path.data)",
                dir.display()
            );
            envelope::host::uuid_v4().unwrap_or_default()
        });
        Ok(Opened {
            input,
            output,
            host: Host::read(),
            agent_id,
        })
    }

    /// Reads the input into the protocols' engines until it ends or `stop`
    /// is set, delivering the events through the queue to the output.
    pub fn run(
        self,
        name: &str,
        settings: &Settings,
        stop: &AtomicBool,
    ) -> Result<Report, Failure> {
        let envelope = Arc::new(Envelope::new(
            name,
            &self.host,
            &settings.envelope,
            self.agent_id.clone(),
        ));
        let when_full = match settings.input {
            Input::File(_) => WhenFull::Wait,
            Input::Live(_) => WhenFull::DropOldest,
        };
        let queue = Arc::new(Queue::new(settings.queue_events, when_full));
        let kind = &settings.output_kind;
        let workers = self
            .output
            .workers(kind.workers(), name)
            .map_err(|e| fail(format!("output: {e}")))?;
        let envelope = Some((envelope, kind.metadata()));
        let (done, done_rx) = std::sync::mpsc::channel();
        let analysis = std::thread::scope(|scope| {
            let (watched, timeout) = (&queue, settings.shutdown_timeout);
            scope.spawn(move || delivery::watch(watched, stop, done_rx, timeout));
            let handles: Vec<_> = workers
                .into_iter()
                .map(|output| {
                    let queue = &queue;
                    scope.spawn(move || {
                        let mut log = delivery::Log::new(name);
                        delivery::work(
                            queue,
                            output,
                            kind.bulk_max_size(),
                            kind.backoff(),
                            &mut log,
                        )
                    })
                })
                .collect();
            let analysis = analyze(self.input, name, settings, stop, &queue, envelope);
            queue.close();
            for handle in handles {
                let _ = handle.join();
            }
            drop(done);
            analysis
        });
        let delivery = queue.counters();
        let (mut report, input) = analysis?;
        report.delivery = Some(delivery);
        let failed = |message| Failure {
            message,
            report: Some(Box::new(report.clone())),
        };
        if let Some(fatal) = queue.fatal() {
            return Err(failed(fatal));
        }
        input.map_err(failed)?;
        Ok(report)
    }
}

/// Runs the engines over the input, publishing into `queue`; returns the
/// report and how the input ended.
fn analyze(
    input: Source,
    name: &str,
    settings: &Settings,
    stop: &AtomicBool,
    queue: &Arc<Queue>,
    envelope: Option<(Arc<Envelope>, bool)>,
) -> Result<(Report, Result<(), String>), Failure> {
    #[cfg(not(feature = "live"))]
    let _ = name;
    let summarize = settings.summary.is_some();
    let outputs = Outputs {
        queue: queue.clone(),
        batch_events: settings.batch_events,
        envelope,
        summarize,
    };
    let output = || outputs.make();
    match input {
        Source::File { path, file, again } => {
            let total = file.metadata().map_or(0, |m| m.len());
            let mut reader =
                PcapReader::new(file).map_err(|err| fail(format!("{}: {err}", path.display())))?;
            if settings.workers > 1 {
                return crate::workers::run_file(
                    &path,
                    again,
                    &mut reader,
                    &settings.protocols,
                    &outputs,
                    settings.workers,
                    stop,
                    settings.progress,
                );
            }
            let mut beat = Beat::new(&settings.protocols, output());
            let read = read_file(total, &mut reader, &mut beat, stop, settings.progress);
            let read = read.map_err(|err| format!("{}: {err}", path.display()));
            Ok(end(beat, read, None))
        }
        #[cfg(feature = "live")]
        Source::Live(capture) => {
            if let Input::Live(live) = &settings.input {
                eprintln!(
                    "{name}: capturing on {} (filter: {})",
                    live.device, live.filter
                );
            }
            let mut beat = Beat::new(&settings.protocols, output());
            let (sniffed, stats) = crate::live::sniff(capture, &mut beat, stop);
            Ok(end(beat, sniffed, stats))
        }
    }
}

/// Finishes the engines and hands on the last events; the report, and how
/// the input ended.
fn end(
    mut beat: Beat,
    input: Result<(), String>,
    capture: Option<serde_json::Value>,
) -> (Report, Result<(), String>) {
    beat.finish();
    let written = beat.output().finish();
    let report = Report {
        counters: beat
            .counters()
            .into_iter()
            .map(|(name, c)| (name, c.clone()))
            .collect(),
        summary: beat.summary(),
        capture,
        delivery: None,
    };
    let input = match written {
        Err(err) => Err(format!("writing events: {err}")),
        Ok(()) => input,
    };
    (report, input)
}

/// Feeds the file's packets to `beat` until its end, a read error, an
/// output error or `stop`, with a progress bar.
fn read_file(
    total: u64,
    reader: &mut PcapReader<'_>,
    beat: &mut Beat,
    stop: &AtomicBool,
    show_progress: bool,
) -> Result<(), ReadError> {
    let progress = Progress::stderr(total, show_progress);
    let mut packets = 0u64;
    let result = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        // The engines are told of the third and fourth packets after this one
        // (`Beat::prefetch_lookup`, `Beat::prefetch`): their connections are
        // loaded while they work.
        if beat.prefetching() {
            if let Some((link, four_ahead)) = reader.peek_ahead(4) {
                beat.prefetch_lookup(link, four_ahead);
            }
            if let Some((link, three_ahead)) = reader.peek_ahead(3) {
                beat.prefetch(link, three_ahead);
            }
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
