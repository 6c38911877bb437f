//! Multi-part text answers that are hostile or just larger than the
//! message size limit, through the stream buffer with Memcache's framing
//! (`Framing::Lines` rules): cut at part boundaries, every byte handed out
//! once, nothing skipped blind, and linear work (a quadratic framer would
//! not finish these in the test's lifetime).

mod hostile;

use analyzer_core::stream::{DropReason, Frame, StreamBuffer};
use analyzer_core::{Config, Cx, Direction, Protocol, Timestamp};
use hostile::{feed_packets, Conn, ACK, T0};
use memcache::MemcacheMessage;

const SEGMENT: usize = 1448;

/// Pushes `wire` in segments and returns every frame, checking that the
/// buffer stays within `limit`.
fn frames(wire: &[u8], dir: Direction, limit: usize) -> Vec<Frame> {
    let mut framing = MemcacheMessage::framer(dir);
    let cx = Cx::<MemcacheMessage>::new(dir, &()).with_limit(limit);
    let mut stream = StreamBuffer::new(limit);
    let mut out = Vec::new();
    for piece in wire.chunks(SEGMENT) {
        stream.push(Timestamp::from_nanos(1), piece);
        while let Some(frame) = stream.next_frame(&mut framing, &cx) {
            out.push(frame);
        }
        assert!(
            stream.len() <= limit + SEGMENT,
            "{} bytes held",
            stream.len()
        );
    }
    out
}

fn wire_len(frame: &Frame) -> usize {
    match frame {
        Frame::Complete(frame) => frame.wire.len(),
        Frame::Dropped(dropped) => dropped.wire_len as usize,
    }
}

fn complete(frame: &Frame) -> &[u8] {
    match frame {
        Frame::Complete(frame) => &frame.wire,
        other => panic!("expected a complete frame, got {other:?}"),
    }
}

/// Whether the framer cut a longer message to make this frame.
fn is_cut(frame: &Frame) -> bool {
    matches!(frame, Frame::Complete(frame) if frame.cut)
}

#[test]
fn a_server_flooding_stat_lines_is_cut_into_answers_of_the_limit() {
    // 3 MB of STAT lines, then END, with a 100 KB limit.
    let mut wire = b"STAT x y\r\n".repeat(300_000);
    wire.extend_from_slice(b"END\r\n");
    let limit = 100_000;
    let frames = frames(&wire, Direction::FromServer, limit);
    assert_eq!(frames.iter().map(wire_len).sum::<usize>(), wire.len());
    // 30 pieces of exactly 10,000 lines; the END, past the limit of the
    // last piece, is a message of its own.
    assert_eq!(frames.len(), 31);
    for frame in &frames[..30] {
        let bytes = complete(frame);
        assert!(bytes.len() == limit && bytes.starts_with(b"STAT "));
        assert!(is_cut(frame), "each piece says it was cut");
    }
    assert_eq!(complete(&frames[30]), b"END\r\n");
    assert!(!is_cut(&frames[30]));
}

#[test]
fn a_client_sending_stat_lines_sends_lines() {
    // Multi-part answers come from the server: from the client each line is
    // a message (memcached answers ERROR to each).
    let wire = b"STAT x y\r\n".repeat(110_000);
    let frames = frames(&wire, Direction::FromClient, 100_000);
    assert_eq!(frames.len(), 110_000);
    assert!(frames.iter().all(|f| complete(f) == b"STAT x y\r\n"));
}

#[test]
fn a_multi_get_answer_larger_than_the_limit_is_cut_between_values() {
    // Ten 30,000-byte values and END, with a 100 KB limit: three values per
    // piece, each piece starting with a VALUE line.
    let wire = ten_values();
    let frames = frames(&wire, Direction::FromServer, 100_000);
    let sizes: Vec<usize> = frames.iter().map(wire_len).collect();
    assert_eq!(sizes.iter().sum::<usize>(), wire.len());
    assert_eq!(frames.len(), 4, "{sizes:?}");
    for frame in &frames {
        assert!(complete(frame).starts_with(b"VALUE k"));
    }
    assert!(complete(&frames[3]).ends_with(b"\r\nEND\r\n"));
    let cut: Vec<bool> = frames.iter().map(is_cut).collect();
    assert_eq!(cut, [true, true, true, false]);
}

/// Ten 30,000-byte values answering a multi-get.
fn ten_values() -> Vec<u8> {
    let value = vec![b'v'; 30_000];
    let mut wire = Vec::new();
    for i in 0..10 {
        wire.extend_from_slice(format!("VALUE k{i} 0 30000\r\n").as_bytes());
        wire.extend_from_slice(&value);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"END\r\n");
    wire
}

#[test]
fn a_cut_answer_says_so_in_its_event_and_its_counters() {
    // The first piece of a cut answer pairs with the request, but it is not
    // the whole answer: its event says so (status Error, a note), and the
    // cut is counted. The later pieces are responses without a request.
    let mut c = Conn::new(1, 11211);
    let mut packets = vec![(
        T0,
        c.eth(false, ACK, b"get k0 k1 k2 k3 k4 k5 k6 k7 k8 k9\r\n"),
    )];
    for piece in ten_values().chunks(SEGMENT) {
        packets.push((T0 + 10, c.eth(true, ACK, piece)));
    }
    let mut config = Config::default();
    config.max_message_size = 100_000;
    let (events, counters) = feed_packets::<MemcacheMessage>(config, packets);
    assert_eq!(events.len(), 4, "{events:#?}");
    let first = &events[0];
    assert_eq!(first["status"], "Error");
    assert_eq!(first["event"]["action"], "memcache.load");
    let note = first["error"]["message"].as_str().expect("a note");
    assert!(
        note.starts_with("response cut after 90060 bytes, at a part boundary: longer than the maximum message size (100000 bytes)"),
        "{note}"
    );
    for later in &events[1..] {
        let note = later["error"]["message"].as_str().expect("a note");
        assert!(note.contains("response without a request"), "{note}");
    }
    assert_eq!(counters.messages_split, 3);
    assert_eq!(counters.responses_unmatched, 3);
    assert!(counters.check_accounting().is_ok(), "{counters:?}");
}

#[test]
fn a_value_larger_than_the_limit_is_skipped_exactly() {
    // One 200,000-byte value, then a second small one and END: the first
    // is skipped by its length (not resynchronized inside it), the rest is
    // an answer of its own.
    let mut wire = b"VALUE big 0 200000\r\n".to_vec();
    wire.extend(b"STORED\r\nEND\r\n".repeat(200_000 / 13));
    wire.resize(20 + 200_000, b'x');
    wire.extend_from_slice(b"\r\nVALUE small 0 2\r\nok\r\nEND\r\n");
    let frames = frames(&wire, Direction::FromServer, 100_000);
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert!(matches!(
        &frames[0],
        Frame::Dropped(d) if d.wire_len == 200_022 && d.reason == DropReason::TooLong
    ));
    assert_eq!(complete(&frames[1]), b"VALUE small 0 2\r\nok\r\nEND\r\n");
}

/// A binary stats entry: key `k`, value `v`, opaque 7.
fn stat_entry(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut h = vec![0x81, 0x10];
    h.extend((key.len() as u16).to_be_bytes());
    h.extend([0, 0, 0, 0]);
    h.extend(((key.len() + value.len()) as u32).to_be_bytes());
    h.extend(7u32.to_be_bytes());
    h.extend(0u64.to_be_bytes());
    [h, key.to_vec(), value.to_vec()].concat()
}

#[test]
fn a_binary_stats_answer_arriving_entry_by_entry_is_walked_once() {
    // 50,000 entries, one per push: the framer resumes where it stopped (a
    // framer walking from the first entry each time would take minutes).
    let entry = stat_entry(b"k", b"v");
    let mut framing = MemcacheMessage::framer(Direction::FromServer);
    let cx = Cx::<MemcacheMessage>::new(Direction::FromServer, &()).with_limit(10 << 20);
    let mut stream = StreamBuffer::new(10 << 20);
    let t = Timestamp::from_nanos(1);
    for _ in 0..50_000 {
        stream.push(t, &entry);
        assert_eq!(stream.next_frame(&mut framing, &cx), None);
    }
    stream.push(t, &stat_entry(b"", b""));
    let frame = stream.next_frame(&mut framing, &cx).unwrap();
    assert_eq!(complete(&frame).len(), 50_000 * entry.len() + 24);
}

#[test]
fn a_binary_stats_entry_longer_than_the_limit_is_skipped_exactly() {
    let wire = [
        stat_entry(b"k", &[b'v'; 300]),
        stat_entry(b"", b""),
        stat_entry(b"pid", b"1"),
        stat_entry(b"", b""),
    ]
    .concat();
    let frames = frames(&wire, Direction::FromServer, 100);
    let sizes: Vec<usize> = frames.iter().map(wire_len).collect();
    assert_eq!(sizes, [325, 24, 28 + 24], "{frames:?}");
    assert!(matches!(
        &frames[0],
        Frame::Dropped(d) if d.reason == DropReason::TooLong
    ));
}

#[test]
fn text_lines_resynchronize_on_a_bare_line_end() {
    // A line too long, then lines ended by a bare \n (memcached accepts
    // them): only the long line is dropped.
    let mut wire = vec![b'x'; 9000];
    wire.extend_from_slice(b"\nget a\nget b\nget c\r\n");
    let frames = frames(&wire, Direction::FromClient, 1 << 20);
    let sizes: Vec<usize> = frames.iter().map(wire_len).collect();
    assert_eq!(sizes, [9001, 6, 6, 7], "{frames:?}");
}
