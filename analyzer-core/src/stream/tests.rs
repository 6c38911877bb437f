//! Unit tests of the parent module.
use super::*;
use crate::framing::{CustomFraming, LengthPrefix};

const D: Direction = Direction::FromClient;
const NL: Framing = Framing::Delimiter(b"\n");
const CRLF: Framing = Framing::Delimiter(b"\r\n");

fn t(n: i64) -> Timestamp {
    Timestamp::from_nanos(n)
}

fn wire(frame: Frame) -> Bytes {
    match frame {
        Frame::Complete(frame) => frame.wire,
        other => panic!("expected a complete frame, got {other:?}"),
    }
}

#[test]
fn cuts_several_frames_from_one_push_and_keeps_times() {
    let mut s = StreamBuffer::new(100);
    s.push(t(1), b">a\n>b");
    let first = s.next_frame(&NL, D).unwrap();
    assert_eq!(
        first,
        Frame::Complete(Complete {
            wire: Bytes::from_static(b">a\n"),
            payload: 0..2,
            start: t(1),
            end: t(1),
            cut: false
        })
    );
    assert_eq!(s.next_frame(&NL, D), None);
    s.push(t(2), b"b\n");
    match s.next_frame(&NL, D).unwrap() {
        Frame::Complete(Complete {
            wire, start, end, ..
        }) => {
            assert_eq!(&wire[..], b">bb\n");
            assert_eq!((start, end), (t(1), t(2)));
        }
        other => panic!("{other:?}"),
    }
    assert!(s.is_empty());
}

#[test]
fn finds_a_two_byte_delimiter_split_across_pushes() {
    let mut s = StreamBuffer::new(100);
    s.push(t(1), b"abc\r");
    assert_eq!(s.next_frame(&CRLF, D), None);
    s.push(t(2), b"\nrest");
    assert_eq!(&wire(s.next_frame(&CRLF, D).unwrap())[..], b"abc\r\n");
    assert_eq!(s.len(), 4);
}

#[test]
fn byte_at_a_time_scans_each_byte_once() {
    let mut s = StreamBuffer::new(2 << 20);
    let line = vec![b'x'; 1 << 20];
    for b in &line {
        s.push(t(1), std::slice::from_ref(b));
        assert_eq!(s.next_frame(&NL, D), None);
    }
    s.push(t(2), b"\n");
    let frame = wire(s.next_frame(&NL, D).unwrap());
    assert_eq!(frame.len(), (1 << 20) + 1);
    // Every byte searched exactly once (plus the delimiter).
    assert_eq!(s.bytes_scanned(), (1 << 20) + 1);
}

#[test]
fn over_long_message_is_dropped_and_the_stream_resynchronizes() {
    let mut s = StreamBuffer::new(8);
    s.push(t(1), b"0123456789");
    assert_eq!(s.next_frame(&NL, D), None);
    assert!(s.len() < 8, "the buffer never holds more than the limit");
    s.push(t(2), b"abc\n>ok\n");
    assert_eq!(
        s.next_frame(&NL, D),
        Some(Frame::from(Dropped {
            wire_len: 14,
            reason: DropReason::TooLong,
            start: t(1),
            end: t(2),
            after_gap: None
        }))
    );
    assert_eq!(&wire(s.next_frame(&NL, D).unwrap())[..], b">ok\n");
}

#[test]
fn over_long_frame_arriving_whole_is_dropped_too() {
    let mut s = StreamBuffer::new(4);
    s.push(t(1), b"123456\n>a\n");
    assert!(matches!(
        s.next_frame(&NL, D),
        Some(Frame::Dropped(d)) if d.wire_len == 7 && d.reason == DropReason::TooLong
    ));
    assert_eq!(&wire(s.next_frame(&NL, D).unwrap())[..], b">a\n");
}

#[test]
fn partial_counts_dropped_bytes() {
    let mut s = StreamBuffer::new(4);
    s.push(t(1), b">abcdef");
    assert_eq!(s.next_frame(&NL, D), None);
    s.push(t(3), b"gh");
    assert_eq!(s.next_frame(&NL, D), None);
    let p = s.take_partial().unwrap();
    assert_eq!(p.wire_len, 9);
    assert_eq!(p.lost, 0);
    assert_eq!((p.start, p.end), (t(1), t(3)));
    assert!(s.take_partial().is_none());
}

#[test]
fn lost_bytes_skip_to_the_next_delimiter() {
    let mut s = StreamBuffer::new(100);
    s.push(t(1), b">hel");
    assert_eq!(s.next_frame(&NL, D), None);
    s.lose(t(2), 3, &NL);
    s.push(
        t(3),
        b"ld
>next
",
    );
    assert_eq!(
        s.next_frame(&NL, D),
        Some(Frame::from(Dropped {
            wire_len: 10,
            reason: DropReason::Lost(3),
            start: t(1),
            end: t(3),
            after_gap: Some(Bytes::from_static(b"ld\n"))
        }))
    );
    assert_eq!(&wire(s.next_frame(&NL, D).unwrap())[..], b">next\n");
}

/// Memcache-binary-like: 4-byte header whose last 2 bytes are the body
/// length.
const LP: Framing = Framing::LengthPrefixed(LengthPrefix::new(2).offset(2));

#[test]
fn length_prefixed_frames_and_exact_skips() {
    let mut s = StreamBuffer::new(8);
    s.push(t(1), &[9, 9, 0, 2, b'h']);
    assert_eq!(s.next_frame(&LP, D), None);
    s.push(t(2), &[b'i', 7, 7, 0, 6, 1, 2, 3]);
    match s.next_frame(&LP, D).unwrap() {
        Frame::Complete(frame) => {
            assert_eq!(&frame.wire[..], &[9, 9, 0, 2, b'h', b'i']);
            assert_eq!(frame.payload(), &frame.wire[..]);
        }
        other => panic!("{other:?}"),
    }
    // A 10-byte frame exceeds the 8-byte limit: skipped exactly.
    assert_eq!(s.next_frame(&LP, D), None);
    s.push(t(3), &[4, 5, 6, 1, 1, 0, 0, 0xaa]);
    assert_eq!(
        s.next_frame(&LP, D),
        Some(Frame::from(Dropped {
            wire_len: 10,
            reason: DropReason::TooLong,
            start: t(2),
            end: t(3),
            after_gap: None
        }))
    );
    assert!(matches!(s.next_frame(&LP, D), Some(Frame::Complete(_))));
}

#[test]
fn length_prefixed_message_completes_across_lost_bytes() {
    let mut s = StreamBuffer::new(100);
    s.push(t(1), &[0, 0, 0, 6, b'a', b'b']);
    assert_eq!(s.next_frame(&LP, D), None);
    s.lose(t(2), 3, &LP);
    s.push(t(3), &[b'f', 0, 0, 0, 1, b'z']);
    assert_eq!(
        s.next_frame(&LP, D),
        Some(Frame::from(Dropped {
            wire_len: 10,
            reason: DropReason::Lost(3),
            start: t(1),
            end: t(3),
            after_gap: None
        }))
    );
    match s.next_frame(&LP, D).unwrap() {
        Frame::Complete(Complete { wire, .. }) => assert_eq!(&wire[..], &[0, 0, 0, 1, b'z']),
        other => panic!("{other:?}"),
    }
}

/// `N:` then N bytes (a tiny custom format), resynchronizing at `;`.
fn counted(buf: &[u8], _: Direction) -> FrameLen {
    let Some(colon) = buf.iter().position(|&b| b == b':') else {
        return FrameLen::Incomplete(None);
    };
    match std::str::from_utf8(&buf[..colon])
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        Some(n) if buf.len() >= colon + 1 + n => FrameLen::Complete(colon + 1 + n),
        Some(n) => FrameLen::Incomplete(Some(colon + 1 + n)),
        None => FrameLen::Invalid(format!("bad count {:?}", &buf[..colon])),
    }
}
const CUSTOM: Framing = Framing::Custom(CustomFraming {
    frame: counted,
    sync: b";",
    resume: None,
});

#[test]
fn custom_framing_is_not_called_before_the_announced_length() {
    let mut s = StreamBuffer::new(100);
    s.push(t(1), b"5:ab");
    assert_eq!(s.next_frame(&CUSTOM, D), None);
    assert_eq!(s.needed, 7);
    s.push(t(2), b"cde2:xyx:;1:q");
    assert!(matches!(s.next_frame(&CUSTOM, D), Some(Frame::Complete(_))));
    assert!(matches!(s.next_frame(&CUSTOM, D), Some(Frame::Complete(_))));
    assert_eq!(
        s.next_frame(&CUSTOM, D),
        Some(Frame::from(Dropped {
            wire_len: 3,
            reason: DropReason::Invalid("bad count [120]".into()),
            start: t(2),
            end: t(2),
            after_gap: None
        }))
    );
    match s.next_frame(&CUSTOM, D).unwrap() {
        Frame::Complete(Complete { wire, .. }) => assert_eq!(&wire[..], b"1:q"),
        other => panic!("{other:?}"),
    }
}

const LINES: Framing = Framing::Lines(
    crate::framing::Lines::new(b"\r\n")
        .blocks(&[crate::framing::Block::new(&[b"set", b"VALUE"], 2)])
        .parts(&[crate::framing::Parts::new(b"VALUE")]),
);

fn payload(frame: Frame) -> Bytes {
    match frame {
        Frame::Complete(frame) => frame.into_payload(),
        other => panic!("expected a complete frame, got {other:?}"),
    }
}

#[test]
fn lines_framing_hands_out_frames_without_their_last_delimiter() {
    let mut s = StreamBuffer::new(1000);
    let wire = b"set k 5\r\nEND\r\n\r\nVALUE k 2\r\nab\r\nVALUE j 3\r\nEND\r\nEND\r\nbye\r\n";
    for (i, byte) in wire.iter().enumerate() {
        s.push(t(i as i64), &[*byte]);
    }
    assert_eq!(
        &payload(s.next_frame(&LINES, D).unwrap())[..],
        b"set k 5\r\nEND\r\n"
    );
    assert_eq!(
        &payload(s.next_frame(&LINES, D).unwrap())[..],
        b"VALUE k 2\r\nab\r\nVALUE j 3\r\nEND\r\nEND"
    );
    assert_eq!(&payload(s.next_frame(&LINES, D).unwrap())[..], b"bye");
    assert!(s.is_empty());
}

#[test]
fn lines_framing_skips_a_block_that_lost_bytes_exactly() {
    let mut s = StreamBuffer::new(1000);
    s.push(t(1), b"set k 10\r\nEND\r\n");
    assert_eq!(s.next_frame(&LINES, D), None);
    // Four bytes of the block are lost; the rest and the next line arrive.
    s.lose(t(2), 4, &LINES);
    s.push(t(3), b"x\r\nbye\r\n");
    assert_eq!(
        s.next_frame(&LINES, D),
        Some(Frame::from(Dropped {
            wire_len: 22,
            reason: DropReason::Lost(4),
            start: t(1),
            end: t(3),
            // The rest of the block, skipped by count: not offered as a
            // message that may follow the gap.
            after_gap: None
        }))
    );
    assert_eq!(&payload(s.next_frame(&LINES, D).unwrap())[..], b"bye");
}

#[test]
fn lines_framing_is_not_called_inside_a_block() {
    let mut s = StreamBuffer::new(1 << 20);
    s.push(t(1), b"VALUE k 100000\r\n");
    assert_eq!(s.next_frame(&LINES, D), None);
    for _ in 0..100 {
        s.push(t(2), &[b'x'; 1000]);
        assert_eq!(s.next_frame(&LINES, D), None);
    }
    // The framer was asked again only once the block was all there.
    assert_eq!(s.progress.0.len(), 5);
    s.push(t(3), b"\r\nEND\r\n");
    let frame = payload(s.next_frame(&LINES, D).unwrap());
    assert_eq!(frame.len(), 16 + 100_000 + 2 + 3);
}
