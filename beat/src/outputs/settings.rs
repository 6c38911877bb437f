//! The `output:` section's outputs and the delivery settings (`queue:`,
//! `shutdown_timeout:`), as packetbeat.yml names them.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::delivery::Backoff;
use crate::secret::Secret;
use crate::values::{Count, Secs};

/// The one output events go to.
#[derive(Clone, Debug, Default)]
pub enum OutputKind {
    /// Standard output (the default).
    #[default]
    Console,
    /// `output.file`.
    File(FileSettings),
    /// `output.redis`.
    Redis(RedisSettings),
    /// `output.elasticsearch`.
    Elasticsearch(ElasticsearchSettings),
    /// `output.kafka`.
    Kafka(KafkaSettings),
}

impl OutputKind {
    /// The output's name in the config file.
    pub fn name(&self) -> &'static str {
        match self {
            OutputKind::Console => "console",
            OutputKind::File(_) => "file",
            OutputKind::Redis(_) => "redis",
            OutputKind::Elasticsearch(_) => "elasticsearch",
            OutputKind::Kafka(_) => "kafka",
        }
    }

    /// Events sent in one request (`bulk_max_size`). A stream (console,
    /// file) writes each batch as it comes: merging batches would only copy
    /// them, holding the queue's lock, while the queue fills behind.
    pub fn bulk_max_size(&self) -> usize {
        match self {
            OutputKind::Console | OutputKind::File(_) => 1,
            OutputKind::Redis(r) => r.bulk_max_size.0,
            OutputKind::Elasticsearch(e) => e.bulk_max_size.0,
            OutputKind::Kafka(k) => k.bulk_max_size.0,
        }
    }

    /// Output workers (`worker`).
    pub fn workers(&self) -> usize {
        match self {
            OutputKind::Console | OutputKind::File(_) => 1,
            OutputKind::Redis(r) => r.worker.0,
            OutputKind::Elasticsearch(e) => e.worker.0,
            OutputKind::Kafka(_) => 1,
        }
    }

    /// The retry delays.
    pub fn backoff(&self) -> Backoff {
        let b = match self {
            OutputKind::Console | OutputKind::File(_) => return Backoff::default(),
            OutputKind::Redis(r) => &r.backoff,
            OutputKind::Elasticsearch(e) => &e.backoff,
            OutputKind::Kafka(k) => &k.backoff,
        };
        Backoff {
            init: b.init.0,
            max: b.max.0.max(b.init.0),
        }
    }

    /// Whether events carry `@metadata` (all but Elasticsearch, which takes
    /// the index from the request).
    pub fn metadata(&self) -> bool {
        !matches!(self, OutputKind::Elasticsearch(_))
    }
}

/// `backoff:` of a network output.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackoffSettings {
    /// The first wait after a failed send. Default 1s.
    pub init: Secs,
    /// The longest wait. Default 60s.
    pub max: Secs,
}

impl Default for BackoffSettings {
    fn default() -> Self {
        BackoffSettings {
            init: Secs(Duration::from_secs(1)),
            max: Secs(Duration::from_secs(60)),
        }
    }
}

/// `output.file`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// The file (rotated ones get `.1`, `.2`... after the name).
    pub path: PathBuf,
    /// Rotate when the file would grow past this many KiB. Default 10240.
    #[serde(default = "rotate_every_kb")]
    pub rotate_every_kb: Count,
    /// Files kept, the current one included (2 to 1024). Default 7.
    #[serde(default = "number_of_files")]
    pub number_of_files: Count,
}

fn rotate_every_kb() -> Count {
    Count(10 * 1024)
}

fn number_of_files() -> Count {
    Count(7)
}

/// `datatype` of the Redis output.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RedisDatatype {
    /// `RPUSH key event...`.
    #[default]
    List,
    /// `PUBLISH key event`.
    Channel,
}

/// `output.redis`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisSettings {
    /// `host:port` of each server; a worker uses the first it can reach.
    /// Default `localhost:6379`.
    pub hosts: Vec<String>,
    /// The list or channel. Default: the beat's name.
    pub key: Option<String>,
    /// `list` (default) or `channel`.
    pub datatype: RedisDatatype,
    /// The database (`SELECT`). Default 0.
    pub db: u32,
    /// `AUTH` password.
    pub password: Option<Secret>,
    /// Connecting and each reply. Default 5s.
    pub timeout: Secs,
    /// Events in one pipeline. Default 2048.
    pub bulk_max_size: Count,
    /// Connections sending at once. Default 1.
    pub worker: Count,
    /// Waits between failed attempts.
    pub backoff: BackoffSettings,
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            hosts: vec!["localhost:6379".into()],
            key: None,
            datatype: RedisDatatype::List,
            db: 0,
            password: None,
            timeout: Secs(Duration::from_secs(5)),
            bulk_max_size: Count(2048),
            worker: Count(1),
            backoff: BackoffSettings::default(),
        }
    }
}

/// `ssl:` of the Elasticsearch output, as Beats spell it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SslSettings {
    /// PEM files of the authorities to trust besides the system's (Mozilla's
    /// list, built in).
    pub certificate_authorities: Vec<PathBuf>,
    /// The client certificate (PEM, its chain after it), for servers that
    /// ask for one; with `key`.
    pub certificate: Option<PathBuf>,
    /// The client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
    /// How the server's certificate is checked. Default `full`.
    pub verification_mode: VerificationMode,
}

/// `ssl.verification_mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationMode {
    /// Signed by a trusted authority, valid now, and for the host's name.
    #[default]
    Full,
    /// Signed by a trusted authority and valid now, whatever name it is for.
    Certificate,
    /// Not checked at all (the connection is encrypted, but to anyone): for
    /// tests only; the beat says so on stderr.
    None,
}

/// `output.elasticsearch`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ElasticsearchSettings {
    /// `http://host:9200` or `https://...`; workers spread over them.
    /// Default `http://localhost:9200`.
    pub hosts: Vec<String>,
    /// The index or data stream. Default `<beat>-<version>`, a data stream
    /// as Packetbeat's `packetbeat-8.x.y`.
    pub index: Option<String>,
    /// Basic authentication.
    pub username: Option<String>,
    /// Basic authentication.
    pub password: Option<Secret>,
    /// `id:key` as Elasticsearch gives it (sent base64-encoded).
    pub api_key: Option<Secret>,
    /// gzip level of request bodies, 0 (off) to 9. Default 1.
    pub compression_level: u32,
    /// Events in one `_bulk` request. Default 1600.
    pub bulk_max_size: Count,
    /// Connections sending at once. Default 1.
    pub worker: Count,
    /// Each request. Default 90s.
    pub timeout: Secs,
    /// TLS for `https://` hosts.
    pub ssl: SslSettings,
    /// Waits between failed attempts.
    pub backoff: BackoffSettings,
}

impl Default for ElasticsearchSettings {
    fn default() -> Self {
        ElasticsearchSettings {
            hosts: vec!["http://localhost:9200".into()],
            index: None,
            username: None,
            password: None,
            api_key: None,
            compression_level: 1,
            bulk_max_size: Count(1600),
            worker: Count(1),
            timeout: Secs(Duration::from_secs(90)),
            ssl: SslSettings::default(),
            backoff: BackoffSettings::default(),
        }
    }
}

/// `output.kafka`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaSettings {
    /// Bootstrap brokers, `host:port`. Default `localhost:9092`.
    pub hosts: Vec<String>,
    /// The topic. Default: the beat's name.
    pub topic: Option<String>,
    /// `-1` (all in-sync replicas), `0` (none), `1` (the leader, default).
    pub required_acks: i32,
    /// `none`, `gzip` (default), `snappy`, `lz4`, `zstd`.
    pub compression: String,
    /// Events produced before waiting for their delivery reports.
    /// Default 2048.
    pub bulk_max_size: Count,
    /// Delivery of one event (`message.timeout.ms`). Default 30s.
    pub timeout: Secs,
    /// The client id. Default: the beat's name.
    pub client_id: Option<String>,
    /// Waits between failed attempts.
    pub backoff: BackoffSettings,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        KafkaSettings {
            hosts: vec!["localhost:9092".into()],
            topic: None,
            required_acks: 1,
            compression: "gzip".into(),
            bulk_max_size: Count(2048),
            timeout: Secs(Duration::from_secs(30)),
            client_id: None,
            backoff: BackoffSettings::default(),
        }
    }
}

/// `queue:` — Packetbeat's `queue.mem`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueSection {
    /// `queue.mem`.
    pub mem: MemQueue,
}

/// `queue.mem`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemQueue {
    /// Events held until the output acknowledges them. Default 4096.
    pub events: Count,
    /// `flush.min_events`: events per batch handed to the output, at most
    /// (a batch is also handed on at 64 KiB, and a live capture hands on
    /// what it has every 500 ms). Default 512.
    pub flush: MemFlush,
}

impl Default for MemQueue {
    fn default() -> Self {
        MemQueue {
            events: Count(4096),
            flush: MemFlush::default(),
        }
    }
}

/// `queue.mem.flush`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemFlush {
    /// Events per batch. Default 512.
    pub min_events: Count,
}

impl Default for MemFlush {
    fn default() -> Self {
        MemFlush {
            min_events: Count(512),
        }
    }
}
