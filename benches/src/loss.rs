//! The loss benchmark (`bench-loss`): what losing one segment does to the
//! transactions around it. Pipelined traffic of a protocol is generated
//! ([`traffic`]), analyzed clean, then analyzed again with one data segment
//! dropped, at many positions in turn (requests' and answers'), and each
//! lossy run is compared with the clean one, event by event:
//!
//! - **disturbed**: transactions of the clean run that do not come out
//!   identical (every field) in the lossy run;
//! - **silently wrong**: events of the lossy run with status `OK` that are
//!   not identical to one of the clean run: a request paired with the
//!   wrong answer, wrong times or byte counts, and nothing said.
//!
//! The promise is that the second is always zero, and the first small.

pub mod lenkey;
pub mod traffic;

use std::collections::HashMap;

use analyzer_core::decode::LinkType;
use analyzer_core::{Config, Engine, Event, Protocol, Timestamp};
use serde::Serialize;

use traffic::{LossProtocol, Packet, Shape};

/// The results for one protocol.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LossReport {
    /// The protocol.
    pub protocol: &'static str,
    /// Transactions of the clean run.
    pub transactions: usize,
    /// Runs, one segment dropped in each.
    pub drops: usize,
    /// Transactions disturbed, over all runs.
    pub disturbed: usize,
    /// The most transactions one drop disturbed.
    pub worst: usize,
    /// Events with status `OK` that differ from the clean run, over all runs.
    pub silently_wrong: usize,
}

impl LossReport {
    /// Transactions disturbed per dropped segment, on average.
    pub fn disturbed_per_drop(&self) -> f64 {
        self.disturbed as f64 / self.drops.max(1) as f64
    }
}

/// The events of analyzing packets, one packet left out (or none): the
/// analysis of one protocol, chosen once.
type Analyze = fn(&[Packet], Option<usize>) -> Vec<String>;

/// [`analyze`] for `protocol`'s analyzer: the one place that maps a
/// protocol of the benchmark to its type.
fn analyzer(protocol: LossProtocol) -> Analyze {
    match protocol {
        LossProtocol::Echo => analyze::<echo::EchoMessage>,
        LossProtocol::Redis => analyze::<redis::RedisMessage>,
        LossProtocol::Memcache => analyze::<memcache::MemcacheMessage>,
        LossProtocol::LenKey => analyze::<lenkey::LenKey>,
        LossProtocol::Mysql => analyze::<mysql::MysqlMessage>,
    }
}

/// What dropping the `k`-th of `drops` segments did, for reading: the
/// clean run's events that did not come out (`-`) and the lossy run's that
/// differ (`+`), in capture order.
pub fn explain(protocol: LossProtocol, shape: Shape, drops: usize, k: usize, seed: u64) -> String {
    let analyze = analyzer(protocol);
    let packets = traffic::capture(protocol, shape, seed);
    let clean = analyze(&packets, None);
    let dropped = dropped_packet(&packets, drops, k);
    let lossy = analyze(&packets, Some(dropped));
    let mut out = format!("packet {dropped} dropped (of {})\n", packets.len());
    for line in &clean {
        if !lossy.contains(line) {
            out += &format!("- {}\n", compact(protocol.name(), line));
        }
    }
    for line in &lossy {
        if !clean.contains(line) {
            out += &format!("+ {}\n", compact(protocol.name(), line));
        }
    }
    out
}

/// One event in a line: status, start and end, bytes each way, the
/// protocol's fields and the notes.
fn compact(name: &str, line: &str) -> String {
    let event: serde_json::Value = serde_json::from_str(line).expect("events are JSON");
    let mut own = event[name].to_string();
    own.truncate(160);
    format!(
        "{} {} .. {} {}B -> {}B {} {}",
        event["status"].as_str().unwrap_or("?"),
        event["event"]["start"].as_str().unwrap_or("-"),
        event["event"]["end"].as_str().unwrap_or("-"),
        event["source"]["bytes"],
        event["destination"]["bytes"],
        own,
        event["error"]["message"].as_str().unwrap_or(""),
    )
}

/// The packet dropped in the `k`-th of `drops` runs: data segments evenly
/// spread, offset by half a step, so that both directions get hit.
fn dropped_packet(packets: &[Packet], drops: usize, k: usize) -> usize {
    let data: Vec<usize> = (0..packets.len()).filter(|&i| packets[i].data).collect();
    let drops = drops.clamp(1, data.len());
    data[(2 * k.min(drops - 1) + 1) * data.len() / (2 * drops)]
}

/// Runs the benchmark for `protocol`: the clean run, then `drops` runs each
/// missing one data segment, spread evenly over the capture.
pub fn measure(protocol: LossProtocol, shape: Shape, drops: usize, seed: u64) -> LossReport {
    let analyze = analyzer(protocol);
    let packets = traffic::capture(protocol, shape, seed);
    let clean = analyze(&packets, None);
    let mut clean_counts: HashMap<&str, usize> = HashMap::new();
    for event in &clean {
        *clean_counts.entry(event).or_default() += 1;
    }
    let drops = drops.min(packets.iter().filter(|p| p.data).count());
    let mut report = LossReport {
        protocol: protocol.name(),
        transactions: clean.len(),
        drops,
        ..LossReport::default()
    };
    for k in 0..drops {
        let dropped = dropped_packet(&packets, drops, k);
        let lossy = analyze(&packets, Some(dropped));
        let mut left = clean_counts.clone();
        for event in &lossy {
            match left.get_mut(event.as_str()) {
                Some(n) if *n > 0 => *n -= 1,
                _ if event.contains(r#""status":"OK""#) => report.silently_wrong += 1,
                _ => {}
            }
        }
        let disturbed: usize = left.values().sum();
        report.disturbed += disturbed;
        report.worst = report.worst.max(disturbed);
    }
    report
}

/// The events of analyzing `packets` without packet `skip`, each as its
/// JSON text (keys sorted, so equal events are equal strings).
fn analyze<P: Protocol>(packets: &[Packet], skip: Option<usize>) -> Vec<String> {
    let mut events = Vec::new();
    let sink = |event: Event<P>| {
        let value = serde_json::to_value(&event).expect("events serialize");
        events.push(value.to_string());
    };
    let mut engine = Engine::new(Config::default(), sink);
    for (i, packet) in packets.iter().enumerate() {
        if Some(i) != skip {
            let ts = Timestamp::from_nanos((packet.micros * 1_000) as i64);
            engine.packet(ts, LinkType::Ethernet, &packet.frame);
        }
    }
    engine.finish();
    drop(engine);
    events
}
