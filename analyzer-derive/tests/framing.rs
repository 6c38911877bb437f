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

/// `#[block]`, `#[parts]` and the keys of `#[delimiter]` give `Framing::Lines`.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "text_kv")]
#[delimiter(b"\r\n", bare_end, max_line = 2048, exact_case)]
// `SET` is another word than `set` under `exact_case`.
#[block(
    after("set", "cas", "SET"),
    length_word(4),
    max_len(2147483645),
    from(client)
)]
#[block(after("VALUE"), length_word(3))]
#[parts("VALUE", from(server))]
#[parts("BEGIN", until("END"), max(500))]
#[parse_with(TextKv::parse_line)]
#[kind_with(TextKv::role)]
struct TextKv {
    words: usize,
}

impl TextKv {
    fn parse_line(
        payload: bytes::Bytes,
        _: analyzer_core::Direction,
    ) -> Result<Self, analyzer_core::ParseError> {
        Ok(TextKv {
            words: payload.split(|b| *b == b' ').count(),
        })
    }

    fn role(&self) -> analyzer_core::Kind {
        analyzer_core::Kind::Request
    }
}

#[test]
fn block_and_parts_give_lines_framing() {
    use analyzer_core::framing::{Block, Lines, Parts};
    const EXPECTED: Lines = Lines::new(b"\r\n")
        .bare_end()
        .exact_case()
        .max_line(2048)
        .blocks(&[
            Block::new(&[b"set", b"cas", b"SET"], 4)
                .max_len(2147483645)
                .from(Direction::FromClient),
            Block::new(&[b"VALUE"], 3),
        ])
        .parts(&[
            Parts::new(b"VALUE").from(Direction::FromServer),
            Parts::new(b"BEGIN").until(b"END").max_parts(500),
        ]);
    assert_eq!(TextKv::FRAMING, Framing::Lines(EXPECTED));
    // A `max_line` alone is enough to make it lines.
    #[derive(Protocol, Debug, Serialize)]
    #[protocol(name = "short")]
    #[delimiter(b'\n', max_line = 80)]
    struct Short {
        #[tag(request = b'>')]
        kind: analyzer_core::Kind,
        line: analyzer_core::NetString,
    }
    assert_eq!(
        Short::FRAMING,
        Framing::Lines(Lines::new(b"\n").max_line(80))
    );
}
