//! [`Framer`]: cuts one direction's bytes into heads and body frames, and
//! reads each as it cuts it (the body's framing depends on the head, a
//! response's on its request).

use std::cell::Cell;
use std::collections::VecDeque;
use std::ops::Range;

use analyzer_core::{Cx, Direction, FrameLen, Kind, ParseError};

use crate::chunked::{self, Chunked};
use crate::head::{self, Head};
use crate::words;
use crate::{Extra, HttpMessage, Next, Stop, Version};

/// The longest head (request or status line and header fields) read; a
/// longer one is skipped with a note, as `max_message_size` would.
pub const MAX_HEAD: usize = 64 * 1024;

/// The framer of one direction of a connection.
///
/// A head is one frame, with as much of its body as arrived with it; the
/// rest of the body comes in frames of whatever arrived, each counted and
/// let go (kept only up to `max_body_bytes` when bodies are asked for).
/// What the next frame is (a head, body bytes left, a chunked body's
/// state, bytes up to the close) is the framer's own state, so a body of
/// any length holds at most one segment's bytes. After lost or unreadable
/// bytes the framer starts again at a head, and the stream picks up where
/// one plausibly starts (a request line's `METHOD /`, a status line's
/// `HTTP/1.1 200`).
///
/// The framer reads each frame as it cuts it: [`take_parsed`] hands the
/// messages out in the order of their frames.
///
/// [`take_parsed`]: analyzer_core::Framer::take_parsed
#[derive(Debug, Default)]
pub struct Framer {
    /// What the next frame is.
    state: State,
    /// Progress on the head being cut.
    scan: Scan,
    /// The message of the frame last announced as complete, and the state
    /// after it: kept when the stream cuts that frame.
    announced: Option<(Result<HttpMessage, ParseError>, State)>,
    /// The stream took the frame announced ([`Framer::payload`] is asked
    /// right before it cuts one).
    cut: Cell<bool>,
    /// Messages of frames cut, not taken yet.
    ready: VecDeque<Result<HttpMessage, ParseError>>,
}

/// What the next frame of a direction is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    /// A head.
    #[default]
    Head,
    /// Body bytes: this many left; `keep`: bytes of them still to keep.
    Body { left: u64, keep: usize },
    /// A chunked body.
    Chunked { at: Chunked, keep: usize },
    /// Body bytes up to the end of the connection.
    UntilClose { keep: usize },
}

/// Where the search for a head's end stands.
#[derive(Clone, Copy, Debug, Default)]
struct Scan {
    /// Bytes searched for line ends.
    searched: usize,
    /// Where the line being searched starts.
    line_start: usize,
    /// The first (non-blank) line was seen.
    first_seen: bool,
}

impl Framer {
    /// Announces a complete frame of `len` bytes, read as `message`, and
    /// the state after it.
    fn announce(
        &mut self,
        len: usize,
        message: Result<HttpMessage, ParseError>,
        next: State,
    ) -> FrameLen {
        self.announced = Some((message, next));
        FrameLen::Complete(len)
    }

    /// The next frame of a body being counted.
    fn body(&mut self, buf: &[u8], cx: &Cx<'_, HttpMessage>) -> FrameLen {
        let kind = cx.direction().default_kind();
        let limit = cx.limit().max(1);
        match self.state {
            State::Head => FrameLen::Incomplete(None),
            State::Body { left, keep } => {
                let n = (buf.len().min(limit) as u64).min(left) as usize;
                let next = match left - n as u64 {
                    0 => Next::Done,
                    left => Next::Body(left),
                };
                let mut message = HttpMessage::body_frame(kind, n as u64, n as u64, next);
                let keep = kept(&mut message, &buf[..n], keep);
                let state = match next {
                    Next::Body(left) => State::Body { left, keep },
                    _ => State::Head,
                };
                self.announce(n, Ok(message), state)
            }
            State::UntilClose { keep } => {
                let n = buf.len().min(limit);
                let mut message =
                    HttpMessage::body_frame(kind, n as u64, n as u64, Next::UntilClose);
                let keep = kept(&mut message, &buf[..n], keep);
                self.announce(n, Ok(message), State::UntilClose { keep })
            }
            State::Chunked { at, keep } => {
                let mut content = Vec::new();
                let window = &buf[..buf.len().min(limit)];
                let step = match chunked::advance(at, window, |d| {
                    let room = keep.saturating_sub(content.len());
                    content.extend_from_slice(&d[..d.len().min(room)]);
                }) {
                    Ok(step) => step,
                    Err(why) => return FrameLen::Invalid(why.to_owned()),
                };
                if step.consumed == 0 {
                    return FrameLen::Incomplete(None);
                }
                let next = match step.state {
                    Chunked::Done => Next::Done,
                    at => Next::Chunked(at),
                };
                let mut message =
                    HttpMessage::body_frame(kind, step.consumed as u64, step.data, next);
                if keep > 0 {
                    message.extra = Some(Box::new(Extra {
                        headers: Vec::new(),
                        body: Some(content.clone()),
                    }));
                }
                let state = match next {
                    Next::Chunked(at) => State::Chunked {
                        at,
                        keep: keep - content.len(),
                    },
                    _ => State::Head,
                };
                self.announce(step.consumed, Ok(message), state)
            }
        }
    }

    /// A head: searched for its end (resuming where the last search
    /// stopped), then read, with as much of its body as `buf` holds.
    fn head(&mut self, buf: &[u8], cx: &Cx<'_, HttpMessage>) -> FrameLen {
        let direction = cx.direction();
        if direction == Direction::FromServer && self.scan.searched == 0 {
            // An HTTP/0.9 answer: the document alone, up to the close.
            let simple = cx.request().is_some_and(|r| r.version.major == 0);
            let status_line = head::status_line_start(buf);
            if simple && status_line.is_none() {
                return FrameLen::Incomplete(None); // too few bytes to tell
            }
            if simple && status_line == Some(false) {
                let n = buf.len().min(cx.limit().max(1));
                let mut message =
                    HttpMessage::body_frame(Kind::Error, n as u64, n as u64, Next::UntilClose);
                message.version = Version { major: 0, minor: 9 };
                return self.announce(n, Ok(message), State::UntilClose { keep: 0 });
            }
        }
        let limit = MAX_HEAD.min(cx.limit().max(1));
        // Lines are read as they are found, on the first search; a head
        // that needed more bytes is read once its end is found.
        let mut reader =
            (self.scan.searched == 0).then(|| head::Reader::new(direction, cx.session()));
        let Some(end) = walk(&mut self.scan, buf, direction, reader.as_mut()) else {
            if buf.len() >= limit {
                return FrameLen::Invalid(format!(
                    "{} head longer than {limit} bytes",
                    direction.default_kind().as_str()
                ));
            }
            return FrameLen::Incomplete(None);
        };
        if end > limit {
            return FrameLen::Invalid(format!(
                "{} head longer than {limit} bytes",
                direction.default_kind().as_str()
            ));
        }
        let reader = reader.unwrap_or_else(|| {
            let mut reader = head::Reader::new(direction, cx.session());
            walk(
                &mut Scan::default(),
                &buf[..end],
                direction,
                Some(&mut reader),
            );
            reader
        });
        let head = Box::from(&buf[..end]);
        match reader.finish(head) {
            Err(err) => self.announce(end, Err(err), State::Head),
            Ok(head) => self.with_body(head, end, buf, cx),
        }
    }

    /// A head read: how its body is framed, and as much of it as `buf`
    /// holds after the head's `end`.
    fn with_body(
        &mut self,
        head: Head,
        end: usize,
        buf: &[u8],
        cx: &Cx<'_, HttpMessage>,
    ) -> FrameLen {
        let direction = cx.direction();
        let Head {
            mut message,
            length,
            transfer_encoding,
            upgrade,
        } = head;
        let next = match direction {
            Direction::FromClient => match (transfer_encoding, length) {
                _ if message.version.major == 0 => Next::Done,
                (Some(true), _) => Next::Chunked(Chunked::Size),
                (_, Some(n)) if n > 0 => Next::Body(n),
                _ => Next::Done,
            },
            Direction::FromServer => {
                let code = message.status_code;
                let request = cx.request();
                let asked = |method: &[u8]| request.is_some_and(|r| r.method() == method);
                if code == 101 {
                    message.stop = Some(upgrade);
                    Next::Done
                } else if (100..200).contains(&code) {
                    Next::FinalHead
                } else if asked(b"CONNECT") && (200..300).contains(&code) {
                    message.stop = Some(Stop::Connect);
                    Next::Done
                } else if code == 204 || code == 304 || asked(b"HEAD") {
                    Next::Done
                } else {
                    match (transfer_encoding, length) {
                        (Some(true), _) => Next::Chunked(Chunked::Size),
                        (Some(false), _) => Next::UntilClose,
                        (None, Some(0)) => Next::Done,
                        (None, Some(n)) => Next::Body(n),
                        (None, None) => Next::UntilClose,
                    }
                }
            }
        };
        message.next = next;
        let settings = cx.session();
        let keep = match next {
            Next::Body(_) | Next::Chunked(_) | Next::UntilClose
                if settings.keeps_body(direction, message.mime_type()) =>
            {
                let extra = message.extra.get_or_insert_with(Default::default);
                extra.body = Some(Vec::new());
                settings.max_body()
            }
            _ => 0,
        };
        let state = match next {
            Next::Body(left) => State::Body { left, keep },
            Next::Chunked(at) => State::Chunked { at, keep },
            Next::UntilClose => State::UntilClose { keep },
            Next::Done | Next::FinalHead => State::Head,
        };
        if state == State::Head || buf.len() == end {
            return self.announce(end, Ok(message), state);
        }
        // The body bytes that came with the head: one frame with it.
        let rest = &buf[end..];
        self.state = state;
        let FrameLen::Complete(n) = self.body(rest, &cx.with_limit(cx.limit().saturating_sub(end)))
        else {
            self.state = State::Head;
            return self.announce(end, Ok(message), state);
        };
        let Some((Ok(body), after)) = self.announced.take() else {
            self.state = State::Head;
            return self.announce(end, Ok(message), state);
        };
        self.state = State::Head;
        message.bytes += body.bytes;
        message.body_bytes = body.body_bytes;
        message.next = body.next;
        if let (Some(extra), Some(content)) = (&mut message.extra, body.extra.and_then(|e| e.body))
        {
            extra.body = Some(content);
        }
        self.announce(end + n, Ok(message), after)
    }
}

/// Keeps up to `keep` bytes of `data` as the frame's body content; the
/// bytes still to keep after it.
fn kept(message: &mut HttpMessage, data: &[u8], keep: usize) -> usize {
    if keep == 0 {
        return 0;
    }
    let take = data.len().min(keep);
    message.extra = Some(Box::new(Extra {
        headers: Vec::new(),
        body: Some(data[..take].to_vec()),
    }));
    keep - take
}

/// Walks the lines of the head at the start of `buf` from where `scan`
/// stopped, handing each to `reader` (if any): where the head ends (after
/// the empty line, or an HTTP/0.9 request line), or `None` when `buf` does
/// not hold all of it yet. Blank lines before the first line are skipped.
#[inline]
fn walk(
    scan: &mut Scan,
    buf: &[u8],
    direction: Direction,
    mut reader: Option<&mut head::Reader<'_>>,
) -> Option<usize> {
    loop {
        let from = scan.searched;
        let Some(i) = words::find(&buf[from..], b'\n') else {
            scan.searched = buf.len();
            return None;
        };
        let nl = from + i;
        let start = scan.line_start;
        let line = &buf[start..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        scan.searched = nl + 1;
        scan.line_start = nl + 1;
        if line.is_empty() {
            if scan.first_seen {
                return Some(nl + 1);
            }
            continue; // blank lines before a head are skipped
        }
        if let Some(reader) = reader.as_deref_mut() {
            reader.line(start as u32, line);
        }
        if !scan.first_seen {
            scan.first_seen = true;
            if direction == Direction::FromClient && is_simple_request(line) {
                return Some(nl + 1); // HTTP/0.9: the request line alone
            }
        }
    }
}

/// `METHOD /target` without a version: an HTTP/0.9 request.
fn is_simple_request(line: &[u8]) -> bool {
    // The usual request line ends with ` HTTP/d.d`: a third word, or a
    // second one that is no path.
    if let [.., b' ', b'H', b'T', b'T', b'P', b'/', _, b'.', _] = line {
        return false;
    }
    let mut words = line.split(|b| *b == b' ');
    let (Some(method), Some(target), None) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    !method.is_empty() && method.iter().all(u8::is_ascii_uppercase) && target.starts_with(b"/")
}

impl analyzer_core::Framer<HttpMessage> for Framer {
    fn frame(&mut self, buf: &[u8], cx: &Cx<'_, HttpMessage>) -> FrameLen {
        self.announced = None;
        if buf.is_empty() {
            return FrameLen::Incomplete(None);
        }
        match self.state {
            State::Head => self.head(buf, cx),
            _ => self.body(buf, cx),
        }
    }

    /// After a frame is cut (its message kept for `take_parsed`, the state
    /// after it taken) or bytes are skipped or lost (the next frame is
    /// looked for as a head).
    fn reset(&mut self) {
        self.scan = Scan::default();
        let announced = self.announced.take();
        match (self.cut.take(), announced) {
            (true, Some((message, next))) => {
                self.ready.push_back(message);
                self.state = next;
            }
            _ => self.state = State::Head,
        }
    }

    /// Nothing: the framer read the frame already. (Asked right before
    /// the stream cuts a frame: the frame announced is taken.)
    fn payload(&self, _frame: &[u8]) -> Range<usize> {
        self.cut.set(true);
        0..0
    }

    /// A request line (`GET /`) or a status line (`HTTP/1.1 200`). Bytes
    /// that start one as far as they go, as many as the longest message
    /// (a tiny limit), are taken for one: the stream holds no more.
    fn plausible(&self, buf: &[u8], cx: &Cx<'_, HttpMessage>) -> Option<bool> {
        let starts = match cx.direction() {
            Direction::FromClient => head::request_line_start(buf),
            Direction::FromServer => head::status_line_start(buf),
        };
        starts.or_else(|| (buf.len() >= cx.limit()).then_some(true))
    }

    fn take_parsed(&mut self) -> Option<Result<HttpMessage, ParseError>> {
        self.ready.pop_front()
    }
}

/// Reads `frame` alone as the first frame of a message: its head, and the
/// body bytes after it.
pub(crate) fn read_alone(
    frame: &[u8],
    cx: &Cx<'_, HttpMessage>,
) -> Result<HttpMessage, ParseError> {
    use analyzer_core::Framer as _;
    let mut framer = Framer::default();
    match framer.frame(frame, cx) {
        FrameLen::Complete(_) => {
            framer.payload(frame);
            framer.reset();
            framer.take_parsed().unwrap_or(Err(ParseError::Empty))
        }
        FrameLen::Invalid(why) => Err(ParseError::Invalid(why)),
        _ if frame.is_empty() => Err(ParseError::Empty),
        _ => Err(ParseError::invalid("incomplete head")),
    }
}
