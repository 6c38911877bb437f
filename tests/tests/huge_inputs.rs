//! Huge and hostile inputs streamed into the engine, each with its exact
//! outcome and, for the largest, a memory bound: a 1 GB line, length
//! prefixes and values claiming gigabytes, RESP nested 100,000 deep, a
//! million requests, a million connections, waiting requests pinning
//! buffers. The largest run in a child process (`hostile::in_child`) whose
//! peak memory (`VmHWM`) must stay under a bound derived from the
//! configured limits, stated on each test. (The broken capture files are
//! in `bad_input.rs`.)
//!
//! Run time in a debug build: about 20 s on 2 cores, most of it the million
//! connections.
//!
//! A case whose outcome is wrong is written with the right expectation and
//! `#[ignore = "BUG: ..."]`.

mod hostile;

use analyzer_core::decode::LinkType;
use analyzer_core::framing::{Delimiter, LengthPrefix};
use analyzer_core::stream::{DropReason, Frame, StreamBuffer};
use analyzer_core::{Config, Direction, Engine, Event, Timestamp};
use analyzer_core::{Conversation, Cx, FrameLen};
use echo::EchoMessage;
use hostile::*;

// ---------------------------------------------------------------------------
// Huge inputs, streamed.

/// Bytes of payload per segment of the streamed cases (fits IPv4).
const SEGMENT: usize = 65_000;

/// A 1 GiB line without a delimiter.
const GIB: u64 = 1 << 30;

#[test]
fn a_1_gb_line_keeps_the_stream_buffer_within_the_message_limit() {
    // A StreamBuffer with the default 10 MiB limit fed 1 GiB without a
    // newline in 65,000-byte pushes: it never holds more than the limit
    // once drained (the limit plus one push just after a push), and the
    // line comes out as one message too long when its newline arrives.
    let max = Config::default().max_message_size;
    let mut stream = StreamBuffer::new(max);
    let mut framing = Delimiter::new(b"\n");
    let chunk = vec![b'a'; SEGMENT];
    let mut pushed = 0u64;
    let mut peak = 0;
    while pushed < GIB {
        let n = (GIB - pushed).min(SEGMENT as u64) as usize;
        stream.push(Timestamp::from_nanos(pushed as i64), &chunk[..n]);
        pushed += n as u64;
        assert!(stream.len() <= max + SEGMENT);
        assert_eq!(
            stream.next_frame(&mut framing, &cx::<EchoMessage>(Direction::FromClient)),
            None
        );
        assert!(stream.len() <= max, "{} bytes held", stream.len());
        peak = peak.max(stream.len());
    }
    assert!(peak <= max);
    stream.push(Timestamp::from_nanos(pushed as i64), b"\n>next\n");
    match stream.next_frame(&mut framing, &cx::<EchoMessage>(Direction::FromClient)) {
        Some(Frame::Dropped(dropped)) => {
            assert_eq!(dropped.wire_len, GIB + 1);
            assert_eq!(dropped.reason, DropReason::TooLong);
        }
        other => panic!("expected the line dropped as too long, got {other:?}"),
    }
    match stream.next_frame(&mut framing, &cx::<EchoMessage>(Direction::FromClient)) {
        Some(Frame::Complete(frame)) => assert_eq!(frame.payload(), b">next"),
        other => panic!("expected the next line, got {other:?}"),
    }
    // Linear: each byte searched once, except the bytes held when the line
    // became too long (the limit and one push at most), searched once more
    // when skipping starts.
    assert!(
        stream.bytes_scanned() <= GIB + (max + SEGMENT) as u64 + 16,
        "{}",
        stream.bytes_scanned()
    );
}

/// The packets of one connection whose client sends `>` and 1 GiB without
/// a newline, then `\n>next\n`; the server answers both lines. Made as they
/// are fed: never in memory at once.
fn gigabyte_line_packets() -> impl Iterator<Item = (u64, Vec<u8>)> {
    let mut c = Conn::new(1, 3030);
    let mut head = c.handshake();
    head.push(c.eth(false, ACK, b">"));
    let chunk = vec![b'a'; SEGMENT];
    let mut sent = 0u64;
    let mut conn = Some(c);
    let rest = std::iter::from_fn(move || {
        let c = conn.as_mut()?;
        if sent < GIB {
            let n = (GIB - sent).min(SEGMENT as u64) as usize;
            sent += n as u64;
            return Some(vec![c.eth(false, ACK, &chunk[..n])]);
        }
        let mut c = conn.take()?;
        let mut tail = vec![
            c.eth(false, ACK, b"\n>next\n"),
            c.eth(true, ACK, b"!unknown\n<next\n"),
        ];
        tail.extend(c.close());
        Some(tail)
    })
    .flatten();
    head.into_iter()
        .chain(rest)
        .enumerate()
        .map(|(i, p)| (T0 + i as u64, p))
}

/// Memory the test harness and allocator may add to a child's peak on
/// top of what the analyzer holds (thread stacks, allocator arenas, the
/// packet being built).
const SLACK: u64 = 8 << 20;

/// A 1 GiB line without a newline, streamed into an engine in 65,000-byte
/// segments, in a child process.
///
/// Outcome: the line is published as one request too long (noted, counted)
/// and the line after it is analyzed.
///
/// Memory bound: the only thing that grows is the client direction's
/// stream buffer, which holds at most `max_message_size` plus one segment;
/// its allocation may be up to twice what it holds (growth by doubling):
/// `2 × (max_message_size + segment) + SLACK` = 28.1 MiB with the default
/// 10 MiB limit.
#[test]
fn a_1_gb_line_through_the_engine_is_counted_too_long_and_the_next_line_analyzed() {
    let config = Config::default();
    let bound = 2 * (config.max_message_size as u64 + SEGMENT as u64) + SLACK;
    let name = "a_1_gb_line_through_the_engine_is_counted_too_long_and_the_next_line_analyzed";
    let peak = in_child(name, || {
        let (events, counters) = feed_packets::<EchoMessage>(config, gigabyte_line_packets());
        assert_eq!(
            lines(&events),
            [
                "Error ?(1073741826) -> unknown(9) [request of 1073741826 bytes exceeds the \
                 maximum message size (10485760 bytes): not analyzed]",
                "OK next(6) -> next(6)",
            ]
        );
        assert_eq!(counters.messages_too_long, 1);
        assert!(counters.check_accounting().is_ok());
    });
    assert_peak_within(name, peak, bound);
}

#[test]
fn a_length_prefix_claiming_4_gb() {
    // A 4-byte big-endian length field of 0xffffffff, with a 1 MiB limit:
    // the message is skipped by its length (counted too long once its end
    // passes), nothing is buffered; the stream stays in place.
    let mut framing = LengthPrefix::new(4);
    let mut stream = StreamBuffer::new(1 << 20);
    stream.push(Timestamp::from_nanos(1), &[0xff, 0xff, 0xff, 0xff]);
    stream.push(Timestamp::from_nanos(2), &[]);
    assert_eq!(
        stream.next_frame(&mut framing, &cx::<EchoMessage>(Direction::FromClient)),
        None
    );
    let chunk = vec![0u8; SEGMENT];
    for i in 0..100 {
        stream.push(Timestamp::from_nanos(3 + i), &chunk);
        assert_eq!(
            stream.next_frame(&mut framing, &cx::<EchoMessage>(Direction::FromClient)),
            None
        );
        assert_eq!(stream.len(), 0, "bytes of a skipped message are not kept");
    }
    let partial = stream.take_partial().expect("the message being skipped");
    assert_eq!(partial.wire_len, 4 + 100 * SEGMENT as u64);
    assert!(partial.wire.is_empty());
    // An 8-byte field of 2^64 - 1 is impossible: invalid, reported as a
    // dropped frame (never silently). The framer has no synchronization
    // sequence, so framing picks up at the next plausible header: right
    // after the rejected one, where zeros make a zero-length message.
    let mut framing = LengthPrefix::new(8);
    let mut stream = StreamBuffer::new(1 << 20);
    stream.push(Timestamp::from_nanos(1), &[0xff; 8]);
    stream.push(Timestamp::from_nanos(2), &chunk);
    match stream.next_frame(&mut framing, &cx::<EchoMessage>(Direction::FromClient)) {
        Some(Frame::Dropped(dropped)) => {
            assert_eq!(
                dropped.reason,
                DropReason::Invalid("impossible length field 18446744073709551615".into())
            );
            assert_eq!(dropped.wire_len, 8, "the invalid header itself");
        }
        other => panic!("expected the invalid header reported dropped, got {other:?}"),
    }
    match stream.next_frame(&mut framing, &cx::<EchoMessage>(Direction::FromClient)) {
        Some(Frame::Complete(frame)) => assert_eq!(&frame.wire[..], &[0u8; 8]),
        other => panic!("expected framing to resume after the header, got {other:?}"),
    }
    // A protocol that says what a plausible header is (here: a non-zero
    // length) has the zeros skipped instead.
    let mut framing = LengthPrefix::new(8).plausible(|b| b[..8] != [0; 8]);
    let mut stream = StreamBuffer::new(1 << 20);
    stream.push(Timestamp::from_nanos(1), &[0xff; 8]);
    stream.push(Timestamp::from_nanos(2), &chunk);
    assert_eq!(
        stream.next_frame(&mut framing, &cx::<EchoMessage>(Direction::FromClient)),
        None
    );
    assert!(stream.len() < 8, "only what could start a header is kept");
    // The next plausible header ends the skip: the header and the zeros come
    // out as one dropped run, then the message.
    stream.push(Timestamp::from_nanos(3), &[0, 0, 0, 0, 0, 0, 0, 1, b'x']);
    match stream.next_frame(&mut framing, &cx::<EchoMessage>(Direction::FromClient)) {
        Some(Frame::Dropped(dropped)) => assert_eq!(dropped.wire_len, 8 + SEGMENT as u64),
        other => panic!("expected the skipped run, got {other:?}"),
    }
    match stream.next_frame(&mut framing, &cx::<EchoMessage>(Direction::FromClient)) {
        Some(Frame::Complete(frame)) => assert_eq!(&frame.wire[8..], b"x"),
        other => panic!("expected the message after the skip, got {other:?}"),
    }
    assert_eq!(
        LengthPrefix::new(8).frame_len(&[0xff; 8]),
        FrameLen::Invalid("impossible length field 18446744073709551615".into())
    );
}

#[test]
fn a_length_prefix_claiming_4_gb_is_skipped_exactly() {
    // With a 2-byte prefix the skip is short enough to finish: a
    // 0xffff-byte message over a 1,000-byte limit is skipped exactly and the
    // message after it is framed.
    let mut framing = LengthPrefix::new(2).skip(2);
    let mut stream = StreamBuffer::new(1000);
    let mut bytes = vec![0xff, 0xff];
    bytes.extend(vec![7u8; 0xffff]);
    bytes.extend_from_slice(&[0, 3, b'a', b'b', b'c']);
    let mut frames = Vec::new();
    for piece in bytes.chunks(1000) {
        stream.push(Timestamp::from_nanos(1), piece);
        while let Some(f) =
            stream.next_frame(&mut framing, &cx::<EchoMessage>(Direction::FromClient))
        {
            frames.push(f);
        }
        assert!(stream.len() <= 1000);
    }
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert!(matches!(
        &frames[0],
        Frame::Dropped(d) if d.wire_len == 0x10001 && d.reason == DropReason::TooLong
    ));
    assert!(matches!(&frames[1], Frame::Complete(frame) if frame.payload() == b"abc"));
}

#[test]
fn a_memcache_value_claiming_1_gb_keeps_the_buffer_within_the_limit() {
    // A 1 MiB limit, then 20 MiB of the value's data: the buffer never
    // holds more than the limit once drained, and the answer is skipped as
    // too long.
    let mut framing =
        <memcache::MemcacheMessage as analyzer_core::Protocol>::framer(Direction::FromServer);
    let max = 1 << 20;
    let mut stream = StreamBuffer::new(max);
    let t = Timestamp::from_nanos(1);
    stream.push(t, b"VALUE k 0 1000000000\r\n");
    let data = vec![b'v'; SEGMENT];
    for _ in 0..(20 << 20) / SEGMENT {
        stream.push(t, &data);
        while stream
            .next_frame(
                &mut framing,
                &cx::<memcache::MemcacheMessage>(Direction::FromServer),
            )
            .is_some()
        {}
        assert!(stream.len() <= max, "{} bytes held", stream.len());
    }
}

/// RESP arrays nested `depth` deep around a `PING`, in segments.
fn nested_resp(depth: usize) -> Vec<u8> {
    let mut bytes = b"*1\r\n".repeat(depth);
    bytes.extend_from_slice(b"$4\r\nPING\r\n");
    bytes
}

/// A Redis connection whose client sends a value nested 100,000 deep, then
/// `PING`; the server refuses the first with a protocol error (as Redis
/// does) and answers the second.
fn nested_resp_conversation() -> Vec<Vec<u8>> {
    let mut c = Conn::new(1, 6379);
    let mut packets = c.handshake();
    for piece in nested_resp(100_000).chunks(SEGMENT) {
        packets.push(c.eth(false, ACK, piece));
    }
    packets.push(c.eth(true, ACK, b"-ERR Protocol error: expected '$', got '*'\r\n"));
    packets.push(c.eth(false, ACK, b"*1\r\n$4\r\nPING\r\n"));
    packets.push(c.eth(true, ACK, b"+PONG\r\n"));
    packets.extend(c.close());
    packets
}

#[test]
fn resp_nested_100000_deep_is_refused_without_recursion() {
    // The framer counts the values left to read: the whole value is one
    // frame (no stack overflow, no depth stack); the parser refuses it past
    // 32 levels, iteratively.
    let deep = nested_resp(100_000);
    assert_eq!(
        redis::resp::frame(&deep, Direction::FromClient),
        FrameLen::Complete(deep.len())
    );
    assert_eq!(
        <redis::RedisMessage as analyzer_core::Protocol>::parse_one(deep, Direction::FromClient)
            .map(|m| m.kind),
        Err(analyzer_core::ParseError::Invalid(
            "nested deeper than 32 levels".into()
        ))
    );
    // Through the engine: no panic, every message seen is published and
    // accounted for (see the test below for how many there are).
    let (events, counters) = feed_packets::<redis::RedisMessage>(
        Config::default(),
        nested_resp_conversation().into_iter().map(|p| (T0, p)),
    );
    assert!(counters.check_accounting().is_ok(), "{counters:?}");
    assert_eq!(events.len() as u64, counters.transactions);
}

#[test]
fn resp_nested_100000_deep_is_one_unparseable_request() {
    // Right: the whole value is one request the analyzer cannot parse,
    // answered by the server's error; the PING after it pairs with its PONG.
    let (events, counters) = feed_packets::<redis::RedisMessage>(
        Config::default(),
        nested_resp_conversation().into_iter().map(|p| (T0, p)),
    );
    assert_eq!(events.len(), 2, "{counters:?}");
    assert_eq!(events[0]["status"], "Error");
    assert_eq!(
        events[0]["error"]["message"],
        "unparseable request: nested deeper than 32 levels"
    );
    assert_eq!(events[0]["source"]["bytes"], 400_010);
    assert_eq!(events[1]["method"], "PING");
    assert_eq!(events[1]["redis"]["return_value"], "PONG");
    assert_eq!(counters.messages_unparsed, 1);
}

/// The packets of one connection whose client sends `n` requests `>r`,
/// `SEGMENT / 3` per packet, made as they are fed.
fn requests_packets(n: usize) -> impl Iterator<Item = (u64, Vec<u8>)> {
    let mut c = Conn::new(1, 3030);
    let head = c.handshake();
    let per_packet = SEGMENT / 3;
    let full = b">r\n".repeat(per_packet);
    let mut left = n;
    let body = std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let k = left.min(per_packet);
        left -= k;
        Some(c.eth(false, ACK, &full[..3 * k]))
    });
    head.into_iter().chain(body).map(|p| (T0, p))
}

/// What a connection's pending request may cost, at most, in memory (the
/// message, its notes, its slot in the queue).
const PER_PENDING_REQUEST: u64 = 1024;

/// 1,000,000 requests on one connection, never answered, in a child
/// process.
///
/// Outcome: with the default limit of 10,000 pending requests, the oldest
/// are pushed out (counted, noted), the last 10,000 are published at the
/// end of the capture: every request is published.
///
/// Memory bound: the pending queue, `max_pending_requests ×
/// PER_PENDING_REQUEST + SLACK` = 17.8 MiB with the default 10,000.
#[test]
fn one_million_requests_without_a_response() {
    const N: u64 = 1_000_000;
    let config = Config::default();
    let limit = config.max_pending_requests as u64;
    let bound = limit * PER_PENDING_REQUEST + SLACK;
    let name = "one_million_requests_without_a_response";
    let peak = in_child(name, || {
        let mut published = 0u64;
        let mut over_limit = 0u64;
        let mut engine = Engine::new(config, |e: Event<EchoMessage>| {
            published += 1;
            let note = e.error_message().unwrap_or_default();
            if note.starts_with("too many pending requests (limit 10000)") {
                over_limit += 1;
            }
        });
        for (micros, p) in requests_packets(N as usize) {
            engine.packet(ts(micros), LinkType::Ethernet, &p);
        }
        engine.finish();
        let counters = engine.counters().clone();
        drop(engine);
        assert_eq!(published, N);
        assert_eq!(over_limit, N - limit);
        assert_eq!(counters.requests, N);
        assert_eq!(counters.requests_over_pending_limit, N - limit);
        assert_eq!(counters.requests_unanswered, N);
        assert!(counters.check_accounting().is_ok(), "{counters:?}");
    });
    assert_peak_within(name, peak, bound);
}

/// What one tracked connection may cost, at most, in memory: about 6 KiB
/// measured at the peak (its slot in the table at the hash map's load
/// factor, both directions' reassembly and stream state, the flow's
/// strings, one pending request, scratch space, and what the allocator
/// loses to fragmentation while evictions free and new connections
/// allocate), rounded up.
const PER_CONNECTION: u64 = 8 << 10;

/// 1,000,000 connections, each one request, never answered, in a child
/// process, with a table of 10,000 connections (the default is 65,536; a
/// smaller table keeps the test fast, the bound scales with it).
///
/// Outcome: the least recently active connections are evicted (counted,
/// noted on their events), every request is published.
///
/// Memory bound: the table, `max_connections × PER_CONNECTION + SLACK` =
/// 86.1 MiB for 10,000 connections (it does not grow with the number of
/// connections seen: resident memory is flat from the 100,000th to the
/// last).
#[test]
fn one_million_connections() {
    const N: u32 = 1_000_000;
    let mut config = Config::default();
    config.max_connections = 10_000;
    let bound = config.max_connections as u64 * PER_CONNECTION + SLACK;
    let name = "one_million_connections";
    let peak = in_child(name, || {
        let mut published = 0u64;
        let mut evicted = 0u64;
        let mut engine = Engine::new(config, |e: Event<EchoMessage>| {
            published += 1;
            if e.error_message().as_deref()
                == Some("connection evicted (flow table full) before the response")
            {
                evicted += 1;
            }
        });
        for i in 0..N {
            let p = Conn::new(i, 3030).eth(false, ACK, b">r\n");
            engine.packet(ts(T0 + u64::from(i)), LinkType::Ethernet, &p);
            assert!(engine.connections() <= 10_000);
        }
        engine.finish();
        let counters = engine.counters().clone();
        drop(engine);
        assert_eq!(published, u64::from(N));
        assert_eq!(counters.connections_opened, u64::from(N));
        assert_eq!(counters.connections_evicted, evicted);
        assert_eq!(
            counters.connections_evicted + counters.connections_flushed,
            u64::from(N)
        );
        assert!(counters.connections_flushed <= 10_000);
        assert_eq!(counters.requests_unanswered, u64::from(N));
        assert!(counters.check_accounting().is_ok(), "{counters:?}");
    });
    assert_peak_within(name, peak, bound);
}

/// Requests that wait for a response each after a line too long, in a
/// child process: 100 times a 1 MiB line without a newline (over a 1 MiB
/// limit), then `\n>r\n`, never answered.
///
/// Memory bound: one stream buffer (`2 × (max_message_size + segment)`, as
/// for the 1 GB line) plus 100 pending requests of 3 bytes
/// (`100 × PER_PENDING_REQUEST`), plus `SLACK`: 10.2 MiB. (Each request's
/// zero-copy payload once kept the whole buffer it was cut from alive:
/// 177 MiB here.)
#[test]
fn pending_requests_do_not_pin_the_buffers_they_were_cut_from() {
    let mut config = Config::default();
    config.max_message_size = 1 << 20;
    let bound =
        2 * (config.max_message_size as u64 + SEGMENT as u64) + 100 * PER_PENDING_REQUEST + SLACK;
    let name = "pending_requests_do_not_pin_the_buffers_they_were_cut_from";
    let peak = in_child(name, || {
        let mut published = 0;
        let mut engine = Engine::new(config, |_: Event<EchoMessage>| published += 1);
        let mut c = Conn::new(1, 3030);
        let long = vec![b'x'; SEGMENT];
        for _ in 0..100 {
            for _ in 0..17 {
                engine.packet(ts(T0), LinkType::Ethernet, &c.eth(false, ACK, &long));
            }
            engine.packet(ts(T0), LinkType::Ethernet, &c.eth(false, ACK, b"\n>r\n"));
        }
        engine.finish();
        drop(engine);
        assert_eq!(published, 200);
    });
    assert_peak_within(name, peak, bound);
}

/// What a framer sees of a connection of a stateless protocol.
fn cx<P: Conversation<Session = ()>>(direction: Direction) -> Cx<'static, P> {
    Cx::new(direction, &())
}
