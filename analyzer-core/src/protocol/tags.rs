//! Reading a frame's leading tag byte or keyword: what the derive generates
//! for `#[protocol(tag(..))]` fields and `tag` / `keyword` variants.

use bytes::Bytes;

use crate::error::ParseError;
use crate::role::Kind;

/// Splits a frame on its leading tag byte: returns the tag's kind and the
/// rest of the frame (zero-copy).
#[inline]
pub fn split_tag(payload: Bytes, tags: &[(u8, Kind)]) -> Result<(Kind, Bytes), ParseError> {
    let first = *payload.first().ok_or(ParseError::Empty)?;
    let kind = tags
        .iter()
        .find(|(tag, _)| *tag == first)
        .map(|(_, kind)| *kind)
        .ok_or(ParseError::UnknownTag { byte: first })?;
    // Advancing the frame's own handle costs no reference count.
    let mut rest = payload;
    bytes::Buf::advance(&mut rest, 1);
    Ok((kind, rest))
}

/// Finds which of `tags` the frame's first byte is: its index, and the
/// rest of the frame (zero-copy).
#[inline]
pub fn match_tag(payload: Bytes, tags: &[u8]) -> Result<(usize, Bytes), ParseError> {
    let first = *payload.first().ok_or(ParseError::Empty)?;
    let index = tags
        .iter()
        .position(|tag| *tag == first)
        .ok_or(ParseError::UnknownTag { byte: first })?;
    let mut rest = payload;
    bytes::Buf::advance(&mut rest, 1);
    Ok((index, rest))
}

/// Finds which of `keywords` the frame's first word (up to the first
/// space or line break, or the whole frame) is, comparing ASCII
/// case-insensitively: its index, and the rest of the frame after that
/// space (from the line break on, for a one-word first line of a
/// multi-line frame), zero-copy.
pub fn match_keyword(payload: Bytes, keywords: &[&[u8]]) -> Result<(usize, Bytes), ParseError> {
    if payload.is_empty() {
        return Err(ParseError::Empty);
    }
    let end = memchr::memchr3(b' ', b'\r', b'\n', &payload).unwrap_or(payload.len());
    let word = &payload[..end];
    let index = keywords
        .iter()
        .position(|k| k.eq_ignore_ascii_case(word))
        .ok_or_else(|| ParseError::UnknownKeyword(String::from_utf8_lossy(word).into_owned()))?;
    let rest = match payload.get(end) {
        Some(b' ') => end + 1,
        _ => end,
    };
    Ok((index, payload.slice(rest..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAGS: &[(u8, Kind)] = &[(b'>', Kind::Request), (b'<', Kind::Response)];

    #[test]
    fn split_tag_slices_after_the_tag() {
        let (kind, rest) = split_tag(Bytes::from_static(b"<hi"), TAGS).unwrap();
        assert_eq!(kind, Kind::Response);
        assert_eq!(&rest[..], b"hi");
    }

    #[test]
    fn match_tag_and_keyword() {
        let (i, rest) = match_tag(Bytes::from_static(b"<x"), b"><!").unwrap();
        assert_eq!((i, &rest[..]), (1, &b"x"[..]));
        let kw: &[&[u8]] = &[b"get", b"set"];
        let (i, rest) = match_keyword(Bytes::from_static(b"SET k 0 0 1"), kw).unwrap();
        assert_eq!((i, &rest[..]), (1, &b"k 0 0 1"[..]));
        let (i, rest) = match_keyword(Bytes::from_static(b"get"), kw).unwrap();
        assert_eq!((i, rest.len()), (0, 0));
        let (i, rest) = match_keyword(Bytes::from_static(b"set\r\nx y"), kw).unwrap();
        assert_eq!((i, &rest[..]), (1, &b"\r\nx y"[..]));
        let err = match_keyword(Bytes::from_static(b"quit now"), kw).unwrap_err();
        assert_eq!(err.to_string(), "unknown keyword \"quit\"");
    }

    #[test]
    fn split_tag_rejects_unknown_and_empty() {
        let err = split_tag(Bytes::from_static(b"hi"), TAGS).unwrap_err();
        assert_eq!(err, ParseError::UnknownTag { byte: b'h' });
        assert_eq!(err.to_string(), "unknown tag byte b'h'");
        let err = split_tag(Bytes::new(), TAGS).unwrap_err();
        assert_eq!(err, ParseError::Empty);
    }
}
