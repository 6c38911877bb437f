// Functions with the wrong signature: each type error points at the
// function's path in its attribute.
use analyzer_core::{Direction, Kind, NetString, Protocol};
use bytes::Bytes;
use serde::Serialize;

#[derive(Protocol, Serialize)]
#[protocol(name = "echo")]
#[delimiter(b'\n')]
#[parse_with(parse)]
#[kind_with(kind_of)]
#[no_response_if(is_quit)]
#[describe_with(describe)]
#[fields_with(fields)]
#[correlate(with = key)]
struct Message {
    content: NetString,
}

fn parse(_: Bytes, _: Direction) -> Option<Message> {
    None
}

fn kind_of(_: &Message) -> bool {
    true
}

fn is_quit(_: Message) -> bool {
    false
}

fn describe(_: &Message) -> String {
    String::new()
}

fn fields(_: Option<&Message>, _: Option<&Message>) -> Result<(), ()> {
    Ok(())
}

fn key(_: &Message) -> u64 {
    0
}

#[allow(dead_code)]
fn uses(_: Kind) {}

fn main() {}
