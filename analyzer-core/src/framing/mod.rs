//! The library's [`Framer`](crate::Framer)s: how a byte stream is cut into
//! frames.
//!
//! - [`Delimiter`]: every frame ends with a byte sequence (`\n`, `\r\n`);
//! - [`LengthPrefix`]: every frame starts with a header holding its length
//!   (fixed widths of 1 to 8 bytes in either byte order, variable-length
//!   integers, a leading type byte, a length counting itself or not);
//! - [`Lines`]: text lines, some followed by a data block whose byte count
//!   is written on the line, some opening a multi-part answer (Memcache,
//!   FTP and SMTP replies);
//! - [`Nom`]: a nom streaming parser frames and parses at once.
//!
//! A protocol with framing of its own implements [`Framer`](crate::Framer)
//! on a type of its own, often by choosing among these (the first message
//! of a PostgreSQL client has no type byte, the later ones do).
//!
//! Each says where the stream picks up after bytes that cannot be framed:
//! after the next delimiter, or at the next plausible header.

mod delimiter;
mod length;
mod lines;
mod nom;

#[doc(hidden)]
pub use self::nom::parse_complete as nom_complete;
pub use self::nom::{Nom, NomFn};
pub use delimiter::Delimiter;
pub use length::{LengthField, LengthPrefix};
pub use lines::{Block, Lines, Parts};

/// Where `pattern` ends in `hay`, searching from `from` (bytes before it
/// were searched already; a pattern split across that point is found).
/// Delimiters are short: their last byte is searched with memchr and the
/// rest compared, which needs no searcher built per call.
#[inline]
pub(crate) fn find_end(hay: &[u8], pattern: &[u8], from: usize) -> Option<usize> {
    let (&last, head) = pattern.split_last()?;
    let mut at = from.saturating_sub(head.len()).min(hay.len());
    if head.is_empty() {
        // One byte: nothing else to compare.
        return memchr::memchr(last, &hay[at..]).map(|i| at + i + 1);
    }
    while let Some(i) = memchr::memchr(last, &hay[at..]) {
        let end = at + i + 1;
        if end > head.len() && hay[end - 1 - head.len()..end - 1] == *head {
            return Some(end);
        }
        at = end;
    }
    None
}
