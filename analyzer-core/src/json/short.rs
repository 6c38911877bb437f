//! Entries whose value is a short string (methods, keys, most values of an
//! event): `"key":"value"` made in a buffer on the stack and appended as one
//! copy of known size. The value is looked at as two machine words that
//! cover it, so there is no loop over its bytes, no `memcpy` call and one
//! capacity check instead of one per part.

use super::{needs_escape, word_at, HIGHS, ONES};

/// The longest value taken as words.
pub(super) const SHORT: usize = 16;

/// The stack buffer: a comma, the quoted key, `:` and the quoted value.
const BUFFER: usize = 48;

/// The longest key that fits [`BUFFER`] with a [`SHORT`] value.
const LONGEST_KEY: usize = BUFFER - SHORT - 6;

/// Which bytes make [`entry`] decline.
#[derive(Clone, Copy)]
pub(crate) enum Plain {
    /// Those JSON escapes: for `&str` values (any other byte is valid
    /// UTF-8, written as is).
    Unescaped,
    /// Those and any non-ASCII byte: for bytes off the wire, which may not
    /// be UTF-8.
    Ascii,
}

/// Two words covering every byte of `bytes` (at most [`SHORT`]), and only
/// those, some twice, or else spaces: 8 to 16 bytes as the first and the
/// last eight; 4 to 7 as their first and last four; 1 to 3 as the first,
/// middle and last byte. So a check of the words for a kind of byte is a
/// check of `bytes` (spaces are plain), and [`entry`] writes `bytes` from
/// them.
#[inline(always)]
fn words(bytes: &[u8]) -> [u64; 2] {
    let n = bytes.len();
    debug_assert!(n <= SHORT);
    const SPACES: u64 = ONES * b' ' as u64;
    if n >= 8 {
        return [word_at(bytes, 0), word_at(bytes, n - 8)];
    }
    if n >= 4 {
        let half = |at: usize| {
            let mut half = [0; 4];
            half.copy_from_slice(&bytes[at..at + 4]);
            u64::from(u32::from_le_bytes(half))
        };
        return [half(0) | half(n - 4) << 32, SPACES];
    }
    if n > 0 {
        let three =
            u64::from(bytes[0]) | u64::from(bytes[n / 2]) << 8 | u64::from(bytes[n - 1]) << 16;
        return [three | SPACES << 24, SPACES];
    }
    [SPACES; 2]
}

/// Whether a byte of the words is not [`Plain`].
#[inline(always)]
fn special([first, last]: [u64; 2], plain: Plain) -> bool {
    let escape = needs_escape(first) | needs_escape(last);
    match plain {
        Plain::Unescaped => escape,
        Plain::Ascii => escape | ((first | last) & HIGHS != 0),
    }
}

/// Appends `,"key":"value"` (without the comma unless `comma`) and returns
/// `true` when `value` is short and all [`Plain`] (so that it is written as
/// is) and `key` is short; else writes nothing and returns `false`. `key`
/// must need no escaping; it is best a constant, copied then with no call.
#[inline(always)]
pub(crate) fn entry(
    out: &mut Vec<u8>,
    comma: bool,
    key: &[u8],
    value: &[u8],
    plain: Plain,
) -> bool {
    let (k, n) = (key.len(), value.len());
    if n > SHORT || k > LONGEST_KEY {
        return false;
    }
    let words = words(value);
    if special(words, plain) {
        return false;
    }
    let mut buf = [0u8; BUFFER];
    buf[0] = b',';
    let mut at = usize::from(comma);
    buf[at] = b'"';
    buf[at + 1..at + 1 + k].copy_from_slice(key);
    at += k + 1;
    buf[at..at + 3].copy_from_slice(b"\":\"");
    at += 3;
    let at = put(&mut buf, at, n, words);
    buf[at] = b'"';
    let start = out.len();
    out.extend_from_slice(&buf);
    out.truncate(start + at + 1);
    true
}

/// Appends `bytes` in ASCII lower case, then `end` (at most 8 bytes), and
/// returns `true` when `bytes` is short and all ASCII; else writes nothing
/// and returns `false`. `bytes` is given by its length and [`Short::of`]
/// it, so that it may be a part of `out` itself.
#[inline(always)]
pub(crate) fn append_lower(out: &mut Vec<u8>, short: Short, end: &[u8]) -> bool {
    let Short { words, len: n } = short;
    if n > SHORT || (words[0] | words[1]) & HIGHS != 0 || end.len() > 8 {
        return false;
    }
    // ASCII only: adding 0x3f (0x25) to a byte sets its high bit exactly
    // from `A` (past `Z`) on, with no carry into the next byte.
    let lower = |word: u64| {
        let upper = word.wrapping_add(ONES * 0x3f) & !word.wrapping_add(ONES * 0x25) & HIGHS;
        word | upper >> 2
    };
    let mut buf = [0u8; SHORT + 8];
    let at = put(&mut buf, 0, n, [lower(words[0]), lower(words[1])]);
    buf[at..at + end.len()].copy_from_slice(end);
    let start = out.len();
    out.extend_from_slice(&buf);
    out.truncate(start + at + end.len());
    true
}

/// A value's covering words ([`words`]) and length; nothing when longer
/// than [`SHORT`].
#[derive(Clone, Copy)]
pub(crate) struct Short {
    words: [u64; 2],
    len: usize,
}

impl Short {
    /// `bytes` as words, if short.
    #[inline(always)]
    pub(crate) fn of(bytes: &[u8]) -> Short {
        let len = bytes.len();
        let words = match len <= SHORT {
            true => words(bytes),
            false => [0; 2],
        };
        Short { words, len }
    }
}

/// Writes the `n` bytes that `words` cover into `buf` at `at`: each part
/// whole, then the next over the bytes it shares with it, which are the
/// same. Returns where they end.
#[inline(always)]
fn put(buf: &mut [u8], at: usize, n: usize, [first, last]: [u64; 2]) -> usize {
    if n >= 8 {
        buf[at..at + 8].copy_from_slice(&first.to_le_bytes());
        buf[at + n - 8..at + n].copy_from_slice(&last.to_le_bytes());
    } else if n >= 4 {
        buf[at..at + 4].copy_from_slice(&(first as u32).to_le_bytes());
        buf[at + n - 4..at + n].copy_from_slice(&((first >> 32) as u32).to_le_bytes());
    } else {
        buf[at..at + 3].copy_from_slice(&first.to_le_bytes()[..3]);
    }
    at + n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `entry` writes after `prefix`, or `None`.
    fn written(comma: bool, key: &str, value: &[u8], plain: Plain) -> Option<Vec<u8>> {
        let mut out = b"prefix".to_vec();
        let done = entry(&mut out, comma, key.as_bytes(), value, plain);
        assert_eq!(&out[..6], b"prefix");
        if !done {
            assert_eq!(out.len(), 6, "nothing written when declined");
            return None;
        }
        Some(out[6..].to_vec())
    }

    #[test]
    fn short_plain_values_of_every_length_are_written_whole() {
        let text: String = ('A'..).take(SHORT).collect();
        for n in 0..=SHORT {
            let value = &text[..n];
            for (comma, key) in [(true, "method"), (false, "k"), (true, "")] {
                for plain in [Plain::Unescaped, Plain::Ascii] {
                    let expected = format!("{}\"{key}\":\"{value}\"", if comma { "," } else { "" });
                    let expected = Some(expected.into_bytes());
                    assert_eq!(written(comma, key, value.as_bytes(), plain), expected);
                }
            }
        }
        let key = "k".repeat(LONGEST_KEY);
        let value = "v".repeat(SHORT);
        let expected = format!(",\"{key}\":\"{value}\"");
        let expected = Some(expected.into_bytes());
        assert_eq!(
            written(true, &key, value.as_bytes(), Plain::Ascii),
            expected
        );
    }

    #[test]
    fn short_ascii_is_lowered_as_make_ascii_lowercase_does() {
        let every: Vec<u8> = (0..0x80).collect();
        for text in every.chunks(SHORT).chain(every.windows(5)).chain([
            &b""[..],
            b"GeT",
            b"CONFIG GET",
            b"@[`{AZaz",
        ]) {
            for n in 0..=text.len() {
                let mut out = b"x".to_vec();
                assert!(append_lower(&mut out, Short::of(&text[..n]), b"\","));
                let mut expected = b"x".to_vec();
                expected.extend_from_slice(&text[..n].to_ascii_lowercase());
                expected.extend_from_slice(b"\",");
                assert_eq!(out, expected, "{:?}", &text[..n]);
            }
        }
        let mut out = Vec::new();
        assert!(!append_lower(&mut out, Short::of("É".as_bytes()), b""));
        assert!(!append_lower(&mut out, Short::of(&[b'A'; SHORT + 1]), b""));
        assert!(out.is_empty());
    }

    #[test]
    fn a_special_byte_anywhere_long_values_and_keys_are_declined() {
        for n in 1..=SHORT {
            for at in 0..n {
                for (special, escaped) in [(b'"', true), (b'\\', true), (0x1f, true), (0x80, false)]
                {
                    let mut value = vec![b'z'; n];
                    value[at] = special;
                    assert_eq!(written(true, "k", &value, Plain::Ascii), None, "{value:?}");
                    let unescaped = written(true, "k", &value, Plain::Unescaped);
                    assert_eq!(unescaped.is_none(), escaped, "{value:?}");
                }
            }
        }
        // Non-ASCII text is plain for `&str`s.
        let text = "é".as_bytes();
        let expected = "\"k\":\"é\"".as_bytes();
        assert_eq!(
            written(false, "k", text, Plain::Unescaped).as_deref(),
            Some(expected)
        );
        assert_eq!(written(true, "k", &[b'a'; SHORT + 1], Plain::Ascii), None);
        let key = "k".repeat(LONGEST_KEY + 1);
        assert_eq!(written(true, &key, b"v", Plain::Ascii), None);
    }
}
