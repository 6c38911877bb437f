//! `#[delimiter]` with what it can add: `max_line`, `bare_end`,
//! `#[block(...)]` and `#[parts(...)]`. Without any of them, plain
//! delimiter framing; with one, `Framing::Lines`.

use std::collections::HashSet;

use syn::{LitInt, LitStr};

use super::framing::{byte_count, Framing};
use crate::ast::Input;
use crate::attr::{DelimiterAttr, Parsed, Side};
use crate::ctxt::Ctxt;

/// A checked `Framing::Lines`.
pub struct Lines<'a> {
    pub delimiter: &'a [u8],
    pub max_line: Option<usize>,
    pub bare_end: bool,
    pub exact_case: bool,
    pub blocks: Vec<Block>,
    pub parts: Vec<Parts>,
}

/// A checked `#[block]`.
pub struct Block {
    pub after: Vec<String>,
    pub length_word: usize,
    pub max_len: Option<u64>,
    pub from: Option<Side>,
}

/// A checked `#[parts]`.
pub struct Parts {
    pub keyword: String,
    pub until: Option<String>,
    pub max: Option<usize>,
    pub from: Option<Side>,
}

/// Checks a `#[delimiter(...)]` and the `#[block]`s and `#[parts]` around it.
pub fn validate<'a>(
    cx: &mut Ctxt,
    input: &'a Input,
    attr: &'a DelimiterAttr,
) -> Option<Framing<'a>> {
    let delimiter = &attr.lit.bytes;
    if delimiter.is_empty() {
        cx.error_spanned(&attr.lit.lit, "the delimiter must not be empty");
        return None;
    }
    let mut valid = true;
    let max_line = attr.max_line.as_ref().and_then(|lit| {
        let max = byte_count(cx, lit);
        if max.is_some_and(|max| max <= delimiter.len()) {
            cx.error_spanned(
                lit,
                "`max_line` counts the delimiter: it must be longer than it",
            );
            valid = false;
        }
        valid &= max.is_some();
        max
    });
    if let Some(flag) = &attr.bare_end {
        if delimiter.len() < 2 {
            cx.error_spanned(
                flag,
                "`bare_end` lets a line end with the delimiter's last byte alone (a bare \
                 `\\n` for `\\r\\n`): it needs a delimiter of two bytes or more",
            );
            valid = false;
        }
    }
    let exact = attr.exact_case.is_some();
    let mut seen = HashSet::new();
    let mut blocks = Vec::new();
    for block in &input.attrs.blocks {
        let Some(after) = &block.after else {
            cx.error_spanned(
                block.original,
                "missing `after(...)` in #[block]: the first words of the lines a data block \
                 follows, like after(\"set\", \"add\")",
            );
            valid = false;
            continue;
        };
        if after.is_empty() {
            cx.error_spanned(block.original, "`after(...)` names at least one word");
            valid = false;
        }
        let mut words = Vec::new();
        for word in after {
            valid &= keyword(cx, word, &mut seen, exact, "block");
            words.push(word.value());
        }
        let max_len = block.max_len.as_ref().and_then(|lit| {
            let max = lit
                .base10_parse::<u64>()
                .ok()
                .filter(|_| lit.suffix().is_empty());
            if max.is_none() {
                cx.error_spanned(
                    lit,
                    "expected the largest byte count taken, like `max_len(1048576)`",
                );
            }
            valid &= max.is_some();
            max
        });
        match &block.length_word {
            Some(Parsed::Valid(lit)) => match length_word(cx, lit) {
                Some(length_word) => blocks.push(Block {
                    after: words,
                    length_word,
                    max_len,
                    from: block.from,
                }),
                None => valid = false,
            },
            Some(Parsed::Invalid) => valid = false,
            None => {
                cx.error_spanned(
                    block.original,
                    "missing `length_word(...)` in #[block]: which word of the line holds the \
                     block's byte count (1 is the first word after the line's first)",
                );
                valid = false;
            }
        }
    }
    let mut seen = HashSet::new();
    let mut parts = Vec::new();
    for part in &input.attrs.parts {
        valid &= keyword(cx, &part.keyword, &mut seen, exact, "parts");
        let until = part.until.as_ref().map(|until| {
            valid &= keyword(cx, until, &mut HashSet::new(), exact, "parts");
            let same = match attr.exact_case {
                Some(_) => until.value() == part.keyword.value(),
                None => until.value().eq_ignore_ascii_case(&part.keyword.value()),
            };
            if same {
                cx.error_spanned(
                    until,
                    "the terminator must differ from the opening word: without `until`, lines \
                     starting with the opening word go on until another line",
                );
                valid = false;
            }
            until.value()
        });
        let max = part.max.as_ref().and_then(|lit| {
            let max = byte_count(cx, lit);
            if max == Some(0) {
                cx.error_spanned(lit, "`max` is the most parts in one message: at least 1");
                return None;
            }
            max
        });
        valid &= part.max.is_none() || max.is_some();
        parts.push(Parts {
            keyword: part.keyword.value(),
            until,
            max,
            from: part.from,
        });
    }
    if !valid {
        return None;
    }
    let plain = blocks.is_empty() && parts.is_empty() && max_line.is_none();
    if plain && attr.bare_end.is_none() && attr.exact_case.is_none() {
        return Some(Framing::Delimiter(delimiter));
    }
    Some(Framing::Lines(Lines {
        delimiter,
        max_line,
        bare_end: attr.bare_end.is_some(),
        exact_case: attr.exact_case.is_some(),
        blocks,
        parts,
    }))
}

/// Reports each `#[block]` and `#[parts]` when the type is not framed by
/// `#[delimiter]`.
pub fn misplaced(cx: &mut Ctxt, input: &Input, framing: &str) {
    for block in &input.attrs.blocks {
        cx.error_spanned(
            block.original,
            format!(
                "#[block] adds data blocks to #[delimiter] framing, and this type is framed by \
                 #[{framing}]"
            ),
        );
    }
    for part in &input.attrs.parts {
        cx.error_spanned(
            part.original,
            format!(
                "#[parts] adds multi-part messages to #[delimiter] framing, and this type is \
                 framed by #[{framing}]"
            ),
        );
    }
}

/// A line's first word: not empty, no whitespace, not given twice in
/// `seen` (ignoring case, unless the framing is `exact_case`).
fn keyword(
    cx: &mut Ctxt,
    word: &LitStr,
    seen: &mut HashSet<String>,
    exact_case: bool,
    attr: &str,
) -> bool {
    let value = word.value();
    if value.is_empty() || value.bytes().any(|b| b.is_ascii_whitespace()) {
        cx.error_spanned(
            word,
            "expected a word: not empty, without spaces or line breaks",
        );
        return false;
    }
    let key = if exact_case {
        value.clone()
    } else {
        value.to_ascii_lowercase()
    };
    if !seen.insert(key) {
        let compared = if exact_case {
            "exactly (`exact_case`)"
        } else {
            "ignoring case"
        };
        cx.error_spanned(
            word,
            format!("{value:?} is named twice in #[{attr}] (words are compared {compared})"),
        );
        return false;
    }
    true
}

fn length_word(cx: &mut Ctxt, lit: &LitInt) -> Option<usize> {
    let n = byte_count(cx, lit)?;
    if n == 0 {
        cx.error_spanned(
            lit,
            "word 0 is the line's first word itself; the byte count is a later one \
             (1 is the first word after it)",
        );
        return None;
    }
    Some(n)
}
