//! Property tests over generated echo conversations: however the two byte
//! streams are cut into segments, reordered (within a turn), duplicated or
//! overlapped, the events are exactly those of the clean conversation; with
//! one segment lost, only its batch changes, and every change says so.

mod common;

use analyzer_core::decode::LinkType;
use analyzer_core::{Config, Engine, Event, Timestamp};
use common::Line;
use etherparse::PacketBuilder;
use proptest::prelude::*;
use serde_json::Value;

/// One transaction: request text, and whether the answer is an error.
type Exchange = (String, bool);

/// A turn: one side sends some whole messages.
struct Turn {
    from_client: bool,
    /// The bytes, and where each message ends within them.
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

/// Batches of pipelined requests, each followed by its answers.
fn turns(exchanges: &[Exchange], batch: usize) -> Vec<Turn> {
    let mut out = Vec::new();
    for chunk in exchanges.chunks(batch.max(1)) {
        for from_client in [true, false] {
            let mut bytes = Vec::new();
            let mut ends = Vec::new();
            for (text, error) in chunk {
                let tag = match (from_client, error) {
                    (true, _) => b'>',
                    (false, false) => b'<',
                    (false, true) => b'!',
                };
                bytes.push(tag);
                bytes.extend_from_slice(text.as_bytes());
                bytes.push(b'\n');
                ends.push(bytes.len());
            }
            out.push(Turn {
                from_client,
                bytes,
                ends,
            });
        }
    }
    out
}

/// A segment of a turn: byte range within it.
type Seg = (usize, usize);

struct Wire {
    isn: [u32; 2],
    packets: Vec<(i64, Vec<u8>)>,
}

const CLIENT: ([u8; 4], u16) = ([10, 1, 1, 1], 50000);
const SERVER: ([u8; 4], u16) = ([10, 1, 1, 2], 3030);

impl Wire {
    fn packet(
        &mut self,
        ms: i64,
        from_client: bool,
        seq: u32,
        ack: u32,
        payload: &[u8],
        flags: &str,
    ) {
        let (src, dst) = if from_client {
            (CLIENT, SERVER)
        } else {
            (SERVER, CLIENT)
        };
        let mut b = PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4(src.0, dst.0, 64)
            .tcp(src.1, dst.1, seq, 65535);
        if flags.contains('S') {
            b = b.syn();
        }
        if flags.contains('A') {
            b = b.ack(ack);
        }
        if flags.contains('F') {
            b = b.fin();
        }
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        self.packets.push((ms, out));
    }
}

/// Builds the capture: handshake, each turn's segments (all at the turn's
/// time), FINs. `segs[i]` are turn i's segments, in the order sent.
fn capture(turns: &[Turn], segs: &[Vec<Seg>], isn: [u32; 2]) -> Vec<(i64, Vec<u8>)> {
    let mut w = Wire {
        isn,
        packets: Vec::new(),
    };
    let mut next = [isn[0].wrapping_add(1), isn[1].wrapping_add(1)];
    w.packet(0, true, isn[0], 0, b"", "S");
    w.packet(0, false, isn[1], next[0], b"", "SA");
    w.packet(0, true, next[0], next[1], b"", "A");
    for (t, (turn, segs)) in turns.iter().zip(segs).enumerate() {
        let ms = 10 * (t as i64 + 1);
        let (me, peer) = if turn.from_client { (0, 1) } else { (1, 0) };
        for &(a, b) in segs {
            let seq = next[me].wrapping_add(a as u32);
            w.packet(
                ms,
                turn.from_client,
                seq,
                next[peer],
                &turn.bytes[a..b],
                "A",
            );
        }
        next[me] = next[me].wrapping_add(turn.bytes.len() as u32);
    }
    let end = 10 * (turns.len() as i64 + 1);
    w.packet(end, true, next[0], next[1], b"", "FA");
    w.packet(end, false, next[1], next[0].wrapping_add(1), b"", "FA");
    let _ = w.isn;
    w.packets
}

fn run(packets: &[(i64, Vec<u8>)]) -> Vec<Value> {
    let mut events = Vec::new();
    let mut engine = Engine::new(Config::default(), |e: Event<Line>| {
        events.push(serde_json::to_value(&e).unwrap())
    });
    for (ms, data) in packets {
        engine.packet(
            Timestamp::from_nanos(1_700_000_000_000_000_000 + ms * 1_000_000),
            LinkType::Ethernet,
            data,
        );
    }
    engine.finish();
    engine.counters().check_accounting().unwrap();
    drop(engine);
    events
}

/// Cuts `len` bytes at the given fractions (sorted, deduplicated).
fn cut(len: usize, cuts: &[f64], also: &[usize]) -> Vec<Seg> {
    let mut points: Vec<usize> = cuts.iter().map(|f| (f * len as f64) as usize).collect();
    points.extend_from_slice(also);
    points.push(0);
    points.push(len);
    points.sort_unstable();
    points.dedup();
    points
        .windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|(a, b)| a < b)
        .collect()
}

fn exchanges() -> impl Strategy<Value = Vec<Exchange>> {
    prop::collection::vec(("[a-z ]{0,12}", prop::bool::weighted(0.2)), 1..7)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_segmentation_reordering_and_duplication_gives_the_clean_events(
        exchanges in exchanges(),
        batch in 1usize..4,
        isn in (any::<u32>(), prop_oneof![any::<u32>(), Just(u32::MAX - 3)]),
        cuts in prop::collection::vec(prop::collection::vec(0.0f64..1.0, 0..6), 14),
        shuffle in prop::collection::vec(any::<u64>(), 14),
        extra in prop::collection::vec((0.0f64..1.0, 0.0f64..1.0), 0..4),
    ) {
        let turns = turns(&exchanges, batch);
        let clean: Vec<Vec<Seg>> = turns.iter().map(|t| vec![(0, t.bytes.len())]).collect();
        let expected = run(&capture(&turns, &clean, [isn.0, isn.1]));
        prop_assert_eq!(expected.len(), exchanges.len());

        let messy: Vec<Vec<Seg>> = turns
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let len = t.bytes.len();
                let mut segs = cut(len, &cuts[i % cuts.len()], &[]);
                // Overlapping copies and duplicates of random ranges.
                for (a, b) in &extra {
                    let (a, b) = ((a * len as f64) as usize, (b * len as f64) as usize);
                    if a < b { segs.push((a, b)); }
                }
                if let Some(&first) = segs.first() { segs.push(first); }
                // A deterministic shuffle from the seed.
                let mut seed = shuffle[i % shuffle.len()] | 1;
                for j in (1..segs.len()).rev() {
                    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
                    segs.swap(j, (seed % (j as u64 + 1)) as usize);
                }
                segs
            })
            .collect();
        let got = run(&capture(&turns, &messy, [isn.0, isn.1]));
        prop_assert_eq!(got, expected);
    }

    /// A lost segment changes the transaction it touched (published with
    /// a loss note), and may leave the pairing of the rest of its batch
    /// uncertain (this protocol cannot prove which answer is whose): those
    /// say so. Nothing changes silently, and the next batch, which starts
    /// while the connection is quiet, pairs as before.
    #[test]
    fn a_lost_segment_changes_only_its_batch_and_never_silently(
        exchanges in exchanges(),
        batch in 1usize..4,
        isn in (any::<u32>(), any::<u32>()),
        cuts in prop::collection::vec(prop::collection::vec(0.0f64..1.0, 0..4), 14),
        victim in (any::<prop::sample::Index>(), any::<prop::sample::Index>()),
    ) {
        let turns = turns(&exchanges, batch);
        let clean: Vec<Vec<Seg>> = turns.iter().map(|t| vec![(0, t.bytes.len())]).collect();
        let expected = run(&capture(&turns, &clean, [isn.0, isn.1]));
        // Segments never span two messages, so a lost one touches one.
        let mut segs: Vec<Vec<Seg>> = turns
            .iter()
            .enumerate()
            .map(|(i, t)| cut(t.bytes.len(), &cuts[i % cuts.len()], &t.ends))
            .collect();
        let t = victim.0.index(turns.len());
        let s = victim.1.index(segs[t].len());
        let (a, b) = segs[t].remove(s);
        // Which message of the turn, and so which transaction, it touched.
        let msg = turns[t].ends.iter().position(|&end| a < end).unwrap();
        let batch = batch.max(1);
        let touched = (t / 2) * batch + msg;
        let batch_end = (t / 2 + 1) * batch;
        let got = run(&capture(&turns, &segs, [isn.0, isn.1]));
        prop_assert_eq!(got.len(), expected.len());
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            let message = g["error"]["message"].as_str().unwrap_or_default().to_string();
            if i == touched {
                let role = if turns[t].from_client { "request" } else { "response" };
                let note = format!("packet loss while capturing the {role} ({} bytes lost)", b - a);
                prop_assert!(message.contains(&note), "{} lacks {}", message, note);
                prop_assert_eq!(&g["status"], "Error");
            } else if g != e {
                prop_assert!(i > touched && i < batch_end, "transaction {} changed", i);
                prop_assert_eq!(&g["status"], "Error", "transaction {} changed silently", i);
                prop_assert!(
                    message.contains("pairing uncertain after packet loss")
                        || message.contains("response lost in a capture gap"),
                    "transaction {} changed without saying why: {}", i, message
                );
            }
        }
    }
}
