//! [`JsonFields`]: where a protocol writes its own fields of an event, as
//! JSON, without serde's generic path; [`JsonKey`], its keys, checked at
//! compile time.

use serde::Serialize;

use super::fast::{write_lossy_str, write_serialized, WriteJson};
use super::short::{self, Plain};

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

/// The protocol's own fields of one event, written as JSON entries:
/// where [`Conversation::fields`](crate::Conversation::fields) and the
/// derived [`Protocol::write_fields`](crate::Protocol::write_fields)
/// write. The ndjson writer and the event's `Serialize` both read what is
/// written here: a protocol says what its events carry once.
///
/// Entries are written in the order of the calls; separators and string
/// escaping are taken care of. Keys are [`JsonKey`] constants, which need
/// no escaping: each is copied as is (keys made at run time, such as header
/// names, go through [`field_named`](Self::field_named)). A string value
/// given as bytes ([`text`](Self::text)) is written as a [`NetString`] is:
/// valid UTF-8 as is, U+FFFD for invalid sequences. Values of any
/// [`WriteJson`] type are written directly ([`field`](Self::field)), others
/// through their `Serialize` ([`serialize`](Self::serialize)).
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
/// # let mut json = JsonFields::new(&mut out);
/// # reply_json(Kind::Response, &NetString::from("OK"), &mut json);
/// # json.array(const { JsonKey::new("keys") });
/// # json.item(&"a");
/// # json.item_object();
/// # json.field(const { JsonKey::new("n") }, &1u8);
/// # json.end();
/// # json.end();
/// # assert!(json.done());
/// # assert_eq!(out, br#","redis":{"return_value":"OK"},"keys":["a",{"n":1}]"#);
/// ```
///
/// [`NetString`]: crate::NetString
pub struct JsonFields<'a> {
    out: &'a mut Vec<u8>,
    /// No entry written yet in the object being written (at the top level
    /// the entries follow the event's own, so this starts `false`).
    first: bool,
    /// Objects and arrays opened and not ended.
    depth: usize,
    /// Which of the first 64 open levels are arrays (bit `depth - 1`).
    arrays: u64,
    /// More ended than opened.
    unbalanced: bool,
}

impl<'a> JsonFields<'a> {
    /// Entries appended to `out`, each after a comma (they follow an
    /// object's first entries).
    #[inline]
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        JsonFields {
            out,
            first: false,
            depth: 0,
            arrays: 0,
            unbalanced: false,
        }
    }

    /// Entries appended to `out`, the first without a comma (a new
    /// object's).
    #[inline]
    pub fn first(out: &'a mut Vec<u8>) -> Self {
        let mut fields = JsonFields::new(out);
        fields.first = true;
        fields
    }

    /// Whether every object and array opened was ended, and no more.
    #[inline]
    pub fn done(self) -> bool {
        self.depth == 0 && !self.unbalanced
    }

    /// Whether the next entry follows another (in its object): it then
    /// takes a comma.
    #[inline(always)]
    fn comma(&mut self) -> bool {
        !std::mem::replace(&mut self.first, false)
    }

    /// `,"key":` (`"key":` first in an object): copies only, the key
    /// needing no escaping.
    #[inline(always)]
    fn key(&mut self, key: JsonKey) {
        let comma = self.comma();
        self.key_after(comma, key, b"\":");
    }

    /// `,"key` when `comma`, else `"key`, then `end`.
    #[inline(always)]
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
    #[inline(always)]
    pub fn object(&mut self, key: JsonKey) {
        let comma = self.comma();
        self.key_after(comma, key, b"\":{");
        self.open(false);
    }

    /// Opens an array entry, `"key":[`; the [`item`](Self::item)s up to
    /// the matching [`end`](Self::end) go in it.
    #[inline]
    pub fn array(&mut self, key: JsonKey) {
        let comma = self.comma();
        self.key_after(comma, key, b"\":[");
        self.open(true);
    }

    /// An element of the array open last.
    #[inline]
    pub fn item<T: WriteJson + ?Sized>(&mut self, value: &T) {
        if self.comma() {
            self.out.push(b',');
        }
        value.write_json(self.out);
    }

    /// Opens an object element of the array open last; its entries up to
    /// the matching [`end`](Self::end) go in it.
    #[inline]
    pub fn item_object(&mut self) {
        if self.comma() {
            self.out.push(b',');
        }
        self.out.push(b'{');
        self.open(false);
    }

    #[inline(always)]
    fn open(&mut self, array: bool) {
        if self.depth < 64 {
            let bit = 1u64 << self.depth;
            self.arrays = if array {
                self.arrays | bit
            } else {
                self.arrays & !bit
            };
        }
        self.first = true;
        self.depth += 1;
    }

    /// Ends the object or array opened last.
    #[inline(always)]
    pub fn end(&mut self) {
        if self.depth == 0 {
            self.unbalanced = true;
            return;
        }
        self.depth -= 1;
        let array = self.depth < 64 && self.arrays & (1u64 << self.depth) != 0;
        self.out.push(if array { b']' } else { b'}' });
        self.first = false;
    }

    /// An entry of any [`WriteJson`] value.
    #[inline]
    pub fn field<T: WriteJson + ?Sized>(&mut self, key: JsonKey, value: &T) {
        self.entry(key, value);
    }

    /// An entry whose value is written through its `Serialize` (by this
    /// crate's writer where it can, else by serde_json).
    pub fn serialize<T: Serialize + ?Sized>(&mut self, key: JsonKey, value: &T) {
        self.key(key);
        write_serialized(self.out, value);
    }

    /// An entry whose key is made at run time (a header's name): escaped
    /// as needed.
    pub fn field_named<T: WriteJson + ?Sized>(&mut self, key: &str, value: &T) {
        if self.comma() {
            self.out.push(b',');
        }
        super::write_str(self.out, key);
        self.out.push(b':');
        value.write_json(self.out);
    }

    /// The entries of `value`, a struct or map serialized through serde,
    /// written here one by one (what `#[serde(flatten)]` does).
    pub fn flatten<T: Serialize + ?Sized>(&mut self, value: &T) {
        let mut object = Vec::new();
        write_serialized(&mut object, value);
        let inner = match (object.first(), object.last()) {
            (Some(b'{'), Some(b'}')) => &object[1..object.len() - 1],
            _ => return,
        };
        if inner.is_empty() {
            return;
        }
        if self.comma() {
            self.out.push(b',');
        }
        self.out.extend_from_slice(inner);
    }

    /// The key of an entry, given as `"key":` (escaped already), whose
    /// value the caller appends to the returned buffer itself: what the
    /// derive's expansion calls, one copy of known length per key. Not a
    /// stable API.
    #[doc(hidden)]
    #[inline(always)]
    pub fn __key(&mut self, quoted: &'static [u8]) -> &mut Vec<u8> {
        if self.comma() {
            self.out.push(b',');
        }
        self.out.extend_from_slice(quoted);
        self.out
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
    #[inline(always)]
    pub fn str(&mut self, key: JsonKey, value: &str) {
        self.entry(key, value);
    }

    /// An unsigned integer entry.
    #[inline(always)]
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

    /// An entry whose value is written directly.
    #[inline(always)]
    fn entry<T: WriteJson + ?Sized>(&mut self, key: JsonKey, value: &T) {
        self.key(key);
        value.write_json(self.out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(write: impl FnOnce(&mut JsonFields<'_>)) -> (String, bool) {
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
        assert!(done);
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
        assert!(!written(|j| j.object(X)).1);
        assert!(!written(|j| j.end()).1);
        assert!(written(|_| ()).1);
    }
}
