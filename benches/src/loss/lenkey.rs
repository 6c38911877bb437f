//! `lenkey`: a length-prefixed protocol whose answers carry their request's
//! id, the shape of DNS over TCP or a binary RPC. A frame is a 2-byte
//! big-endian length (of what follows it), a 2-byte id, a type byte (`Q`
//! query, `A` answer, `E` error) and a payload. Answers pair by id, in any
//! order ([`Conversation::correlation_key`]).

use analyzer_core::{Conversation, Cx, Kind, ParseError, Protocol};
use bytes::Bytes;

/// The server port.
pub const PORT: u16 = 7070;

/// One `lenkey` message.
#[derive(Protocol, Debug)]
#[protocol(
    name = "lenkey",
    ports(7070),
    length(width = 2, plausible = plausible),
    parse = read,
    conversation
)]
pub struct LenKey {
    /// Request, response or error, from the type byte.
    #[protocol(kind)]
    pub kind: Kind,
    /// The id an answer repeats.
    pub id: u16,
    /// The payload's size.
    pub size: u64,
}

/// A header is plausible when its length is small and its type byte known
/// (as far as the bytes at hand tell).
fn plausible(header: &[u8]) -> bool {
    let small = |hi: u8, lo: u8| (3..=1024).contains(&u16::from_be_bytes([hi, lo]));
    match *header {
        [hi, lo, _, _, t, ..] => small(hi, lo) && matches!(t, b'Q' | b'A' | b'E'),
        [hi, lo, ..] => small(hi, lo),
        _ => true,
    }
}

fn read(frame: Bytes, _: &Cx<'_, LenKey>) -> Result<LenKey, ParseError> {
    let [_, _, hi, lo, t, ..] = frame[..] else {
        return Err(ParseError::Invalid("frame shorter than its header".into()));
    };
    let kind = match t {
        b'Q' => Kind::Request,
        b'A' => Kind::Response,
        b'E' => Kind::Error,
        other => return Err(ParseError::UnknownTag { byte: other }),
    };
    Ok(LenKey {
        kind,
        id: u16::from_be_bytes([hi, lo]),
        size: frame.len() as u64 - 5,
    })
}

impl Conversation for LenKey {
    type Session = ();

    fn correlation_key(&self) -> Option<u64> {
        Some(u64::from(self.id))
    }
}

/// Appends a message of type `t` with `id` and a `size`-byte payload.
pub fn message(out: &mut Vec<u8>, t: u8, id: u16, size: usize) {
    out.extend_from_slice(&((size + 3) as u16).to_be_bytes());
    out.extend_from_slice(&id.to_be_bytes());
    out.push(t);
    out.extend((0..size).map(|i| b'a' + (i % 26) as u8));
}
