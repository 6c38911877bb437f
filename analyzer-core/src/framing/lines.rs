//! Text lines with data blocks and multi-part messages: [`Lines`].
//!
//! The framing of text protocols such as Memcache's: most messages are one
//! line, some lines announce a data block by a byte count written on the
//! line, and some answers run over many lines up to a terminator.

use super::{FrameLen, FrameProgress};

/// Text lines, some followed by a data block, some opening a multi-part
/// message.
///
/// Every message is one line ending with `delimiter`, except that:
/// - a line whose first word a [`Block`] names is followed by a data block
///   whose byte count is one of the line's words, then by the delimiter
///   (Memcache `set k 0 0 5\r\nhello\r\n`). The block is taken by its length,
///   so bytes in it that look like framing (`\r\n`, `END`) are never taken
///   for it;
/// - a line whose first word a [`Parts`] names opens a multi-part message:
///   the following lines with the same first word (each with its data block)
///   belong to it, up to the line that ends it, normally the terminator
///   (Memcache `VALUE ... END`, `STAT ... END`).
///
/// A line's words are separated by spaces; its first word is compared
/// ignoring ASCII case. The payload handed to `Protocol::parse` is the frame
/// without its final delimiter. After bytes that cannot be framed (a line
/// longer than `max_line`, too many parts), the stream picks up after the
/// next delimiter.
///
/// ```
/// use analyzer_core::framing::{Block, FrameLen, Lines, Parts};
///
/// const MEMCACHE: Lines = Lines::new(b"\r\n")
///     .blocks(&[Block::new(&[b"set", b"add"], 4), Block::new(&[b"VALUE"], 3)])
///     .parts(&[Parts::new(b"VALUE", b"END")]);
///
/// // The value holds "\r\nEND\r\n": taken by its length, 7.
/// let set = b"set k 0 0 7\r\n\r\nEND\r\n\r\nget k\r\n";
/// assert_eq!(MEMCACHE.frame_len(&set[..14]), FrameLen::Incomplete(Some(22)));
/// assert_eq!(MEMCACHE.frame_len(set), FrameLen::Complete(22));
/// assert_eq!(MEMCACHE.frame_len(&set[22..]), FrameLen::Complete(7));
///
/// // Two values and the END: one message.
/// let hit = b"VALUE a 0 1\r\nx\r\nVALUE b 0 3\r\nEND\r\nEND\r\n";
/// assert_eq!(MEMCACHE.frame_len(hit), FrameLen::Complete(hit.len()));
/// assert_eq!(MEMCACHE.frame_len(&hit[..20]), FrameLen::AtLeast(21));
/// assert_eq!(MEMCACHE.frame_len(&hit[..30]), FrameLen::AtLeast(34));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lines {
    /// What ends a line (not empty), e.g. `b"\r\n"`.
    pub delimiter: &'static [u8],
    /// Whether a line may also end with the delimiter's last byte alone (a
    /// bare `\n` for `\r\n`, as memcached and Redis accept).
    pub bare_end: bool,
    /// Longest line, delimiter included; a longer one is invalid. `None`:
    /// only the engine's `max_message_size` applies (it always does).
    pub max_line: Option<usize>,
    /// Lines followed by a data block.
    pub blocks: &'static [Block],
    /// Lines opening a multi-part message.
    pub parts: &'static [Parts],
}

/// Lines followed by a data block: its byte count is a word of the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// The first words of the lines it follows (e.g. `set`, `add`).
    pub after: &'static [&'static [u8]],
    /// Which word holds the byte count: 1 is the first word after the first
    /// (Memcache `set <key> <flags> <exptime> <bytes>`: 4). A line where it
    /// is missing or not a decimal number has no data block.
    pub length_word: usize,
}

/// A multi-part message: lines starting with `keyword` up to `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    /// The first word of its lines (e.g. `VALUE`).
    pub keyword: &'static [u8],
    /// The line that ends it (e.g. `END`). Any other line also ends it and
    /// is part of it: an answer cut short by an error line.
    pub until: &'static [u8],
    /// Most lines starting with `keyword` in one message; more is invalid.
    pub max_parts: usize,
}

impl Block {
    /// A data block after lines starting with one of `after`, its byte
    /// count the `length_word`-th word after the first.
    pub const fn new(after: &'static [&'static [u8]], length_word: usize) -> Self {
        Block { after, length_word }
    }
}

impl Parts {
    /// The default bound on the parts of one message.
    pub const DEFAULT_MAX: usize = 100_000;

    /// Lines starting with `keyword` up to the line `until`, at most
    /// [`Parts::DEFAULT_MAX`] of them.
    pub const fn new(keyword: &'static [u8], until: &'static [u8]) -> Self {
        Parts {
            keyword,
            until,
            max_parts: Parts::DEFAULT_MAX,
        }
    }

    /// At most `max` parts in one message.
    pub const fn max_parts(mut self, max: usize) -> Self {
        self.max_parts = max;
        self
    }
}

impl Lines {
    /// Lines ending with `delimiter`, with no data blocks nor multi-part
    /// messages yet.
    pub const fn new(delimiter: &'static [u8]) -> Self {
        Lines {
            delimiter,
            bare_end: false,
            max_line: None,
            blocks: &[],
            parts: &[],
        }
    }

    /// A line may also end with the delimiter's last byte alone.
    pub const fn bare_end(mut self) -> Self {
        self.bare_end = true;
        self
    }

    /// Lines longer than `max` bytes are invalid.
    pub const fn max_line(mut self, max: usize) -> Self {
        self.max_line = Some(max);
        self
    }

    /// The lines followed by a data block.
    pub const fn blocks(mut self, blocks: &'static [Block]) -> Self {
        self.blocks = blocks;
        self
    }

    /// The lines opening a multi-part message.
    pub const fn parts(mut self, parts: &'static [Parts]) -> Self {
        self.parts = parts;
        self
    }

    /// The length of the message at the start of `buf`: `Complete`, or
    /// `Incomplete` with the exact total once a data block's count is read,
    /// `AtLeast` inside a multi-part message, `Invalid` for a line too long
    /// or too many parts.
    pub fn frame_len(&self, buf: &[u8]) -> FrameLen {
        self.frame_resume(buf, &mut FrameProgress::default())
    }

    /// [`Lines::frame_len`], resuming a multi-part message where the
    /// previous call on it stopped (`progress` is empty at its start).
    pub fn frame_resume(&self, buf: &[u8], progress: &mut FrameProgress) -> FrameLen {
        if let [pos, count, rule] = progress.0[..] {
            if let Some(parts) = self.parts.get(rule as usize) {
                return self.multi_part(buf, parts, pos as usize, count as usize, rule, progress);
            }
        }
        let end = match self.line_end(buf, 0) {
            Ok(end) => end,
            Err(not_yet) => return not_yet,
        };
        let line = self.trim(&buf[..end]);
        let first = first_word(line);
        if let Some(rule) = self
            .parts
            .iter()
            .position(|p| p.keyword.eq_ignore_ascii_case(first))
        {
            return self.multi_part(buf, &self.parts[rule], 0, 0, rule as u64, progress);
        }
        match self.block_end(line, end) {
            Ok(Some(total)) if buf.len() >= total => FrameLen::Complete(total),
            Ok(Some(total)) => FrameLen::Incomplete(Some(total)),
            Ok(None) => FrameLen::Complete(end),
            Err(invalid) => invalid,
        }
    }

    /// The lines of a multi-part message from `pos` on, `count` parts
    /// already seen.
    fn multi_part(
        &self,
        buf: &[u8],
        parts: &Parts,
        mut pos: usize,
        mut count: usize,
        rule: u64,
        progress: &mut FrameProgress,
    ) -> FrameLen {
        while pos <= buf.len() {
            let end = match self.line_end(buf, pos) {
                Ok(end) => end,
                Err(FrameLen::Invalid(why)) => return FrameLen::Invalid(why),
                Err(_) => break,
            };
            let line = self.trim(&buf[pos..end]);
            if !first_word(line).eq_ignore_ascii_case(parts.keyword) {
                progress.0.clear();
                return FrameLen::Complete(end);
            }
            count += 1;
            if count > parts.max_parts {
                return FrameLen::Invalid(format!(
                    "more than {} parts in one message",
                    parts.max_parts
                ));
            }
            pos = match self.block_end(line, end) {
                Ok(Some(next)) => next,
                Ok(None) => end,
                Err(invalid) => return invalid,
            };
        }
        // The message goes on past the bytes held: at least to `pos + 1`
        // (a whole block, or a line not ended yet). Resume from `pos`.
        progress.0.clear();
        progress.0.extend([pos as u64, count as u64, rule]);
        FrameLen::AtLeast(pos.max(buf.len() + 1))
    }

    /// The end (past its delimiter) of the line starting at `start`.
    fn line_end(&self, buf: &[u8], start: usize) -> Result<usize, FrameLen> {
        let window = match self.max_line {
            Some(max) => &buf[start..buf.len().min(start.saturating_add(max))],
            None => &buf[start..],
        };
        let Some((&last, head)) = self.delimiter.split_last() else {
            return Err(FrameLen::Invalid("empty line delimiter".into()));
        };
        let mut at = 0;
        while let Some(i) = memchr::memchr(last, &window[at..]) {
            let end = at + i + 1;
            if self.bare_end || (end > head.len() && window[end - 1 - head.len()..end - 1] == *head)
            {
                return Ok(start + end);
            }
            at = end;
        }
        match self.max_line {
            Some(max) if window.len() >= max => {
                Err(FrameLen::Invalid(format!("line longer than {max} bytes")))
            }
            _ => Err(FrameLen::Incomplete(None)),
        }
    }

    /// The line without its delimiter (or bare end).
    fn trim<'b>(&self, line: &'b [u8]) -> &'b [u8] {
        &line[..line.len() - self.end_len(line)]
    }

    /// The length of the delimiter (or bare end) that ends `frame`, if any.
    pub(crate) fn end_len(&self, frame: &[u8]) -> usize {
        if frame.ends_with(self.delimiter) {
            self.delimiter.len()
        } else if self.bare_end
            && self
                .delimiter
                .last()
                .is_some_and(|l| frame.last() == Some(l))
        {
            1
        } else {
            0
        }
    }

    /// Where the data block after `line` (ending at `end`) ends, its
    /// delimiter included; `None` when the line has none.
    fn block_end(&self, line: &[u8], end: usize) -> Result<Option<usize>, FrameLen> {
        let first = first_word(line);
        let Some(block) = self
            .blocks
            .iter()
            .find(|b| b.after.iter().any(|k| k.eq_ignore_ascii_case(first)))
        else {
            return Ok(None);
        };
        let Some(count) = words(line).nth(block.length_word).and_then(decimal) else {
            return Ok(None);
        };
        let total = usize::try_from(count)
            .ok()
            .and_then(|n| end.checked_add(n))
            .and_then(|n| n.checked_add(self.delimiter.len()));
        match total {
            Some(total) => Ok(Some(total)),
            None => Err(FrameLen::Invalid(format!(
                "data block of {count} bytes is too long"
            ))),
        }
    }
}

/// The first word of a line: up to its first space.
fn first_word(line: &[u8]) -> &[u8] {
    let end = memchr::memchr(b' ', line).unwrap_or(line.len());
    &line[..end]
}

/// The line's words, separated by one or more spaces.
fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ').filter(|w| !w.is_empty())
}

/// A decimal number of at most 19 digits.
fn decimal(word: &[u8]) -> Option<u64> {
    if word.is_empty() || word.len() > 19 || !word.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(word.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests;
