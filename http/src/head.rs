//! Reading a message's head: the request line (`GET /path HTTP/1.1`, or an
//! HTTP/0.9 `GET /path`) or the status line (`HTTP/1.1 200 OK`), then the
//! header fields, up to the empty line.

use analyzer_core::{Direction, Kind, ParseError};

use crate::{words, Extra, HttpMessage, Next, Settings, Span, Spans, Stop, Version};

/// A head, read: the message and what its header fields say of the body.
#[derive(Debug)]
pub(crate) struct Head {
    pub message: HttpMessage,
    /// `Content-Length`.
    pub length: Option<u64>,
    /// A `Transfer-Encoding` field was given, and whether its last coding
    /// is `chunked`.
    pub transfer_encoding: Option<bool>,
    /// What a `101` switches to, from the `Upgrade` field.
    pub upgrade: Stop,
}

/// Reads a head line by line, as [`Framer`](crate::Framer) finds its
/// lines (request or status line, then header fields; blank lines before
/// the first line are not handed over, nor the empty line ending the
/// head). The first line or field that does not read is the head's error;
/// the lines after it are not read.
pub(crate) struct Reader<'s> {
    direction: Direction,
    settings: &'s Settings,
    /// The first line was read.
    started: bool,
    head: Head,
    spans: Spans,
    keep_headers: bool,
    headers: Vec<(Span, Span)>,
    error: Option<ParseError>,
}

impl<'s> Reader<'s> {
    /// A reader of a head sent in `direction`.
    pub(crate) fn new(direction: Direction, settings: &'s Settings) -> Self {
        Reader {
            direction,
            settings,
            started: false,
            head: Head {
                message: HttpMessage::body_frame(direction.default_kind(), 0, 0, Next::Done),
                length: None,
                transfer_encoding: None,
                upgrade: Stop::Upgrade,
            },
            spans: Spans::default(),
            keep_headers: settings.keeps_headers(),
            headers: Vec::new(),
            error: None,
        }
    }

    /// Reads the next line, `line` (without its line end), which starts
    /// `start` bytes into the head.
    #[inline]
    pub(crate) fn line(&mut self, start: u32, line: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let read = if self.started {
            self.field(start, line)
        } else {
            self.started = true;
            match self.direction {
                Direction::FromClient => {
                    request_line(line, start, &mut self.head.message, &mut self.spans)
                }
                Direction::FromServer => {
                    status_line(line, start, &mut self.head.message, &mut self.spans)
                }
            }
        };
        if let Err(err) = read {
            self.error = Some(err);
        }
    }

    /// A header field line.
    #[inline]
    fn field(&mut self, start: u32, line: &[u8]) -> Result<(), ParseError> {
        // The usual line: a token, then the colon.
        let token = token_len(line);
        let colon = match line.get(token) {
            Some(b':') if token > 0 => token,
            _ => match memchr::memchr(b':', line) {
                None if matches!(line[0], b' ' | b'\t') => {
                    return Ok(()); // obsolete line folding: part of the field before
                }
                None => return Err(ParseError::invalid("header line without a colon")),
                // A colon after something that is not a token.
                Some(_) => return Err(ParseError::invalid("invalid header field name")),
            },
        };
        let name = &line[..colon];
        let value = trimmed(line, colon + 1);
        let value_span = Span::new(start + value.0, start + value.1);
        let value_bytes = &line[value.0 as usize..value.1 as usize];
        if self.keep_headers && self.settings.keeps_header(name) {
            self.headers
                .push((Span::new(start, start + colon as u32), value_span));
        }
        let parsed = &mut self.head;
        match name.len() {
            4 if words::is_name(name, b"host") => self.spans.host = value_span,
            7 if words::is_name(name, b"upgrade") => parsed.upgrade = upgrade(value_bytes),
            10 if words::is_name(name, b"user-agent") => self.spans.user_agent = value_span,
            12 if words::is_name(name, b"content-type") => self.spans.content_type = value_span,
            14 if words::is_name(name, b"content-length") => {
                let length = content_length(value_bytes)?;
                if parsed.length.is_some_and(|l| l != length) {
                    return Err(ParseError::invalid("conflicting Content-Length fields"));
                }
                parsed.length = Some(length);
            }
            17 if words::is_name(name, b"transfer-encoding") => {
                let last = value_bytes
                    .rsplit(|b| *b == b',')
                    .next()
                    .unwrap_or_default();
                parsed.transfer_encoding = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            }
            _ => {}
        }
        Ok(())
    }

    /// The head read, `head` being its bytes (every line was handed over).
    pub(crate) fn finish(self, head: Box<[u8]>) -> Result<Head, ParseError> {
        if let Some(err) = self.error {
            return Err(err);
        }
        if !self.started {
            return Err(ParseError::Empty);
        }
        let mut parsed = self.head;
        parsed.message.bytes = head.len() as u64;
        parsed.message.spans = self.spans;
        if self.keep_headers {
            parsed.message.extra = Some(Box::new(Extra {
                headers: self.headers,
                body: None,
            }));
        }
        parsed.message.head = head;
        Ok(parsed)
    }
}

/// The value of header field `name` (lower case) in `head`, if given.
pub(crate) fn header<'h>(head: &'h [u8], name: &[u8]) -> Option<&'h [u8]> {
    let lines = Lines { buf: head, at: 0 };
    lines
        .skip(1)
        .take_while(|(_, l)| !l.is_empty())
        .find_map(|(_, line)| {
            let colon = memchr::memchr(b':', line)?;
            line[..colon]
                .eq_ignore_ascii_case(name)
                .then(|| line[colon + 1..].trim_ascii())
        })
}

/// `METHOD SP target SP HTTP/x.y`, or `METHOD SP target` (HTTP/0.9).
fn request_line(
    line: &[u8],
    start: u32,
    message: &mut HttpMessage,
    spans: &mut Spans,
) -> Result<(), ParseError> {
    let bad = || ParseError::invalid("not an HTTP request line");
    // A token, then a space.
    let method_end = token_len(line);
    if method_end == 0 || line.get(method_end) != Some(&b' ') {
        return Err(bad());
    }
    let rest = &line[method_end + 1..];
    // Up to the next space, without control characters.
    let target_end = words::space_or_control(rest).unwrap_or(rest.len());
    if target_end == 0 || rest.get(target_end).is_some_and(|&b| b != b' ') {
        return Err(bad());
    }
    spans.method = Span::new(start, start + method_end as u32);
    let target_start = start + method_end as u32 + 1;
    spans.target = Span::new(target_start, target_start + target_end as u32);
    message.version = if target_end == rest.len() {
        Version { major: 0, minor: 9 }
    } else {
        version(&rest[target_end + 1..]).ok_or_else(bad)?
    };
    Ok(())
}

/// `HTTP/x.y SP code [SP phrase]`.
fn status_line(
    line: &[u8],
    start: u32,
    message: &mut HttpMessage,
    spans: &mut Spans,
) -> Result<(), ParseError> {
    let bad = || ParseError::invalid("not an HTTP status line");
    let version = line.get(..8).and_then(version).ok_or_else(bad)?;
    let code = match line.get(8..12) {
        Some([b' ', a, b, c]) if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => return Err(bad()),
    };
    if line.len() > 12 && line[12] != b' ' {
        return Err(bad());
    }
    if line.len() > 13 {
        spans.phrase = Span::new(start + 13, start + line.len() as u32);
    }
    message.version = version;
    message.status_code = code;
    message.kind = if code >= 400 {
        Kind::Error
    } else {
        Kind::Response
    };
    Ok(())
}

/// `HTTP/x.y`, exactly.
fn version(text: &[u8]) -> Option<Version> {
    match text {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Some(Version {
                major: major - b'0',
                minor: minor - b'0',
            })
        }
        _ => None,
    }
}

/// Whether a status line starts `buf` as far as it goes (`HTTP/1.1 200`):
/// `None` when too few bytes tell.
pub(crate) fn status_line_start(buf: &[u8]) -> Option<bool> {
    const PATTERN: &[u8] = b"HTTP/d.d ddd";
    for (i, want) in PATTERN.iter().enumerate() {
        let &b = buf.get(i)?;
        let ok = match want {
            b'd' => b.is_ascii_digit(),
            want => b == *want,
        };
        if !ok {
            return Some(false);
        }
    }
    Some(true)
}

/// Whether a request line starts `buf` as far as it goes: an upper-case
/// method of up to 20 letters, a space, then `/`, `*` or a letter.
pub(crate) fn request_line_start(buf: &[u8]) -> Option<bool> {
    for (i, &b) in buf.iter().enumerate() {
        match b {
            b'A'..=b'Z' | b'-' | b'_' if i < 20 => {}
            b' ' if i > 0 => {
                return buf
                    .get(i + 1)
                    .map(|&c| c == b'/' || c == b'*' || c.is_ascii_alphanumeric());
            }
            _ => return Some(false),
        }
    }
    None
}

/// A `Content-Length` value: decimal digits.
fn content_length(value: &[u8]) -> Result<u64, ParseError> {
    let bad = || ParseError::invalid("invalid Content-Length");
    if value.is_empty() || value.len() > 18 || !value.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    Ok(value.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
}

/// What an `Upgrade` field asks for, as the reason analysis stops.
fn upgrade(value: &[u8]) -> Stop {
    let first = value
        .split(|b| *b == b',')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let name = first.split(|b| *b == b'/').next().unwrap_or_default();
    if name.eq_ignore_ascii_case(b"websocket") {
        Stop::WebSocket
    } else if name.eq_ignore_ascii_case(b"h2c") {
        Stop::Http2
    } else if name.eq_ignore_ascii_case(b"tls") {
        Stop::Tls
    } else {
        Stop::Upgrade
    }
}

/// The token characters of RFC 9110 (methods, header names).
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// How many token characters `bytes` starts with: four looked up at a
/// time, then one by one.
#[inline(always)]
fn token_len(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(&[a, b, c, d]) = bytes.get(at..at + 4) {
        if !(is_tchar(a) & is_tchar(b) & is_tchar(c) & is_tchar(d)) {
            break;
        }
        at += 4;
    }
    let rest = &bytes[at..];
    at + rest
        .iter()
        .position(|b| !is_tchar(*b))
        .unwrap_or(rest.len())
}

/// [`is_tchar`] of every byte.
const TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    table
};

/// `line[from..]` without surrounding spaces and tabs, as a range of `line`.
fn trimmed(line: &[u8], from: usize) -> (u32, u32) {
    let mut start = from;
    let mut end = line.len();
    while start < end && matches!(line[start], b' ' | b'\t') {
        start += 1;
    }
    while end > start && matches!(line[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    (start as u32, end as u32)
}

/// The lines of a head, without their `\r\n` (or bare `\n`), each with
/// where it starts.
struct Lines<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (u32, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        let rest = &self.buf[self.at..];
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = &rest[..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let start = self.at as u32;
        self.at += end + 1;
        Some((start, line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_len_is_where_the_first_other_byte_is() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        for len in 0..12 {
            for other in 0..=255u8 {
                for at in 0..=len {
                    let mut name = vec![b'a'; len];
                    if at < len {
                        name[at] = other;
                    }
                    let plain = name.iter().position(|b| !is_tchar(*b)).unwrap_or(len);
                    assert_eq!(token_len(&name), plain);
                }
            }
        }
        assert_eq!(token_len(&bytes), 0);
    }
}
