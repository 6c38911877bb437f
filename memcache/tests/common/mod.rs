//! Shared by the capture tests: replay a file, summarize its events.

use std::path::Path;

use analyzer_core::replay::{replay_file, Replay};
use analyzer_core::Config;
use memcache::MemcacheMessage;
use serde_json::Value;

pub fn replay(path: &Path) -> Replay {
    replay_file::<MemcacheMessage>(path, Config::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One side of a transaction: `command key1 key2 (status)(wire bytes)`, or `-`.
fn side(e: &Value, role: &str, endpoint: &str) -> String {
    let m = &e["memcache"][role];
    let Some(command) = m["command"].as_str() else {
        return match e[endpoint]["bytes"].as_u64() {
            Some(bytes) => format!("?({bytes})"),
            None => "-".into(),
        };
    };
    let mut out = command.to_string();
    for key in m["keys"].as_array().into_iter().flatten() {
        out.push(' ');
        out.push_str(key.as_str().unwrap());
    }
    if let Some(status) = m["status"].as_str().filter(|s| *s != "Success") {
        out.push_str(&format!(" ({status})"));
    }
    out.push_str(&format!("({})", e[endpoint]["bytes"]));
    out
}

/// A transaction as `STATUS request -> response [notes]`.
pub fn line(e: &Value) -> String {
    let mut out = format!(
        "{} {} -> {}",
        e["status"].as_str().unwrap(),
        side(e, "request", "source"),
        side(e, "response", "destination")
    );
    if let Some(note) = e["error"]["message"].as_str() {
        out.push_str(&format!(" [{note}]"));
    }
    out
}

pub fn lines(run: &Replay) -> Vec<String> {
    run.events.iter().map(line).collect()
}
