//! The protocol's own functions: `#[parse_with]` with a `#[kind]` field or
//! `#[kind_with]`, `#[correlate]`, `#[no_response_if]`,
//! `#[optional_response_if]`, `#[describe_with]`, `#[fields_with]` and
//! `#[fields_json_with]`.

use analyzer_core::{
    Description, Direction, JsonFields, JsonKey, Kind, NetString, ParseError, Protocol,
};
use bytes::Bytes;
use serde::ser::{SerializeMap, Serializer as _};
use serde::Serialize;

/// A Memcache-binary-like message: `opcode opaque key`, e.g. `q 7 k`;
/// requests from the client, responses from the server (classification by
/// direction).
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "binary", ports(11211))]
#[delimiter(b'\n')]
#[parse_with(parse_binary)]
#[correlate(by = opaque)]
#[no_response_if(is_quit)]
#[optional_response_if(Binary::is_quiet)]
#[describe_with(describe_binary)]
#[fields_with(fields_binary)]
#[fields_json_with(fields_binary_json)]
struct Binary {
    #[kind]
    kind: Kind,
    opcode: u8,
    opaque: u32,
    key: NetString,
}

fn parse_binary(payload: Bytes, direction: Direction) -> Result<Binary, ParseError> {
    let invalid = || ParseError::Invalid("expected `opcode opaque key`".into());
    let mut words = payload.split(|b| *b == b' ');
    let opcode = *words.next().and_then(|w| w.first()).ok_or_else(invalid)?;
    let opaque = words.next().ok_or_else(invalid)?;
    let opaque = std::str::from_utf8(opaque)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(invalid)?;
    let key_start = payload.len() - words.next().map_or(0, <[u8]>::len);
    Ok(Binary {
        kind: direction.default_kind(),
        opcode,
        opaque,
        key: payload.slice(key_start..).into(),
    })
}

fn is_quit(message: &Binary) -> bool {
    message.opcode == b'x'
}

impl Binary {
    fn is_quiet(&self) -> bool {
        self.opcode.is_ascii_uppercase()
    }
}

fn describe_binary(message: &Binary) -> Description<'_> {
    Description::method(char::from(message.opcode).to_string())
        .with_resource(message.key.to_string_lossy())
}

fn fields_binary<M: SerializeMap>(
    request: Option<&Binary>,
    response: Option<&Binary>,
    map: &mut M,
) -> Result<(), M::Error> {
    if let Some(request) = request {
        map.serialize_entry("opaque", &request.opaque)?;
    }
    map.serialize_entry("answered", &response.is_some())
}

/// `fields_binary` as JSON entries.
fn fields_binary_json(request: Option<&Binary>, response: Option<&Binary>, json: &mut JsonFields) {
    if let Some(request) = request {
        json.u64(const { JsonKey::new("opaque") }, request.opaque.into());
    }
    json.bool(const { JsonKey::new("answered") }, response.is_some());
}

/// A tuple struct parsed by an associated function, written as
/// `#[parse_with(path)]`; its kind from `#[kind_with]`, correlated by index.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "tuple")]
#[delimiter(b'\n')]
#[parse_with(Tuple::parse_tuple)]
#[kind_with(Tuple::kind_of)]
#[correlate(by = 1)]
struct Tuple(#[serde(skip)] Bytes, u16);

impl Tuple {
    fn parse_tuple(payload: Bytes, _: Direction) -> Result<Self, ParseError> {
        let id = payload.len() as u16;
        Ok(Tuple(payload, id))
    }

    fn kind_of(&self) -> Kind {
        if self.0.starts_with(b"!") {
            Kind::Error
        } else {
            Kind::Response
        }
    }
}

/// A tuple struct with a `#[kind]` field, correlated by index.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "pair")]
#[delimiter(b'\n')]
#[parse_with(parse_pair)]
#[correlate(by = 1)]
struct Pair(#[kind] Kind, u8);

fn parse_pair(payload: Bytes, direction: Direction) -> Result<Pair, ParseError> {
    Ok(Pair(direction.default_kind(), payload.len() as u8))
}

/// A unit struct, correlated by a function.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "unit")]
#[length_prefix(width = 1)]
#[parse_with(parse_unit)]
#[kind_with(request)]
#[correlate(with = always_one)]
struct Unit;

fn parse_unit(_: Bytes, _: Direction) -> Result<Unit, ParseError> {
    Ok(Unit)
}

fn request<T>(_: &T) -> Kind {
    Kind::Request
}

fn always_one(_: &Unit) -> Option<u64> {
    Some(1)
}

/// Correlation by u8 and u64 fields.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "wide")]
#[delimiter(b'\n')]
#[parse_with(parse_wide)]
#[kind_with(request)]
#[correlate(by = id)]
struct Wide {
    narrow: u8,
    id: core::primitive::u64,
}

#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "narrow")]
#[delimiter(b'\n')]
#[parse_with(parse_narrow)]
#[kind_with(request)]
#[correlate(by = id)]
struct Narrow {
    id: u8,
}

fn parse_wide(_: Bytes, _: Direction) -> Result<Wide, ParseError> {
    Ok(Wide {
        narrow: 1,
        id: u64::MAX,
    })
}

fn parse_narrow(_: Bytes, _: Direction) -> Result<Narrow, ParseError> {
    Ok(Narrow { id: 255 })
}

/// No hook: the trait's defaults.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "plain")]
#[delimiter(b'\n')]
struct Plain {
    #[tag(request = b'>')]
    kind: Kind,
    body: NetString,
}

/// An enum with the hooks, correlated by a function.
#[derive(Protocol, Debug, Serialize)]
#[protocol(name = "cmd")]
#[delimiter(b'\n')]
#[correlate(with = Cmd::key)]
#[no_response_if(Cmd::is_quit)]
#[describe_with(Cmd::describe_cmd)]
enum Cmd {
    #[keyword("get", request)]
    Get(NetString),
    #[keyword("quit", request)]
    Quit,
    #[keyword("value", response)]
    Value(NetString),
}

impl Cmd {
    fn key(&self) -> Option<u64> {
        match self {
            Cmd::Get(key) | Cmd::Value(key) => Some(key.len() as u64),
            Cmd::Quit => None,
        }
    }

    fn is_quit(&self) -> bool {
        matches!(self, Cmd::Quit)
    }

    fn describe_cmd(&self) -> Description<'_> {
        match self {
            Cmd::Get(key) => Description::method("GET").with_resource(key.to_string_lossy()),
            _ => Description::default(),
        }
    }
}

fn parse<P: Protocol>(payload: &'static [u8], direction: Direction) -> P {
    P::parse(Bytes::from_static(payload), direction).unwrap()
}

#[test]
fn parse_with_gets_the_direction() {
    let request: Binary = parse(b"g 7 key", Direction::FromClient);
    assert_eq!(request.kind(), Kind::Request);
    assert_eq!((request.opcode, request.opaque), (b'g', 7));
    assert_eq!(request.key.as_bytes(), b"key");
    let response: Binary = parse(b"g 7 key", Direction::FromServer);
    assert_eq!(response.kind(), Kind::Response);
    let error = Binary::parse(Bytes::from_static(b"g x"), Direction::FromClient).unwrap_err();
    assert_eq!(
        error,
        ParseError::Invalid("expected `opcode opaque key`".into())
    );
}

#[test]
fn correlation_key() {
    let request: Binary = parse(b"g 7 key", Direction::FromClient);
    assert_eq!(request.correlation_key(), Some(7));
    let tuple: Tuple = parse(b"abc", Direction::FromServer);
    assert_eq!(tuple.correlation_key(), Some(3));
    let unit: Unit = parse(b"", Direction::FromServer);
    assert_eq!(unit.correlation_key(), Some(1));
    let pair: Pair = parse(b"ab", Direction::FromServer);
    assert_eq!(
        (pair.kind(), pair.correlation_key()),
        (Kind::Response, Some(2))
    );
    let wide: Wide = parse(b"", Direction::FromServer);
    assert_eq!((wide.narrow, wide.correlation_key()), (1, Some(u64::MAX)));
    let narrow: Narrow = parse(b"", Direction::FromServer);
    assert_eq!(narrow.correlation_key(), Some(255));
    let get: Cmd = parse(b"get abcd", Direction::FromClient);
    assert_eq!(get.correlation_key(), Some(4));
    let quit: Cmd = parse(b"quit", Direction::FromClient);
    assert_eq!(quit.correlation_key(), None);
}

#[test]
fn kind_with() {
    let tuple: Tuple = parse(b"!oops", Direction::FromServer);
    assert_eq!(tuple.kind(), Kind::Error);
    let tuple: Tuple = parse(b"fine", Direction::FromServer);
    assert_eq!(tuple.kind(), Kind::Response);
    let unit: Unit = parse(b"", Direction::FromServer);
    assert_eq!(unit.kind(), Kind::Request);
}

#[test]
fn expects_response_and_response_optional() {
    let get: Binary = parse(b"g 1 k", Direction::FromClient);
    assert!(get.expects_response());
    assert!(!get.response_optional());
    let quit: Binary = parse(b"x 1 k", Direction::FromClient);
    assert!(!quit.expects_response());
    let quiet: Binary = parse(b"G 1 k", Direction::FromClient);
    assert!(quiet.expects_response());
    assert!(quiet.response_optional());

    let quit: Cmd = parse(b"QUIT", Direction::FromClient);
    assert!(!quit.expects_response());
    let get: Cmd = parse(b"get k", Direction::FromClient);
    assert!(get.expects_response());
}

#[test]
fn describe() {
    let get: Binary = parse(b"g 1 key", Direction::FromClient);
    assert_eq!(
        get.describe(),
        Description::method("g").with_resource("key")
    );
    let get: Cmd = parse(b"get key", Direction::FromClient);
    assert_eq!(
        get.describe(),
        Description::method("GET").with_resource("key")
    );
    let value: Cmd = parse(b"value 1", Direction::FromServer);
    assert_eq!(value.describe(), Description::default());
}

/// The protocol's own fields, written into a JSON object.
fn own_fields<P: Protocol>(request: Option<&P>, response: Option<&P>) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut out);
    let mut map = serializer.serialize_map(None).unwrap();
    P::own_fields(request, response, &mut map).unwrap();
    map.end().unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn fields_with() {
    let request: Binary = parse(b"g 7 k", Direction::FromClient);
    let response: Binary = parse(b"g 7 k", Direction::FromServer);
    let json = own_fields(Some(&request), Some(&response));
    assert_eq!(json, r#"{"opaque":7,"answered":true}"#);
    assert_eq!(
        own_fields(Some(&request), None),
        r#"{"opaque":7,"answered":false}"#
    );
}

/// The entries `__own_fields_json` writes, as a JSON object (`None` when it
/// declines).
fn own_fields_json<P: Protocol>(request: Option<&P>, response: Option<&P>) -> Option<String> {
    let mut out = b"{\"x\":0".to_vec();
    P::__own_fields_json(request, response, &mut out).ok()?;
    out.push(b'}');
    let text = String::from_utf8(out).unwrap();
    // Without the placeholder entry, as `own_fields` writes them.
    Some(text.replacen("\"x\":0,", "", 1).replacen("\"x\":0", "", 1))
}

#[test]
fn fields_json_with_writes_what_fields_with_gives() {
    let request: Binary = parse(b"g 7 k", Direction::FromClient);
    let response: Binary = parse(b"g 7 k", Direction::FromServer);
    for (req, resp) in [
        (Some(&request), Some(&response)),
        (Some(&request), None),
        (None, Some(&response)),
        (None, None),
    ] {
        assert_eq!(
            own_fields_json(req, resp).as_deref(),
            Some(&*own_fields(req, resp))
        );
    }
    // Without the attribute, nothing is written that way: serde is used.
    let plain: Plain = parse(b">x", Direction::FromClient);
    assert_eq!(own_fields_json(Some(&plain), None), None);
}

#[test]
fn defaults_without_hooks() {
    let plain: Plain = parse(b">x", Direction::FromClient);
    assert_eq!(plain.correlation_key(), None);
    assert!(plain.expects_response());
    assert!(!plain.response_optional());
    assert_eq!(plain.describe(), Description::default());
    // `own_fields` keeps its default: the messages under the protocol's name.
    let json = own_fields(Some(&plain), None);
    assert_eq!(
        json,
        r#"{"plain":{"request":{"kind":"request","body":"x"}}}"#
    );
}

/// The hooks' expansion names everything by its full path.
mod hygiene {
    #![allow(dead_code, non_upper_case_globals, non_camel_case_types)]

    use ::analyzer_core::{Description, Direction, Kind, ParseError};
    use bytes::Bytes;

    mod core {}
    mod analyzer_core {}
    struct Option;
    struct Some;
    struct From;
    struct bool;
    struct u64;
    struct u16;
    struct str;
    struct M;
    const request: u8 = 0;
    const response: u8 = 0;
    const map: u8 = 0;
    const direction: u8 = 0;

    #[derive(::analyzer_core::Protocol, serde::Serialize)]
    #[protocol(name = "hygiene")]
    #[delimiter(b'\n')]
    #[parse_with(parse)]
    #[kind_with(kind)]
    #[correlate(by = id)]
    #[no_response_if(never)]
    #[optional_response_if(never)]
    #[describe_with(describe)]
    #[fields_with(fields)]
    pub struct Message {
        pub id: ::core::primitive::u32,
    }

    fn parse(_: Bytes, _: Direction) -> ::core::result::Result<Message, ParseError> {
        ::core::result::Result::Ok(Message { id: 3 })
    }

    fn kind(_: &Message) -> Kind {
        Kind::Request
    }

    fn never(_: &Message) -> ::core::primitive::bool {
        false
    }

    fn describe(_: &Message) -> Description<'_> {
        Description::method("M")
    }

    fn fields<S: serde::ser::SerializeMap>(
        _: ::core::option::Option<&Message>,
        _: ::core::option::Option<&Message>,
        _: &mut S,
    ) -> ::core::result::Result<(), S::Error> {
        ::core::result::Result::Ok(())
    }
}

#[test]
fn expansion_is_hygienic() {
    let message: hygiene::Message = parse(b"", Direction::FromClient);
    assert_eq!(message.correlation_key(), Some(3));
    assert_eq!(message.describe(), Description::method("M"));
    assert!(message.expects_response());
    assert_eq!(own_fields::<hygiene::Message>(None, None), "{}");
}
