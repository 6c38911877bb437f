//! Unit tests of the parent module.
use super::*;
use crate::framing::{Delimiter, LengthPrefix, Lines};
use crate::protocol::Conversation;
use crate::role::Direction;

const D: Direction = Direction::FromClient;
const NL: Delimiter = Delimiter::new(b"\n");
const CRLF: Delimiter = Delimiter::new(b"\r\n");

/// A protocol type for the framers' `Cx` (its session is all they see).
struct T;

impl Conversation for T {
    type Session = ();
}

/// The next frame, `f` cutting it.
fn next(s: &mut StreamBuffer, f: &mut impl Framer<T>) -> Option<Frame> {
    s.next_frame(f, &Cx::new(D, &()))
}

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
    let mut f = NL;
    s.push(t(1), b">a\n>b");
    let first = next(&mut s, &mut f).unwrap();
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
    assert_eq!(next(&mut s, &mut f), None);
    s.push(t(2), b"b\n");
    match next(&mut s, &mut f).unwrap() {
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
    let mut f = CRLF;
    s.push(t(1), b"abc\r");
    assert_eq!(next(&mut s, &mut f), None);
    s.push(t(2), b"\nrest");
    assert_eq!(&wire(next(&mut s, &mut f).unwrap())[..], b"abc\r\n");
    assert_eq!(s.len(), 4);
}

#[test]
fn byte_at_a_time_scans_each_byte_once() {
    let mut s = StreamBuffer::new(2 << 20);
    let mut f = NL;
    let line = vec![b'x'; 1 << 20];
    for (i, b) in line.iter().enumerate() {
        s.push(t(1), std::slice::from_ref(b));
        assert_eq!(next(&mut s, &mut f), None);
        // The next search starts after every byte searched so far.
        assert_eq!(f.searched(), i + 1);
    }
    s.push(t(2), b"\n");
    let frame = wire(next(&mut s, &mut f).unwrap());
    assert_eq!(frame.len(), (1 << 20) + 1);
    assert_eq!(f.searched(), 0, "reset for the next frame");
}

#[test]
fn over_long_message_is_dropped_and_the_stream_resynchronizes() {
    let mut s = StreamBuffer::new(8);
    let mut f = NL;
    s.push(t(1), b"0123456789");
    assert_eq!(next(&mut s, &mut f), None);
    assert!(s.len() < 8, "the buffer never holds more than the limit");
    s.push(t(2), b"abc\n>ok\n");
    assert_eq!(
        next(&mut s, &mut f),
        Some(Frame::from(Dropped {
            wire_len: 14,
            reason: DropReason::TooLong,
            start: t(1),
            end: t(2),
            blind: true,
            after_gap: None
        }))
    );
    assert_eq!(&wire(next(&mut s, &mut f).unwrap())[..], b">ok\n");
}

#[test]
fn over_long_frame_arriving_whole_is_dropped_too() {
    let mut s = StreamBuffer::new(4);
    let mut f = NL;
    s.push(t(1), b"123456\n>a\n");
    assert!(matches!(
        next(&mut s, &mut f),
        Some(Frame::Dropped(d)) if d.wire_len == 7 && d.reason == DropReason::TooLong
    ));
    assert_eq!(&wire(next(&mut s, &mut f).unwrap())[..], b">a\n");
}

#[test]
fn partial_counts_dropped_bytes() {
    let mut s = StreamBuffer::new(4);
    let mut f = NL;
    s.push(t(1), b">abcdef");
    assert_eq!(next(&mut s, &mut f), None);
    s.push(t(3), b"gh");
    assert_eq!(next(&mut s, &mut f), None);
    let p = s.take_partial().unwrap();
    assert_eq!(p.wire_len, 9);
    assert_eq!(p.lost, 0);
    assert_eq!((p.start, p.end), (t(1), t(3)));
    assert!(s.take_partial().is_none());
}

#[test]
fn lost_bytes_skip_to_the_next_delimiter() {
    let mut s = StreamBuffer::new(100);
    let mut f = NL;
    s.push(t(1), b">hel");
    assert_eq!(next(&mut s, &mut f), None);
    s.lose::<T, _>(t(2), 3, &mut f);
    s.push(
        t(3),
        b"ld
>next
",
    );
    assert_eq!(
        next(&mut s, &mut f),
        Some(Frame::from(Dropped {
            wire_len: 10,
            reason: DropReason::Lost(3),
            start: t(1),
            end: t(3),
            blind: true,
            after_gap: Some(AfterGap {
                wire: Bytes::from_static(b"ld\n"),
                start: t(3)
            })
        }))
    );
    assert_eq!(&wire(next(&mut s, &mut f).unwrap())[..], b">next\n");
}

/// Memcache-binary-like: 4-byte header whose last 2 bytes are the body
/// length.
const LP: LengthPrefix = LengthPrefix::new(2).offset(2);

#[test]
fn length_prefixed_frames_and_exact_skips() {
    let mut s = StreamBuffer::new(8);
    let mut f = LP;
    s.push(t(1), &[9, 9, 0, 2, b'h']);
    assert_eq!(next(&mut s, &mut f), None);
    s.push(t(2), &[b'i', 7, 7, 0, 6, 1, 2, 3]);
    match next(&mut s, &mut f).unwrap() {
        Frame::Complete(frame) => {
            assert_eq!(&frame.wire[..], &[9, 9, 0, 2, b'h', b'i']);
            assert_eq!(frame.payload(), &frame.wire[..]);
        }
        other => panic!("{other:?}"),
    }
    // A 10-byte frame exceeds the 8-byte limit: skipped exactly.
    assert_eq!(next(&mut s, &mut f), None);
    s.push(t(3), &[4, 5, 6, 1, 1, 0, 0, 0xaa]);
    assert_eq!(
        next(&mut s, &mut f),
        Some(Frame::from(Dropped {
            wire_len: 10,
            reason: DropReason::TooLong,
            start: t(2),
            end: t(3),
            blind: false,
            after_gap: None
        }))
    );
    assert!(matches!(next(&mut s, &mut f), Some(Frame::Complete(_))));
}

#[test]
fn length_prefixed_message_completes_across_lost_bytes() {
    let mut s = StreamBuffer::new(100);
    let mut f = LP;
    s.push(t(1), &[0, 0, 0, 6, b'a', b'b']);
    assert_eq!(next(&mut s, &mut f), None);
    s.lose::<T, _>(t(2), 3, &mut f);
    s.push(t(3), &[b'f', 0, 0, 0, 1, b'z']);
    assert_eq!(
        next(&mut s, &mut f),
        Some(Frame::from(Dropped {
            wire_len: 10,
            reason: DropReason::Lost(3),
            start: t(1),
            end: t(3),
            blind: false,
            after_gap: None
        }))
    );
    match next(&mut s, &mut f).unwrap() {
        Frame::Complete(Complete { wire, .. }) => assert_eq!(&wire[..], &[0, 0, 0, 1, b'z']),
        other => panic!("{other:?}"),
    }
}

/// `N:` then N bytes (a tiny custom format), resynchronizing at `;`.
#[derive(Clone, Copy)]
struct Counted;

impl Framer<T> for Counted {
    fn frame(&mut self, buf: &[u8], _: &Cx<'_, T>) -> FrameLen {
        counted(buf)
    }

    fn sync(&self) -> Option<&'static [u8]> {
        Some(b";")
    }
}

fn counted(buf: &[u8]) -> FrameLen {
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
const CUSTOM: Counted = Counted;

#[test]
fn custom_framing_is_not_called_before_the_announced_length() {
    let mut s = StreamBuffer::new(100);
    let mut f = CUSTOM;
    s.push(t(1), b"5:ab");
    assert_eq!(next(&mut s, &mut f), None);
    assert_eq!(s.needed, 7);
    s.push(t(2), b"cde2:xyx:;1:q");
    assert!(matches!(next(&mut s, &mut f), Some(Frame::Complete(_))));
    assert!(matches!(next(&mut s, &mut f), Some(Frame::Complete(_))));
    assert_eq!(
        next(&mut s, &mut f),
        Some(Frame::from(Dropped {
            wire_len: 3,
            reason: DropReason::Invalid("bad count [120]".into()),
            start: t(2),
            end: t(2),
            blind: false,
            after_gap: None
        }))
    );
    match next(&mut s, &mut f).unwrap() {
        Frame::Complete(Complete { wire, .. }) => assert_eq!(&wire[..], b"1:q"),
        other => panic!("{other:?}"),
    }
}

const LINES: Lines = Lines::new(b"\r\n")
    .blocks(&[crate::framing::Block::new(&[b"set", b"VALUE"], 2)])
    .parts(&[crate::framing::Parts::new(b"VALUE")]);

fn payload(frame: Frame) -> Bytes {
    match frame {
        Frame::Complete(frame) => frame.into_payload(),
        other => panic!("expected a complete frame, got {other:?}"),
    }
}

#[test]
fn lines_framing_hands_out_frames_without_their_last_delimiter() {
    let mut s = StreamBuffer::new(1000);
    let mut f = LINES;
    let wire = b"set k 5\r\nEND\r\n\r\nVALUE k 2\r\nab\r\nVALUE j 3\r\nEND\r\nEND\r\nbye\r\n";
    for (i, byte) in wire.iter().enumerate() {
        s.push(t(i as i64), &[*byte]);
    }
    assert_eq!(
        &payload(next(&mut s, &mut f).unwrap())[..],
        b"set k 5\r\nEND\r\n"
    );
    assert_eq!(
        &payload(next(&mut s, &mut f).unwrap())[..],
        b"VALUE k 2\r\nab\r\nVALUE j 3\r\nEND\r\nEND"
    );
    assert_eq!(&payload(next(&mut s, &mut f).unwrap())[..], b"bye");
    assert!(s.is_empty());
}

#[test]
fn lines_framing_skips_a_block_that_lost_bytes_exactly() {
    let mut s = StreamBuffer::new(1000);
    let mut f = LINES;
    s.push(t(1), b"set k 10\r\nEND\r\n");
    assert_eq!(next(&mut s, &mut f), None);
    // Four bytes of the block are lost; the rest and the next line arrive.
    s.lose::<T, _>(t(2), 4, &mut f);
    s.push(t(3), b"x\r\nbye\r\n");
    assert_eq!(
        next(&mut s, &mut f),
        Some(Frame::from(Dropped {
            wire_len: 22,
            reason: DropReason::Lost(4),
            start: t(1),
            end: t(3),
            // The rest of the block, skipped by count: not offered as a
            // message that may follow the gap.
            blind: false,
            after_gap: None
        }))
    );
    assert_eq!(&payload(next(&mut s, &mut f).unwrap())[..], b"bye");
}

#[test]
fn lines_framing_is_not_called_inside_a_block() {
    let mut s = StreamBuffer::new(1 << 20);
    let mut f = LINES;
    s.push(t(1), b"VALUE k 100000\r\n");
    assert_eq!(next(&mut s, &mut f), None);
    for _ in 0..100 {
        s.push(t(2), &[b'x'; 1000]);
        assert_eq!(next(&mut s, &mut f), None);
    }
    // The framer was asked again only once the block was all there.
    assert_eq!(s.needed, 16 + 100_000 + 2);
    s.push(t(3), b"\r\nEND\r\n");
    let frame = payload(next(&mut s, &mut f).unwrap());
    assert_eq!(frame.len(), 16 + 100_000 + 2 + 3);
}

#[test]
fn a_frame_is_dated_by_the_packets_of_its_first_and_last_bytes() {
    // Lines over three packets: each frame is dated by the packets that
    // held its first and its last byte.
    let mut s = StreamBuffer::new(100);
    let mut f = CRLF;
    s.push(t(1), b"a\r\nbb");
    assert_eq!(&wire(next(&mut s, &mut f).unwrap())[..], b"a\r\n");
    assert_eq!(next(&mut s, &mut f), None);
    s.push(t(2), b"b\r\ncc");
    match next(&mut s, &mut f).unwrap() {
        Frame::Complete(frame) => {
            assert_eq!(&frame.wire[..], b"bbb\r\n");
            assert_eq!((frame.start, frame.end), (t(1), t(2)));
        }
        other => panic!("{other:?}"),
    }
    // What is left started in the second packet.
    s.push(t(3), b"c\r\n");
    match next(&mut s, &mut f).unwrap() {
        Frame::Complete(frame) => assert_eq!((frame.start, frame.end), (t(2), t(3))),
        other => panic!("{other:?}"),
    }
}

/// A framer that needs a byte past the end of a frame to see its end (a
/// line ends at a newline not followed by a space: continuation lines).
#[derive(Clone, Copy)]
struct Folded;

impl Framer<T> for Folded {
    fn frame(&mut self, buf: &[u8], _: &Cx<'_, T>) -> FrameLen {
        let mut at = 0;
        while let Some(i) = buf[at..].iter().position(|&b| b == b'\n') {
            match buf.get(at + i + 1) {
                Some(b' ') => at += i + 1,
                Some(_) => return FrameLen::Complete(at + i + 1),
                None => return FrameLen::Incomplete(None),
            }
        }
        FrameLen::Incomplete(None)
    }
}

#[test]
fn lookahead_from_a_later_packet_does_not_date_the_frame_late() {
    let mut s = StreamBuffer::new(100);
    let mut f = Folded;
    s.push(t(1), b"head\n cont\n");
    assert_eq!(next(&mut s, &mut f), None);
    // The frame ended in the first packet; its end is seen with the
    // second: it is still dated t(1).
    s.push(t(9), b"next\n");
    match next(&mut s, &mut f).unwrap() {
        Frame::Complete(frame) => {
            assert_eq!(&frame.wire[..], b"head\n cont\n");
            assert_eq!((frame.start, frame.end), (t(1), t(1)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn length_prefixed_framing_resumes_right_after_a_gap_on_a_frame_boundary() {
    let mut s = StreamBuffer::new(100);
    let mut f = LengthPrefix::new(2);
    s.push(t(1), &[0, 2, b'a', b'b']);
    assert!(matches!(next(&mut s, &mut f), Some(Frame::Complete(_))));
    // The next frame (5 bytes) is lost whole; the one after arrives.
    s.lose::<T, _>(t(2), 5, &mut f);
    s.push(t(3), &[0, 1, b'z', 0, 1, b'y']);
    assert_eq!(
        next(&mut s, &mut f),
        Some(Frame::from(Dropped {
            wire_len: 5,
            reason: DropReason::Lost(5),
            start: t(2),
            end: t(3),
            blind: true,
            after_gap: None
        }))
    );
    assert_eq!(&wire(next(&mut s, &mut f).unwrap())[..], &[0, 1, b'z']);
    assert_eq!(&wire(next(&mut s, &mut f).unwrap())[..], &[0, 1, b'y']);
}

#[test]
fn length_prefixed_framing_scans_for_a_plausible_header_after_a_gap() {
    // Frames start with `Q`, then a 2-byte length counting itself.
    let mut f = LengthPrefix::new(2)
        .offset(1)
        .counts_itself()
        .plausible(|h| h.first() == Some(&b'Q'));
    let mut s = StreamBuffer::new(100);
    // A gap swallows a header and part of a body: what follows is the
    // rest of that body, then a frame.
    s.lose::<T, _>(t(1), 4, &mut f);
    s.push(t(2), &[b'x', b'y', b'Q', 0, 3, b'!']);
    match next(&mut s, &mut f).unwrap() {
        Frame::Dropped(d) => assert_eq!((d.wire_len, d.reason), (6, DropReason::Lost(4))),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        &wire(next(&mut s, &mut f).unwrap())[..],
        &[b'Q', 0, 3, b'!']
    );
}

/// The first bytes of a message that must wait get room for about the
/// message (twice what came, or the total the framer announced), not
/// `MIN_GROWTH`: tens of thousands of connections each waiting on a short
/// message hold little. The rest completes it.
#[test]
fn a_short_waiting_message_holds_little() {
    let mut s = StreamBuffer::new(1 << 20);
    let mut f = NL;
    s.push_framed(t(1), b">hello, wor", &FrameLen::Incomplete(None));
    assert_eq!(s.buf.capacity(), FIRST_ROOM);
    s.push(t(2), b"ld\n");
    assert_eq!(&wire(next(&mut s, &mut f).unwrap())[..], b">hello, world\n");
    // Room short for the rest: it doubles.
    let mut s = StreamBuffer::new(1 << 20);
    s.push_framed(t(1), &[b'x'; 30], &FrameLen::Incomplete(None));
    s.push(t(2), &[b'x'; 40]);
    assert_eq!(s.buf.capacity(), 2 * FIRST_ROOM);

    let mut s = StreamBuffer::new(1 << 20);
    s.push_framed(t(1), &[b'x'; 100], &FrameLen::Incomplete(Some(300)));
    assert_eq!(s.buf.capacity(), 300);
    let mut s = StreamBuffer::new(1 << 20);
    s.push_framed(t(1), &[b'x'; 100], &FrameLen::Incomplete(None));
    assert_eq!(s.buf.capacity(), 200);
    // A long message grows as before, from what came.
    let mut s = StreamBuffer::new(1 << 20);
    s.push_framed(t(1), &[b'x'; 9000], &FrameLen::AtLeast(100_000));
    assert_eq!(s.buf.capacity(), 9000);
}
