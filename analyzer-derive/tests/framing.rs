//! The framing attributes: `#[delimiter]` (see `derive.rs`),
//! `#[length_prefix]` and `#[frame_with]`.

use analyzer_core::framing::{CustomFraming, FrameLen, LengthPrefix};
use analyzer_core::{Direction, Framing, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;

/// Memcache binary's header: the body length as a u32 at offset 8, and 12
/// more bytes of header after it.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "prefixed")]
#[length_prefix(width = 4, offset = 8, adjust = 12)]
#[parse_with(whole)]
#[kind_with(by_first_byte)]
struct MemcacheLike {
    #[serde(skip)]
    frame: Bytes,
}

fn whole(frame: Bytes, _: Direction) -> Result<MemcacheLike, ParseError> {
    Ok(MemcacheLike { frame })
}

fn by_first_byte(message: &MemcacheLike) -> Kind {
    match message.frame.first() {
        Some(0x80) => Kind::Request,
        _ => Kind::Response,
    }
}

/// Every key, a negative adjustment, and a tagged struct parsed after the
/// skipped header.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "every_key")]
#[length_prefix(little_endian, skip = 3, adjust = -4, offset = 1, width = 2)]
struct EveryKey {
    #[tag(request = b'>', response = b'<')]
    kind: Kind,
    body: NetString,
}

/// Only the width; an explicit `big_endian` (the default).
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "width_only")]
#[length_prefix(width = 8, big_endian)]
struct WidthOnly {
    #[tag(request = b'q')]
    kind: Kind,
    body: NetString,
}

/// A single-byte length field, type-suffixed literals.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "one_byte")]
#[length_prefix(width = 1usize, adjust = -1i64, skip = 1usize)]
struct OneByte {
    #[tag(request = b'q')]
    kind: Kind,
    body: NetString,
}

/// Lines ending in `;`, framed by the protocol's own function.
fn semicolon(buf: &[u8], _: Direction) -> FrameLen {
    match buf.iter().position(|b| *b == b';') {
        Some(end) => FrameLen::Complete(end + 1),
        None => FrameLen::Incomplete(None),
    }
}

mod framers {
    pub fn whole_buffer(
        buf: &[u8],
        _: analyzer_core::Direction,
    ) -> analyzer_core::framing::FrameLen {
        analyzer_core::framing::FrameLen::Complete(buf.len())
    }
}

#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "custom")]
#[frame_with(semicolon, sync = b";")]
struct Custom {
    #[tag(request = b'>')]
    kind: Kind,
    body: NetString,
}

#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "custom_path")]
#[frame_with(framers::whole_buffer)]
struct CustomPath {
    #[tag(request = b'>')]
    kind: Kind,
    body: NetString,
}

/// A byte literal for `sync`, and a trailing comma.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "custom_byte")]
#[frame_with(semicolon, sync = b'\n')]
struct CustomByte {
    #[tag(request = b'>')]
    kind: Kind,
    body: NetString,
}

#[test]
fn length_prefix_constants() {
    let memcache = LengthPrefix::new(4).offset(8).adjust(12);
    assert_eq!(MemcacheLike::FRAMING, Framing::LengthPrefixed(memcache));
    let every = LengthPrefix::new(2)
        .offset(1)
        .adjust(-4)
        .skip(3)
        .little_endian();
    assert_eq!(EveryKey::FRAMING, Framing::LengthPrefixed(every));
    assert_eq!(
        WidthOnly::FRAMING,
        Framing::LengthPrefixed(LengthPrefix::new(8))
    );
    let one = LengthPrefix::new(1).adjust(-1).skip(1);
    assert_eq!(OneByte::FRAMING, Framing::LengthPrefixed(one));
}

#[test]
fn length_prefix_frames() {
    let Framing::LengthPrefixed(prefix) = MemcacheLike::FRAMING else {
        panic!("not length-prefixed");
    };
    let mut header = [0u8; 24];
    header[0] = 0x80;
    header[8..12].copy_from_slice(&5u32.to_be_bytes());
    assert_eq!(prefix.frame_len(&header), FrameLen::Incomplete(Some(29)));

    let Framing::LengthPrefixed(prefix) = EveryKey::FRAMING else {
        panic!("not length-prefixed");
    };
    // One byte, the length (7) little endian, then 7 - 4 = 3 more bytes.
    let frame = [0xff, 7, 0, b'>', b'h', b'i'];
    assert_eq!(prefix.frame_len(&frame), FrameLen::Complete(6));
}

#[test]
fn parses_after_the_skipped_header() {
    // The engine hands `parse` the frame without its first `skip` bytes.
    let message = EveryKey::parse(Bytes::from_static(b">hi"), Direction::FromClient).unwrap();
    assert_eq!(message.kind(), Kind::Request);
    assert_eq!(message.body.as_bytes(), b"hi");

    let mut frame = vec![0x81; 24];
    frame[0] = 0x80;
    let message = MemcacheLike::parse(Bytes::from(frame), Direction::FromClient).unwrap();
    assert_eq!(message.kind(), Kind::Request);
    assert_eq!(message.frame.len(), 24);
}

fn custom(framing: Framing) -> CustomFraming {
    match framing {
        Framing::Custom(custom) => custom,
        other => panic!("not custom: {other:?}"),
    }
}

#[test]
fn frame_with() {
    let framing = custom(Custom::FRAMING);
    assert_eq!(framing.sync, b";");
    assert_eq!(
        (framing.frame)(b">a;>b", Direction::FromClient),
        FrameLen::Complete(3)
    );
    assert_eq!(
        (framing.frame)(b">a", Direction::FromClient),
        FrameLen::Incomplete(None)
    );

    let framing = custom(CustomPath::FRAMING);
    assert_eq!(framing.sync, b"");
    assert_eq!(
        (framing.frame)(b"abc", Direction::FromServer),
        FrameLen::Complete(3)
    );

    let framing = custom(CustomByte::FRAMING);
    assert_eq!(framing.sync, b"\n");

    let message = Custom::parse(Bytes::from_static(b">x"), Direction::FromClient).unwrap();
    assert_eq!(
        (message.kind(), message.body.as_bytes()),
        (Kind::Request, &b"x"[..])
    );
}
