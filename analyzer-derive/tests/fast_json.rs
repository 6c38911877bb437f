//! `#[protocol(fast_json)]`: the generated writer gives exactly what the
//! plain `#[derive(Serialize)]` gives through the default `own_fields`, for
//! structs and enums, fields of the types written directly and of any
//! other type (through `Serialize`), and leaves to serde what its
//! serializer does not write.

use analyzer_core::{Direction, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;

/// What the default `own_fields` gives through `serde_json`, as the
/// entries spliced into an event: `,"name":{...}`, or nothing.
fn serialized<P: Protocol>(request: Option<&P>, response: Option<&P>) -> String {
    let mut json = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut json);
    let mut map = serde::Serializer::serialize_map(&mut serializer, None).unwrap();
    P::own_fields(request, response, &mut map).unwrap();
    serde::ser::SerializeMap::end(map).unwrap();
    let json = String::from_utf8(json).unwrap();
    match &json[1..json.len() - 1] {
        "" => String::new(),
        entries => format!(",{entries}"),
    }
}

/// What the generated writer gives, `None` when it leaves the event to serde.
fn written<P: Protocol>(request: Option<&P>, response: Option<&P>) -> Option<String> {
    let mut out = Vec::new();
    P::__own_fields_json(request, response, &mut out).ok()?;
    Some(String::from_utf8(out).unwrap())
}

fn same<P: Protocol>(messages: &[P]) {
    for request in messages {
        for response in messages {
            for pair in [
                (Some(request), Some(response)),
                (Some(request), None),
                (None, Some(response)),
                (None, None),
            ] {
                let expected = serialized(pair.0, pair.1);
                assert_eq!(written(pair.0, pair.1).as_deref(), Some(expected.as_str()));
            }
        }
    }
}

/// A nested type of the protocol's own: written through its `Serialize`.
#[derive(Debug, Serialize)]
struct Pair {
    left: u8,
    right: Vec<String>,
}

/// Every kind of field the writer knows, and others.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "every_field", fast_json)]
#[delimiter(b'\n')]
#[parse_with(parse_every)]
struct Every {
    #[kind]
    kind: Kind,
    content: NetString,
    r#type: u16,
    negative: i64,
    flag: bool,
    text: String,
    maybe: Option<NetString>,
    maybe_not: Option<u32>,
    pair: Pair,
    list: Vec<Option<Kind>>,
    ünïcode_name: &'static str,
}

fn parse_every(payload: Bytes, direction: Direction) -> Result<Every, ParseError> {
    Ok(Every {
        kind: direction.default_kind(),
        content: payload.clone().into(),
        r#type: payload.len() as u16,
        negative: -(payload.len() as i64),
        flag: payload.is_empty(),
        text: String::from_utf8_lossy(&payload).into_owned(),
        maybe: (!payload.is_empty()).then(|| payload.clone().into()),
        maybe_not: None,
        pair: Pair {
            left: 1,
            right: vec!["a\"b".into()],
        },
        list: vec![Some(Kind::Error), None],
        ünïcode_name: "ü",
    })
}

#[test]
fn structs_are_written_like_derived_serialize() {
    let frames: [&[u8]; 5] = [
        b"",
        b"hello",
        b"quote \" and \\",
        b"\xff\xfe invalid",
        b"\x01\n\t",
    ];
    let messages: Vec<Every> = frames
        .iter()
        .zip(
            [Direction::FromClient, Direction::FromServer]
                .iter()
                .cycle(),
        )
        .map(|(frame, dir)| Every::parse(Bytes::copy_from_slice(frame), *dir).unwrap())
        .collect();
    same(&messages);
}

#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "chat", fast_json)]
#[delimiter(b'\n')]
enum Chat {
    #[tag(b'>', request)]
    Say(NetString),
    #[tag(b'?', request)]
    Ping,
    #[tag(b'<', response)]
    Heard(NetString),
    #[tag(b'!', error)]
    r#Oops(NetString),
}

#[test]
fn enums_are_written_like_derived_serialize() {
    let parse =
        |frame: &'static [u8]| Chat::parse(Bytes::from_static(frame), Direction::FromClient);
    let messages: Vec<Chat> = [&b">hi \"there\""[..], b"?", b"<\xffho", b"<", b"!x"]
        .into_iter()
        .map(|frame| parse(frame).unwrap())
        .collect();
    same(&messages);
}

/// A message with a float: left to serde_json.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "float", fast_json)]
#[delimiter(b'\n')]
#[parse_with(parse_float)]
#[kind_with(Float::kind_of)]
struct Float {
    value: f64,
}

impl Float {
    fn kind_of(&self) -> Kind {
        Kind::Request
    }
}

fn parse_float(_: Bytes, _: Direction) -> Result<Float, ParseError> {
    Ok(Float { value: 0.5 })
}

#[test]
fn what_the_fast_serializer_does_not_write_is_left_to_serde() {
    let float = Float::parse(Bytes::new(), Direction::FromClient).unwrap();
    assert_eq!(written(Some(&float), None), None);
    assert_eq!(written::<Float>(None, None).as_deref(), Some(""));
}

/// Without `fast_json`, nothing is written by the derive: the serde path
/// runs.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "plain")]
#[delimiter(b'\n')]
struct Plain {
    #[tag(request = b'>')]
    kind: Kind,
    content: NetString,
}

#[test]
fn without_fast_json_the_serde_path_runs() {
    let plain = Plain::parse(Bytes::from_static(b">x"), Direction::FromClient).unwrap();
    assert_eq!(written(Some(&plain), None), None);
    assert_eq!(written::<Plain>(None, None), None);
}
