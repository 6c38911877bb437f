//! RESP framing: where one complete value (a request or a reply) ends.
//!
//! [`frame`] walks the value iteratively, counting the values still to be
//! read, so nesting costs neither recursion nor memory; [`frame_from`]
//! resumes such a walk where the last call stopped; [`head`] reads the
//! header of one value and is shared with the parser.

use analyzer_core::{Conversation, Cx, Direction, FrameLen};

/// Deepest nesting of aggregates the parser renders (Redis replies rarely
/// exceed 4); the framer frames a deeper value whole, the parser refuses it.
pub const MAX_DEPTH: usize = 32;
/// Most elements one aggregate may hold, keys and values of a map counted
/// apart (Redis' own multibulk limit).
pub const MAX_ELEMENTS: usize = 1 << 20;
/// Longest bulk string accepted (Redis' `proto-max-bulk-len` default); the
/// engine's maximum message size usually stops a message long before.
pub const MAX_BULK: usize = 512 << 20;
/// Longest line: an inline command (Redis' own limit), a simple string, an
/// error or a number.
pub const MAX_LINE: usize = 64 << 10;
/// Longest length or count line (`$123\r\n`), type byte and CRLF included.
const MAX_HEADER: usize = 24;

/// What the header of one value says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// A value without elements: its text.
    Scalar(Text),
    /// An aggregate whose `count` elements follow (`count` > 0).
    Aggregate(Agg, usize),
}

/// The text of a scalar value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    /// These bytes of the buffer.
    Span(usize, usize),
    /// A fixed rendering (`nil`, `[]`, `true`).
    Lit(&'static str),
}

/// The kinds of aggregate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agg {
    /// `*` array, `~` set, `>` push: `[a, b]`.
    List,
    /// `%` map: `{k: v}` (counted in keys and values).
    Map,
    /// `|` attribute: key/value pairs about the value that follows them (its
    /// last element), which is the only one shown.
    Attribute,
}

/// The outcome of reading one header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The header (and, for a scalar, the whole value), and where the next
    /// value starts.
    Ok(Head, usize),
    /// More bytes are needed; the end of this value when known.
    Incomplete(Option<usize>),
    /// Not RESP.
    Invalid(String),
}

/// Finds the length of the one complete RESP value (or inline command) at the
/// start of `buf`.
///
/// From the client, a value that does not start with `*` is an inline
/// command (`PING\r\n`) ending at the next newline, as Redis reads it, and
/// blank lines before a command belong to it (Redis ignores them). Returns
/// `Incomplete(Some(total))` when the total is known (a pending bulk string
/// that ends the value), `Invalid` past [`MAX_ELEMENTS`], [`MAX_BULK`] or
/// [`MAX_LINE`], and never panics. Nesting is not limited here: a value
/// nested however deep is one frame (the engine's maximum message size
/// bounds it), which the parser refuses past [`MAX_DEPTH`] levels.
///
/// ```
/// use analyzer_core::{Direction, FrameLen};
/// let get = b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n";
/// assert_eq!(redis::resp::frame(get, Direction::FromClient), FrameLen::Complete(22));
/// assert_eq!(redis::resp::frame(b"$5\r\nhel", Direction::FromServer), FrameLen::Incomplete(Some(11)));
/// ```
pub fn frame(buf: &[u8], dir: Direction) -> FrameLen {
    frame_from(buf, dir, &mut Progress::default())
}

/// Where [`frame_from`] stopped in an incomplete value: the next value
/// header to read and how many values are still to be read, that one
/// included (0: the value has not started).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pos: usize,
    left: u64,
}

/// The framer of one direction: where its walk of the value being framed
/// stopped ([`frame_from`]), so that a value arriving in many pieces is
/// scanned once. After bytes that are not RESP, the stream picks up after
/// the next `\r\n`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Framer(Progress);

impl<P: Conversation> analyzer_core::Framer<P> for Framer {
    #[inline]
    fn frame(&mut self, buf: &[u8], cx: &Cx<'_, P>) -> FrameLen {
        frame_from(buf, cx.direction(), &mut self.0)
    }

    fn reset(&mut self) {
        self.0 = Progress::default();
    }

    fn sync(&self) -> Option<&'static [u8]> {
        Some(b"\r\n")
    }
}

/// [`frame`], resuming where the previous call on the same (grown) buffer
/// stopped, so that a value arriving in many pieces is scanned once: a
/// 1.4 MB array of 100,000 elements in 1448-byte segments takes 967 calls,
/// which rescanning from the start makes quadratic. `progress` is reset
/// when a value is complete or invalid; reset it (`Progress::default()`)
/// whenever the buffer no longer starts with the same value.
///
/// The walk keeps one count, of the values still to be read: each header
/// read is one value fewer, and an aggregate's header adds its elements (at
/// most [`MAX_ELEMENTS`] + 1 each). The value ends when the count is 0, so
/// nesting costs neither recursion nor memory.
pub fn frame_from(buf: &[u8], dir: Direction, progress: &mut Progress) -> FrameLen {
    walk(buf, dir, progress, true)
}

/// [`frame_from`], reading the usual headers through [`quick`] first when
/// `fast` (always, but in the tests proving that it changes nothing).
pub(crate) fn walk(buf: &[u8], dir: Direction, progress: &mut Progress, fast: bool) -> FrameLen {
    let Progress { mut pos, mut left } = *progress;
    *progress = Progress::default();
    if left == 0 {
        pos = 0;
        if dir == Direction::FromClient {
            pos = skip_blank_lines(buf);
            match buf.get(pos) {
                None => return FrameLen::Incomplete(None),
                Some(b'*') => {}
                Some(_) => return inline(buf, pos),
            }
        }
        left = 1;
    }
    loop {
        if fast {
            if let Some((next, count)) = quick(buf, pos) {
                // As below: one value read, its elements (if any) to come.
                if let Some(more) = (left - 1).checked_add(count) {
                    left = more;
                    pos = next;
                    if left == 0 {
                        return FrameLen::Complete(pos);
                    }
                    continue;
                }
            }
        }
        let step = match pos < buf.len() {
            true => head(buf, pos),
            false => Step::Incomplete(None),
        };
        let (head, next) = match step {
            Step::Ok(head, next) => (head, next),
            // The end of a pending bulk string is the end of the whole value
            // only when no other value is left to read after it.
            Step::Incomplete(end) => {
                *progress = Progress { pos, left };
                return FrameLen::Incomplete(end.filter(|_| left == 1));
            }
            Step::Invalid(why) => return FrameLen::Invalid(why),
        };
        left -= 1;
        if let Head::Aggregate(_, count) = head {
            // At most one more per header byte times MAX_ELEMENTS: no
            // overflow on any buffer that fits in memory, but be exact.
            left = match left.checked_add(count as u64) {
                Some(left) => left,
                None => return FrameLen::Invalid("too many elements".into()),
            };
        }
        pos = next;
        if left == 0 {
            return FrameLen::Complete(pos);
        }
    }
}

/// Where the first line that is not blank starts.
pub fn skip_blank_lines(buf: &[u8]) -> usize {
    let mut pos = 0;
    loop {
        match buf.get(pos..pos + 2) {
            Some(b"\r\n") => pos += 2,
            _ if buf.get(pos) == Some(&b'\n') => pos += 1,
            _ => return pos,
        }
    }
}

/// An inline command: up to and including the next `\n`.
fn inline(buf: &[u8], pos: usize) -> FrameLen {
    let window = &buf[pos..buf.len().min(pos + MAX_LINE)];
    match memchr::memchr(b'\n', window) {
        Some(i) => FrameLen::Complete(pos + i + 1),
        None if window.len() < MAX_LINE => FrameLen::Incomplete(None),
        None => FrameLen::Invalid(format!("inline command longer than {MAX_LINE} bytes")),
    }
}

/// Reads the header of the value at `buf[pos]` (`pos` < `buf.len()`); for a
/// scalar, the whole value.
pub fn head(buf: &[u8], pos: usize) -> Step {
    let ty = buf[pos];
    let counted_type = matches!(ty, b'$' | b'=' | b'!' | b'*' | b'~' | b'>' | b'%' | b'|');
    if counted_type {
        // The usual length or count line, digits only, read in one pass.
        if let Some((n, end, next)) = digits_line(buf, pos + 1, MAX_HEADER) {
            return counted(buf, ty, Some(n), (pos + 1, end, next));
        }
    }
    let (start, end, next) = match line(
        buf,
        pos + 1,
        if is_scalar_line(ty) {
            MAX_LINE
        } else {
            MAX_HEADER
        },
    ) {
        Ok(found) => found,
        Err(step) => return step,
    };
    let text = Head::Scalar(Text::Span(start, end));
    match ty {
        b'+' | b'-' | b':' | b',' | b'(' => Step::Ok(text, next),
        b'_' => Step::Ok(Head::Scalar(Text::Lit("nil")), next),
        b'#' => match &buf[start..end] {
            b"t" => Step::Ok(Head::Scalar(Text::Lit("true")), next),
            b"f" => Step::Ok(Head::Scalar(Text::Lit("false")), next),
            _ => Step::Ok(text, next),
        },
        _ if counted_type => counted(buf, ty, number(&buf[start..end]), (start, end, next)),
        _ => Step::Invalid(format!("unknown RESP type byte 0x{ty:02x}")),
    }
}

/// The usual headers read without the generality of [`head`]: a complete
/// bulk string with a digits-only length, a short `+`, `-` or `:` line, a
/// nil bulk string (`$-1`; a nil array `*-1` is left to [`head`]), or an
/// array of 1 to [`MAX_ELEMENTS`] elements.
/// Gives where the next value
/// starts and the number of elements that follow (0 for a scalar), exactly
/// as [`head`] reads them; `None` for anything else, which [`head`] reads.
#[inline(always)]
pub(crate) fn quick(buf: &[u8], pos: usize) -> Option<(usize, u64)> {
    match *buf.get(pos)? {
        b'*' => {
            let (n, _, next) = digits_line(buf, pos + 1, MAX_HEADER)?;
            let count = (1..=MAX_ELEMENTS as i64).contains(&n).then_some(n as u64)?;
            Some((next, count))
        }
        _ => match scalar(buf, pos) {
            Some((_, _, next)) => Some((next, 0)),
            None => is_nil(buf, pos).then_some((pos + NIL.len(), 0)),
        },
    }
}

/// The RESP2 nil, as a bulk string or an array (`Head::Scalar(Text::Lit("nil"))`).
const NIL: &[u8] = b"$-1\r\n";

/// Whether a nil (`$-1\r\n` or `*-1\r\n`) is at `pos`.
#[inline(always)]
pub(crate) fn is_nil(buf: &[u8], pos: usize) -> bool {
    match buf.get(pos..pos + NIL.len()) {
        Some([b'$' | b'*', rest @ ..]) => rest == &NIL[1..],
        _ => false,
    }
}

/// [`quick`] for a scalar: a complete bulk string with a digits-only length,
/// or a `+`, `-` or `:` line ending within 16 bytes; its text's start and
/// end and where the next value starts, as [`head`] gives them in
/// `Head::Scalar(Text::Span(..))`. `None` for anything else.
#[inline(always)]
pub(crate) fn scalar(buf: &[u8], pos: usize) -> Option<(usize, usize, usize)> {
    match *buf.get(pos)? {
        b'$' => {
            let (len, _, next) = digits_line(buf, pos + 1, MAX_HEADER)?;
            if len > MAX_BULK as i64 {
                return None;
            }
            let end = next + len as usize;
            (buf.get(end..end + 2)? == b"\r\n").then_some((next, end, end + 2))
        }
        b'+' | b'-' | b':' => {
            let start = pos + 1;
            let window = buf.get(start..buf.len().min(start + 16))?;
            let i = window.iter().position(|&b| b == b'\n')?;
            (i > 0 && window[i - 1] == b'\r').then_some((start, start + i - 1, start + i + 1))
        }
        _ => None,
    }
}

/// A header line of digits only (`3` in `$3\r\n`) starting at `from`, read in
/// one pass: its number, where the digits end and where the next line
/// starts, exactly what [`line`] and [`number`] give for it. `None` for
/// anything else (a sign, no digits, more than 18 digits, no CRLF right
/// after the digits yet, a line over `max`), which the general path reads.
#[inline(always)]
fn digits_line(buf: &[u8], from: usize, max: usize) -> Option<(i64, usize, usize)> {
    let mut n: i64 = 0;
    let mut at = from;
    while let Some(&d) = buf.get(at) {
        if !d.is_ascii_digit() {
            break;
        }
        if at - from == 18 {
            return None;
        }
        n = n * 10 + i64::from(d - b'0');
        at += 1;
    }
    // The newline must be within `max` bytes of `from`, as `line` asks.
    if at == from || buf.get(at..at + 2) != Some(b"\r\n") || at + 1 - from >= max {
        return None;
    }
    Some((n, at, at + 2))
}

/// The rest of [`head`] for a bulk string (`$`, `=`, `!`) or an aggregate,
/// given its header line (text start and end, next line) and the number
/// read from it.
fn counted(buf: &[u8], ty: u8, n: Option<i64>, (start, end, next): (usize, usize, usize)) -> Step {
    if matches!(ty, b'$' | b'=' | b'!') {
        let len = match n {
            Some(-1) if ty == b'$' => return Step::Ok(Head::Scalar(Text::Lit("nil")), next),
            Some(len) if (0..=MAX_BULK as i64).contains(&len) => len as usize,
            _ => return invalid("bulk length", &buf[start..end]),
        };
        let end = next + len;
        if buf.len() < end + 2 {
            return Step::Incomplete(Some(end + 2));
        }
        if &buf[end..end + 2] != b"\r\n" {
            return Step::Invalid(format!("bulk string of {len} bytes not followed by CRLF"));
        }
        // Verbatim strings start with their format: `txt:`.
        let skip = if ty == b'=' && len >= 4 && buf[next + 3] == b':' {
            4
        } else {
            0
        };
        return Step::Ok(Head::Scalar(Text::Span(next + skip, end)), end + 2);
    }
    let count = match n {
        Some(-1) if ty == b'*' => return Step::Ok(Head::Scalar(Text::Lit("nil")), next),
        Some(count) if (0..=MAX_ELEMENTS as i64).contains(&count) => count as usize,
        _ => return invalid("element count", &buf[start..end]),
    };
    let (agg, count) = match ty {
        b'%' => (Agg::Map, count * 2),
        b'|' => (Agg::Attribute, count * 2 + 1),
        _ => (Agg::List, count),
    };
    if count > MAX_ELEMENTS + 1 {
        return invalid("element count", &buf[start..end]);
    }
    match (count, agg) {
        (0, Agg::Map) => Step::Ok(Head::Scalar(Text::Lit("{}")), next),
        (0, _) => Step::Ok(Head::Scalar(Text::Lit("[]")), next),
        _ => Step::Ok(Head::Aggregate(agg, count), next),
    }
}

fn is_scalar_line(ty: u8) -> bool {
    matches!(ty, b'+' | b'-' | b':' | b',' | b'(' | b'_' | b'#')
}

/// The line starting at `from`, which must end with CRLF within `max` bytes:
/// its text's start and end, and where the next line starts.
fn line(buf: &[u8], from: usize, max: usize) -> Result<(usize, usize, usize), Step> {
    let window = buf.get(from..buf.len().min(from + max)).unwrap_or_default();
    // Most lines are a few bytes (`$3`, `:1`, `OK`): look at those bytes
    // directly; memchr's setup costs more than that.
    const SHORT: usize = 16;
    let newline = match window.iter().take(SHORT).position(|&b| b == b'\n') {
        Some(i) => Some(i),
        None if window.len() > SHORT => memchr::memchr(b'\n', &window[SHORT..]).map(|i| i + SHORT),
        None => None,
    };
    match newline {
        Some(i) if i > 0 && window[i - 1] == b'\r' => Ok((from, from + i - 1, from + i + 1)),
        Some(_) => Err(Step::Invalid("line not terminated by CRLF".into())),
        None if window.len() < max => Err(Step::Incomplete(None)),
        None => Err(Step::Invalid(format!("line longer than {max} bytes"))),
    }
}

/// A decimal number, as in a length or count line.
///
/// What `str::parse::<i64>` accepts (an optional sign, then digits, no
/// overflow), without its UTF-8 check and generic loop.
fn number(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = i64::from(d - b'0');
        n = n.checked_mul(10)?;
        n = if negative {
            n.checked_sub(d)?
        } else {
            n.checked_add(d)?
        };
    }
    Some(n)
}

fn invalid(what: &str, text: &[u8]) -> Step {
    Step::Invalid(format!(
        "invalid {what} {:?}",
        String::from_utf8_lossy(text)
    ))
}

#[cfg(test)]
mod tests;
