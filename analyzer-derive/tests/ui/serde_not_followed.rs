use analyzer_core::{Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "a", delimiter = b'\n')]
#[serde(rename_all = "Shouting", default)]
struct A {
    #[protocol(tag(request = b'>'))]
    kind: Kind,
    #[serde(serialize_with = "custom", rename = "b")]
    body: NetString,
}

fn custom<S: serde::Serializer>(_: &NetString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_unit()
}

fn main() {}
