//! The config file (`-c FILE`): YAML shaped like `packetbeat.yml`.
//!
//! ```yaml
//! interface:
//!   device: lo
//! protocols:
//!   - type: echo
//!     ports: [3030, 4000]
//!     transaction_timeout: 5s
//!   - type: redis
//!     enabled: false
//! limits:
//!   max_message_size: 1MiB
//! output:
//!   file:
//!     path: events.ndjson
//! ```
//!
//! Every section and key is optional; unknown keys and bad values are
//! errors that name the file, line and column ([`ConfigError`]). A
//! protocol's entry also takes the protocol's own options (HTTP's
//! `send_headers`: [`KnownProtocol::options`]), each value checked by the
//! protocol as it is read; `--option` sets them from the command line. Relative
//! paths are taken from the current directory. The commented
//! `beat.example.yml` beside this crate's `Cargo.toml` lists every key.
//!
//! A value can name environment variables, `${NAME}` (or `${NAME:default}`;
//! `$${` is a literal `${`), substituted as the file is read: the way to
//! keep a secret out of the file. An unset variable is an error naming it;
//! a value that came from the environment is never shown in an error
//! message. Keys holding secrets are read as [`Secret`](crate::secret::Secret)s.

use std::cell::RefCell;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use analyzer_core::Config;
use serde::Deserialize;

use crate::analyzer::Registration;
use crate::envelope::Network;
use crate::outputs::settings::{
    ElasticsearchSettings, FileSettings, KafkaSettings, OutputKind, QueueSection, RedisSettings,
};
use crate::values::{Bytes, Count, Port, Secs};

mod section;

/// The whole file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    /// Where packets come from.
    pub interface: InterfaceSection,
    /// The protocols to analyze and their settings. Absent: every protocol
    /// the beat knows, with its defaults; present: only those listed (and
    /// not `enabled: false`).
    pub protocols: Option<Vec<ProtocolSection>>,
    /// Limits for every protocol (a protocol's own entry can override each).
    pub limits: Limits,
    /// Where events go.
    pub output: OutputSection,
    /// The user to run as once the input and output are open (`--user`
    /// overrides); see [`privileges`](crate::privileges).
    pub user: Option<String>,
    /// `agent.name` and `host.name` (default: the host name).
    pub name: Option<String>,
    /// Published as `tags`.
    pub tags: Vec<String>,
    /// Published under `fields`.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The queue between the analysis and the output.
    pub queue: QueueSection,
    /// After SIGINT/SIGTERM, how long the output may take to deliver what
    /// the queue holds. Default 5s.
    pub shutdown_timeout: Option<Secs>,
    /// `path.data`: where `agent.id` is kept.
    pub path: PathSection,
}

/// `path:`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PathSection {
    /// The directory of `meta.json` (the agent's id).
    pub data: Option<PathBuf>,
}

/// `interface:` — a device to sniff or a file to read.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InterfaceSection {
    /// Interface to sniff (`-i` overrides).
    pub device: Option<String>,
    /// Capture file to read instead (`-r` overrides).
    pub file: Option<PathBuf>,
    /// Bytes kept of each packet. Default 65535.
    pub snaplen: Count,
    /// Kernel capture buffer, in MiB. Default 30.
    pub buffer_size_mb: Count,
    /// Also capture the configured ports inside 802.1Q VLAN tags.
    pub with_vlans: bool,
    /// A BPF filter to use instead of the one built from the ports.
    pub bpf_filter: Option<String>,
    /// Networks counted as internal for `network.direction`.
    pub internal_networks: Vec<Network>,
}

impl Default for InterfaceSection {
    fn default() -> Self {
        InterfaceSection {
            device: None,
            file: None,
            snaplen: Count(65535),
            buffer_size_mb: Count(30),
            with_vlans: false,
            bpf_filter: None,
            internal_networks: Vec::new(),
        }
    }
}

/// One entry of `protocols:` (read by hand, so that the
/// protocol's own options are checked against its `type`).
#[derive(Clone, Debug)]
pub struct ProtocolSection {
    /// The protocol's name (`echo`, `redis`, `memcache`).
    pub kind: ProtocolType,
    /// `false` keeps the entry but does not analyze the protocol.
    pub enabled: bool,
    /// Server ports (default: the protocol's own).
    pub ports: Option<Vec<Port>>,
    /// Publish each request's raw text (`request`).
    pub send_request: Option<bool>,
    /// Publish each response's raw text (`response`).
    pub send_response: Option<bool>,
    /// How long a request waits for its response (`10s`, `500ms`, or a
    /// number of seconds).
    pub transaction_timeout: Option<Secs>,
    /// See [`Limits::max_message_size`].
    pub max_message_size: Option<Bytes>,
    /// See [`Limits::max_pending_requests`].
    pub max_pending_requests: Option<Count>,
    /// See [`Limits::connection_idle_timeout`].
    pub connection_idle_timeout: Option<Secs>,
    /// See [`Limits::max_connections`].
    pub max_connections: Option<Count>,
    /// See [`Limits::max_out_of_order_bytes`].
    pub max_out_of_order_bytes: Option<Bytes>,
    /// See [`Limits::max_out_of_order_segments`].
    pub max_out_of_order_segments: Option<Count>,
    /// The protocol's own settings (HTTP's `send_headers`...), each one it
    /// takes ([`KnownProtocol::options`]) and checked by it: the engine's
    /// [`Config::options`].
    pub options: serde_json::Map<String, serde_json::Value>,
}

/// `limits:` — the engine's bounds (see [`Config`] for the defaults).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Longest message analyzed (`10MiB`, or a number of bytes).
    pub max_message_size: Option<Bytes>,
    /// Requests waiting for responses on one connection.
    pub max_pending_requests: Option<Count>,
    /// A connection with no packet for this long is expired.
    pub connection_idle_timeout: Option<Secs>,
    /// Connections tracked at once, per protocol.
    pub max_connections: Option<Count>,
    /// Bytes held per direction waiting for a hole to fill.
    pub max_out_of_order_bytes: Option<Bytes>,
    /// Out-of-order pieces held per direction.
    pub max_out_of_order_segments: Option<Count>,
}

/// `output:` — one of `console: {}` (stdout, the default), `file`,
/// `redis`, `elasticsearch`, `kafka`.
#[derive(Clone, Debug, Default)]
pub struct OutputSection {
    /// `output.file.path` (`-o` overrides the whole section).
    pub file: Option<PathBuf>,
    /// The output and its settings.
    pub kind: OutputKind,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsoleOutput {}

const OUTPUTS: &[&str] = &["console", "file", "redis", "elasticsearch", "kafka"];

impl<'de> Deserialize<'de> for OutputSection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(OutputVisitor)
    }
}

/// Reads `output:` by hand so that "two outputs" is reported at the
/// section's line, like the errors serde finds.
struct OutputVisitor;

impl<'de> serde::de::Visitor<'de> for OutputVisitor {
    type Value = OutputSection;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("one of `console`, `file`, `redis`, `elasticsearch`, `kafka`")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<OutputSection, E> {
        Ok(OutputSection::default())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<OutputSection, A::Error> {
        use serde::de::Error;
        let mut chosen: Vec<OutputKind> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let kind = match key.as_str() {
                "file" => OutputKind::File(map.next_value::<FileSettings>()?),
                "console" => {
                    map.next_value::<Option<ConsoleOutput>>()?;
                    OutputKind::Console
                }
                "redis" => OutputKind::Redis(
                    map.next_value::<Option<RedisSettings>>()?
                        .unwrap_or_default(),
                ),
                "elasticsearch" => OutputKind::Elasticsearch(
                    map.next_value::<Option<ElasticsearchSettings>>()?
                        .unwrap_or_default(),
                ),
                "kafka" => OutputKind::Kafka(
                    map.next_value::<Option<KafkaSettings>>()?
                        .unwrap_or_default(),
                ),
                other => return Err(A::Error::unknown_field(other, OUTPUTS)),
            };
            chosen.push(kind);
        }
        if chosen.len() > 1 {
            let names: Vec<&str> = chosen.iter().map(|k| k.name()).collect();
            return Err(A::Error::custom(format!(
                "choose one output, not {}",
                names.join(" and ")
            )));
        }
        let kind = chosen.pop().unwrap_or_default();
        let file = match &kind {
            OutputKind::File(f) => Some(f.path.clone()),
            _ => None,
        };
        Ok(OutputSection { file, kind })
    }
}

impl ProtocolSection {
    /// The engine configuration of this entry, on top of `base` (the
    /// defaults with the file's `limits:`).
    pub fn config(&self, base: &Config) -> Config {
        let mut config = base.clone();
        if let Some(ports) = &self.ports {
            config.ports = ports.iter().map(|p| p.0).collect();
        }
        config.send_request = self.send_request.unwrap_or(config.send_request);
        config.send_response = self.send_response.unwrap_or(config.send_response);
        if let Some(t) = self.transaction_timeout {
            config.transaction_timeout = t.0;
        }
        Limits {
            max_message_size: self.max_message_size,
            max_pending_requests: self.max_pending_requests,
            connection_idle_timeout: self.connection_idle_timeout,
            max_connections: self.max_connections,
            max_out_of_order_bytes: self.max_out_of_order_bytes,
            max_out_of_order_segments: self.max_out_of_order_segments,
        }
        .apply(&mut config);
        if !self.options.is_empty() {
            config.options = self.options.clone().into();
        }
        config
    }
}

impl Limits {
    /// Sets the limits given here in `config`.
    pub fn apply(&self, config: &mut Config) {
        let set = |value: Option<usize>, field: &mut usize| *field = value.unwrap_or(*field);
        set(
            self.max_message_size.map(|b| b.0),
            &mut config.max_message_size,
        );
        set(
            self.max_pending_requests.map(|c| c.0),
            &mut config.max_pending_requests,
        );
        set(
            self.max_connections.map(|c| c.0),
            &mut config.max_connections,
        );
        set(
            self.max_out_of_order_bytes.map(|b| b.0),
            &mut config.max_out_of_order_bytes,
        );
        set(
            self.max_out_of_order_segments.map(|c| c.0),
            &mut config.max_out_of_order_segments,
        );
        let idle: Option<Duration> = self.connection_idle_timeout.map(|s| s.0);
        config.connection_idle_timeout = idle.unwrap_or(config.connection_idle_timeout);
    }
}

/// A protocol a config file may name: its `type` and the options of its
/// own it takes. A beat's [`Registration`]s give them; a bare name is a
/// protocol without options.
#[derive(Clone, Copy)]
pub struct KnownProtocol {
    /// The `type`.
    pub name: &'static str,
    /// The options of its own ([`Registration::options`]).
    pub options: &'static [&'static str],
    check: Option<Registration>,
}

impl KnownProtocol {
    /// Checks `value` for option `name`, one of [`options`](Self::options).
    pub fn check_option(&self, name: &str, value: &serde_json::Value) -> Result<(), String> {
        self.check.map_or(Ok(()), |r| r.check_option(name, value))
    }
}

impl fmt::Debug for KnownProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnownProtocol")
            .field("name", &self.name)
            .field("options", &self.options)
            .finish()
    }
}

impl From<&'static str> for KnownProtocol {
    fn from(name: &'static str) -> Self {
        KnownProtocol {
            name,
            options: &[],
            check: None,
        }
    }
}

impl From<Registration> for KnownProtocol {
    fn from(registration: Registration) -> Self {
        KnownProtocol {
            name: registration.name,
            options: registration.options,
            check: Some(registration),
        }
    }
}

/// A protocol's `type`: one the beat knows, named once in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolType(pub String);

thread_local! {
    /// While a file is parsed: the protocols the beat knows, and the types
    /// seen so far (to reject one configured twice).
    static PARSING: RefCell<(Vec<KnownProtocol>, Vec<String>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// The protocol named `name`, while a file is parsed.
fn known_protocol(name: &str) -> Option<KnownProtocol> {
    PARSING.with(|parsing| parsing.borrow().0.iter().find(|k| k.name == name).copied())
}

impl<'de> Deserialize<'de> for ProtocolType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        PARSING.with(|parsing| {
            let (known, seen) = &mut *parsing.borrow_mut();
            if !known.is_empty() && !known.iter().any(|k| k.name == name) {
                let names: Vec<&str> = known.iter().map(|k| k.name).collect();
                return Err(serde::de::Error::custom(format!(
                    "unknown protocol type `{name}`; this beat analyzes {}",
                    names.join(", ")
                )));
            }
            if seen.contains(&name) {
                return Err(serde::de::Error::custom(format!(
                    "protocol `{name}` is configured twice"
                )));
            }
            seen.push(name.clone());
            Ok(ProtocolType(name))
        })
    }
}

/// A config file that cannot be used: which file, where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as given.
    pub file: PathBuf,
    /// 1-based line and column of the offending value, when known.
    pub location: Option<(usize, usize)>,
    /// What is wrong, with the key's path (`protocols[1].ports[0]: ...`).
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some((line, column)) => write!(
                f,
                "{}:{line}:{column}: {}",
                self.file.display(),
                self.message
            ),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl ConfigFile {
    /// Reads and checks the file at `path`; `known` lists the protocols the
    /// beat analyzes: its [`Registration`]s (their options checked), or
    /// their names (protocols without options of their own).
    pub fn load<K: Copy + Into<KnownProtocol>>(
        path: &Path,
        known: &[K],
    ) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
            file: path.to_path_buf(),
            location: None,
            message: format!("cannot read: {err}"),
        })?;
        ConfigFile::parse(&text, path, known)
    }

    /// Parses `text` (read from `file`, named in errors), with `${NAME}`
    /// taken from the environment.
    pub fn parse<K: Copy + Into<KnownProtocol>>(
        text: &str,
        file: &Path,
        known: &[K],
    ) -> Result<Self, ConfigError> {
        ConfigFile::parse_with(text, file, known, &|name| std::env::var(name))
    }

    /// [`ConfigFile::parse`] with variables from `lookup`.
    pub(crate) fn parse_with<K: Copy + Into<KnownProtocol>>(
        text: &str,
        file: &Path,
        known: &[K],
        lookup: crate::expand::Lookup<'_>,
    ) -> Result<Self, ConfigError> {
        let known = known.iter().map(|&k| k.into()).collect();
        PARSING.with(|p| *p.borrow_mut() = (known, Vec::new()));
        let state = crate::expand::State::new(lookup);
        let parsed = if text.trim().is_empty() {
            Ok(ConfigFile::default())
        } else {
            let de = serde_norway::Deserializer::from_str(text);
            ConfigFile::deserialize(crate::expand::Expand { de, state: &state })
        };
        PARSING.with(|p| *p.borrow_mut() = (Vec::new(), Vec::new()));
        parsed.map_err(|err| {
            let location = err.location().map(|l| (l.line(), l.column()));
            let mut message = err.to_string();
            if let Some((line, column)) = location {
                // The location is printed in front; drop serde's own copy.
                message = message.replacen(&format!(" at line {line} column {column}"), "", 1);
            }
            let message = crate::expand::redact(&message, &state.expanded.borrow());
            ConfigError {
                file: file.to_path_buf(),
                location,
                message,
            }
        })
    }

    /// Whether the file enables protocol `name` (listed and not `enabled:
    /// false`, or no `protocols:` list at all), and its engine
    /// configuration: the entry's settings over `limits:` over the defaults.
    pub fn protocol(&self, name: &str) -> (bool, Config) {
        let mut base = Config::default();
        self.limits.apply(&mut base);
        match &self.protocols {
            None => (true, base),
            Some(list) => match list.iter().find(|p| p.kind.0 == name) {
                Some(entry) => (entry.enabled, entry.config(&base)),
                None => (false, base),
            },
        }
    }
}
