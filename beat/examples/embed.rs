//! Another application embedding the engine: its own protocol, derived in a
//! few lines, and a closure that receives each transaction.
//!
//! `cargo run -p analyzer-beat --example embed [FILE]` (default: the echo
//! crate's `plain.pcap`, which this echo-like protocol reads just as well).

use analyzer_core::pcap::PcapReader;
use analyzer_core::{Config, Engine, Event, Kind, NetString, Protocol};

/// A line protocol: `>` asks, `<` answers, `!` fails.
#[derive(Protocol)]
#[protocol(name = "lines", ports(3030), delimiter = b'\n')]
pub struct Line {
    #[protocol(tag(request = b'>', response = b'<', error = b'!'))]
    kind: Kind,
    text: NetString,
}

/// Analyzes the capture at `path`: one line of text per transaction.
pub fn analyze(path: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut lines = Vec::new();
    let mut engine = Engine::new(Config::default(), |event: Event<Line>| {
        let t = &event.transaction;
        let text = |m: &Option<analyzer_core::Message<Line>>| {
            let line = m.as_ref().and_then(|m| m.fields.as_ref());
            line.map_or("-".into(), |l| l.text.to_string())
        };
        let micros = event.duration_nanos().map_or(0, |ns| ns / 1000);
        let (status, req, resp) = (event.status().as_str(), text(&t.request), text(&t.response));
        lines.push(format!("{status} {req:?} -> {resp:?} in {micros} µs"));
    });
    let mut reader = PcapReader::open(path)?;
    while let Some(packet) = reader.next_packet()? {
        engine.packet(packet.ts, packet.link, packet.data);
    }
    engine.finish(); // end of input: publish what is pending
    drop(engine);
    Ok(lines)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../echo/data/plain.pcap");
    let path = std::env::args().nth(1).unwrap_or(default.into());
    for line in analyze(&path)? {
        println!("{line}");
    }
    Ok(())
}
