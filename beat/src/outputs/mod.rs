//! The outputs, configured like packetbeat.yml's `output.*` (one at a
//! time): console, file, and the network outputs. Each is a
//! [`Deliver`] run by the delivery workers.

use std::fs::File;
use std::io;
use std::path::PathBuf;

use crate::delivery::Deliver;
use crate::run::{fail, Failure};

pub mod elasticsearch;
pub mod file;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod redis;
pub mod settings;
pub mod template;
pub mod tls;

use file::{Lines, Rotation};
use settings::OutputKind;

/// An output opened before privileges are dropped (a file), or to connect
/// once the run starts (the network outputs: they need no privilege).
pub enum Opened {
    /// Standard output.
    Stdout,
    /// `-o FILE`: created, truncated, not rotated.
    Plain(File),
    /// `output.file`: rotated.
    Rotated(File, PathBuf, Rotation),
    /// A network output, connected by each worker.
    Network(Box<OutputKind>),
}

/// Opens `kind` (`path`: `-o FILE` or `output.file.path`).
pub fn open(kind: &OutputKind, path: Option<&PathBuf>) -> Result<Opened, Failure> {
    let create = |path: &PathBuf| {
        File::create(path).map_err(|e| fail(format!("{}: cannot create: {e}", path.display())))
    };
    match (kind, path) {
        (OutputKind::File(settings), Some(path)) => {
            let rotation = Rotation {
                max_bytes: (settings.rotate_every_kb.0 as u64).saturating_mul(1024),
                files: settings.number_of_files.0.clamp(2, 1024),
            };
            // An existing file is rotated away first, as Packetbeat does.
            if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
                Lines::shift(path, rotation)
                    .map_err(|e| fail(format!("{}: cannot rotate: {e}", path.display())))?;
            }
            Ok(Opened::Rotated(create(path)?, path.clone(), rotation))
        }
        (_, Some(path)) => Ok(Opened::Plain(create(path)?)),
        (OutputKind::Console | OutputKind::File(_), None) => Ok(Opened::Stdout),
        (network, None) => Ok(Opened::Network(Box::new(network.clone()))),
    }
}

impl Opened {
    /// The outputs for `workers` delivery workers (`beat`: the beat's name,
    /// the default key, topic and index).
    pub fn workers(self, workers: usize, beat: &str) -> io::Result<Vec<Box<dyn Deliver>>> {
        Ok(match self {
            Opened::Network(kind) => return network(*kind, workers, beat),
            Opened::Stdout => vec![Box::new(Lines::new(Box::new(io::stdout())))],
            Opened::Plain(file) => vec![Box::new(Lines::new(Box::new(file)))],
            Opened::Rotated(file, path, rotation) => {
                vec![Box::new(Lines::rotated(file, path, rotation))]
            }
        })
    }
}

/// The network outputs of `kind` for `workers` workers.
fn network(kind: OutputKind, workers: usize, beat: &str) -> io::Result<Vec<Box<dyn Deliver>>> {
    Ok(match kind {
        OutputKind::Redis(settings) => (0..workers)
            .map(|i| Box::new(redis::Redis::new(&settings, beat, i)) as Box<dyn Deliver>)
            .collect(),
        OutputKind::Elasticsearch(settings) => (0..workers)
            .map(|i| {
                elasticsearch::Elasticsearch::new(&settings, beat, i)
                    .map(|es| Box::new(es) as Box<dyn Deliver>)
                    .map_err(io::Error::other)
            })
            .collect::<io::Result<_>>()?,
        #[cfg(feature = "kafka")]
        OutputKind::Kafka(settings) => {
            let kafka = kafka::Kafka::new(&settings, beat).map_err(io::Error::other)?;
            vec![Box::new(kafka)]
        }
        kind => {
            return Err(io::Error::other(format!(
                    "output `{}` needs a beat built with analyzer-beat's `{}` feature (and librdkafka-dev)",
                    kind.name(),
                    kind.name()
                )));
        }
    })
}
