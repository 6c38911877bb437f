//! [`JsonFields`]: where a `#[fields_json_with]` function writes a
//! protocol's own fields as JSON, without serde; [`JsonKey`], its keys,
//! checked at compile time.

use super::fast::{write_lossy_str, WriteJson};
use super::short::{self, Plain};
use super::Unsupported;

/// A key of a [`JsonFields`] entry: a string that JSON writes as is
/// (no `"`, `\\` or control character, which would need escaping), checked
/// when the constant is made, so that writing it is a plain copy.
///
/// Make keys as constants, `const` items or `const { .. }` blocks: a key
/// that would need escaping is then refused at compile time.
///
/// ```
/// use analyzer_core::JsonKey;
///
/// const RETURN_VALUE: JsonKey = JsonKey::new("return_value");
/// assert_eq!(RETURN_VALUE.as_str(), "return_value");
/// // Anything JSON writes unescaped, non-ASCII text included.
/// assert_eq!(const { JsonKey::new("clé") }.as_str(), "clé");
/// ```
///
/// ```compile_fail
/// use analyzer_core::JsonKey;
///
/// // A quote would need escaping: does not compile.
/// const QUOTED: JsonKey = JsonKey::new("say \"hi\"");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JsonKey(&'static str);

impl JsonKey {
    /// The key `key`; panics (at compile time, in a constant) if JSON
    /// would escape any of its characters: `"`, `\\` and U+0000 to U+001F.
    pub const fn new(key: &'static str) -> JsonKey {
        let bytes = key.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x20 || b == b'"' || b == b'\\' {
                panic!(
                    "a JsonKey must not need escaping in JSON: no `\"`, `\\` or control character"
                );
            }
            i += 1;
        }
        JsonKey(key)
    }

    /// The key, as written between the quotes.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

/// The protocol's own fields of one event, written as JSON entries by the
/// function named in `#[fields_json_with(path)]`: the fast twin of the
/// `#[fields_with]` function, for the ndjson writer.
///
/// It must write exactly what the `#[fields_with]` function gives through
/// `serde_json` (debug builds compare the two on every event and panic on a
/// difference). Entries are written in the order of the calls; separators
/// and string escaping are taken care of. Keys are [`JsonKey`] constants,
/// which need no escaping: each is copied as is. A string value given as
/// bytes ([`text`](Self::text)) is written as a [`NetString`] is
/// serialized: valid UTF-8 as is, U+FFFD for invalid sequences.
///
/// ```
/// use analyzer_core::{JsonFields, JsonKey, Kind, NetString};
///
/// const REDIS: JsonKey = JsonKey::new("redis");
/// const ERROR: JsonKey = JsonKey::new("error");
/// const RETURN_VALUE: JsonKey = JsonKey::new("return_value");
///
/// // What a Redis-like protocol publishes for a reply: `"redis":{"return_value":"OK"}`.
/// fn reply_json(kind: Kind, text: &NetString, json: &mut JsonFields<'_>) {
///     json.object(REDIS);
///     match kind {
///         Kind::Error => json.text(ERROR, text),
///         _ => json.text(RETURN_VALUE, text),
///     }
///     json.end();
/// }
/// # let mut out = Vec::new();
/// # let mut json = analyzer_core::__private::json_fields(&mut out);
/// # reply_json(Kind::Response, &NetString::from("OK"), &mut json);
/// # analyzer_core::__private::json_fields_done(json).unwrap();
/// # assert_eq!(out, br#","redis":{"return_value":"OK"}"#);
/// ```
///
/// [`NetString`]: crate::NetString
pub struct JsonFields<'a> {
    out: &'a mut Vec<u8>,
    /// No entry written yet in the object being written (at the top level
    /// the entries follow the event's own, so this starts `false`).
    first: bool,
    /// Objects opened and not ended.
    depth: usize,
    /// More objects ended than opened.
    unbalanced: bool,
}

impl<'a> JsonFields<'a> {
    /// Entries appended to `out`, each after a comma.
    #[inline]
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        JsonFields {
            out,
            first: false,
            depth: 0,
            unbalanced: false,
        }
    }

    /// Whether every object opened was ended, and no more.
    #[inline]
    pub(crate) fn done(self) -> Result<(), Unsupported> {
        match (self.depth, self.unbalanced) {
            (0, false) => Ok(()),
            _ => Err(Unsupported),
        }
    }

    /// Whether the next entry follows another (in its object): it then
    /// takes a comma.
    #[inline]
    fn comma(&mut self) -> bool {
        !std::mem::replace(&mut self.first, false)
    }

    /// `,"key":` (`"key":` first in an object): copies only, the key
    /// needing no escaping.
    #[inline]
    fn key(&mut self, key: JsonKey) {
        let comma = self.comma();
        self.key_after(comma, key, b"\":");
    }

    /// `,"key` when `comma`, else `"key`, then `end`.
    #[inline]
    fn key_after(&mut self, comma: bool, key: JsonKey, end: &[u8]) {
        let out = &mut *self.out;
        match comma {
            true => out.extend_from_slice(b",\""),
            false => out.push(b'"'),
        }
        out.extend_from_slice(key.0.as_bytes());
        out.extend_from_slice(end);
    }

    /// Opens an object entry, `"key":{`; the entries up to the matching
    /// [`end`](Self::end) go in it.
    #[inline]
    pub fn object(&mut self, key: JsonKey) {
        let comma = self.comma();
        self.key_after(comma, key, b"\":{");
        self.first = true;
        self.depth += 1;
    }

    /// Ends the object opened last.
    #[inline]
    pub fn end(&mut self) {
        if self.depth == 0 {
            self.unbalanced = true;
            return;
        }
        self.out.push(b'}');
        self.first = false;
        self.depth -= 1;
    }

    /// A string entry from bytes off the wire, written as a
    /// [`NetString`](crate::NetString) serializes.
    #[inline(always)]
    pub fn text(&mut self, key: JsonKey, value: &[u8]) {
        let comma = self.comma();
        if !short::entry(self.out, comma, key.0.as_bytes(), value, Plain::Ascii) {
            self.key_after(comma, key, b"\":");
            write_lossy_str(self.out, value);
        }
    }

    /// A string entry.
    #[inline]
    pub fn str(&mut self, key: JsonKey, value: &str) {
        self.entry(key, value);
    }

    /// An unsigned integer entry.
    #[inline]
    pub fn u64(&mut self, key: JsonKey, value: u64) {
        self.entry(key, &value);
    }

    /// A signed integer entry.
    #[inline]
    pub fn i64(&mut self, key: JsonKey, value: i64) {
        self.entry(key, &value);
    }

    /// A boolean entry.
    #[inline]
    pub fn bool(&mut self, key: JsonKey, value: bool) {
        self.entry(key, &value);
    }

    /// An entry whose value the `fast_json` writers know.
    #[inline]
    fn entry<T: WriteJson + ?Sized>(&mut self, key: JsonKey, value: &T) {
        self.key(key);
        value.write_json(self.out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(write: impl FnOnce(&mut JsonFields<'_>)) -> (String, Result<(), Unsupported>) {
        let mut out = b"{\"a\":1".to_vec();
        let mut fields = JsonFields::new(&mut out);
        write(&mut fields);
        let done = fields.done();
        out.push(b'}');
        (String::from_utf8(out).expect("UTF-8"), done)
    }

    #[test]
    fn entries_are_what_serde_json_writes() {
        let (text, done) = written(|j| {
            j.object(const { JsonKey::new("p/q é") });
            j.text(const { JsonKey::new("t") }, b"ok \xff\n\"x\"");
            j.str(const { JsonKey::new("s") }, "\u{1}é");
            j.u64(const { JsonKey::new("u") }, u64::MAX);
            j.i64(const { JsonKey::new("i") }, i64::MIN);
            j.bool(const { JsonKey::new("b") }, true);
            j.object(const { JsonKey::new("inner") });
            j.end();
            j.end();
            j.bool(const { JsonKey::new("last") }, false);
        });
        assert!(done.is_ok());
        let q = |s: &str| serde_json::to_string(s).expect("JSON");
        let lossy = String::from_utf8_lossy(b"ok \xff\n\"x\"");
        let expected = format!(
            "{{\"a\":1,{}:{{\"t\":{},\"s\":{},\"u\":{},\"i\":{},\"b\":true,\"inner\":{{}}}},\"last\":false}}",
            q("p/q é"),
            q(&lossy),
            q("\u{1}é"),
            u64::MAX,
            i64::MIN
        );
        assert_eq!(text, expected);
        // And it is JSON.
        serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
    }

    #[test]
    fn keys_are_refused_exactly_when_serde_json_escapes_them() {
        let chars = (0u32..0x80).chain([0xe9, 0x2028, 0x1f600]);
        for c in chars.filter_map(char::from_u32) {
            let key: &'static str = Box::leak(format!("k{c}y").into_boxed_str());
            let made = std::panic::catch_unwind(|| JsonKey::new(key));
            let escaped = serde_json::to_string(key).expect("JSON") != format!("\"{key}\"");
            assert_eq!(made.is_err(), escaped, "{key:?}");
            if let Ok(made) = made {
                assert_eq!(made.as_str(), key);
            }
        }
    }

    #[test]
    fn unbalanced_objects_are_refused() {
        const X: JsonKey = JsonKey::new("x");
        assert!(written(|j| j.object(X)).1.is_err());
        assert!(written(|j| j.end()).1.is_err());
        assert!(written(|_| ()).1.is_ok());
    }
}
