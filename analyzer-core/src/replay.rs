//! Feeding a capture file to an engine, and golden-file tests on top of it.
//!
//! A protocol author tests an analyzer the way the Packetbeat tutorial asks,
//! "add tests using pcaps", in a few lines:
//!
//! ```no_run
//! # use analyzer_core::{Kind, NetString, Protocol};
//! # #[derive(Protocol)]
//! # #[protocol(name = "echo", ports(3030), delimiter = b'\n')]
//! # struct Echo { #[protocol(tag(request = b'>', response = b'<', error = b'!'))] kind: Kind, content: NetString }
//! use analyzer_core::{replay, Config};
//!
//! let run = replay::replay_file::<Echo>("data/plain.pcap", Config::default())?;
//! assert_eq!(run.events.len(), 3);
//! // Compare with data/plain.golden.json; `UPDATE_GOLDEN=1 cargo test` rewrites it.
//! replay::assert_golden(&run.events, "data/plain.golden.json");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::Config;
use crate::counters::Counters;
use crate::decode::LinkType;
use crate::engine::Engine;
use crate::event::Event;
use crate::pcap::{OpenError, PcapReader, ReadError};
use crate::protocol::Protocol;
use crate::sink::Sink;
use crate::time::Timestamp;

/// Feeds every packet of `reader` to `engine`; stops at the first read error
/// (after the packets before it were handled). Does not call
/// [`Engine::finish`].
///
/// The engine is told of the third and fourth packets after each one it
/// handles
/// ([`Engine::prefetch`], [`Engine::prefetch_lookup`],
/// [`PcapReader::peek_ahead`]): their connections are on their way into
/// the cache while the engine works.
pub fn feed<P: Protocol, S: Sink<P>>(
    reader: &mut PcapReader<'_>,
    engine: &mut Engine<P, S>,
) -> Result<(), ReadError> {
    loop {
        if engine.prefetching() {
            if let Some((link, four_ahead)) = reader.peek_ahead(4) {
                engine.prefetch_lookup(link, four_ahead);
            }
            if let Some((link, three_ahead)) = reader.peek_ahead(3) {
                engine.prefetch(link, three_ahead);
            }
        }
        let Some(packet) = reader.next_packet()? else {
            return Ok(());
        };
        engine.packet(packet.ts, packet.link, packet.data);
    }
}

/// Where Packetbeat's own test captures are: the directory named by the
/// environment variable `PACKETBEAT_PCAPS`, else `../shared/pcaps/packetbeat`
/// beside this workspace (where this project's CI puts them; they are not
/// in the repository). For tests: the path may not exist.
pub fn packetbeat_pcaps() -> PathBuf {
    std::env::var_os("PACKETBEAT_PCAPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/pcaps/packetbeat"
            ))
        })
}

/// The Packetbeat test capture `name` (a path under [`packetbeat_pcaps`]).
///
/// # Panics
///
/// When it does not exist, saying where it was looked for and how to point
/// elsewhere.
pub fn packetbeat_pcap(name: &str) -> PathBuf {
    let path = packetbeat_pcaps().join(name);
    assert!(
        path.exists(),
        "{} is missing: set PACKETBEAT_PCAPS to the directory of Packetbeat's captures",
        path.display()
    );
    path
}

/// What [`replay_file`] produced.
#[derive(Clone, Debug)]
pub struct Replay {
    /// Every event, as its JSON document.
    pub events: Vec<Value>,
    /// The engine's counters at the end.
    pub counters: Counters,
}

/// Analyzes a whole capture file with protocol `P` and returns its events as
/// JSON. A read error after some packets is an error (use [`feed`] to keep
/// the events published before it).
pub fn replay_file<P: Protocol>(
    path: impl AsRef<Path>,
    config: Config,
) -> Result<Replay, OpenError> {
    let mut reader = PcapReader::open(path)?;
    let (replay, result) = collect::<P, _>(config, |engine| feed(&mut reader, engine));
    result.map_err(OpenError::Read)?;
    Ok(replay)
}

/// Analyzes packets handed over one by one (capture time, link type,
/// bytes) with protocol `P`, then finishes the engine: [`replay_file`] for
/// packets made or changed in memory.
///
/// ```
/// # use analyzer_core::{Kind, NetString, Protocol};
/// # #[derive(Protocol)]
/// # #[protocol(name = "echo", ports(3030), delimiter = b'\n')]
/// # struct Echo { #[protocol(tag(request = b'>', response = b'<', error = b'!'))] kind: Kind, content: NetString }
/// use analyzer_core::decode::LinkType;
/// use analyzer_core::{replay, Config, Timestamp};
///
/// let not_ip = (Timestamp::from_nanos(0), LinkType::Ethernet, [0u8; 14]);
/// let run = replay::replay_packets::<Echo, _>(Config::default(), [not_ip]);
/// assert!(run.events.is_empty());
/// assert_eq!(run.counters.packets, 1);
/// ```
pub fn replay_packets<P: Protocol, D: AsRef<[u8]>>(
    config: Config,
    packets: impl IntoIterator<Item = (Timestamp, LinkType, D)>,
) -> Replay {
    let (replay, ()) = collect::<P, _>(config, |engine| {
        for (ts, link, data) in packets {
            engine.packet(ts, link, data.as_ref());
        }
    });
    replay
}

/// A sink keeping each event as its JSON document.
struct JsonEvents(Vec<Value>);

impl<P: Protocol> Sink<P> for JsonEvents {
    fn publish(&mut self, event: Event<P>) {
        self.0
            .push(serde_json::to_value(&event).expect("events serialize to JSON"));
    }
}

/// An engine collecting JSON events, fed by `feed`, then finished.
fn collect<P: Protocol, R>(
    config: Config,
    feed: impl FnOnce(&mut Engine<P, JsonEvents>) -> R,
) -> (Replay, R) {
    let mut engine = Engine::new(config, JsonEvents(Vec::new()));
    let result = feed(&mut engine);
    engine.finish();
    let counters = engine.counters().clone();
    let events = engine.into_sink().0;
    (Replay { events, counters }, result)
}

/// Asserts that `events` equal the JSON array stored in `golden`. With the
/// environment variable `UPDATE_GOLDEN=1`, (re)writes the file instead.
///
/// # Panics
///
/// When they differ (naming the first differing event), or the file is
/// missing or not a JSON array.
pub fn assert_golden(events: &[Value], golden: impl AsRef<Path>) {
    let golden = golden.as_ref();
    let actual = Value::Array(events.to_vec());
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        let text = serde_json::to_string_pretty(&actual).expect("JSON");
        std::fs::write(golden, text + "\n")
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", golden.display()));
        return;
    }
    let text = std::fs::read_to_string(golden).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            golden.display()
        )
    });
    let expected: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", golden.display()));
    let expected = expected
        .as_array()
        .unwrap_or_else(|| panic!("{} is not a JSON array", golden.display()));
    for (i, (got, want)) in events.iter().zip(expected).enumerate() {
        assert_eq!(
            got,
            want,
            "event {i} differs from {} (UPDATE_GOLDEN=1 rewrites it)",
            golden.display()
        );
    }
    assert_eq!(
        events.len(),
        expected.len(),
        "{} holds {} events, the run published {}",
        golden.display(),
        expected.len(),
        events.len()
    );
}
