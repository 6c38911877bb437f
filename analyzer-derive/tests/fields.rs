//! The event fields the derive writes for a message (`write_fields`): a
//! struct's named fields as `#[derive(Serialize)]` would write them
//! (following `rename`, `rename_all`, `skip`, `skip_serializing_if`,
//! `flatten`; a `None` option left out), `#[protocol(skip)]` fields left
//! out; an enum's variant as
//! `"type"` and its field as `"content"`. Checked against serde_json.

use std::borrow::Cow;

use analyzer_core::{Cx, Direction, JsonFields, Kind, NetString, ParseError, Protocol};
use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Value};

/// What `write_fields` writes, as one JSON object.
fn written<P: Protocol>(message: &P) -> Value {
    let mut out = b"{".to_vec();
    let mut fields = JsonFields::first(&mut out);
    message.write_fields(&mut fields);
    assert!(fields.done());
    out.push(b'}');
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
}

fn never<P>(_: Bytes, _: &Cx<'_, P>) -> Result<P, ParseError>
where
    P: analyzer_core::Conversation,
{
    Err(ParseError::invalid("not read in these tests"))
}

#[derive(Serialize, Clone, Debug)]
struct Inner {
    a: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<f64>,
}

#[allow(dead_code)] // `hidden` and `not_in_events` are written nowhere, as they should
#[derive(Protocol, Serialize, Debug)]
#[protocol(name = "shapes", delimiter = b'\n', parse = never)]
#[serde(rename_all = "camelCase")]
struct Shapes {
    #[protocol(kind)]
    kind: Kind,
    net_string: NetString,
    #[serde(rename = "n")]
    number: u64,
    negative: i32,
    flag: bool,
    text: String,
    cow: Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maybe: Option<u16>,
    maybe_null: Option<u16>,
    list: Vec<NetString>,
    #[serde(skip)]
    hidden: u8,
    #[protocol(skip)]
    #[serde(skip)]
    not_in_events: u8,
    inner: Inner,
    #[serde(flatten)]
    flat: Inner,
    float: f64,
}

#[test]
fn a_struct_is_written_as_its_serialize() {
    let message = Shapes {
        kind: Kind::Error,
        net_string: NetString::from(Bytes::from_static(b"a\"b\xff")),
        number: u64::MAX,
        negative: -5,
        flag: true,
        text: "t\n".into(),
        cow: Cow::Borrowed("c"),
        maybe: None,
        maybe_null: None,
        list: vec!["x".into(), "y".into()],
        hidden: 1,
        not_in_events: 2,
        inner: Inner { a: 1, b: Some(0.5) },
        flat: Inner { a: 2, b: None },
        float: 1.25,
    };
    let mut serde = serde_json::to_value(&message).unwrap();
    // A `None` is left out of events (serde writes `null`).
    serde.as_object_mut().unwrap().remove("maybeNull");
    assert_eq!(written(&message), serde);
    assert_eq!(written(&message)["netString"], json!("a\"b\u{fffd}"));
}

/// Without `Serialize`: `Bytes` are written as text.
#[derive(Protocol, Debug)]
#[protocol(name = "raw", delimiter = b'\n', parse = never)]
struct Raw {
    body: Bytes,
}

#[test]
fn bytes_are_written_as_text() {
    let raw = Raw {
        body: Bytes::from_static(b"ok\xff"),
    };
    assert_eq!(written(&raw), json!({"body": "ok\u{fffd}"}));
}

#[derive(Protocol, Serialize, Debug)]
#[protocol(name = "cmds", delimiter = b'\n', parse = never)]
enum Cmds {
    Ping,
    Say(NetString),
    #[serde(rename = "set")]
    Set {
        key: NetString,
        #[serde(skip_serializing_if = "Option::is_none")]
        ttl: Option<u32>,
    },
}

#[test]
fn an_enum_is_written_as_its_variant_and_content() {
    assert_eq!(written(&Cmds::Ping), json!({"type": "Ping"}));
    assert_eq!(
        written(&Cmds::Say("hi".into())),
        json!({"type": "Say", "content": "hi"})
    );
    assert_eq!(
        written(&Cmds::Set {
            key: "k".into(),
            ttl: None
        }),
        json!({"type": "set", "key": "k"})
    );
}

/// Fields named as the generated code's own names once were (`out`, `buf`,
/// `some`, `content`): the derive's names cannot clash with them.
#[derive(Protocol, Serialize, Debug)]
#[protocol(name = "clash", delimiter = b'\n', parse = never)]
enum Clash {
    Named {
        out: NetString,
        buf: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        some: Option<NetString>,
        content: u8,
    },
}

#[test]
fn variant_fields_may_have_any_name() {
    let message = Clash::Named {
        out: "o".into(),
        buf: 7,
        some: Some("s".into()),
        content: 1,
    };
    assert_eq!(
        written(&message),
        json!({"type": "Named", "out": "o", "buf": 7, "some": "s", "content": 1})
    );
    message.prefetch();
}

#[test]
fn the_default_fields_are_the_request_and_the_response_under_the_name() {
    let request = Cmds::Say("a".into());
    let response = Cmds::Ping;
    let mut out = b"{".to_vec();
    let mut fields = JsonFields::first(&mut out);
    <Cmds as analyzer_core::Conversation>::fields(Some(&request), Some(&response), &mut fields);
    assert!(fields.done());
    out.push(b'}');
    let value: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        value,
        json!({"cmds": {"request": {"type": "Say", "content": "a"}, "response": {"type": "Ping"}}})
    );
    let _ = Direction::FromClient;
}
