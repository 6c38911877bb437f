// `#[fields_json_with]` writes what `#[fields_with]` gives: not without it.
use analyzer_core::{JsonFields, Kind, NetString, Protocol};
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "kv")]
#[delimiter(b'\n')]
#[fields_json_with(fields_json)]
struct Kv {
    #[tag(request = b'>', response = b'<')]
    kind: Kind,
    text: NetString,
}

fn fields_json(_: Option<&Kv>, _: Option<&Kv>, _: &mut JsonFields<'_>) {}

fn main() {}
