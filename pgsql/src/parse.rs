//! Reading one PostgreSQL message (a frame cut by [`frame`](crate::frame))
//! with nom: message bodies are C strings, 16- and 32-bit big-endian
//! integers and tagged fields.

use analyzer_core::{Cx, Direction, Kind, NetString, ParseError};
use bytes::Bytes;
use nom::bytes::complete::{tag, take_until};
use nom::number::complete::{be_u16, be_u32, u8 as byte};
use nom::sequence::terminated;
use nom::{IResult, Parser};

use crate::framer::{CANCEL_REQUEST, GSSENC_REQUEST, PROTOCOL_3, SSL_REQUEST};
use crate::{ErrorFields, Notification, PgsqlMessage, Setup};

type Res<'a, T> = IResult<&'a [u8], T>;

/// A string ended by a 0 byte (not included).
fn cstr(input: &[u8]) -> Res<'_, &[u8]> {
    terminated(take_until(&b"\0"[..]), tag(&b"\0"[..])).parse(input)
}

/// ErrorResponse and NoticeResponse fields: a code byte and a string each,
/// up to a 0 code.
fn error_fields(mut input: &[u8]) -> Res<'_, [&[u8]; 3]> {
    let mut out: [&[u8]; 3] = [b""; 3];
    loop {
        let (rest, code) = byte(input)?;
        if code == 0 {
            return Ok((rest, out));
        }
        let (rest, value) = cstr(rest)?;
        match code {
            b'S' => out[0] = value,
            b'C' => out[1] = value,
            b'M' => out[2] = value,
            _ => {}
        }
        input = rest;
    }
}

/// Parses one frame sent in `cx.direction()`.
pub fn parse(frame: Bytes, cx: &Cx<'_, PgsqlMessage>) -> Result<PgsqlMessage, ParseError> {
    match cx.direction() {
        Direction::FromClient => client(frame, cx),
        Direction::FromServer => server(frame, cx),
    }
}

/// `sub`, a slice of `frame`, as a zero-copy string.
fn text(frame: &Bytes, sub: &[u8]) -> NetString {
    frame.slice_ref(sub).into()
}

fn invalid(tag: u8, what: &str) -> ParseError {
    ParseError::invalid(format!("malformed {} message ({what})", tag.escape_ascii()))
}

/// The body of a typed frame (after the type and length).
fn body(frame: &Bytes) -> Result<&[u8], ParseError> {
    frame
        .get(5..)
        .ok_or_else(|| ParseError::invalid("message shorter than its header"))
}

fn client(frame: Bytes, cx: &Cx<'_, PgsqlMessage>) -> Result<PgsqlMessage, ParseError> {
    let session = cx.session();
    let tag = *frame.first().ok_or(ParseError::Empty)?;
    if tag == 0 {
        return untyped(&frame);
    }
    let body = body(&frame)?;
    let mut m = PgsqlMessage::new(Kind::Request, tag);
    // A COPY ... FROM STDIN the server refused (no CopyInResponse) is
    // followed by the client's next request, not by copy data: that
    // request begins here, the COPY ended before it.
    let partial = cx.partial();
    if partial.is_some_and(|p| copy_refused(p, tag)) {
        m.ends_previous = true;
    }
    let partial = partial.filter(|_| !m.ends_previous);
    match tag {
        b'Q' => {
            let (_, query) = cstr(body).map_err(|_| invalid(tag, "query without its end"))?;
            m.copy_in = crate::copy_from_stdin(query);
            m.continues = m.copy_in;
            m.query = Some(text(&frame, query));
        }
        b'P' => {
            let (_, (name, query)) = (cstr, cstr)
                .parse(body)
                .map_err(|_| invalid(tag, "statement name and query"))?;
            m.extra_mut().statement = Some(text(&frame, name));
            m.query = Some(text(&frame, query));
            m.continues = true;
        }
        b'B' => {
            let (_, (_portal, name)) = (cstr, cstr)
                .parse(body)
                .map_err(|_| invalid(tag, "portal and statement names"))?;
            m.query = session.statement(name).cloned();
            m.continues = true;
        }
        b'C' => {
            let (_, (what, name)) = (byte, cstr)
                .parse(body)
                .map_err(|_| invalid(tag, "what to close"))?;
            if what == b'S' {
                m.extra_mut().closes = Some(text(&frame, name));
            }
            m.continues = true;
        }
        b'D' | b'H' => m.continues = true,
        b'E' => {
            m.continues = true;
            // Executes a COPY ... FROM STDIN (bound in this request).
            m.copy_in = partial.is_some_and(|p| {
                p.extended() && p.query.as_ref().is_some_and(|q| crate::copy_from_stdin(q))
            });
        }
        // CopyData goes on to CopyDone or CopyFail.
        b'd' => m.continues = true,
        // The server ignores the Sync of a COPY ... FROM STDIN it executes
        // (the copy data follow, then a Sync that ends the request).
        b'S' => {
            if partial.is_some_and(|p| p.copy_in && p.extended() && !p.synced) {
                m.continues = true;
                m.synced = true;
            }
        }
        // After an extended COPY, a Sync follows.
        b'c' | b'f' => m.continues = partial.is_some_and(|p| p.synced),
        b'F' => {}
        b'p' => m.setup = Some(Setup::Authentication),
        b'X' => m.setup = Some(Setup::Terminate),
        _ => return Err(ParseError::UnknownTag { byte: tag }),
    }
    Ok(m)
}

/// Whether a client message with type byte `tag`, while the client folds
/// `partial`, shows that the server refused the COPY `partial` is: not copy
/// traffic (CopyData, CopyDone, CopyFail, and the Sync and Flush the server
/// ignores while copying) after a `Q` of `COPY ... FROM STDIN`, or after an
/// extended one's first Sync.
fn copy_refused(partial: &PgsqlMessage, tag: u8) -> bool {
    let copying = (partial.copy_in && !partial.extended()) || partial.synced;
    copying && !matches!(tag, b'd' | b'c' | b'f' | b'S' | b'H')
}

/// The client's untyped messages: a length and a code.
fn untyped(frame: &[u8]) -> Result<PgsqlMessage, ParseError> {
    let (_, (_len, code)) =
        (be_u32, be_u32)
            .parse(frame)
            .map_err(|_: nom::Err<nom::error::Error<&[u8]>>| {
                ParseError::invalid("startup-phase message shorter than 8 bytes")
            })?;
    let setup = match code {
        SSL_REQUEST => Setup::SslRequest,
        GSSENC_REQUEST => Setup::GssEncRequest,
        CANCEL_REQUEST => Setup::CancelRequest,
        code if code >> 16 == PROTOCOL_3 >> 16 => Setup::Startup,
        code => {
            return Err(ParseError::invalid(format!(
                "startup-phase message with unknown code {code}"
            )))
        }
    };
    let mut m = PgsqlMessage::new(Kind::Request, 0);
    m.setup = Some(setup);
    Ok(m)
}

fn server(frame: Bytes, cx: &Cx<'_, PgsqlMessage>) -> Result<PgsqlMessage, ParseError> {
    let session = cx.session();
    let tag = *frame.first().ok_or(ParseError::Empty)?;
    if frame.len() == 1 && session.encryption_asked() {
        let mut m = PgsqlMessage::new(Kind::Response, tag);
        m.setup = Some(Setup::EncryptionAnswer(tag));
        return Ok(m);
    }
    let body = body(&frame)?;
    let kind = if tag == b'E' {
        Kind::Error
    } else {
        Kind::Response
    };
    let mut m = PgsqlMessage::new(kind, tag);
    // The answer goes on up to its ReadyForQuery.
    m.continues = tag != b'Z';
    match tag {
        b'T' => {
            let (_, count) = be_u16(body)
                .map_err(|_: nom::Err<nom::error::Error<&[u8]>>| invalid(tag, "field count"))?;
            m.num_fields = Some(count);
        }
        b'D' => m.num_rows = 1,
        b'C' => {
            cstr(body).map_err(|_| invalid(tag, "command tag"))?;
        }
        b'E' => {
            let (_, [severity, code, message]) =
                error_fields(body).map_err(|_| invalid(tag, "error fields"))?;
            m.extra_mut().error = Some(ErrorFields {
                severity: text(&frame, severity),
                code: text(&frame, code),
                message: text(&frame, message),
            });
        }
        b'A' => {
            let (_, (_pid, channel, payload)) = (be_u32, cstr, cstr)
                .parse(body)
                .map_err(|_| invalid(tag, "channel and payload"))?;
            m.extra_mut().notification = Some(Notification {
                channel: text(&frame, channel),
                payload: text(&frame, payload),
            });
        }
        _ => {}
    }
    if session.authenticating() {
        // Authentication, parameters, the backend key, the first
        // ReadyForQuery (or a failed login): no transaction.
        m.setup = Some(Setup::Authentication);
        m.continues = false;
        return Ok(m);
    }
    if matches!(tag, b'A' | b'N' | b'S' | b'E') && cx.partial().is_none() && cx.request().is_none()
    {
        // Sent unasked, between queries.
        m.continues = false;
        match tag {
            b'A' => m.kind = Kind::Greeting,
            b'N' | b'S' => m.setup = Some(Setup::Status),
            _ => {}
        }
    }
    Ok(m)
}
