//! Shared by the capture tests: replay a capture, summarize its events.
#![allow(dead_code)]

pub mod tcp;

use std::path::PathBuf;

use analyzer_core::replay::{replay_file, Replay};
use analyzer_core::Config;
use pgsql::PgsqlMessage;
use serde_json::Value;

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

pub fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"))
}

/// Replays `pgsql/data/NAME` and checks the counters' accounting.
pub fn replay(name: &str) -> Replay {
    let run = replay_file::<PgsqlMessage>(data(name), Config::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    run.counters
        .check_accounting()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    run
}

/// One transaction as the data README tabulates it:
/// `STATUS query | method | fields | rows | error | req / resp`, plus
/// `[notes]`.
pub fn line(e: &Value) -> String {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        v => v.to_string(),
    };
    let p = &e["pgsql"];
    let error = match p["error_code"].as_str() {
        Some(code) => format!("{code} {}", s(&p["error_message"])),
        None => "-".into(),
    };
    let mut out = format!(
        "{} {} | {} | {} | {} | {} | {} / {}",
        s(&e["status"]),
        s(&e["query"]),
        s(&e["method"]),
        s(&p["num_fields"]),
        s(&p["num_rows"]),
        error,
        s(&e["source"]["bytes"]),
        s(&e["destination"]["bytes"]),
    );
    if let Some(note) = e["error"]["message"].as_str() {
        out.push_str(&format!(" [{note}]"));
    }
    out
}

pub fn lines(run: &Replay) -> Vec<String> {
    run.events.iter().map(line).collect()
}
