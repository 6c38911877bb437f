//! [`WriteJson`]: values written as JSON directly, without serde's
//! generic path; [`Field`], which writes a field of a message through
//! `WriteJson` when its type has it and through its `Serialize` otherwise
//! (what the writer `#[derive(Protocol)]` generates calls). What the
//! values write is what `serde_json` writes for them (the unit tests below
//! check each type).

use serde::Serialize;

use super::{needs_escape, word_at, write_str, write_str_contents, Writer, CHUNK};
use crate::netstring::NetString;
use crate::role::Kind;

/// A value written as JSON directly (a protocol's event fields): strings,
/// integers, booleans, [`NetString`], `Bytes` (as text), [`Kind`],
/// options, sequences. A protocol may implement it for its own types to
/// have them written without serde.
///
/// ```
/// use analyzer_core::WriteJson;
///
/// let mut out = Vec::new();
/// vec![Some("a"), None].write_json(&mut out);
/// assert_eq!(out, br#"["a",null]"#);
/// ```
pub trait WriteJson {
    /// Appends the value's JSON to `out`.
    fn write_json(&self, out: &mut Vec<u8>);

    /// A hint, for speed: starts loading into the CPU's caches the memory
    /// [`write_json`](Self::write_json) will read beyond the value itself
    /// (text on the heap). The engine calls it, through
    /// [`Protocol::prefetch`](crate::Protocol::prefetch), for a request
    /// waiting for its answer when a packet of its connection comes: with
    /// many connections that text is rarely cached when the event is
    /// written. Does nothing by default.
    #[inline(always)]
    fn prefetch(&self) {}
}

impl WriteJson for NetString {
    /// One pass that checks for escapes and for non-ASCII bytes together:
    /// plain ASCII (the usual content) is copied as is; anything else is
    /// validated, made lossy and escaped as `Serialize` does.
    #[inline(always)]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_lossy_str(out, self.as_bytes());
    }

    #[inline(always)]
    fn prefetch(&self) {
        crate::engine::prefetch::text(self.as_bytes());
    }
}

impl WriteJson for Kind {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        // One copy of known length per arm: no `memcpy` call.
        match self {
            Kind::Request => out.extend_from_slice(b"\"request\""),
            Kind::Response => out.extend_from_slice(b"\"response\""),
            Kind::Error => out.extend_from_slice(b"\"error\""),
            Kind::Greeting => out.extend_from_slice(b"\"greeting\""),
        }
    }
}

impl WriteJson for bytes::Bytes {
    /// As text: valid UTF-8 as is, U+FFFD for invalid sequences (as a
    /// [`NetString`] is written).
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_lossy_str(out, self);
    }

    #[inline(always)]
    fn prefetch(&self) {
        crate::engine::prefetch::text(self);
    }
}

impl WriteJson for std::borrow::Cow<'_, str> {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_str(out, self);
    }

    #[inline(always)]
    fn prefetch(&self) {
        crate::engine::prefetch::text(self.as_bytes());
    }
}

impl<T: WriteJson> WriteJson for [T] {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item.write_json(out);
        }
        out.push(b']');
    }
}

impl<T: WriteJson> WriteJson for Vec<T> {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_slice().write_json(out);
    }

    /// The items (not what they point to).
    #[inline(always)]
    fn prefetch(&self) {
        crate::engine::prefetch::line(self.as_ptr() as usize);
    }
}

impl WriteJson for str {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_str(out, self);
    }
}

impl WriteJson for String {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_str(out, self);
    }

    #[inline(always)]
    fn prefetch(&self) {
        crate::engine::prefetch::text(self.as_bytes());
    }
}

impl WriteJson for bool {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }
}

macro_rules! integers {
    ($($ty:ty),*) => {
        $(impl WriteJson for $ty {
            #[inline]
            fn write_json(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(itoa::Buffer::new().format(*self).as_bytes());
            }
        })*
    };
}

integers!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl<T: WriteJson> WriteJson for Option<T> {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
    }

    #[inline(always)]
    fn prefetch(&self) {
        if let Some(value) = self {
            value.prefetch();
        }
    }
}

impl<T: WriteJson + ?Sized> WriteJson for &T {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        (**self).write_json(out);
    }

    #[inline(always)]
    fn prefetch(&self) {
        (**self).prefetch();
    }
}

impl<T: WriteJson + ?Sized> WriteJson for Box<T> {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        (**self).write_json(out);
    }

    /// The boxed value (reading it could wait for it).
    #[inline(always)]
    fn prefetch(&self) {
        crate::engine::prefetch::line((&**self as *const T).cast::<u8>() as usize);
    }
}

/// A field of a message, written by `(&Field(&value)).write_field(out)`:
/// method resolution picks [`ViaWriteJson`] when the type implements
/// [`WriteJson`], else [`ViaSerialize`] (both traits in scope).
pub struct Field<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for Field<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Field<'_, T> {}

/// [`Field`] of a type written directly.
pub trait ViaWriteJson {
    /// Appends the field's JSON.
    fn write_field(self, out: &mut Vec<u8>);
    /// [`WriteJson::prefetch`].
    fn prefetch_field(self);
}

impl<T: WriteJson + ?Sized> ViaWriteJson for &Field<'_, T> {
    #[inline]
    fn write_field(self, out: &mut Vec<u8>) {
        self.0.write_json(out);
    }

    #[inline(always)]
    fn prefetch_field(self) {
        self.0.prefetch();
    }
}

/// [`Field`] of any other type: through its `Serialize`.
pub trait ViaSerialize {
    /// Appends the field's JSON.
    fn write_field(self, out: &mut Vec<u8>);
    /// Nothing: what `Serialize` reads is not known.
    fn prefetch_field(self);
}

impl<T: Serialize + ?Sized> ViaSerialize for Field<'_, T> {
    #[inline]
    fn write_field(self, out: &mut Vec<u8>) {
        write_serialized(out, self.0);
    }

    #[inline(always)]
    fn prefetch_field(self) {}
}

/// Appends `value`'s JSON through its `Serialize`: by this crate's writer,
/// or, for what it leaves to serde_json (floats, bytes, maps with other
/// keys), by serde_json; a value whose `Serialize` fails is written as its
/// error, in a string.
pub(crate) fn write_serialized<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let mark = out.len();
    if value.serialize(Writer { out: &mut *out }).is_ok() {
        return;
    }
    out.truncate(mark);
    if let Err(err) = serde_json::to_writer(&mut *out, value) {
        out.truncate(mark);
        write_str(out, &format!("(not serializable: {err})"));
    }
}

/// Whether any of sixteen bytes needs escaping or is not ASCII: written
/// without early exit, so that it compiles to a few vector instructions.
#[inline]
fn chunk_is_special(chunk: &[u8; CHUNK]) -> bool {
    // `b - 0x20` (wrapping) is below 0x60 exactly for printable ASCII.
    chunk.iter().fold(false, |any, &b| {
        any | (b.wrapping_sub(0x20) >= 0x60) | (b == b'"') | (b == b'\\')
    })
}

/// Where the first eight- or sixteen-byte block holding a byte that needs
/// escaping or is not ASCII starts (the last block overlaps the one before
/// it; fewer than eight bytes are one block), `None` when there is none.
/// No such byte is before it.
#[inline]
fn first_special(bytes: &[u8]) -> Option<usize> {
    let n = bytes.len();
    if n < 8 {
        let special = |&b: &u8| b >= 0x80 || super::ESCAPE[b as usize] != 0;
        return bytes.iter().any(special).then_some(0);
    }
    let word_special = |at| {
        let word = word_at(bytes, at);
        needs_escape(word) || word & super::HIGHS != 0
    };
    if n < CHUNK {
        if word_special(0) {
            return Some(0);
        }
        return word_special(n - 8).then_some(n - 8);
    }
    let mut chunks = bytes.chunks_exact(CHUNK);
    let mut at = 0;
    for chunk in &mut chunks {
        if chunk_is_special(chunk.try_into().expect("chunks_exact")) {
            return Some(at);
        }
        at += CHUNK;
    }
    let last = n - CHUNK;
    (at < n && chunk_is_special(bytes[last..].try_into().expect("sixteen bytes"))).then_some(last)
}

/// Appends `bytes` as a JSON string, as `serde_json` writes
/// `String::from_utf8_lossy(bytes)`, checking them once when they are plain
/// ASCII. (Inlined: a message's text fields are most of its event, and
/// the call costs more than the plain copy.)
#[inline(always)]
pub(crate) fn write_lossy_str(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    match first_special(bytes) {
        None => out.extend_from_slice(bytes),
        Some(from) => write_lossy_contents(out, bytes, from),
    }
    out.push(b'"');
}

/// [`write_lossy_str`], not inlined: the raw text of messages, written
/// with `--send-request`/`--send-response` only (inlined, its code made the
/// rest of `write_event` slower).
#[inline(never)]
pub(crate) fn write_lossy_str_out_of_line(out: &mut Vec<u8>, bytes: &[u8]) {
    write_lossy_str(out, bytes);
}

/// Escapes, non-ASCII text or invalid UTF-8 from `from` on (plain ASCII
/// before it): ASCII is escaped as it is; other text is checked from
/// there, and invalid UTF-8 made lossy as `String::from_utf8_lossy` does
/// (the ASCII before `from` is the same in it).
#[inline(never)]
fn write_lossy_contents(out: &mut Vec<u8>, bytes: &[u8], from: usize) {
    let rest = &bytes[from..];
    if std::str::from_utf8(rest).is_ok() {
        super::escape_from(out, bytes, from);
    } else {
        out.extend_from_slice(&bytes[..from]);
        write_str_contents(out, &String::from_utf8_lossy(rest));
    }
}

#[cfg(test)]
mod tests;
