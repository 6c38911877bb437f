//! Text lines with data blocks and multi-part messages: [`Lines`].
//!
//! The framing of text protocols such as Memcache's: most messages are one
//! line, some lines announce a data block by a byte count written on the
//! line, and some answers run over many lines up to a terminator.

use std::ops::Range;

use crate::frame_len::FrameLen;
use crate::protocol::{Conversation, Cx, Framer};
use crate::role::Direction;

/// Text lines, some followed by a data block, some opening a multi-part
/// message.
///
/// Every message is one line ending with `delimiter`, except that:
/// - a line whose first word a [`Block`] names is followed by a data block
///   whose byte count is one of the line's words, then by the delimiter
///   (Memcache `set k 0 0 5\r\nhello\r\n`). The block is taken by its length,
///   so bytes in it that look like framing (`\r\n`, `END`) are never taken
///   for it;
/// - a line whose first word a [`Parts`] names opens a multi-part message,
///   each of its lines with its data block: either the following lines
///   with the same first word, up to the first other line, which ends it
///   and belongs to it (Memcache `VALUE ... END`, where an error line may
///   also end the answer), or ([`Parts::until`]) whatever lines follow, up
///   to the terminator line.
///
/// A line's words are separated by spaces; its first word is compared
/// ignoring ASCII case unless `exact_case`. The payload handed to
/// `Protocol::parse` is the frame without its final delimiter. After bytes
/// that cannot be framed (a line longer than `max_line`), the stream picks
/// up after the next line end.
///
/// Work and memory stay linear and bounded: a line arriving in many
/// segments is searched once (the search resumes where it stopped), and a
/// multi-part message with more than `max_parts` parts, or longer than the
/// stream's message size limit ([`Cx::limit`]), is cut at a part
/// boundary ([`FrameLen::Cut`]: the piece is published with a note saying
/// so): the next part starts a message of its own (published as a response
/// without request). One part longer than the limit is skipped
/// exactly when its length is known (a data block).
///
/// A `Lines` value is also the framer's progress on the message being cut
/// (where its search stopped, the parts seen): each direction has its own.
///
/// ```
/// use analyzer_core::framing::{Block, Lines, Parts};
/// use analyzer_core::FrameLen;
/// use analyzer_core::Direction::{FromClient, FromServer};
///
/// const MEMCACHE: Lines = Lines::new(b"\r\n")
///     .blocks(&[Block::new(&[b"set", b"add"], 4), Block::new(&[b"VALUE"], 3)])
///     .parts(&[Parts::new(b"VALUE")]);
///
/// // The value holds "\r\nEND\r\n": taken by its length, 7.
/// let set = b"set k 0 0 7\r\n\r\nEND\r\n\r\nget k\r\n";
/// assert_eq!(MEMCACHE.frame_len(&set[..14], FromClient), FrameLen::Incomplete(Some(22)));
/// assert_eq!(MEMCACHE.frame_len(set, FromClient), FrameLen::Complete(22));
/// assert_eq!(MEMCACHE.frame_len(&set[22..], FromClient), FrameLen::Complete(7));
///
/// // Two values and the END: one message.
/// let hit = b"VALUE a 0 1\r\nx\r\nVALUE b 0 3\r\nEND\r\nEND\r\n";
/// assert_eq!(MEMCACHE.frame_len(hit, FromServer), FrameLen::Complete(hit.len()));
/// assert_eq!(MEMCACHE.frame_len(&hit[..20], FromServer), FrameLen::Incomplete(None));
/// assert_eq!(MEMCACHE.frame_len(&hit[..30], FromServer), FrameLen::AtLeast(34));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lines {
    /// The progress on the message being cut.
    progress: Progress,
    /// What ends a line (not empty), e.g. `b"\r\n"`.
    pub delimiter: &'static [u8],
    /// Whether a line may also end with the delimiter's last byte alone (a
    /// bare `\n` for `\r\n`, as memcached and Redis accept).
    pub bare_end: bool,
    /// Whether first words are compared exactly (memcached's commands are
    /// case-sensitive) rather than ignoring ASCII case.
    pub exact_case: bool,
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
    /// The largest count taken for a block (memcached refuses more than
    /// `i32::MAX - 2`, and reads no data then): a line with a larger one has
    /// no data block. `None`: any count of up to 19 digits.
    pub max_len: Option<u64>,
    /// Only lines sent this way have the block; `None`: both ways.
    pub from: Option<Direction>,
}

/// A multi-part message opened by a line starting with `keyword`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    /// The first word of its opening line (e.g. `VALUE`); unused by
    /// [`Parts::reply_code`].
    pub keyword: &'static [u8],
    /// A reply whose lines start with a three-digit code: opened by
    /// `NNN-`, ended by the first line starting with the same code and a
    /// space (FTP, SMTP: `211-Features` ... `211 End`).
    pub reply_code: bool,
    /// `None`: the message goes on over the lines starting with `keyword`
    /// and ends with the first other line, which belongs to it (`END`, or
    /// an error line cutting the answer short). `Some(terminator)`: it goes
    /// on over whatever lines follow, up to and including the first one
    /// starting with `terminator`.
    pub until: Option<&'static [u8]>,
    /// Most parts (lines, each with its data block) before the one that
    /// ends the message; past them the message is cut.
    pub max_parts: usize,
    /// Only messages sent this way are multi-part; `None`: both ways.
    pub from: Option<Direction>,
}

impl Block {
    /// A data block after lines starting with one of `after`, its byte
    /// count the `length_word`-th word after the first.
    pub const fn new(after: &'static [&'static [u8]], length_word: usize) -> Self {
        Block {
            after,
            length_word,
            max_len: None,
            from: None,
        }
    }

    /// Counts above `max` are not taken for a data block.
    pub const fn max_len(mut self, max: u64) -> Self {
        self.max_len = Some(max);
        self
    }

    /// Only lines sent in `direction` have the block.
    pub const fn from(mut self, direction: Direction) -> Self {
        self.from = Some(direction);
        self
    }
}

impl Parts {
    /// The default bound on the parts of one message.
    pub const DEFAULT_MAX: usize = 100_000;

    /// Lines starting with `keyword`, up to the first other line, at most
    /// [`Parts::DEFAULT_MAX`] of them.
    pub const fn new(keyword: &'static [u8]) -> Self {
        Parts {
            keyword,
            reply_code: false,
            until: None,
            max_parts: Parts::DEFAULT_MAX,
            from: None,
        }
    }

    /// A multi-line reply of three-digit codes (FTP, SMTP): a line
    /// starting with a code and `-` (`211-Features`) opens it; it goes on
    /// over any lines up to the first one starting with the same code and
    /// a space, or that code alone (`211 End`), which ends it.
    ///
    /// ```
    /// use analyzer_core::framing::{Lines, Parts};
    /// use analyzer_core::{Direction::FromServer, FrameLen};
    ///
    /// const FTP: Lines = Lines::new(b"\r\n").parts(&[Parts::reply_code()]);
    /// let reply = b"211-Features:\r\n MDTM\r\n 211 inside\r\n211 End\r\n230 next\r\n";
    /// assert_eq!(FTP.frame_len(reply, FromServer), FrameLen::Complete(44));
    /// assert_eq!(FTP.frame_len(b"230 Logged in\r\n", FromServer), FrameLen::Complete(15));
    /// ```
    pub const fn reply_code() -> Self {
        let mut parts = Parts::new(b"");
        parts.reply_code = true;
        parts
    }

    /// The message goes on over any lines up to the first one starting with
    /// `terminator`. (Past `max_parts` or the size limit such a message is
    /// cut, and the lines after the cut, which do not start with
    /// `keyword`, are messages of one line each up to the terminator.)
    pub const fn until(mut self, terminator: &'static [u8]) -> Self {
        self.until = Some(terminator);
        self
    }

    /// At most `max` parts in one message (at least 1).
    pub const fn max_parts(mut self, max: usize) -> Self {
        self.max_parts = max;
        self
    }

    /// Only messages sent in `direction` are multi-part.
    pub const fn from(mut self, direction: Direction) -> Self {
        self.from = Some(direction);
        self
    }
}

/// Where the framer stopped on the message being cut.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Progress {
    /// Nothing searched yet.
    #[default]
    Start,
    /// The first line has no end yet; searched up to here.
    Line { searched: usize },
    /// Inside a multi-part message.
    Parts(PartsProgress),
}

/// The place in a multi-part message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PartsProgress {
    /// Which of [`Lines::parts`].
    rule: usize,
    /// The next part's start.
    pos: usize,
    /// Parts seen.
    count: usize,
    /// The line at `pos` searched up to here.
    searched: usize,
    /// The reply code of a [`Parts::reply_code`] message.
    code: [u8; 3],
}

/// Why a line has no end yet.
enum NoEnd {
    /// Searched up to here.
    Yet(usize),
    /// Longer than `max_line`.
    TooLong(usize),
}

impl Lines {
    /// Lines ending with `delimiter`, with no data blocks nor multi-part
    /// messages yet.
    pub const fn new(delimiter: &'static [u8]) -> Self {
        Lines {
            progress: Progress::Start,
            delimiter,
            bare_end: false,
            exact_case: false,
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

    /// First words are compared exactly, case included.
    pub const fn exact_case(mut self) -> Self {
        self.exact_case = true;
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

    /// What resynchronizes the stream after bytes that cannot be framed:
    /// the delimiter, or its last byte alone with `bare_end`.
    pub fn sync(&self) -> &'static [u8] {
        match self.delimiter.split_last() {
            Some((_, head)) if self.bare_end => &self.delimiter[head.len()..],
            _ => self.delimiter,
        }
    }

    /// The length of the message sent in `direction` at the start of
    /// `buf`: `Complete`, or `Incomplete` with the exact total once a data
    /// block's count is read, `AtLeast` inside a data block of a multi-part
    /// message, `Invalid` for a line longer than `max_line`. Starts afresh
    /// (the framer resumes where it stopped: [`Lines::frame_from`]).
    pub fn frame_len(&self, buf: &[u8], direction: Direction) -> FrameLen {
        let mut fresh = *self;
        fresh.progress = Progress::Start;
        fresh.frame_from(buf, direction, usize::MAX)
    }

    /// [`Lines::frame_len`], resuming where the previous call on the same
    /// message stopped, and cutting multi-part messages longer than
    /// `limit`.
    pub fn frame_from(&mut self, buf: &[u8], direction: Direction, limit: usize) -> FrameLen {
        let (parts, searched) = match std::mem::take(&mut self.progress) {
            Progress::Start => (None, 0),
            Progress::Line { searched } => (None, searched),
            Progress::Parts(parts) => (Some(parts), parts.searched),
        };
        if let Some(state) = parts {
            let rules: &'static [Parts] = self.parts;
            if let Some(rule) = rules.get(state.rule) {
                return self.multi_part(buf, direction, rule, state, limit);
            }
        }
        let end = match self.line_end(buf, 0, searched) {
            Ok(end) => end,
            Err(NoEnd::Yet(searched)) => {
                self.progress = Progress::Line { searched };
                return FrameLen::Incomplete(None);
            }
            Err(NoEnd::TooLong(max)) => return too_long(max),
        };
        let line = self.trim(&buf[..end]);
        let first = first_word(line);
        if let Some(rule) = self
            .parts
            .iter()
            .position(|p| applies(p.from, direction) && self.opens(p, line, first))
        {
            let mut code = [0; 3];
            if self.parts[rule].reply_code {
                code.copy_from_slice(&line[..3]);
            }
            let state = PartsProgress {
                rule,
                pos: 0,
                count: 0,
                searched: 0,
                code,
            };
            let rules: &'static [Parts] = self.parts;
            return self.multi_part(buf, direction, &rules[rule], state, limit);
        }
        match self.block_end(line, end, direction) {
            Ok(Some(total)) if buf.len() >= total => FrameLen::Complete(total),
            Ok(Some(total)) => FrameLen::Incomplete(Some(total)),
            Ok(None) => FrameLen::Complete(end),
            Err(invalid) => invalid,
        }
    }

    /// Whether `line` (first word `first`) opens a message of `parts`.
    fn opens(&self, parts: &Parts, line: &[u8], first: &[u8]) -> bool {
        if parts.reply_code {
            return line.len() >= 4 && line[..3].iter().all(u8::is_ascii_digit) && line[3] == b'-';
        }
        self.same(parts.keyword, first)
    }

    /// Whether `line` (first word `word`), a later line of a message of
    /// `parts`, ends it.
    fn ends(&self, parts: &Parts, line: &[u8], word: &[u8], code: &[u8; 3]) -> bool {
        if parts.reply_code {
            return line.starts_with(code) && matches!(line.get(3), None | Some(b' '));
        }
        match parts.until {
            None => !self.same(parts.keyword, word),
            Some(terminator) => self.same(terminator, word),
        }
    }

    /// The lines of a multi-part message from `pos` on, `count` parts
    /// before it, the line at `pos` searched up to `searched`.
    fn multi_part(
        &mut self,
        buf: &[u8],
        direction: Direction,
        parts: &Parts,
        state: PartsProgress,
        limit: usize,
    ) -> FrameLen {
        let PartsProgress {
            rule,
            mut pos,
            mut count,
            mut searched,
            code,
        } = state;
        while pos <= buf.len() {
            let end = match self.line_end(buf, pos, searched) {
                Ok(end) => end,
                Err(NoEnd::TooLong(_)) if pos > 0 => return FrameLen::Cut(pos),
                Err(NoEnd::TooLong(max)) => return too_long(max),
                Err(NoEnd::Yet(_)) if pos > 0 && buf.len() >= limit => return FrameLen::Cut(pos),
                Err(NoEnd::Yet(to)) => {
                    searched = to;
                    break;
                }
            };
            if end > limit && pos > 0 {
                return FrameLen::Cut(pos);
            }
            let line = self.trim(&buf[pos..end]);
            let word = first_word(line);
            if pos > 0 && self.ends(parts, line, word, &code) {
                return FrameLen::Complete(end);
            }
            count = count.saturating_add(1);
            if count > parts.max_parts.max(1) {
                return FrameLen::Cut(pos);
            }
            let next = match self.block_end(line, end, direction) {
                Ok(Some(next)) => next,
                Ok(None) => end,
                Err(invalid) => return invalid,
            };
            if next > limit {
                if pos > 0 {
                    return FrameLen::Cut(pos);
                }
                // The first part alone is too long: its end is exact, so
                // the stream skips it exactly and the next part starts a
                // message of its own.
                return if next <= buf.len() {
                    FrameLen::Complete(next)
                } else {
                    FrameLen::Incomplete(Some(next))
                };
            }
            pos = next;
            searched = next;
        }
        // The message goes on past the bytes held: at least to the end of
        // the block being read. Inside a line no bound is claimed: the
        // message may still be cut before it (a line too long, the size
        // limit, one part too many). Resume from `pos`.
        self.progress = Progress::Parts(PartsProgress {
            rule,
            pos,
            count,
            searched,
            code,
        });
        if pos > buf.len() {
            FrameLen::AtLeast(pos)
        } else {
            FrameLen::Incomplete(None)
        }
    }

    /// The end (past its delimiter) of the line starting at `start`, its
    /// search resuming at `searched` (where a previous search stopped).
    fn line_end(&self, buf: &[u8], start: usize, searched: usize) -> Result<usize, NoEnd> {
        let stop = match self.max_line {
            Some(max) => buf.len().min(start.saturating_add(max)),
            None => buf.len(),
        };
        let Some((&last, head)) = self.delimiter.split_last() else {
            return Err(NoEnd::TooLong(0));
        };
        // No line end has its last byte before `searched` (the rest of a
        // delimiter split across the previous search's end is checked
        // backwards from its last byte).
        let mut at = searched.clamp(start, stop.max(start));
        while let Some(i) = buf.get(at..stop).and_then(|hay| memchr::memchr(last, hay)) {
            let end = at + i + 1;
            if self.bare_end
                || (end - start > head.len() && buf[end - 1 - head.len()..end - 1] == *head)
            {
                return Ok(end);
            }
            at = end;
        }
        match self.max_line {
            Some(max) if stop - start.min(stop) >= max => Err(NoEnd::TooLong(max)),
            _ => Err(NoEnd::Yet(stop.max(start))),
        }
    }

    /// The line without its delimiter (or bare end).
    fn trim<'b>(&self, line: &'b [u8]) -> &'b [u8] {
        &line[..line.len() - self.end_len(line)]
    }

    /// The length of the delimiter (or bare end) that ends `frame`, if any.
    pub fn end_len(&self, frame: &[u8]) -> usize {
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

    fn same(&self, keyword: &[u8], word: &[u8]) -> bool {
        if self.exact_case {
            keyword == word
        } else {
            keyword.eq_ignore_ascii_case(word)
        }
    }

    /// Where the data block after `line` (ending at `end`), sent in
    /// `direction`, ends, its delimiter included; `None` when it has none.
    fn block_end(
        &self,
        line: &[u8],
        end: usize,
        direction: Direction,
    ) -> Result<Option<usize>, FrameLen> {
        let first = first_word(line);
        let Some(block) = self
            .blocks
            .iter()
            .find(|b| applies(b.from, direction) && b.after.iter().any(|k| self.same(k, first)))
        else {
            return Ok(None);
        };
        let count = words(line).nth(block.length_word).and_then(decimal);
        let Some(count) = count.filter(|n| block.max_len.is_none_or(|max| *n <= max)) else {
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

impl<P: Conversation> Framer<P> for Lines {
    #[inline]
    fn frame(&mut self, buf: &[u8], cx: &Cx<'_, P>) -> FrameLen {
        self.frame_from(buf, cx.direction(), cx.limit())
    }

    fn reset(&mut self) {
        self.progress = Progress::Start;
    }

    fn payload(&self, frame: &[u8]) -> Range<usize> {
        0..frame.len() - self.end_len(frame)
    }

    fn sync(&self) -> Option<&'static [u8]> {
        Some(Lines::sync(self))
    }
}

fn too_long(max: usize) -> FrameLen {
    if max == 0 {
        // Only an empty delimiter gets here: no line can ever end.
        return FrameLen::Invalid("empty line delimiter".into());
    }
    FrameLen::Invalid(format!("line longer than {max} bytes"))
}

fn applies(from: Option<Direction>, direction: Direction) -> bool {
    from.is_none_or(|from| from == direction)
}

/// The first word of a line (leading spaces skipped, as memcached does).
fn first_word(line: &[u8]) -> &[u8] {
    words(line).next().unwrap_or_default()
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
