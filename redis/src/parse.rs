//! RESP parsing: one complete frame (see [`crate::resp::frame`]) into a
//! [`RedisMessage`], with Packetbeat's renderings of commands and values.

use analyzer_core::{Direction, Kind, NetString, ParseError};
use bytes::Bytes;

use crate::command::command;
use crate::resp::{head, is_nil, scalar, skip_blank_lines, Agg, Head, Step, Text, MAX_DEPTH};
use crate::RedisMessage;

mod quick;

/// Parses one frame: from the client a request (an array of bulk strings, or
/// an inline command), from the server a reply (kind `Error` for `-` and `!`
/// errors). Text is sliced from `frame` without copying where it is one
/// piece of it.
///
/// ```
/// use analyzer_core::{Direction, Kind};
/// let frame = "*3\r\n$3\r\nset\r\n$4\r\nkey3\r\n$2\r\nme\r\n".into();
/// let set = redis::parse(frame, Direction::FromClient).unwrap();
/// assert_eq!(set.method.as_deref(), Some("SET"));
/// assert_eq!(set.resource.as_deref(), Some(&b"key3"[..]));
/// assert_eq!(set.text.as_bytes(), b"set key3 me");
/// let reply = redis::parse("*2\r\n$1\r\na\r\n$-1\r\n".into(), Direction::FromServer).unwrap();
/// assert_eq!((reply.kind, reply.text.as_bytes()), (Kind::Response, &b"[a, nil]"[..]));
/// ```
pub fn parse(frame: Bytes, dir: Direction) -> Result<RedisMessage, ParseError> {
    parse_with(frame, dir, true)
}

/// [`parse`], trying the usual shapes (a command array of bulk strings, a
/// scalar reply) through `quick` first when `fast` (always, but in the
/// tests proving that it changes nothing).
pub(crate) fn parse_with(
    frame: Bytes,
    dir: Direction,
    fast: bool,
) -> Result<RedisMessage, ParseError> {
    match dir {
        Direction::FromServer => reply(frame, fast),
        Direction::FromClient => {
            let pos = skip_blank_lines(&frame);
            match frame.get(pos) {
                None => Err(ParseError::Empty),
                Some(b'*') => {
                    // Filled in place: it is a few hundred bytes.
                    let mut args = quick::Args::default();
                    match fast.then(|| quick::scan(&frame, pos, &mut args)).flatten() {
                        Some(()) => Ok(quick::request(frame, &args)),
                        None => request(frame, pos),
                    }
                }
                Some(_) => inline(frame, pos),
            }
        }
    }
}

/// A piece of text: a slice of the frame, a fixed text or a rendering.
enum Piece {
    Slice(usize, usize),
    Lit(&'static str),
    Owned(Vec<u8>),
}

impl Piece {
    fn bytes<'a>(&'a self, frame: &'a [u8]) -> &'a [u8] {
        match self {
            Piece::Slice(start, end) => &frame[*start..*end],
            Piece::Lit(text) => text.as_bytes(),
            Piece::Owned(text) => text,
        }
    }

    fn into_net(self, frame: &Bytes) -> NetString {
        match self {
            Piece::Owned(text) => Bytes::from(text).into(),
            other => other.to_net(frame),
        }
    }

    fn to_net(&self, frame: &Bytes) -> NetString {
        match self {
            Piece::Slice(start, end) => frame.slice(*start..*end).into(),
            Piece::Lit(text) => (*text).into(),
            Piece::Owned(text) => Bytes::from(text.clone()).into(),
        }
    }
}

fn reply(frame: Bytes, fast: bool) -> Result<RedisMessage, ParseError> {
    let kind = match frame.first() {
        None => return Err(ParseError::Empty),
        Some(b'-' | b'!') => Kind::Error,
        Some(_) => Kind::Response,
    };
    // A scalar that is the whole frame: `value` gives its span.
    let quick = match fast.then(|| scalar(&frame, 0)).flatten() {
        Some((start, end, next)) if next == frame.len() => Some((start, end)),
        _ => None,
    };
    let text = match quick {
        Some((start, end)) => quick::cut(frame, start, end).into(),
        None if fast && is_nil(&frame, 0) && frame.len() == 5 => NetString::from("nil"),
        None => {
            let (piece, end) = value(&frame, 0, 0)?;
            whole(&frame, end)?;
            piece.into_net(&frame)
        }
    };
    Ok(RedisMessage {
        kind,
        method: None,
        resource: None,
        text,
        reply: 0,
    })
}

fn request(frame: Bytes, pos: usize) -> Result<RedisMessage, ParseError> {
    let (count, mut pos) = match step(head(&frame, pos))? {
        (Head::Aggregate(Agg::List, count), next) => (count, next),
        _ => return Err(invalid("a command is a non-empty array")),
    };
    // The first three arguments (command, subcommand or key, key), kept
    // without an allocation.
    let mut args: [Option<Piece>; 3] = [None, None, None];
    let mut kept = 0;
    // The arguments and their separators fit in the frame: no regrowth.
    let mut query = Vec::with_capacity(if count == 1 { 0 } else { frame.len() });
    for i in 0..count {
        // The command's array is the first level.
        let (piece, next) = value(&frame, pos, 1)?;
        pos = next;
        if count > 1 {
            if i > 0 {
                query.push(b' ');
            }
            query.extend_from_slice(piece.bytes(&frame));
        }
        if kept < args.len() {
            args[kept] = Some(piece);
            kept += 1;
        }
    }
    whole(&frame, pos)?;
    let mut words: [&[u8]; 3] = [&[]; 3];
    for (word, arg) in words.iter_mut().zip(args.iter().flatten()) {
        *word = arg.bytes(&frame);
    }
    let (method, at) = command(&words[..kept]);
    let resource = args
        .get(at)
        .and_then(Option::as_ref)
        .map(|p| p.to_net(&frame));
    let text = match (count, &args[0]) {
        (1, Some(only)) => only.to_net(&frame),
        // Boxed (shrunk to its length, which may reallocate on this
        // general path): `Bytes` then owns it without a separate header.
        _ => Bytes::from(query.into_boxed_slice()).into(),
    };
    Ok(RedisMessage {
        kind: Kind::Request,
        method: Some(method),
        resource,
        text,
        reply: 0,
    })
}

/// A command sent as a line of words (`PING`, `set k v`); its query is the
/// line. Quotes are not interpreted.
fn inline(frame: Bytes, pos: usize) -> Result<RedisMessage, ParseError> {
    let is_space = |b: &u8| b.is_ascii_whitespace();
    let start = pos + frame[pos..].iter().take_while(|b| is_space(b)).count();
    let end = frame.len()
        - frame[start..]
            .iter()
            .rev()
            .take_while(|b| is_space(b))
            .count();
    let line = frame.slice(start..end);
    let mut words = line.split(|b| is_space(b)).filter(|w| !w.is_empty());
    let first: Vec<&[u8]> = words.by_ref().take(3).collect();
    if first.is_empty() {
        return Err(ParseError::Empty);
    }
    let (method, at) = command(&first);
    let resource = first.get(at).map(|w| line.slice_ref(w).into());
    Ok(RedisMessage {
        kind: Kind::Request,
        method: Some(method),
        resource,
        text: line.into(),
        reply: 0,
    })
}

/// Renders the value at `pos` as Packetbeat shows it (`OK`, `nil`, `[a, b]`)
/// and returns where it ends, `outer` levels deep. A scalar is a slice;
/// nested values are rendered iteratively, and one nested deeper than
/// [`MAX_DEPTH`] levels in all (the framer frames it whole) is an error.
fn value(frame: &[u8], mut pos: usize, outer: usize) -> Result<(Piece, usize), ParseError> {
    struct Open {
        agg: Agg,
        left: usize,
        index: usize,
    }
    let mut out = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    // Attribute pairs are not shown: only the value they describe.
    let muted = |stack: &[Open]| stack.iter().any(|o| o.agg == Agg::Attribute && o.left > 1);
    loop {
        let (head, next) = step(head_at(frame, pos))?;
        pos = next;
        let text: &[u8] = match head {
            Head::Scalar(Text::Span(start, end)) if stack.is_empty() => {
                return Ok((Piece::Slice(start, end), pos))
            }
            Head::Scalar(Text::Lit(text)) if stack.is_empty() => {
                return Ok((Piece::Lit(text), pos))
            }
            Head::Scalar(Text::Span(start, end)) => &frame[start..end],
            Head::Scalar(Text::Lit(text)) => text.as_bytes(),
            Head::Aggregate(..) if outer + stack.len() >= MAX_DEPTH => {
                return Err(ParseError::Invalid(format!(
                    "nested deeper than {MAX_DEPTH} levels"
                )));
            }
            Head::Aggregate(agg, _) => match agg {
                Agg::List => b"[",
                Agg::Map => b"{",
                Agg::Attribute => b"",
            },
        };
        if !muted(&stack) {
            if let Some(top) = stack
                .last()
                .filter(|t| t.agg != Agg::Attribute && t.index > 0)
            {
                let key = top.agg == Agg::Map && top.index % 2 == 1;
                out.extend_from_slice(if key { b": " } else { b", " });
            }
            out.extend_from_slice(text);
        }
        if let Head::Aggregate(agg, left) = head {
            stack.push(Open {
                agg,
                left,
                index: 0,
            });
            continue;
        }
        // A value ended: close the aggregates it completes.
        while let Some(top) = stack.last_mut() {
            top.left -= 1;
            top.index += 1;
            if top.left > 0 {
                break;
            }
            let agg = top.agg;
            stack.pop();
            if !muted(&stack) {
                out.extend_from_slice(match agg {
                    Agg::List => b"]",
                    Agg::Map => b"}",
                    Agg::Attribute => b"",
                });
            }
        }
        if stack.is_empty() {
            return Ok((Piece::Owned(out), pos));
        }
    }
}

fn head_at(frame: &[u8], pos: usize) -> Step {
    match pos < frame.len() {
        true => head(frame, pos),
        false => Step::Incomplete(None),
    }
}

fn step(step: Step) -> Result<(Head, usize), ParseError> {
    match step {
        Step::Ok(head, next) => Ok((head, next)),
        Step::Incomplete(_) => Err(invalid("truncated value")),
        Step::Invalid(why) => Err(ParseError::Invalid(why)),
    }
}

fn whole(frame: &[u8], end: usize) -> Result<(), ParseError> {
    match frame.len() - end {
        0 => Ok(()),
        extra => Err(ParseError::Invalid(format!(
            "{extra} bytes after the value"
        ))),
    }
}

fn invalid(why: &str) -> ParseError {
    ParseError::Invalid(why.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{FromClient as C, FromServer as S};

    fn text(frame: &'static str, dir: Direction) -> String {
        let msg = parse(frame.into(), dir).unwrap();
        msg.text.to_string()
    }

    #[test]
    fn replies_render_as_packetbeat_shows_them() {
        assert_eq!(text("+OK\r\n", S), "OK");
        assert_eq!(text(":3\r\n", S), "3");
        assert_eq!(text("$-1\r\n", S), "nil");
        assert_eq!(text("*-1\r\n", S), "nil");
        assert_eq!(text("*0\r\n", S), "[]");
        assert_eq!(text("$6\r\nhello1\r\n", S), "hello1");
        assert_eq!(
            text("*3\r\n+OK\r\n*2\r\n:1\r\n$-1\r\n-ERR x\r\n", S),
            "[OK, [1, nil], ERR x]"
        );
        assert_eq!(
            text("%2\r\n+a\r\n:1\r\n+b\r\n#f\r\n", S),
            "{a: 1, b: false}"
        );
        assert_eq!(
            text("|1\r\n+ttl\r\n:9\r\n*1\r\n=8\r\ntxt:abcd\r\n", S),
            "[abcd]"
        );
        assert_eq!(
            text("*2\r\n|1\r\n+k\r\n+v\r\n_\r\n,1.5\r\n", S),
            "[nil, 1.5]"
        );
        let err = parse("-ERR wrong\r\n".into(), S).unwrap();
        assert_eq!(
            (err.kind, err.text.to_string()),
            (Kind::Error, "ERR wrong".into())
        );
    }

    #[test]
    fn requests_give_method_resource_and_query() {
        let get = parse("*2\r\n$3\r\nget\r\n$4\r\nkey3\r\n".into(), C).unwrap();
        assert_eq!(get.method.as_deref(), Some("GET"));
        assert_eq!(get.resource.unwrap().to_string(), "key3");
        assert_eq!(get.text.to_string(), "get key3");
        let config = parse(
            "*3\r\n$6\r\nconfig\r\n$3\r\nget\r\n$4\r\nsave\r\n".into(),
            C,
        )
        .unwrap();
        assert_eq!(config.method.as_deref(), Some("CONFIG GET"));
        assert_eq!(config.resource.unwrap().to_string(), "save");
        let ping = parse("*1\r\n$4\r\nPING\r\n".into(), C).unwrap();
        assert_eq!(
            (ping.resource, ping.text.to_string()),
            (None, "PING".into())
        );
    }

    #[test]
    fn inline_commands() {
        let ping = parse("\r\nPING\r\n".into(), C).unwrap();
        assert_eq!(
            (ping.method.as_deref(), ping.text.to_string()),
            (Some("PING"), "PING".into())
        );
        let set = parse("set  k \tv\n".into(), C).unwrap();
        assert_eq!(set.method.as_deref(), Some("SET"));
        assert_eq!(set.resource.unwrap().to_string(), "k");
        assert_eq!(set.text.to_string(), "set  k \tv");
        assert_eq!(parse(" \r\n".into(), C).unwrap_err(), ParseError::Empty);
    }

    #[test]
    fn malformed_frames_are_errors() {
        assert!(parse("*2\r\n$3\r\nGET\r\n".into(), C).is_err());
        assert!(parse("*0\r\n".into(), C).is_err());
        assert!(parse("+OK\r\n+OK\r\n".into(), S).is_err());
        assert!(parse("?\r\n".into(), S).is_err());
        assert_eq!(parse(Bytes::new(), S).unwrap_err(), ParseError::Empty);
    }

    #[test]
    fn nesting_is_bounded_in_all_levels() {
        let nested = |depth: usize, inner: &str| {
            let mut wire = "*1\r\n".repeat(depth);
            wire.push_str(inner);
            Bytes::from(wire)
        };
        let deep = ParseError::Invalid(format!("nested deeper than {MAX_DEPTH} levels"));
        // A reply: MAX_DEPTH levels render, one more does not.
        let ok = parse(nested(MAX_DEPTH, ":1\r\n"), S).unwrap();
        assert_eq!(
            ok.text.to_string(),
            format!("{}1{}", "[".repeat(32), "]".repeat(32))
        );
        assert_eq!(parse(nested(MAX_DEPTH + 1, ":1\r\n"), S), Err(deep.clone()));
        // A request: its own array is the first level.
        let ping = parse(nested(MAX_DEPTH, "$4\r\nPING\r\n"), C).unwrap();
        assert_eq!(
            ping.method.as_deref(),
            Some(&*format!("{}PING{}", "[".repeat(31), "]".repeat(31)))
        );
        let refused = nested(MAX_DEPTH + 1, "$4\r\nPING\r\n");
        assert_eq!(parse(refused, C), Err(deep.clone()));
        assert_eq!(parse(nested(100_000, "$4\r\nPING\r\n"), C), Err(deep));
    }
}
