//! Framing the text protocol: a command line, plus the data block of a
//! storage command taken by its byte count; from the server, one line, or a
//! multi-part answer (`VALUE` blocks, `STAT` lines) up to `END`.
//!
//! Lines end with `\n`, normally preceded by `\r` (memcached accepts both).

use analyzer_core::Direction;

use crate::{have, FrameLen, MAX_KEYS_LINE, MAX_LINE, MAX_PARTS};

/// Storage commands (from the client) followed by a data block, with the
/// index of the `<bytes>` argument on their line.
fn client_data_arg(command: &[u8]) -> Option<usize> {
    match command {
        b"set" | b"add" | b"replace" | b"append" | b"prepend" | b"cas" => Some(4),
        b"ms" => Some(2), // meta set: ms <key> <datalen> <flags>*
        _ => None,
    }
}

/// Server lines followed by a data block, with the index of `<bytes>`.
fn server_data_arg(word: &[u8]) -> Option<usize> {
    match word {
        b"VALUE" => Some(3), // VALUE <key> <flags> <bytes> [<cas>]
        b"VA" => Some(1),    // meta get: VA <size> <flags>*
        _ => None,
    }
}

/// The end (after its `\n`) of the line starting at `start`.
fn line_end(buf: &[u8], start: usize, max: usize) -> Result<usize, FrameLen> {
    let window = &buf[start..buf.len().min(start.saturating_add(max))];
    match memchr::memchr(b'\n', window) {
        Some(i) => Ok(start + i + 1),
        None if window.len() >= max => {
            Err(FrameLen::Invalid(format!("line longer than {max} bytes")))
        }
        None => Err(FrameLen::Incomplete(None)),
    }
}

/// The line without its `\r\n`.
pub(crate) fn trim(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

pub(crate) fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ').filter(|w| !w.is_empty())
}

pub(crate) fn number<T: std::str::FromStr>(word: &[u8]) -> Option<T> {
    std::str::from_utf8(word).ok()?.parse().ok()
}

/// The end of a data block of `word`'s byte count starting at `at`.
fn data_end(at: usize, word: Option<&[u8]>) -> Option<usize> {
    let n: u32 = number(word?)?;
    at.checked_add(n as usize)?.checked_add(2)
}

/// Frames one text message.
pub(crate) fn frame(buf: &[u8], direction: Direction) -> FrameLen {
    let end = match line_end(buf, 0, MAX_LINE) {
        Ok(end) => end,
        Err(FrameLen::Invalid(_)) if is_retrieval(buf) => match line_end(buf, 0, MAX_KEYS_LINE) {
            Ok(end) => end,
            Err(other) => return other,
        },
        Err(other) => return other,
    };
    let line = trim(&buf[..end]);
    let first = words(line).next().unwrap_or_default();
    if direction == Direction::FromClient {
        return match client_data_arg(first).and_then(|i| data_end(end, words(line).nth(i))) {
            Some(total) => have(buf, total),
            None => FrameLen::Complete(end), // no valid count: memcached reads no data
        };
    }
    match first {
        b"VALUE" | b"STAT" => multi_part(buf, first),
        b"VA" => match data_end(end, words(line).nth(1)) {
            Some(total) => have(buf, total),
            None => FrameLen::Complete(end),
        },
        _ => FrameLen::Complete(end),
    }
}

fn is_retrieval(buf: &[u8]) -> bool {
    buf.starts_with(b"get ") || buf.starts_with(b"gets ")
}

/// `VALUE` blocks or `STAT` lines up to `END` (or up to any other line,
/// which ends the answer and is part of it, e.g. `SERVER_ERROR ...`).
fn multi_part(buf: &[u8], kind: &[u8]) -> FrameLen {
    let mut pos = 0;
    for _ in 0..MAX_PARTS {
        let end = match line_end(buf, pos, MAX_LINE) {
            Ok(end) => end,
            Err(FrameLen::Incomplete(_)) => return FrameLen::Incomplete(None),
            Err(invalid) => return invalid,
        };
        let line = trim(&buf[pos..end]);
        let word = words(line).next().unwrap_or_default();
        if word != kind {
            return FrameLen::Complete(end);
        }
        pos = match server_data_arg(word) {
            None => end,
            Some(i) => match data_end(end, words(line).nth(i)) {
                // The end of this block is known: not called again before.
                Some(next) if next > buf.len() => return FrameLen::AtLeast(next),
                Some(next) => next,
                None => return FrameLen::Invalid("VALUE line without a byte count".into()),
            },
        };
    }
    FrameLen::Invalid(format!("more than {MAX_PARTS} parts in one response"))
}
