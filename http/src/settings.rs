//! [`Settings`]: HTTP's own options (Packetbeat's `send_headers`,
//! `send_all_headers`, `include_body_for`...), read from the configuration
//! when a connection starts.

use std::sync::Arc;

use analyzer_core::config::Options;
use analyzer_core::Direction;

/// Bodies kept by default at most (`max_body_bytes`).
pub const DEFAULT_MAX_BODY: usize = 10 * 1024;

/// What HTTP events carry beyond the default fields, shared by a
/// connection's two directions (its session). Nothing by default.
///
/// From the protocol's options ([`Config::options`](analyzer_core::Config::options)):
///
/// | option | value |
/// |---|---|
/// | `send_all_headers` | `true`: every header field, in `http.{request,response}.headers` |
/// | `send_headers` | a list of header names (any case): those only; `true`: every one |
/// | `include_body_for` | a list of content types (a word they contain: `"json"`, `"text/"`; `"*"`: any): bodies of both directions with one |
/// | `include_request_body_for`, `include_response_body_for` | the same, one direction |
/// | `max_body_bytes` | the longest body content kept, in bytes (default 10 KiB) |
///
/// ```
/// use analyzer_core::config::Options;
/// use http::Settings;
/// use serde_json::json;
///
/// let settings = Settings::from_options(&Options::from(json!({
///     "send_headers": ["Host", "accept"],
///     "include_response_body_for": ["json"],
/// })));
/// assert!(settings.keeps_header(b"HOST") && !settings.keeps_header(b"cookie"));
/// assert!(settings.keeps_body(analyzer_core::Direction::FromServer, b"application/json"));
/// assert!(!settings.keeps_body(analyzer_core::Direction::FromClient, b"application/json"));
///
/// // What a configuration may give ([`Settings::OPTIONS`], [`Settings::check`]).
/// assert!(Settings::from_options(&Options::from(json!({"send_headers": true}))).keeps_header(b"cookie"));
/// assert_eq!(Settings::check("max_body_bytes", &json!("ten")), Err("a number of bytes".to_owned()));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings(Option<Arc<Wanted>>);

#[derive(Debug, Default, PartialEq, Eq)]
struct Wanted {
    all_headers: bool,
    /// Lower case.
    headers: Vec<Vec<u8>>,
    /// Content-type words, per direction (client, server); lower case.
    bodies: [Vec<Vec<u8>>; 2],
    max_body: usize,
}

impl Settings {
    /// The options HTTP reads.
    pub const OPTIONS: &'static [&'static str] = &[
        "send_headers",
        "send_all_headers",
        "include_body_for",
        "include_request_body_for",
        "include_response_body_for",
        "max_body_bytes",
    ];

    /// Checks the value of option `name` (one of [`Settings::OPTIONS`]):
    /// `Err` says what it takes.
    pub fn check(name: &str, value: &serde_json::Value) -> Result<(), String> {
        use serde_json::Value;
        let words = |value: &Value| match value {
            Value::String(_) => true,
            Value::Array(items) => items.iter().all(Value::is_string),
            _ => false,
        };
        let fits = match name {
            "send_headers" => value.is_boolean() || words(value),
            "send_all_headers" => value.is_boolean(),
            "max_body_bytes" => value.is_u64(),
            _ => words(value),
        };
        match fits {
            true => Ok(()),
            false => Err(match name {
                "send_headers" => "a list of header names, or true for all".into(),
                "send_all_headers" => "true or false".into(),
                "max_body_bytes" => "a number of bytes".into(),
                _ => "a list of content types (words they contain, \"*\" for any)".into(),
            }),
        }
    }

    /// The settings the options give (unknown options are the engine's or
    /// the beat's business, and ignored here).
    pub fn from_options(options: &Options) -> Self {
        if options.is_empty() {
            return Settings(None);
        }
        let list = |name: &str| -> Vec<Vec<u8>> {
            match options.get(name) {
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .filter_map(|v| v.as_str())
                    .map(|s| s.to_ascii_lowercase().into_bytes())
                    .collect(),
                Some(serde_json::Value::String(s)) => vec![s.to_ascii_lowercase().into_bytes()],
                _ => Vec::new(),
            }
        };
        let both = list("include_body_for");
        let mut client = list("include_request_body_for");
        let mut server = list("include_response_body_for");
        client.extend(both.iter().cloned());
        server.extend(both);
        let wanted = Wanted {
            all_headers: ["send_all_headers", "send_headers"]
                .iter()
                .any(|name| options.get(name).and_then(|v| v.as_bool()) == Some(true)),
            headers: list("send_headers"),
            bodies: [client, server],
            max_body: options
                .get("max_body_bytes")
                .and_then(|v| v.as_u64())
                .map_or(DEFAULT_MAX_BODY, |n| n.min(usize::MAX as u64) as usize),
        };
        let nothing = !wanted.all_headers
            && wanted.headers.is_empty()
            && wanted.bodies.iter().all(Vec::is_empty);
        Settings((!nothing).then(|| Arc::new(wanted)))
    }

    /// Whether any header field is kept.
    pub fn keeps_headers(&self) -> bool {
        self.0
            .as_ref()
            .is_some_and(|w| w.all_headers || !w.headers.is_empty())
    }

    /// Whether the header field `name` is kept.
    pub fn keeps_header(&self, name: &[u8]) -> bool {
        self.0.as_ref().is_some_and(|w| {
            w.all_headers || w.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
        })
    }

    /// Whether a body from `direction` of content type `mime` is kept.
    pub fn keeps_body(&self, direction: Direction, mime: &[u8]) -> bool {
        let index = match direction {
            Direction::FromClient => 0,
            Direction::FromServer => 1,
        };
        self.0.as_ref().is_some_and(|w| {
            w.bodies[index].iter().any(|word| {
                word == b"*"
                    || mime
                        .to_ascii_lowercase()
                        .windows(word.len().max(1))
                        .any(|win| win == &word[..])
            })
        })
    }

    /// The longest body content kept.
    pub fn max_body(&self) -> usize {
        self.0.as_ref().map_or(DEFAULT_MAX_BODY, |w| w.max_body)
    }
}
