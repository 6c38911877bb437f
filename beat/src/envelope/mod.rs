//! The envelope the beat adds to every event, as Packetbeat's publisher
//! does: `ecs.version`, `agent.*`, `host.*`, `tags` and `fields` from the
//! config, `network.direction`, and `@metadata` for the outputs that use it
//! (Redis, Kafka, file, console: what Logstash and other readers route by;
//! Elasticsearch takes the index from the request instead).
//!
//! The constant part is made once as JSON text and appended to each event;
//! the direction is given to the event writer, first in the event's
//! `network` object.

use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

mod direction;
pub mod host;

pub use direction::{Directions, Network};
pub use host::Host;

/// The ECS version the events follow.
pub const ECS_VERSION: &str = "8.0.0";

/// What the config says about the envelope.
#[derive(Clone, Debug, Default)]
pub struct EnvelopeSettings {
    /// `name:`: `agent.name` and `host.name` (default: the host name).
    pub name: Option<String>,
    /// `tags:`.
    pub tags: Vec<String>,
    /// `fields:`: published under `fields`.
    pub fields: Map<String, Value>,
    /// `internal_networks:`.
    pub internal_networks: Vec<Network>,
    /// `path.data`: where `agent.id` is kept (default: see [`default_data_path`]).
    pub data_path: Option<PathBuf>,
}

/// The envelope of one run.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// `,"ecs":...,"agent":...,"host":...` (and `tags`, `fields`): appended
    /// before an event's closing brace.
    tail: Vec<u8>,
    /// `,"@metadata":{...}`, for outputs that use it.
    metadata: Vec<u8>,
    directions: Directions,
    /// `agent.id`.
    pub agent_id: String,
    /// `agent.type`: the beat's name.
    pub beat: String,
    /// `agent.version`.
    pub version: String,
}

/// Where `agent.id` is kept when `path.data` is not set: as root
/// `/var/lib/analyzer-beat`, else `$XDG_STATE_HOME/analyzer-beat` or
/// `~/.local/state/analyzer-beat`.
pub fn default_data_path() -> PathBuf {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return PathBuf::from("/var/lib/analyzer-beat");
    }
    if let Some(state) = std::env::var_os("XDG_STATE_HOME").filter(|s| !s.is_empty()) {
        return PathBuf::from(state).join("analyzer-beat");
    }
    match std::env::var_os("HOME").filter(|s| !s.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/state/analyzer-beat"),
        None => PathBuf::from("data"),
    }
}

/// The agent's id, kept in `DIR/meta.json` (made on the first run, like a
/// beat's `meta.json`) so that it stays the same across runs.
pub fn agent_id(dir: &Path) -> io::Result<String> {
    let path = dir.join("meta.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let id = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("uuid")?.as_str().map(str::to_string));
        match id {
            Some(id) => return Ok(id),
            None => {
                return Err(io::Error::other(format!(
                    "{}: no `uuid` in it (delete the file for a new id)",
                    path.display()
                )))
            }
        }
    }
    let id = host::uuid_v4().ok_or_else(|| io::Error::other("/dev/urandom cannot be read"))?;
    std::fs::create_dir_all(dir)?;
    let temp = dir.join("meta.json.new");
    std::fs::write(&temp, json!({ "uuid": id }).to_string())?;
    std::fs::rename(&temp, &path)?;
    Ok(id)
}

impl Envelope {
    /// The envelope of beat `beat` on `host`, with `settings`; `agent_id`
    /// from [`agent_id`].
    pub fn new(beat: &str, host: &Host, settings: &EnvelopeSettings, agent_id: String) -> Self {
        let version = env!("CARGO_PKG_VERSION");
        let name = settings
            .name
            .clone()
            .unwrap_or_else(|| host.hostname.clone());
        let ephemeral = host::uuid_v4().unwrap_or_default();
        let os = &host.os;
        let mut host_json = json!({
            "name": name,
            "hostname": host.hostname,
            "architecture": host.architecture,
            "os": {
                "type": os.kind,
                "family": os.family,
                "name": os.name,
                "platform": os.platform,
                "version": os.version,
                "kernel": os.kernel,
            },
        });
        if !os.codename.is_empty() {
            host_json["os"]["codename"] = json!(os.codename);
        }
        if !host.ip.is_empty() {
            host_json["ip"] = json!(host.ip);
        }
        if !host.mac.is_empty() {
            host_json["mac"] = json!(host.mac);
        }
        let agent = json!({
            "type": beat,
            "name": name,
            "version": version,
            "id": agent_id,
            "ephemeral_id": ephemeral,
        });
        let mut tail = format!(
            ",\"ecs\":{{\"version\":\"{ECS_VERSION}\"}},\"agent\":{agent},\"host\":{host_json}"
        );
        if !settings.tags.is_empty() {
            tail.push_str(&format!(",\"tags\":{}", json!(settings.tags)));
        }
        if !settings.fields.is_empty() {
            tail.push_str(&format!(
                ",\"fields\":{}",
                Value::Object(settings.fields.clone())
            ));
        }
        let metadata = format!(
            ",\"@metadata\":{}",
            json!({ "beat": beat, "type": "_doc", "version": version })
        );
        Envelope {
            tail: tail.into_bytes(),
            metadata: metadata.into_bytes(),
            directions: Directions::new(host.addresses.clone(), settings.internal_networks.clone()),
            agent_id,
            beat: beat.to_string(),
            version: version.to_string(),
        }
    }

    /// The event's `network.direction` entry from its `source` and
    /// `destination`, for
    /// [`EventJson::write_with_network`](analyzer_core::EventJson::write_with_network).
    pub fn direction(&self, source: IpAddr, destination: IpAddr) -> &'static [u8] {
        match self.directions.of(source, destination) {
            "ingress" => b"\"direction\":\"ingress\",",
            "egress" => b"\"direction\":\"egress\",",
            "inbound" => b"\"direction\":\"inbound\",",
            "outbound" => b"\"direction\":\"outbound\",",
            "internal" => b"\"direction\":\"internal\",",
            "external" => b"\"direction\":\"external\",",
            _ => b"\"direction\":\"unknown\",",
        }
    }

    /// Completes the event just written at the end of `out` (one object, as
    /// the event writer makes it): the constant fields, and `@metadata`
    /// when `metadata` is set, before its closing brace.
    pub fn complete(&self, out: &mut Vec<u8>, metadata: bool) {
        if out.last() == Some(&b'}') {
            out.pop();
            out.extend_from_slice(&self.tail);
            if metadata {
                out.extend_from_slice(&self.metadata);
            }
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Host {
        Host {
            hostname: "box".into(),
            addresses: vec!["127.0.0.1".parse().unwrap(), "10.1.1.1".parse().unwrap()],
            ip: vec!["10.1.1.1".parse().unwrap()],
            mac: vec!["02-42-AC-11-00-02".into()],
            os: host::os_release("NAME=\"Debian GNU/Linux\"\nID=debian\n"),
            architecture: "x86_64".into(),
        }
    }

    #[test]
    fn completes_an_event_with_direction_envelope_and_metadata() {
        let settings = EnvelopeSettings {
            name: Some("shipper".into()),
            tags: vec!["prod".into()],
            fields: serde_json::from_str(r#"{"team":"db","rack":4}"#).unwrap(),
            ..Default::default()
        };
        let envelope = Envelope::new("beat", &host(), &settings, "id-1".into());
        // The event writer puts the direction first in `network`.
        let ip = |s: &str| s.parse().unwrap();
        let direction = envelope.direction(ip("10.9.9.9"), ip("10.1.1.1"));
        let mut doc = br#"{"type":"redis","network":{"#.to_vec();
        doc.extend_from_slice(direction);
        doc.extend_from_slice(br#""transport":"tcp"},"redis":{}}"#);
        let mut out = b"previous\n".to_vec();
        out.extend_from_slice(&doc);
        envelope.complete(&mut out, true);
        assert!(out.starts_with(b"previous\n{"));
        let value: Value = serde_json::from_slice(&out[9..]).unwrap();
        assert_eq!(value["network"]["direction"], "ingress");
        assert_eq!(value["network"]["transport"], "tcp");
        assert_eq!(value["ecs"]["version"], ECS_VERSION);
        assert_eq!(value["agent"]["name"], "shipper");
        assert_eq!(value["agent"]["type"], "beat");
        assert_eq!(value["agent"]["id"], "id-1");
        assert_eq!(value["host"]["name"], "shipper");
        assert_eq!(value["host"]["hostname"], "box");
        assert_eq!(value["host"]["ip"], json!(["10.1.1.1"]));
        assert_eq!(value["host"]["mac"], json!(["02-42-AC-11-00-02"]));
        assert_eq!(value["host"]["os"]["platform"], "debian");
        assert_eq!(value["tags"], json!(["prod"]));
        assert_eq!(value["fields"], json!({"team": "db", "rack": 4}));
        assert_eq!(value["@metadata"]["beat"], "beat");
        assert_eq!(value["redis"], json!({}));
        assert_eq!(
            envelope.direction(ip("10.1.1.1"), ip("8.8.8.8")),
            br#""direction":"egress","#
        );
        let mut plain = doc.clone();
        envelope.complete(&mut plain, false);
        let value: Value = serde_json::from_slice(&plain).unwrap();
        assert!(value.get("@metadata").is_none());
        assert_eq!(value["agent"]["id"], "id-1");
    }

    #[test]
    fn the_agent_id_is_kept_across_runs() {
        let dir = std::env::temp_dir().join(format!("agent-id-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = agent_id(&dir).unwrap();
        assert_eq!(agent_id(&dir).unwrap(), first);
        std::fs::write(dir.join("meta.json"), "{}").unwrap();
        assert!(agent_id(&dir).unwrap_err().to_string().contains("uuid"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
