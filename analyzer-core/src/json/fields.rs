//! [`JsonFields`]: where a `#[fields_json_with]` function writes a
//! protocol's own fields as JSON, without serde.

use super::fast::{write_lossy_str, WriteJson};
use super::{write_str, Unsupported};

/// The protocol's own fields of one event, written as JSON entries by the
/// function named in `#[fields_json_with(path)]`: the fast twin of the
/// `#[fields_with]` function, for the ndjson writer.
///
/// It must write exactly what the `#[fields_with]` function gives through
/// `serde_json` (debug builds compare the two on every event and panic on a
/// difference). Entries are written in the order of the calls; separators,
/// key escaping and string escaping are taken care of. A string value given
/// as bytes ([`text`](Self::text)) is written as a [`NetString`] is
/// serialized: valid UTF-8 as is, U+FFFD for invalid sequences.
///
/// ```
/// use analyzer_core::{JsonFields, Kind, NetString};
///
/// // What a Redis-like protocol publishes for a reply: `"redis":{"return_value":"OK"}`.
/// fn reply_json(kind: Kind, text: &NetString, json: &mut JsonFields<'_>) {
///     json.object("redis");
///     match kind {
///         Kind::Error => json.text("error", text),
///         _ => json.text("return_value", text),
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

    #[inline]
    fn key(&mut self, key: &str) {
        if !std::mem::replace(&mut self.first, false) {
            self.out.push(b',');
        }
        write_str(self.out, key);
        self.out.push(b':');
    }

    /// Opens an object entry, `"key":{`; the entries up to the matching
    /// [`end`](Self::end) go in it.
    #[inline]
    pub fn object(&mut self, key: &str) {
        self.key(key);
        self.out.push(b'{');
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
    #[inline]
    pub fn text(&mut self, key: &str, value: &[u8]) {
        self.key(key);
        write_lossy_str(self.out, value);
    }

    /// A string entry.
    #[inline]
    pub fn str(&mut self, key: &str, value: &str) {
        self.entry(key, value);
    }

    /// An unsigned integer entry.
    #[inline]
    pub fn u64(&mut self, key: &str, value: u64) {
        self.entry(key, &value);
    }

    /// A signed integer entry.
    #[inline]
    pub fn i64(&mut self, key: &str, value: i64) {
        self.entry(key, &value);
    }

    /// A boolean entry.
    #[inline]
    pub fn bool(&mut self, key: &str, value: bool) {
        self.entry(key, &value);
    }

    /// An entry whose value the `fast_json` writers know.
    #[inline]
    fn entry<T: WriteJson + ?Sized>(&mut self, key: &str, value: &T) {
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
            j.object("p\"q");
            j.text("t", b"ok \xff\n\"x\"");
            j.str("s", "\u{1}é");
            j.u64("u", u64::MAX);
            j.i64("i", i64::MIN);
            j.bool("b", true);
            j.object("inner");
            j.end();
            j.end();
            j.bool("last", false);
        });
        assert!(done.is_ok());
        let q = |s: &str| serde_json::to_string(s).expect("JSON");
        let lossy = String::from_utf8_lossy(b"ok \xff\n\"x\"");
        let expected = format!(
            "{{\"a\":1,{}:{{\"t\":{},\"s\":{},\"u\":{},\"i\":{},\"b\":true,\"inner\":{{}}}},\"last\":false}}",
            q("p\"q"),
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
    fn unbalanced_objects_are_refused() {
        assert!(written(|j| j.object("x")).1.is_err());
        assert!(written(|j| j.end()).1.is_err());
        assert!(written(|_| ()).1.is_ok());
    }
}
