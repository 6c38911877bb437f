//! The framers the derive declares: text lines with data blocks and
//! multi-part answers, length prefixes of every kind, a framer type of the
//! protocol's own, and nom parsers that frame too.

use analyzer_core::framing::{LengthPrefix, Lines, Nom};
use analyzer_core::{Cx, Direction, FrameLen, Framer, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use nom::bytes::streaming::take;
use nom::number::streaming::{be_u16, u8 as byte};

const C: Direction = Direction::FromClient;
const S: Direction = Direction::FromServer;

#[derive(Protocol, Debug)]
#[protocol(
    name = "kv",
    ports(11211),
    delimiter = b"\r\n",
    max_line = 64,
    bare_end,
    block(after("set", "add"), length_word(4), from("client")),
    block(after("VALUE"), length_word(3), max_len(1000), from("server")),
    parts("VALUE", max(10), from("server")),
    parts("BEGIN", until("END"))
)]
enum Kv {
    #[protocol(keyword(request = "set"))]
    Set(NetString),
    #[protocol(keyword(response = "VALUE"))]
    Values(NetString),
    #[protocol(keyword(response = "BEGIN"))]
    Dump(NetString),
    #[protocol(keyword(response = "END"))]
    Miss,
}

#[test]
fn lines_with_blocks_and_multi_part_answers() {
    let lines: Lines = Kv::framer(C);
    // The value holds "END\r\n": it is taken by its length, 7.
    let set = b"set k 0 0 7\r\nEND\r\nab\r\nget k\r\n";
    assert_eq!(
        lines.frame_len(&set[..13], C),
        FrameLen::Incomplete(Some(22))
    );
    assert_eq!(lines.frame_len(set, C), FrameLen::Complete(22));
    // No block after a server's `set`.
    assert_eq!(lines.frame_len(set, S), FrameLen::Complete(13));
    let hit = b"VALUE a 0 1\r\nx\r\nVALUE k 0 3\r\nEND\r\nEND\r\n";
    assert_eq!(lines.frame_len(hit, S), FrameLen::Complete(hit.len()));
    let dump = b"BEGIN\r\nanything\r\nEND\r\nrest";
    assert_eq!(lines.frame_len(dump, S), FrameLen::Complete(22));
    // A bare `\n` ends a line; a longer line than 64 bytes is invalid.
    assert_eq!(lines.frame_len(b"END\nx", S), FrameLen::Complete(4));
    assert!(matches!(
        lines.frame_len(&[b'x'; 70], C),
        FrameLen::Invalid(_)
    ));
    // `parse` gets the frame without its last line end.
    let values = Kv::parse_one(Bytes::copy_from_slice(&hit[..hit.len() - 2]), S).unwrap();
    let Kv::Values(rest) = values else {
        panic!("{values:?}")
    };
    assert!(rest.as_bytes().ends_with(b"\r\nEND"));
}

#[derive(Protocol, Debug)]
#[protocol(name = "ftp", ports(21), delimiter = b"\r\n", parts(reply_code, from("server")), parse = ftp)]
struct Ftp {
    code: u16,
    text: NetString,
}

fn ftp(frame: Bytes, _: &Cx<'_, Ftp>) -> Result<Ftp, ParseError> {
    let code = std::str::from_utf8(frame.get(..3).unwrap_or_default())
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok(Ftp {
        code,
        text: frame.into(),
    })
}

#[test]
fn multi_line_replies_closed_by_their_code() {
    let lines: Lines = Ftp::framer(S);
    let reply = b"211-Features:\r\n 211 not yet\r\n MDTM\r\n211 End\r\n226 next\r\n";
    assert_eq!(lines.frame_len(reply, S), FrameLen::Complete(45));
    let parsed = Ftp::parse_one(Bytes::copy_from_slice(&reply[..43]), S).unwrap();
    assert_eq!(parsed.code, 211);
    assert_eq!(parsed.kind(), None);
}

/// PostgreSQL's shape: a type byte, a 4-byte length counting itself.
#[derive(Protocol, Debug)]
#[protocol(
    name = "typed",
    length(width = 4, offset = 1, counts_itself, max_frame = 1024, plausible = known_type),
    parse = typed
)]
struct Typed {
    tag: u8,
}

fn known_type(header: &[u8]) -> bool {
    matches!(header.first(), Some(b'Q' | b'Z'))
}

fn typed(frame: Bytes, _: &Cx<'_, Typed>) -> Result<Typed, ParseError> {
    Ok(Typed { tag: frame[0] })
}

/// MySQL's: 3-byte little-endian length, then a sequence byte not counted.
#[derive(Protocol, Debug)]
#[protocol(name = "le24", length(width = 3, little_endian, adjust = 1, skip = 4), parse = le24)]
struct Le24 {
    body: NetString,
}

fn le24(frame: Bytes, _: &Cx<'_, Le24>) -> Result<Le24, ParseError> {
    Ok(Le24 { body: frame.into() })
}

/// MQTT's: a type byte, then a variable-length remaining length.
#[derive(Protocol, Debug)]
#[protocol(name = "mqttish", length(varint = 4, offset = 1), parse = mqtt)]
struct Mqttish {
    packet_type: u8,
}

fn mqtt(frame: Bytes, _: &Cx<'_, Mqttish>) -> Result<Mqttish, ParseError> {
    Ok(Mqttish {
        packet_type: frame[0] >> 4,
    })
}

#[test]
fn length_prefixes_of_every_shape() {
    let pg: LengthPrefix = Typed::framer(C);
    assert_eq!(
        pg,
        LengthPrefix::new(4)
            .offset(1)
            .counts_itself()
            .max_frame(1024)
            .plausible(known_type)
    );
    assert_eq!(pg.frame_len(b"Q\0\0\0\x09select"), FrameLen::Complete(10));
    assert_eq!(pg.plausible_at(b"?\0\0\0\x09", usize::MAX), Some(false));
    assert_eq!(Typed::parse_one(&b"Q\0\0\0\x04"[..], C).unwrap().tag, b'Q');

    let mysql: LengthPrefix = Le24::framer(C);
    let packet = b"\x03\0\0\x00SEL";
    assert_eq!(mysql.frame_len(packet), FrameLen::Complete(7));
    let cx = Cx::<Le24>::new(C, &());
    assert_eq!(Framer::<Le24>::payload(&mysql, packet), 4..7);
    let body = Le24::parse(Bytes::from_static(b"SEL"), &cx).unwrap();
    assert_eq!(body.body.as_bytes(), b"SEL");

    let mqtt: LengthPrefix = Mqttish::framer(C);
    assert_eq!(
        mqtt.frame_len(&[0x30, 0x80, 0x01]),
        FrameLen::Incomplete(Some(131))
    );
    assert_eq!(
        Mqttish::parse_one(&[0x30u8, 0][..], C).unwrap().packet_type,
        3
    );
}

/// A framer type of the protocol's own: frames are `;`-terminated, except
/// after a `!` from the client, where the next frame is one byte.
#[derive(Default)]
struct Semicolons;

impl<P: analyzer_core::Conversation> Framer<P> for Semicolons {
    fn frame(&mut self, buf: &[u8], _: &Cx<'_, P>) -> FrameLen {
        match buf.iter().position(|b| *b == b';') {
            Some(end) => FrameLen::Complete(end + 1),
            None => FrameLen::Incomplete(None),
        }
    }

    fn sync(&self) -> Option<&'static [u8]> {
        Some(b";")
    }
}

#[derive(Protocol, Debug)]
#[protocol(name = "semi", framer = Semicolons)]
struct Semi {
    #[protocol(tag(request = b'>', response = b'<'))]
    kind: Kind,
    body: NetString,
}

#[test]
fn a_framer_of_its_own() {
    let mut framer: Semicolons = Semi::framer(C);
    let cx = Cx::<Semi>::new(C, &());
    assert_eq!(framer.frame(b">a;>b", &cx), FrameLen::Complete(3));
    assert_eq!(Framer::<Semi>::sync(&framer), Some(&b";"[..]));
    assert_eq!(Semi::parse_one(">a;", C).unwrap().body.as_bytes(), b"a;");
}

/// A type byte, a 2-byte length, that many bytes: framed and parsed by one
/// nom parser.
#[derive(Protocol, Debug, PartialEq)]
#[protocol(name = "tlv", nom = tlv)]
struct Tlv {
    #[protocol(kind)]
    kind: Kind,
    value: Vec<u8>,
}

fn tlv<'b>(input: &'b [u8], cx: &Cx<'_, Tlv>) -> nom::IResult<&'b [u8], Tlv> {
    let (input, _tag) = byte(input)?;
    let (input, len) = be_u16(input)?;
    let (input, value) = take(len)(input)?;
    let kind = cx.direction().default_kind();
    Ok((
        input,
        Tlv {
            kind,
            value: value.to_vec(),
        },
    ))
}

/// The same parser on frames cut by a length prefix.
#[derive(Protocol, Debug, PartialEq)]
#[protocol(name = "tlv2", length(width = 2, offset = 1), nom = tlv2)]
struct Tlv2 {
    value: Vec<u8>,
}

fn tlv2<'b>(input: &'b [u8], _: &Cx<'_, Tlv2>) -> nom::IResult<&'b [u8], Tlv2> {
    let (input, _) = byte(input)?;
    let (input, len) = be_u16(input)?;
    let (input, value) = take(len)(input)?;
    Ok((
        input,
        Tlv2 {
            value: value.to_vec(),
        },
    ))
}

#[test]
fn a_nom_parser_frames_and_parses() {
    let mut framer: Nom<Tlv> = Tlv::framer(C);
    let cx = Cx::new(C, &());
    // `Incomplete(Needed::Size(n))`: n more bytes.
    assert_eq!(framer.frame(b"?\0\x03a", &cx), FrameLen::AtLeast(6));
    assert_eq!(framer.frame(b"?\0\x03abc?", &cx), FrameLen::Complete(6));
    let parsed = framer.take_parsed().unwrap().unwrap();
    assert_eq!(parsed.value, b"abc");
    assert_eq!(framer.take_parsed(), None);
    assert!(matches!(framer.frame(b"", &cx), FrameLen::AtLeast(1)));
    // `parse` runs it on a whole frame: trailing bytes are an error.
    assert_eq!(Tlv::parse_one(&b"?\0\x01z"[..], C).unwrap().value, b"z");
    assert!(Tlv::parse_one(&b"?\0\x01zz"[..], C).is_err());
    assert!(Tlv::parse_one(&b"?\0\x05z"[..], C).is_err());

    let length: LengthPrefix = Tlv2::framer(S);
    assert_eq!(length.frame_len(b"!\0\x02hi"), FrameLen::Complete(5));
    assert_eq!(Tlv2::parse_one(&b"!\0\x02hi"[..], S).unwrap().value, b"hi");
}
