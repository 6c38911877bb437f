//! `output.elasticsearch`: the `_bulk` API, as Packetbeat 8 uses it (and
//! as Elasticsearch 8.x and 7.10+ document it): one request per batch,
//! `create` actions into a data stream, per-item results.
//!
//! - The whole request refused with 429 (throttled) or 5xx, or no
//!   connection: sent again after the backoff (on the next host, for a
//!   connection error).
//! - An item answered 2xx, or 409 (`create` of a document that exists: it
//!   was delivered before): acknowledged. 429 or 5xx: sent again. Any other
//!   4xx (a mapping error...): refused for good, counted in `failed` and
//!   reported with Elasticsearch's reason.
//! - The whole request refused with 413 (larger than the server's
//!   `http.max_content_length`): split in halves until it passes; an event
//!   too large alone is refused for good.
//! - Other answers to the whole request (400, 401, 403...): sent again
//!   after the backoff, reported on stderr (a wrong password or a missing
//!   privilege is fixed without losing the events).

use std::io::{Read, Write};
use std::sync::Arc;

use base64::Engine as _;
use flate2::write::GzEncoder;
use serde_json::Value;

use crate::delivery::{Batch, Deliver, Outcome, SendError};

use super::settings::ElasticsearchSettings;

/// An Elasticsearch output worker.
pub struct Elasticsearch {
    agent: ureq::Agent,
    hosts: Vec<String>,
    /// The host in use.
    next: usize,
    index: String,
    authorization: Option<String>,
    level: u32,
    /// Whether this worker said on stderr that requests are being split
    /// (once: every later 413 is the same advice).
    told_split: bool,
}

/// The default index: `<beat>-<version>`, as Packetbeat's
/// `packetbeat-8.x.y`.
pub fn default_index(beat: &str) -> String {
    format!("{beat}-{}", env!("CARGO_PKG_VERSION"))
}

/// `host:9200` with `http://` when it has no scheme, without a trailing
/// slash.
pub fn base_url(host: &str) -> String {
    let host = host.trim_end_matches('/');
    if host.starts_with("http://") || host.starts_with("https://") {
        host.to_string()
    } else {
        format!("http://{host}")
    }
}

/// The HTTP client of `settings`: its timeout and TLS ([`super::tls`]).
pub fn agent(settings: &ElasticsearchSettings) -> Result<ureq::Agent, String> {
    let tls = super::tls::client_config(&settings.ssl)?;
    if settings.ssl.verification_mode == super::settings::VerificationMode::None {
        eprintln!(
            "warning: output.elasticsearch.ssl.verification_mode is none: the server's certificate is not checked"
        );
    }
    Ok(ureq::AgentBuilder::new()
        .timeout(settings.timeout.0)
        .tls_config(Arc::new(tls))
        .build())
}

/// The `Authorization` header: `ApiKey` (the key as Elasticsearch gives
/// it, `id:key`, base64-encoded) or `Basic`.
pub fn authorization(settings: &ElasticsearchSettings) -> Option<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    if let Some(key) = &settings.api_key {
        return Some(format!("ApiKey {}", b64(key.expose())));
    }
    settings.username.as_ref().map(|user| {
        let password = settings.password.as_ref().map_or("", |p| p.expose());
        format!("Basic {}", b64(&format!("{user}:{password}")))
    })
}

impl Elasticsearch {
    /// Worker `index` of `settings` (workers start on different hosts).
    pub fn new(
        settings: &ElasticsearchSettings,
        beat: &str,
        index: usize,
    ) -> Result<Elasticsearch, String> {
        Ok(Elasticsearch {
            agent: agent(settings)?,
            hosts: settings.hosts.iter().map(|h| base_url(h)).collect(),
            next: index,
            index: settings
                .index
                .clone()
                .unwrap_or_else(|| default_index(beat)),
            authorization: authorization(settings),
            told_split: false,
            level: settings.compression_level.min(9),
        })
    }

    fn body(&self, batch: &Batch, todo: &[usize]) -> std::io::Result<Vec<u8>> {
        let action = format!(
            "{{\"create\":{{\"_index\":{}}}}}\n",
            Value::from(self.index.as_str())
        );
        let mut body = Vec::with_capacity(batch.data.len() + action.len() * todo.len());
        for &i in todo {
            body.extend_from_slice(action.as_bytes());
            body.extend_from_slice(batch.event(i));
            body.push(b'\n');
        }
        if self.level == 0 {
            return Ok(body);
        }
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::new(self.level));
        gz.write_all(&body)?;
        gz.finish()
    }
}

/// What the items of a `_bulk` response say, one outcome per event sent.
pub fn item_outcomes(response: &Value, sent: usize) -> Result<Vec<Outcome>, String> {
    let items = response["items"]
        .as_array()
        .ok_or("the bulk response has no `items`")?;
    if items.len() != sent {
        return Err(format!(
            "the bulk response has {} items for {sent} events",
            items.len()
        ));
    }
    Ok(items
        .iter()
        .map(|item| {
            // `{"create": {...}}` (or the action the server names).
            let result = item.as_object().and_then(|o| o.values().next());
            let status = result.and_then(|r| r["status"].as_u64()).unwrap_or(0);
            let reason = || {
                let error = result.map(|r| &r["error"]);
                match error {
                    Some(Value::Object(e)) => format!(
                        "elasticsearch: {} {}: {}",
                        status,
                        e.get("type").and_then(Value::as_str).unwrap_or("error"),
                        e.get("reason").and_then(Value::as_str).unwrap_or("")
                    ),
                    _ => format!("elasticsearch: item status {status}"),
                }
            };
            match status {
                200..=299 | 409 => Outcome::Acked,
                429 | 500..=599 | 0 => Outcome::Retry(reason()),
                _ => Outcome::Failed(reason()),
            }
        })
        .collect())
}

/// What an operator reads when a request is split after a 413: once per
/// worker, since each split request is sent and nothing is lost.
fn split_notice(host: &str, events: usize, bytes: usize, compressed: bool) -> String {
    let gzip = if compressed { " gzipped" } else { "" };
    format!(
        "elasticsearch: {host}: HTTP 413: a request of {events} events ({bytes} bytes{gzip}) is larger \
         than the server accepts (http.max_content_length): requests are split until they \
         pass (lower output.elasticsearch.bulk_max_size, or raise the server's limit, to avoid it)"
    )
}

fn read(response: ureq::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    response
        .into_reader()
        .take(1 << 30)
        .read_to_end(&mut body)
        .map_err(|e| format!("reading the response: {e}"))?;
    Ok(body)
}

impl Deliver for Elasticsearch {
    fn send(&mut self, batch: &Batch, todo: &[usize]) -> Result<Vec<Outcome>, SendError> {
        let body = self
            .body(batch, todo)
            .map_err(|e| SendError::Retry(format!("compressing: {e}")))?;
        let host = &self.hosts[self.next % self.hosts.len().max(1)];
        let mut request = self
            .agent
            .post(&format!("{host}/_bulk"))
            .set("Content-Type", "application/x-ndjson")
            .set("Accept", "application/json");
        if self.level > 0 {
            request = request.set("Content-Encoding", "gzip");
        }
        if let Some(auth) = &self.authorization {
            request = request.set("Authorization", auth);
        }
        match request.send_bytes(&body) {
            Ok(response) => {
                let body = read(response).map_err(SendError::Retry)?;
                let value: Value = serde_json::from_slice(&body)
                    .map_err(|e| SendError::Retry(format!("{host}: bad bulk response: {e}")))?;
                item_outcomes(&value, todo.len())
                    .map_err(|e| SendError::Retry(format!("{host}: {e}")))
            }
            Err(ureq::Error::Status(413, _)) if todo.len() > 1 => {
                // Request too large: the first half alone (the delivery
                // loop sends again the events this says nothing of).
                if !std::mem::replace(&mut self.told_split, true) {
                    eprintln!(
                        "{}",
                        split_notice(host, todo.len(), body.len(), self.level > 0)
                    );
                }
                self.send(batch, &todo[..todo.len() / 2])
            }
            Err(ureq::Error::Status(413, _)) => Ok(vec![Outcome::Failed(format!(
                "elasticsearch: {host}: HTTP 413: the event alone ({} bytes) is larger than \
                 the server accepts (http.max_content_length)",
                batch.event(todo[0]).len()
            ))]),
            Err(ureq::Error::Status(code, response)) => {
                let text = read(response).unwrap_or_default();
                let text = String::from_utf8_lossy(&text);
                let text: String = text.chars().take(300).collect();
                Err(SendError::Retry(format!("{host}: HTTP {code}: {text}")))
            }
            Err(err) => {
                self.next = self.next.wrapping_add(1);
                Err(SendError::Retry(format!("{host}: {err}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_decide_each_event() {
        let response: Value = serde_json::from_str(
            r#"{"took":3,"errors":true,"items":[
                {"create":{"_index":"x","status":201}},
                {"create":{"_index":"x","status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected"}}},
                {"create":{"_index":"x","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [source.port]"}}},
                {"create":{"_index":"x","status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}},
                {"create":{"_index":"x","status":503}}
            ]}"#,
        )
        .unwrap();
        let outcomes = item_outcomes(&response, 5).unwrap();
        assert_eq!(outcomes[0], Outcome::Acked);
        assert!(matches!(&outcomes[1], Outcome::Retry(r) if r.contains("es_rejected")));
        assert!(
            matches!(&outcomes[2], Outcome::Failed(r) if r.contains("mapper_parsing_exception: failed to parse field [source.port]"))
        );
        assert_eq!(outcomes[3], Outcome::Acked);
        assert!(matches!(outcomes[4], Outcome::Retry(_)));
        assert!(item_outcomes(&response, 4).is_err());
    }

    #[test]
    fn the_split_notice_says_what_to_change() {
        let notice = split_notice("http://es:9200", 1600, 2_000_000, false);
        assert!(
            notice.contains("http://es:9200: HTTP 413: a request of 1600 events (2000000 bytes)")
        );
        assert!(split_notice("h", 2, 10, true).contains("(10 bytes gzipped)"));
        assert!(notice.contains("bulk_max_size") && notice.contains("http.max_content_length"));
    }

    #[test]
    fn hosts_and_credentials() {
        assert_eq!(base_url("es:9200/"), "http://es:9200");
        assert_eq!(base_url("https://es:9200"), "https://es:9200");
        let mut settings = ElasticsearchSettings {
            username: Some("elastic".into()),
            password: Some(crate::secret::Secret::new("changeme")),
            ..Default::default()
        };
        assert_eq!(
            authorization(&settings).unwrap(),
            "Basic ZWxhc3RpYzpjaGFuZ2VtZQ=="
        );
        settings.api_key = Some(crate::secret::Secret::new("id:key"));
        assert_eq!(authorization(&settings).unwrap(), "ApiKey aWQ6a2V5");
    }
}
