//! Where framing picks up after lost bytes: the first offset where a
//! message plausibly starts. A type byte and a length alone match too often
//! inside rows (a `3` followed by a small length is a CloseComplete), so a
//! candidate must also have a length its type allows, and then either a
//! body that checks out exactly (a DataRow's columns, a Query's string) or
//! a plausible header right after it.

use analyzer_core::Direction;

use crate::framer::{
    client_type, server_type, CANCEL_REQUEST, GSSENC_REQUEST, MAX_STARTUP, PROTOCOL_3, SSL_REQUEST,
};

/// How far past a candidate the next header is awaited: a longer candidate
/// is taken on its own checks.
const LOOKAHEAD: usize = 64 * 1024;

/// After lost bytes: whether a message plausibly starts at `buf`'s start,
/// messages being at most `limit` bytes. `None`: more bytes are needed to
/// tell (never more than `limit`).
///
/// ```
/// use analyzer_core::Direction;
/// use pgsql::plausible;
///
/// let server = Direction::FromServer;
/// // ReadyForQuery checks out alone; a DataRow by its columns.
/// assert_eq!(plausible(b"Z\0\0\0\x05I", server, 1 << 20), Some(true));
/// assert_eq!(plausible(b"D\0\0\0\x0b\0\x01\0\0\0\x01x", server, 1 << 20), Some(true));
/// assert_eq!(plausible(b"D\0\0\0\x0b\0\x02\0\0\0\x01x", server, 1 << 20), Some(false));
/// // A CloseComplete is 4 bytes long, never 8; an unknown type is no start.
/// assert_eq!(plausible(b"3\0\0\0\x08row 1", server, 1 << 20), Some(false));
/// assert_eq!(plausible(b"x\0\0\0\x05", server, 1 << 20), Some(false));
/// ```
pub fn plausible(buf: &[u8], direction: Direction, limit: usize) -> Option<bool> {
    let first = *buf.first()?;
    // Never more than `limit` bytes are needed to tell: the stream holds
    // no more.
    if direction == Direction::FromClient && first == 0 {
        return Some(limit >= 8 && untyped(buf.get(..8)?));
    }
    if limit < 5 {
        return Some(false);
    }
    let len = header(buf, direction)?;
    if len == 0 || len + 1 > limit {
        return Some(false);
    }
    let total = len + 1;
    // Bodies that check out exactly.
    match (direction, first) {
        (Direction::FromServer, b'Z') => return Some(matches!(buf.get(5)?, b'I' | b'T' | b'E')),
        (Direction::FromServer, b'D') if total <= LOOKAHEAD => {
            return Some(data_row(buf.get(5..total)?));
        }
        (Direction::FromClient, b'Q') if total <= LOOKAHEAD => {
            let body = buf.get(5..total)?;
            return Some(body.iter().position(|&b| b == 0) == Some(body.len() - 1));
        }
        _ => {}
    }
    match buf.get(total..) {
        Some(next) if next.len() >= 5 => Some(header(next, direction).is_some_and(|l| l > 0)),
        _ if total + 5 <= LOOKAHEAD.min(limit) => None,
        _ => Some(true),
    }
}

/// A startup-phase message's length and code (its first 8 bytes).
fn untyped(header: &[u8]) -> bool {
    let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let code = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    let known = matches!(code, SSL_REQUEST | GSSENC_REQUEST | CANCEL_REQUEST)
        || code >> 16 == PROTOCOL_3 >> 16;
    known && (8..=MAX_STARTUP).contains(&len)
}

/// A typed header's length field, when its type is one `direction` sends
/// and the length one that type can have; `Some(0)` when it cannot be a
/// header; `None` before 5 bytes.
fn header(buf: &[u8], direction: Direction) -> Option<usize> {
    let head = buf.get(..5)?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let ok = match direction {
        Direction::FromServer => server_type(head[0]) && server_len(head[0], len),
        Direction::FromClient => client_type(head[0]) && client_len(head[0], len),
    };
    Some(if ok { len } else { 0 })
}

fn server_len(tag: u8, len: usize) -> bool {
    match tag {
        b'1' | b'2' | b'3' | b'n' | b's' | b'c' | b'I' => len == 4,
        b'Z' => len == 5,
        b'K' => len >= 12,
        b'R' | b'V' => len >= 8,
        b'D' | b'T' | b'S' | b't' => len >= 6,
        b'G' | b'H' | b'W' => len >= 7,
        b'A' => len >= 10,
        b'v' => len >= 12,
        b'C' | b'E' | b'N' => len >= 5,
        _ => len >= 4,
    }
}

fn client_len(tag: u8, len: usize) -> bool {
    match tag {
        b'S' | b'H' | b'c' | b'X' => len == 4,
        b'Q' | b'f' | b'p' => len >= 5,
        b'D' | b'C' => len >= 6,
        b'P' => len >= 8,
        b'E' => len >= 9,
        b'B' => len >= 12,
        _ => len >= 4,
    }
}

/// A DataRow body: a column count, then each column's length (-1: NULL)
/// and bytes, ending exactly at the end.
fn data_row(body: &[u8]) -> bool {
    let Some((count, mut rest)) = body.split_first_chunk::<2>() else {
        return false;
    };
    for _ in 0..u16::from_be_bytes(*count) {
        let Some((len, after)) = rest.split_first_chunk::<4>() else {
            return false;
        };
        rest = match i32::from_be_bytes(*len) {
            -1 => after,
            len if len >= 0 && len as usize <= after.len() => &after[len as usize..],
            _ => return false,
        };
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_headers_after_loss() {
        let (client, server) = (Direction::FromClient, Direction::FromServer);
        let limit = 1 << 20;
        assert_eq!(plausible(b"D\0\0", server, limit), None);
        assert_eq!(plausible(b"D\x7f\0\0\0", server, limit), Some(false));
        // A DataRow is judged by its columns, once all there.
        assert_eq!(
            plausible(b"D\0\0\0\x0a\0\x01\xff\xff\xff\xff", server, limit),
            Some(true)
        );
        assert_eq!(plausible(b"D\0\0\0\x0a\0\x01\xff\xff", server, limit), None);
        // Others by the header after them.
        assert_eq!(plausible(b"C\0\0\0\x0dSELECT 1\0", server, limit), None);
        assert_eq!(
            plausible(b"C\0\0\0\x0dSELECT 1\0Z\0\0\0\x05", server, limit),
            Some(true)
        );
        assert_eq!(
            plausible(b"C\0\0\0\x0dSELECT 1\0row 1", server, limit),
            Some(false)
        );
        assert_eq!(plausible(b"Q\0\0\0\x05\0", client, limit), Some(true));
        assert_eq!(plausible(b"Q\0\0\0\x06a\0", client, limit), Some(true));
        assert_eq!(plausible(b"Q\0\0\0\x06ab", client, limit), Some(false));
        assert_eq!(plausible(b"S\0\0\0\x05", client, limit), Some(false));
        assert_eq!(
            plausible(b"\0\0\0\x08\x04\xd2\x16\x2f", client, limit),
            Some(true)
        );
        assert_eq!(
            plausible(b"\0\0\0\x08\x04\xd2\x16\x20", client, limit),
            Some(false)
        );
        // Longer than the limit.
        assert_eq!(plausible(b"D\0\x20\0\0", server, 1024), Some(false));
        // Nothing past the limit is awaited: a candidate that fits is taken
        // on its own checks.
        assert_eq!(plausible(b"C\0\0\0\x06a\0", server, 9), Some(true));
        assert_eq!(plausible(b"C\0\0\0\x06a\0", server, 12), None);
        assert_eq!(plausible(b"\0\0\0", client, 7), Some(false));
        assert_eq!(plausible(b"Z\0", server, 4), Some(false));
    }

    #[test]
    fn the_bytes_of_rows_are_no_start() {
        // The rows of select-5000: `D`, length, 2 columns "1234", "row 1234".
        let mut rows = Vec::new();
        for i in 1000..1100u32 {
            let (id, label) = (i.to_string(), format!("row {i}"));
            rows.push(b'D');
            rows.extend_from_slice(
                &(4 + 2 + 8 + id.len() as u32 + label.len() as u32).to_be_bytes(),
            );
            rows.extend_from_slice(&2u16.to_be_bytes());
            for v in [&id, &label] {
                rows.extend_from_slice(&(v.len() as u32).to_be_bytes());
                rows.extend_from_slice(v.as_bytes());
            }
        }
        let starts: Vec<usize> = (0..rows.len() - 64)
            .filter(|&at| plausible(&rows[at..], Direction::FromServer, 10 << 20) == Some(true))
            .collect();
        let row_len = rows.len() / 100;
        assert!(starts.iter().all(|at| at % row_len == 0), "{starts:?}");
        assert_eq!(starts.len(), (rows.len() - 64).div_ceil(row_len));
    }
}
