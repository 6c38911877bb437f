//! The fuzz targets' logic, generic over the protocol, as plain functions:
//! the libFuzzer targets (`fuzz/fuzz_targets/`) call them, and so does the
//! corpus regression test (`tests/tests/fuzz_corpus.rs`, which includes
//! this file with `#[path]`), so every committed input runs on every
//! `cargo test` without a fuzzer.
//!
//! Each function panics (that is, the fuzzer reports a crash) when the code
//! under test panics or breaks one of the invariants checked here.

use analyzer_core::decode::{decode_tcp, LinkType};
use analyzer_core::pcap::PcapReader;
use analyzer_core::stream::{DropReason, Dropped, Frame, StreamBuffer};
use analyzer_core::{
    Config, Cx, Direction, Engine, Event, FrameLen, Framer, JsonFields, Protocol, Timestamp,
};

use super::wire;

/// Bytes handed to framers by the consistency check of one input, at most
/// (keeps an iteration fast on long inputs).
const MAX_FRAMER_BYTES: usize = 1 << 21;

/// A protocol's parser fed an arbitrary byte stream in arbitrary chunks.
///
/// The input is a chunked stream ([`wire::parse_stream_input`]): the
/// direction, the maximum message size, then the chunks and gaps. The bytes
/// go through a [`StreamBuffer`] with the protocol's framer, one chunk per
/// push (a gap is `StreamBuffer::lose`), and every complete frame through
/// `P::parse` (and, when it parses, through its event fields and the
/// traits' other methods). Checks:
///
/// - nothing panics;
/// - the buffer never holds more than the maximum message size plus the
///   chunk just pushed, and no more than the maximum once drained;
/// - a complete frame is at most the maximum size, its payload is part of
///   it, and a frame is never empty;
/// - the framer never claims more bytes than it was given, never asks for
///   a total it already has, and is consistent across chunk boundaries (a
///   frame complete on a prefix is the same frame on more bytes; a total it
///   announced is where the frame ends; a lower bound it gave, `AtLeast`,
///   is one), since the stream buffer relies on them to skip long messages
///   exactly; the framer resuming where it stopped (as the stream buffer
///   calls it) answers as a new framer does on the same bytes.
pub fn parse_stream<P: Protocol>(data: &[u8]) {
    parse_stream_checked::<P>(data, true);
}

/// [`parse_stream`] for a framer whose frames depend on the frames before
/// them (HTTP: a head announces its body, which then comes in frames of
/// whatever arrived): every check but the framer's alone from a new framer
/// at each frame start, which such a framer cannot answer.
pub fn parse_stream_stateful<P: Protocol>(data: &[u8]) {
    parse_stream_checked::<P>(data, false);
}

fn parse_stream_checked<P: Protocol>(data: &[u8], fresh_framers: bool) {
    let (from_server, max, pieces) = wire::parse_stream_input(data);
    let dir = if from_server {
        Direction::FromServer
    } else {
        Direction::FromClient
    };
    let session = P::Session::default();
    let cx = Cx::new(dir, &session).with_limit(max);
    let mut framer = P::framer(dir);
    let mut stream = StreamBuffer::new(max);
    let mut ts = 0i64;
    for piece in &pieces {
        ts += 1;
        let t = Timestamp::from_nanos(ts);
        let pushed = match *piece {
            wire::StreamPiece::Data(chunk) => {
                stream.push(t, chunk);
                chunk.len()
            }
            wire::StreamPiece::Lost(n) => {
                stream.lose(t, u64::from(n), &mut framer);
                0
            }
        };
        assert!(
            stream.len() <= max + pushed,
            "buffer holds {} bytes after a {pushed}-byte chunk, max message {max}",
            stream.len(),
        );
        while let Some(frame) = stream.next_frame(&mut framer, &cx) {
            let parsed = framer.take_parsed();
            check_frame::<P>(frame, max, parsed, &cx);
        }
        assert!(
            stream.len() <= max,
            "buffer holds {} bytes once drained, max message {max}",
            stream.len()
        );
    }
    if let Some(partial) = stream.take_partial() {
        assert!(
            partial.wire.len() <= max,
            "partial of {}",
            partial.wire.len()
        );
        assert!(partial.wire_len >= partial.wire.len() as u64 + partial.lost);
    }
    assert!(stream.is_empty());
    // The framer alone, on streams without gaps.
    let chunks: Option<Vec<&[u8]>> = pieces
        .iter()
        .map(|p| match *p {
            wire::StreamPiece::Data(chunk) => Some(chunk),
            wire::StreamPiece::Lost(0) => Some(&[][..]),
            wire::StreamPiece::Lost(_) => None,
        })
        .collect();
    if let (Some(chunks), true) = (chunks, fresh_framers) {
        check_framer::<P>(&chunks, &cx);
    }
}

fn check_frame<P: Protocol>(
    frame: Frame,
    max: usize,
    parsed: Option<Result<P, analyzer_core::ParseError>>,
    cx: &Cx<'_, P>,
) {
    match frame {
        Frame::Complete(frame) => {
            let wire = &frame.wire;
            assert!(!wire.is_empty(), "empty frame");
            assert!(wire.len() <= max, "frame of {} > max {max}", wire.len());
            assert!(
                frame.payload.start <= frame.payload.end && frame.payload.end <= wire.len(),
                "payload {:?} outside a {}-byte frame",
                frame.payload,
                wire.len()
            );
            // Capture time may go backwards: nothing to check between
            // `start` and `end`.
            let parsed = parsed.unwrap_or_else(|| P::parse(frame.into_payload(), cx));
            if let Ok(message) = parsed {
                exercise(&message, cx.direction());
            }
        }
        Frame::Dropped(dropped) => {
            let Dropped {
                wire_len, reason, ..
            } = *dropped;
            assert!(wire_len > 0, "empty dropped frame ({reason:?})");
            if let DropReason::Lost(lost) = reason {
                assert!(
                    lost <= wire_len,
                    "{lost} bytes lost in a {wire_len}-byte frame"
                );
            }
            if let DropReason::Invalid(why) = &reason {
                assert!(
                    !why.starts_with("framer claimed"),
                    "the framer claimed more bytes than held: {why}"
                );
            }
        }
    }
}

/// Calls everything a parsed message offers, as the engine and the event
/// writer do: its fields are valid JSON, as a request and as a response.
fn exercise<P: Protocol>(message: &P, direction: Direction) {
    let _ = message.kind();
    let _ = message.expects_response();
    let _ = message.response_optional();
    let _ = message.correlation_key();
    let _ = message.continues();
    let _ = message.fits(message);
    let mut session = P::Session::default();
    let _ = message.update(&mut session, direction);
    let d = message.describe();
    let _ = (d.method, d.resource, d.query);
    let mut out = b"{\"a\":1".to_vec();
    let mut fields = JsonFields::new(&mut out);
    P::fields(Some(message), Some(message), &mut fields);
    assert!(fields.done(), "the fields left an object open");
    out.push(b'}');
    serde_json::from_slice::<serde_json::Value>(&out).expect("the fields are JSON");
}

/// Walks the whole stream with the framer alone, checking what
/// [`parse_stream`] documents at every chunk boundary; the framer resuming
/// where it stopped (called as the stream buffer calls it) must answer as a
/// new framer does on the same bytes.
fn check_framer<P: Protocol>(chunks: &[&[u8]], cx: &Cx<'_, P>) {
    let dir = cx.direction();
    let frame = |buf: &[u8]| P::framer(dir).frame(buf, cx);
    let all: Vec<u8> = chunks.concat();
    // Chunk boundaries, as offsets into `all`.
    let cuts: Vec<usize> = chunks
        .iter()
        .scan(0, |at, chunk| {
            *at += chunk.len();
            Some(*at)
        })
        .collect();
    let mut calls = 0;
    let mut pos = 0;
    while pos < all.len() && calls < MAX_FRAMER_BYTES {
        let rest = &all[pos..];
        let whole = frame(rest);
        calls += rest.len();
        check_claim(&whole, rest.len());
        let mut resumer = P::framer(dir);
        let mut needed = 1;
        let mut resuming = true;
        for &cut in cuts.iter().filter(|&&c| c > pos) {
            if calls >= MAX_FRAMER_BYTES {
                break;
            }
            let prefix = &all[pos..cut];
            let early = frame(prefix);
            calls += prefix.len();
            check_claim(&early, prefix.len());
            match early {
                FrameLen::Complete(_) | FrameLen::Cut(_) => assert_eq!(
                    whole,
                    early,
                    "a frame complete (or cut) in {} bytes changed with more bytes",
                    prefix.len()
                ),
                FrameLen::Incomplete(Some(total)) if total <= rest.len() => {
                    assert!(
                        matches!(whole, FrameLen::Complete(n) if n == total)
                            || matches!(whole, FrameLen::Invalid(_)),
                        "announced a {total}-byte frame on {} bytes; on {} bytes: {whole:?}",
                        prefix.len(),
                        rest.len()
                    )
                }
                FrameLen::AtLeast(least) => assert!(
                    !matches!(whole, FrameLen::Complete(n) | FrameLen::Cut(n) if n < least),
                    "said at least {least} bytes on {} bytes; on {} bytes: {whole:?}",
                    prefix.len(),
                    rest.len()
                ),
                _ => {}
            }
            if resuming && prefix.len() >= needed {
                let resumed = resumer.frame(prefix, cx);
                assert_eq!(
                    resumed,
                    early,
                    "the resuming framer differs from the framer on {} bytes",
                    prefix.len()
                );
                match resumed {
                    FrameLen::Incomplete(total) => {
                        needed = total.unwrap_or(0).max(prefix.len() + 1);
                    }
                    FrameLen::AtLeast(least) => needed = least.max(prefix.len() + 1),
                    _ => resuming = false,
                }
            }
            if !matches!(early, FrameLen::Incomplete(_)) {
                break;
            }
        }
        match whole {
            FrameLen::Complete(n) | FrameLen::Cut(n) => pos += n,
            _ => break,
        }
    }
}

/// A framer's answer on `held` bytes claims only what it was given.
fn check_claim(found: &FrameLen, held: usize) {
    match *found {
        FrameLen::Complete(n) | FrameLen::Cut(n) => assert!(
            n > 0 && n <= held,
            "framer claimed a {n}-byte frame in {held} bytes"
        ),
        FrameLen::Incomplete(Some(total)) => assert!(
            total > held,
            "framer asked for {total} bytes while holding {held}"
        ),
        _ => {}
    }
}

/// Every link type the decoder knows, and one it does not.
pub const LINKS: [LinkType; 6] = [
    LinkType::Ethernet,
    LinkType::Null,
    LinkType::LinuxSll,
    LinkType::LinuxSll2,
    LinkType::RawIp,
    LinkType::Unsupported(147),
];

/// The packet decoder on arbitrary bytes, as every link type: no panic, and
/// a decoded payload lies inside the packet.
pub fn decode(data: &[u8]) {
    for link in LINKS {
        match decode_tcp(link, data) {
            Ok(seg) => {
                let start = seg.payload.as_ptr() as usize;
                let base = data.as_ptr() as usize;
                assert!(
                    start >= base && start + seg.payload.len() <= base + data.len(),
                    "payload outside the packet ({link:?})"
                );
            }
            Err(err) => {
                let text = err.to_string();
                assert!(!text.contains('\n'), "multi-line error: {text}");
            }
        }
    }
}

/// The ports every engine of the whole-engine targets analyzes: each
/// protocol's engine looks at every connection, whatever its port.
pub const ALL_PORTS: [u16; 8] = [3030, 6379, 11211, 5432, 3306, 80, 8000, 8080];

/// Configurations the whole-engine targets run: the defaults, and tiny
/// limits so that every limit trips on small inputs.
pub fn configs() -> [Config; 2] {
    let mut default = Config::default();
    default.ports = ALL_PORTS.to_vec();
    let mut tight = default.clone();
    tight.max_message_size = 64;
    tight.max_pending_requests = 3;
    tight.max_connections = 2;
    tight.max_out_of_order_bytes = 256;
    tight.max_out_of_order_segments = 4;
    tight.transaction_timeout = std::time::Duration::from_secs(1);
    tight.connection_idle_timeout = std::time::Duration::from_secs(5);
    [default, tight]
}

/// What one whole-engine run saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// Packets read.
    pub packets: u64,
    /// Events published.
    pub events: u64,
    /// The read error that ended the input, if any.
    pub error: Option<String>,
}

/// The whole engine of protocol `P` on arbitrary capture-file bytes:
/// [`PcapReader`] until the end or the first error, every packet into an
/// [`Engine`], then [`Engine::finish`]. Checks: no panic; errors are one
/// line; and what [`Analysis::check`] checks.
pub fn engine_on_pcap<P: Protocol>(bytes: &[u8], config: Config) -> Run {
    let mut reader = match PcapReader::new(bytes) {
        Ok(reader) => reader,
        Err(err) => {
            let text = err.to_string();
            assert!(!text.contains('\n'), "multi-line error: {text}");
            return Run {
                error: Some(text),
                ..Run::default()
            };
        }
    };
    let mut analysis = Analysis::<P>::new(config);
    let mut error = None;
    loop {
        match reader.next_packet() {
            Ok(Some(packet)) => {
                assert_eq!(packet.number, analysis.packets + 1);
                assert!(packet.data.len() <= analyzer_core::pcap::MAX_RECORD_SIZE);
                analysis.packet(packet.ts, packet.link, packet.data);
            }
            Ok(None) => break,
            Err(err) => {
                let text = err.to_string();
                assert!(!text.contains('\n'), "multi-line error: {text}");
                error = Some(text);
                break;
            }
        }
    }
    let mut run = analysis.finish();
    run.error = error;
    run
}

/// The whole engine of protocol `P` on packets handed to it directly (the
/// structured targets: no capture file to parse again on every run).
/// Checks what [`Analysis::check`] checks.
pub fn engine_on_packets<P: Protocol>(
    link: LinkType,
    packets: &[(Timestamp, Vec<u8>)],
    config: Config,
) -> Run {
    let mut analysis = Analysis::<P>::new(config);
    for (ts, data) in packets {
        analysis.packet(*ts, link, data);
    }
    analysis.finish()
}

/// An engine whose sink checks every event, counting them.
struct Analysis<P: Protocol> {
    engine: Engine<P, EventCheck>,
    packets: u64,
}

/// The sink of [`Analysis`]: checks each event ([`check_event`]).
#[derive(Default)]
struct EventCheck {
    events: u64,
}

impl<P: Protocol> analyzer_core::Sink<P> for EventCheck {
    fn publish(&mut self, event: Event<P>) {
        // The JSON document itself is checked on the first events only
        // (building it is most of an iteration's time).
        check_event(&event, self.events < 4);
        self.events += 1;
    }
}

impl<P: Protocol> Analysis<P> {
    fn new(config: Config) -> Self {
        Analysis {
            engine: Engine::new(config, EventCheck::default()),
            packets: 0,
        }
    }

    fn packet(&mut self, ts: Timestamp, link: LinkType, data: &[u8]) {
        self.packets += 1;
        self.engine.packet(ts, link, data);
    }

    /// Finishes the engine and checks: no connection is left, every packet
    /// was counted, the counters account for every message
    /// ([`analyzer_core::Counters::check_accounting`]), and one event was
    /// published per transaction.
    fn finish(mut self) -> Run {
        self.engine.finish();
        assert_eq!(
            self.engine.connections(),
            0,
            "connections left after finish"
        );
        let counters = self.engine.counters().clone();
        assert_eq!(counters.packets, self.packets);
        if let Err(problem) = counters.check_accounting() {
            panic!("accounting: {problem}\n{counters:?}");
        }
        let events = self.engine.sink().events;
        assert_eq!(events, counters.transactions, "{counters:?}");
        Run {
            packets: self.packets,
            events,
            error: None,
        }
    }
}

/// An event serializes; `event.duration` is there exactly when the
/// transaction was answered, and is never negative.
fn check_event<P: Protocol>(event: &Event<P>, whole_document: bool) {
    let answered = event.transaction.request.is_some() && event.transaction.response.is_some();
    assert_eq!(event.duration_nanos().is_some(), answered);
    if !whole_document {
        serde_json::to_vec(event).expect("events serialize");
        return;
    }
    let json = serde_json::to_value(event).expect("events serialize");
    let duration = json.pointer("/event/duration");
    assert_eq!(duration.is_some(), answered, "{json}");
    if let Some(d) = duration {
        assert!(d.is_u64(), "duration {d}");
    }
}

/// [`engine_on_pcap`] with every configuration of [`configs`].
pub fn engine_on_pcap_all_configs<P: Protocol>(bytes: &[u8]) {
    for config in configs() {
        engine_on_pcap::<P>(bytes, config);
    }
}

/// [`engine_on_packets`] with every configuration of [`configs`].
pub fn engine_on_packets_all_configs<P: Protocol>(
    link: LinkType,
    packets: &[(Timestamp, Vec<u8>)],
) {
    for config in configs() {
        engine_on_packets::<P>(link, packets, config);
    }
}

/// Packets whose data is the fuzz input's: byte 0 picks the link type
/// (modulo 8: [`wire::SESSION_LINKS`], and past them an unknown link type),
/// then records of a length (u16, little endian) and that many bytes, each
/// a packet, one millisecond apart.
pub fn records_packets(data: &[u8]) -> (u32, Vec<(u64, &[u8])>) {
    let Some((&link, mut rest)) = data.split_first() else {
        return (wire::linktype::ETHERNET, Vec::new());
    };
    let linktype = wire::SESSION_LINKS
        .get(usize::from(link % 8))
        .copied()
        .unwrap_or(147);
    let mut packets = Vec::new();
    let mut micros = 1_700_000_000_000_000u64;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let body = &rest[2..];
        let take = len.min(body.len());
        micros += 1000;
        packets.push((micros, &body[..take]));
        rest = &body[take..];
    }
    (linktype, packets)
}

/// [`records_packets`] as a pcap file: a valid header, then the records.
pub fn records_to_pcap(data: &[u8]) -> Vec<u8> {
    let (linktype, packets) = records_packets(data);
    let mut out = wire::pcap_header(linktype, 65535);
    for (micros, packet) in packets {
        wire::pcap_record(&mut out, micros, packet, packet.len() as u32);
    }
    out
}

/// The `pcap_records` target for protocol `P`: [`records_packets`] into
/// the engine (every configuration).
pub fn records<P: Protocol>(data: &[u8]) {
    let (linktype, packets) = records_packets(data);
    let packets: Vec<(Timestamp, Vec<u8>)> = packets
        .into_iter()
        .map(|(micros, p)| (micros_ts(micros as i64), p.to_vec()))
        .collect();
    engine_on_packets_all_configs::<P>(LinkType::from_linktype(linktype), &packets);
}

/// The `tcp_session` target for protocol `P`: [`wire::session_packets`]
/// into the engine (every configuration).
pub fn session<P: Protocol>(data: &[u8]) {
    let (linktype, packets) = wire::session_packets(data);
    let packets: Vec<(Timestamp, Vec<u8>)> = packets
        .into_iter()
        .map(|(micros, p)| (micros_ts(micros), p))
        .collect();
    engine_on_packets_all_configs::<P>(LinkType::from_linktype(linktype), &packets);
}

fn micros_ts(micros: i64) -> Timestamp {
    Timestamp::from_nanos(micros.saturating_mul(1000))
}

/// The input of [`records_to_pcap`] that gives these packets.
pub fn records_input(link_index: u8, packets: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![link_index];
    for packet in packets {
        let len = packet.len().min(0xffff);
        out.extend_from_slice(&(len as u16).to_le_bytes());
        out.extend_from_slice(&packet[..len]);
    }
    out
}
