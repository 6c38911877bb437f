//! [`NetString`]: message bytes that serialize as text, without copying.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;
use serde::{Serialize, Serializer};

/// Bytes taken from the wire, shared with the stream buffer they came from
/// (cloning and slicing never copy). Serialized as a string: valid UTF-8 as
/// is, anything else with U+FFFD for the invalid sequences.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct NetString(Bytes);

impl NetString {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying shared buffer.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// The text, with U+FFFD replacing invalid UTF-8.
    #[inline]
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        lossy(&self.0)
    }
}

/// `String::from_utf8_lossy`, checking the usual cases first: ASCII (the
/// short keys, commands and replies most protocols carry; a word-at-a-time
/// test), then valid UTF-8 with the faster `str::from_utf8`.
#[inline]
pub(crate) fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if bytes.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        return std::borrow::Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

impl Deref for NetString {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Bytes> for NetString {
    fn from(bytes: Bytes) -> Self {
        NetString(bytes)
    }
}

impl From<&'static str> for NetString {
    fn from(text: &'static str) -> Self {
        NetString(Bytes::from_static(text.as_bytes()))
    }
}

impl fmt::Debug for NetString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.to_string_lossy(), f)
    }
}

impl fmt::Display for NetString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl Serialize for NetString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string_lossy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_lossy_text() {
        let s = NetString::from(Bytes::from_static(b"ok \xff"));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"ok \u{fffd}\"");
        assert_eq!(format!("{s:?}"), "\"ok \u{fffd}\"");
    }
}
