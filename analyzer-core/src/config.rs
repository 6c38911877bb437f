//! [`Config`]: what to analyze and every limit, each with a default, and
//! the protocol's own settings ([`Options`]).

use std::time::Duration;

/// Analyzer settings. Every limit has a default; [`Config::default`] is what
/// Packetbeat users would expect.
///
/// ```
/// use std::time::Duration;
/// use analyzer_core::Config;
///
/// let mut config = Config::default();
/// config.ports = vec![3030, 4000];
/// config.send_request = true;
/// config.transaction_timeout = Duration::from_secs(5);
/// assert_eq!(config.max_message_size, 10 * 1024 * 1024);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Server ports to analyze. Empty: the protocol's default ports.
    pub ports: Vec<u16>,
    /// Publish each request's raw text as the event's `request` field.
    pub send_request: bool,
    /// Publish each response's raw text as the event's `response` field.
    pub send_response: bool,
    /// How long (capture time) a request waits for its response before it is
    /// published unanswered. A response that comes later is published alone
    /// with a note (it is not taken for the next request's). Default 10 s.
    pub transaction_timeout: Duration,
    /// Longest message kept, in bytes on the wire (delimiter included). A
    /// longer one is counted, published with a note and skipped up to the
    /// next delimiter. Default 10 MiB.
    pub max_message_size: usize,
    /// Requests waiting for responses on one connection. Past it, the oldest
    /// is published unanswered with a note; while the oldest's answer is
    /// streaming in it is kept (the queue then holds one more) and the one
    /// after it goes. The answer of a request published this way (or by the
    /// transaction timeout) still comes first: it is published alone with a
    /// note, not paired with the next request. Default 10,000.
    pub max_pending_requests: usize,
    /// A connection with no packet for this long (capture time) is expired:
    /// what it holds is published. Default 60 s.
    pub connection_idle_timeout: Duration,
    /// Connections tracked at once. When a new one would exceed it, the
    /// least recently active sixteenth of the table is evicted (what they
    /// hold is published, and counted). Default 65,536, like Packetbeat.
    pub max_connections: usize,
    /// Payload bytes held per direction while waiting for a hole in the
    /// sequence to fill. When full, the oldest hole is declared lost (the
    /// message it hit is published with a loss note) and what follows it is
    /// analyzed. Default 1 MiB.
    pub max_out_of_order_bytes: usize,
    /// Out-of-order pieces held per direction, likewise. Default 256.
    pub max_out_of_order_segments: usize,
    /// The protocol's own settings (the config file's keys of its section
    /// that are not the engine's, such as HTTP's `send_headers`), which its
    /// [`Conversation::session`](crate::Conversation::session) reads when a
    /// connection starts. Empty by default.
    pub options: Options,
}

/// A protocol's own settings, by name (shared by every connection).
///
/// ```
/// use analyzer_core::config::Options;
/// use serde_json::json;
///
/// let options = Options::from(json!({"send_headers": ["host"], "max_body": 1024}));
/// assert_eq!(options.get("max_body").and_then(|v| v.as_u64()), Some(1024));
/// assert!(options.get("missing").is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options(std::sync::Arc<serde_json::Map<String, serde_json::Value>>);

impl Options {
    /// The setting `name`, if given.
    pub fn get(&self, name: &str) -> Option<&serde_json::Value> {
        self.0.get(name)
    }

    /// Whether no setting is given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every setting, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &serde_json::Value)> {
        self.0.iter()
    }
}

impl From<serde_json::Value> for Options {
    /// The entries of a JSON object (anything else gives no setting).
    fn from(value: serde_json::Value) -> Self {
        match value {
            serde_json::Value::Object(map) => Options(std::sync::Arc::new(map)),
            _ => Options::default(),
        }
    }
}

impl From<serde_json::Map<String, serde_json::Value>> for Options {
    fn from(map: serde_json::Map<String, serde_json::Value>) -> Self {
        Options(std::sync::Arc::new(map))
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ports: Vec::new(),
            send_request: false,
            send_response: false,
            transaction_timeout: Duration::from_secs(10),
            max_message_size: 10 * 1024 * 1024,
            max_pending_requests: 10_000,
            connection_idle_timeout: Duration::from_secs(60),
            max_connections: 65_536,
            max_out_of_order_bytes: 1 << 20,
            max_out_of_order_segments: 256,
            options: Options::default(),
        }
    }
}
