//! The `chunked` transfer coding (RFC 9112 §7.1), decoded as it streams by:
//! [`advance`] moves a [`Chunked`] state over whole units of the bytes at
//! hand (a size line, data, the CRLF after the data, a trailer line) and
//! tells how many data bytes went by, without holding any of them.

/// The longest chunk-size or trailer line, its CRLF included.
pub const MAX_LINE: usize = 8 * 1024;

/// Where a chunked body's decoder stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Chunked {
    /// At a chunk-size line (`1b;ext=1\r\n`).
    #[default]
    Size,
    /// Inside a chunk's data: this many bytes left.
    Data(u64),
    /// At the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk (`0\r\n`): at a trailer field line or the
    /// empty line ending the body.
    Trailer,
    /// The body ended.
    Done,
}

/// How far [`advance`] went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Bytes consumed: whole units only (a line is consumed with its end).
    pub consumed: usize,
    /// Chunk data bytes among them (the body's decoded length).
    pub data: u64,
    /// The state after them.
    pub state: Chunked,
}

/// Advances `state` over `buf` as far as whole units allow, calling `data`
/// with each run of chunk data. Stops at the end of the body ([`Chunked::Done`])
/// or at a line not complete in `buf`; a line that is not a chunk size, or
/// longer than [`MAX_LINE`], or data not followed by a line end, is an error.
///
/// ```
/// use http::chunked::{advance, Chunked};
///
/// let body = b"5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n";
/// let step = advance(Chunked::Size, body, |_| {}).unwrap();
/// assert_eq!((step.consumed, step.data, step.state), (body.len(), 5, Chunked::Done));
/// // A size line not complete yet: nothing consumed.
/// assert_eq!(advance(Chunked::Size, b"1f", |_| {}).unwrap().consumed, 0);
/// assert!(advance(Chunked::Size, b"zz\r\n", |_| {}).is_err());
/// ```
pub fn advance(
    mut state: Chunked,
    buf: &[u8],
    mut data: impl FnMut(&[u8]),
) -> Result<Step, &'static str> {
    let mut at = 0;
    let mut decoded = 0u64;
    loop {
        let rest = &buf[at..];
        match state {
            Chunked::Done => break,
            Chunked::Data(left) => {
                if rest.is_empty() {
                    break;
                }
                let take = (left.min(rest.len() as u64)) as usize;
                data(&rest[..take]);
                decoded += take as u64;
                at += take;
                state = match left - take as u64 {
                    0 => Chunked::DataEnd,
                    left => Chunked::Data(left),
                };
            }
            Chunked::DataEnd => match rest {
                [b'\n', ..] => {
                    at += 1;
                    state = Chunked::Size;
                }
                [b'\r', b'\n', ..] => {
                    at += 2;
                    state = Chunked::Size;
                }
                [] | [b'\r'] => break,
                _ => return Err("chunk data not followed by a line end"),
            },
            Chunked::Size | Chunked::Trailer => {
                let Some(nl) = memchr::memchr(b'\n', &rest[..rest.len().min(MAX_LINE)]) else {
                    if rest.len() >= MAX_LINE {
                        return Err("chunk size or trailer line too long");
                    }
                    break;
                };
                let line = trim_cr(&rest[..nl]);
                at += nl + 1;
                state = match state {
                    Chunked::Size => match chunk_size(line) {
                        Some(0) => Chunked::Trailer,
                        Some(size) => Chunked::Data(size),
                        None => return Err("invalid chunk size line"),
                    },
                    _ if line.is_empty() => Chunked::Done,
                    _ => Chunked::Trailer,
                };
            }
        }
    }
    Ok(Step {
        consumed: at,
        data: decoded,
        state,
    })
}

/// The line without its `\r`.
fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The size of a chunk-size line (hex digits, then optional whitespace and
/// `;extensions`); `None` if it is not one or overflows 60 bits.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 15 {
        return None;
    }
    match line[digits..].iter().find(|b| !matches!(b, b' ' | b'\t')) {
        None | Some(b';') => {}
        Some(_) => return None,
    }
    let text = std::str::from_utf8(&line[..digits]).ok()?;
    u64::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_fed_one_byte_at_a_time_decodes_the_same() {
        let body =
            b"c\r\nfirst chunk\n\r\n1b;x=y\r\nsecond chunk, a bit longer\n\r\n0\r\nT: 1\r\n\r\n";
        let mut state = Chunked::Size;
        let (mut held, mut total) = (Vec::new(), 0);
        let mut content = Vec::new();
        for &b in body {
            held.push(b);
            let step = advance(state, &held, |d| content.extend_from_slice(d)).unwrap();
            held.drain(..step.consumed);
            total += step.data;
            state = step.state;
        }
        assert_eq!((state, total), (Chunked::Done, 39));
        assert_eq!(content, b"first chunk\nsecond chunk, a bit longer\n");
        assert!(held.is_empty());
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(advance(Chunked::Size, b"-1\r\n", |_| {}).is_err());
        assert!(advance(Chunked::Size, b"ffffffffffffffffff\r\n", |_| {}).is_err());
        assert!(advance(Chunked::DataEnd, b"xx", |_| {}).is_err());
        assert!(advance(Chunked::Size, &[b'1'; MAX_LINE], |_| {}).is_err());
        let step = advance(Chunked::Data(3), b"ab", |_| {}).unwrap();
        assert_eq!(step.state, Chunked::Data(1));
    }
}
