//! The framing, checked: exactly one of `delimiter`, `length(..)`,
//! `framer`, or `nom` alone; the line keys only with a delimiter.

use syn::{Ident, LitInt, LitStr};

use super::type_span;
use crate::ast::Input;
use crate::attr::{Block, Framing, Length, Parts, Side};
use crate::ctxt::Ctxt;

/// The framer the derive writes.
pub enum CheckedFraming {
    Delimiter(Vec<u8>),
    Lines {
        delimiter: Vec<u8>,
        max_line: Option<LitInt>,
        bare_end: bool,
        exact_case: bool,
        blocks: Vec<CheckedBlock>,
        parts: Vec<CheckedParts>,
    },
    Length(CheckedLength),
    Framer(syn::Type),
    /// The `nom` parser frames too.
    Nom(syn::Path),
}

pub struct CheckedBlock {
    pub after: Vec<String>,
    pub length_word: LitInt,
    pub max_len: Option<LitInt>,
    pub from: Option<Side>,
}

pub struct CheckedParts {
    /// `None`: a reply-code message.
    pub keyword: Option<String>,
    pub until: Option<String>,
    pub max: Option<LitInt>,
    pub from: Option<Side>,
}

pub struct CheckedLength {
    /// A fixed width, or `None` for a varint of `varint` bytes.
    pub width: Option<LitInt>,
    pub varint: Option<LitInt>,
    pub offset: Option<LitInt>,
    pub adjust: Option<i64>,
    pub skip: Option<LitInt>,
    pub max_frame: Option<LitInt>,
    pub little_endian: bool,
    pub counts_itself: bool,
    pub plausible: Option<syn::Path>,
}

pub fn check(cx: &mut Ctxt, input: &Input<'_>) -> Option<CheckedFraming> {
    let attrs = &input.attrs;
    if attrs.framings.len() > 1 {
        for (span, _) in &attrs.framings[1..] {
            cx.push(syn::Error::new(
                *span,
                "a protocol has one framing: `delimiter`, `length(..)` or `framer`",
            ));
        }
    }
    let line_keys = attrs.max_line.is_some()
        || attrs.bare_end.is_some()
        || attrs.exact_case.is_some()
        || !attrs.blocks.is_empty()
        || !attrs.parts.is_empty();
    let framing = match attrs.framings.first() {
        Some((_, Framing::Delimiter(bytes, lit))) if line_keys => lines(cx, input, bytes, lit),
        Some((_, Framing::Delimiter(bytes, _))) => Some(CheckedFraming::Delimiter(bytes.clone())),
        Some((_, Framing::Length(length))) => self::length(cx, length).map(CheckedFraming::Length),
        Some((_, Framing::Framer(ty))) => Some(CheckedFraming::Framer(ty.clone())),
        None => match &attrs.nom {
            Some(path) => Some(CheckedFraming::Nom(path.clone())),
            None => {
                cx.push(syn::Error::new(
                    type_span(input),
                    "#[protocol(...)] needs a framing: `delimiter = b'\\n'`, `length(width = 4)`, \
                     `framer = Type`, or a `nom = path` parser that frames too",
                ));
                None
            }
        },
    };
    let delimited = matches!(attrs.framings.first(), Some((_, Framing::Delimiter(..))));
    if line_keys && !delimited {
        let span = attrs
            .blocks
            .first()
            .map(|b| b.span)
            .or(attrs.parts.first().map(|p| p.span))
            .or(attrs.max_line.as_ref().map(|m| m.span()))
            .or(attrs.bare_end.as_ref().map(Ident::span))
            .or(attrs.exact_case.as_ref().map(Ident::span))
            .unwrap_or_else(|| type_span(input));
        cx.push(syn::Error::new(
            span,
            "`max_line`, `bare_end`, `exact_case`, `block` and `parts` are for line \
             protocols: they need `delimiter = ..`",
        ));
    }
    framing
}

fn lines(
    cx: &mut Ctxt,
    input: &Input<'_>,
    delimiter: &[u8],
    lit: &syn::Lit,
) -> Option<CheckedFraming> {
    let attrs = &input.attrs;
    let mut ok = true;
    if let Some(max) = &attrs.max_line {
        match max.base10_parse::<usize>() {
            Ok(n) if n > delimiter.len() => {}
            _ => {
                cx.error_spanned(max, "`max_line` is longer than the delimiter");
                ok = false;
            }
        }
    }
    if let Some(bare) = &attrs.bare_end {
        if delimiter.len() < 2 {
            cx.error_spanned(
                bare,
                "`bare_end` lets a line end with the delimiter's last byte alone: it needs a \
                 delimiter of two bytes or more",
            );
            ok = false;
        }
    }
    let _ = lit;
    let mut words: Vec<String> = Vec::new();
    let mut blocks = Vec::new();
    for block in &attrs.blocks {
        ok &= check_block(cx, block, &mut words)
            .map(|b| blocks.push(b))
            .is_some();
    }
    let mut parts = Vec::new();
    let mut openers: Vec<String> = Vec::new();
    for part in &attrs.parts {
        ok &= check_parts(cx, part, &mut openers)
            .map(|p| parts.push(p))
            .is_some();
    }
    ok.then(|| CheckedFraming::Lines {
        delimiter: delimiter.to_vec(),
        max_line: attrs.max_line.clone(),
        bare_end: attrs.bare_end.is_some(),
        exact_case: attrs.exact_case.is_some(),
        blocks,
        parts,
    })
}

/// A word that opens lines: not empty, no whitespace, not given twice.
fn word(cx: &mut Ctxt, lit: &LitStr, seen: &mut Vec<String>) -> bool {
    let text = lit.value();
    if text.is_empty() || text.chars().any(char::is_whitespace) {
        cx.error_spanned(
            lit,
            "a line's first word is not empty and holds no whitespace",
        );
        return false;
    }
    if seen.iter().any(|w| w.eq_ignore_ascii_case(&text)) {
        cx.error_spanned(lit, format!("`{text}` is named twice"));
        return false;
    }
    seen.push(text);
    true
}

fn check_block(cx: &mut Ctxt, block: &Block, seen: &mut Vec<String>) -> Option<CheckedBlock> {
    let mut ok = true;
    if block.after.is_empty() {
        cx.push(syn::Error::new(
            block.span,
            "`block` needs `after(\"word\", ..)`: the first words of the lines it follows",
        ));
        ok = false;
    }
    for lit in &block.after {
        ok &= word(cx, lit, seen);
    }
    let length_word = match &block.length_word {
        None => {
            cx.push(syn::Error::new(
                block.span,
                "`block` needs `length_word = N`: which word of the line holds the byte count",
            ));
            None
        }
        Some(n) if n.base10_parse::<usize>().is_ok_and(|n| n >= 1) => Some(n.clone()),
        Some(n) => {
            cx.error_spanned(
                n,
                "`length_word` counts from 1: the first word after the first",
            );
            None
        }
    };
    if let Some(max) = &block.max_len {
        if max.base10_parse::<u64>().is_err() {
            cx.error_spanned(max, "`max_len` is a u64");
            ok = false;
        }
    }
    let length_word = length_word?;
    ok.then(|| CheckedBlock {
        after: block.after.iter().map(LitStr::value).collect(),
        length_word,
        max_len: block.max_len.clone(),
        from: block.from,
    })
}

fn check_parts(cx: &mut Ctxt, parts: &Parts, seen: &mut Vec<String>) -> Option<CheckedParts> {
    let mut ok = true;
    match (&parts.keyword, &parts.reply_code) {
        (Some(lit), Some(code)) => {
            cx.error_spanned(code, "`parts` opens on a word or on a reply code, not both");
            let _ = lit;
            ok = false;
        }
        (None, None) => {
            cx.push(syn::Error::new(
                parts.span,
                "`parts` needs its opening word first (`parts(\"VALUE\")`) or `reply_code`",
            ));
            ok = false;
        }
        (Some(lit), None) => ok &= word(cx, lit, seen),
        (None, Some(_)) => {}
    }
    if let (Some(until), Some(keyword)) = (&parts.until, &parts.keyword) {
        if until.value().eq_ignore_ascii_case(&keyword.value()) {
            cx.error_spanned(until, "the terminator is another word than the opening one");
            ok = false;
        }
    }
    if let (Some(until), Some(code)) = (&parts.until, &parts.reply_code) {
        cx.error_spanned(until, "a `reply_code` message ends on its code: no `until`");
        let _ = code;
        ok = false;
    }
    if let Some(max) = &parts.max {
        if !max.base10_parse::<usize>().is_ok_and(|n| n >= 1) {
            cx.error_spanned(max, "`max` is at least 1");
            ok = false;
        }
    }
    ok.then(|| CheckedParts {
        keyword: parts.keyword.as_ref().map(LitStr::value),
        until: parts.until.as_ref().map(LitStr::value),
        max: parts.max.clone(),
        from: parts.from,
    })
}

fn length(cx: &mut Ctxt, length: &Length) -> Option<CheckedLength> {
    let span = length.span.unwrap_or_else(proc_macro2::Span::call_site);
    let mut ok = true;
    match (&length.width, &length.varint) {
        (Some(_), Some(varint)) => {
            cx.error_spanned(
                varint,
                "a length field has a `width` or is a `varint`, not both",
            );
            ok = false;
        }
        (None, None) => {
            cx.push(syn::Error::new(
                span,
                "`length(..)` needs `width = N` (1 to 8 bytes) or `varint = N` (its most bytes)",
            ));
            ok = false;
        }
        (Some(width), None) => {
            if !width
                .base10_parse::<usize>()
                .is_ok_and(|n| (1..=8).contains(&n))
            {
                cx.error_spanned(width, "a length field is 1 to 8 bytes wide");
                ok = false;
            }
        }
        (None, Some(varint)) => {
            if !varint
                .base10_parse::<usize>()
                .is_ok_and(|n| (1..=9).contains(&n))
            {
                cx.error_spanned(varint, "a variable-length integer takes 1 to 9 bytes");
                ok = false;
            }
            if let Some(little) = &length.little_endian {
                cx.error_spanned(little, "a variable-length integer has no byte order to set");
                ok = false;
            }
        }
    }
    for n in [&length.offset, &length.skip, &length.max_frame]
        .into_iter()
        .flatten()
    {
        if n.base10_parse::<usize>().is_err() {
            cx.error_spanned(n, "expected a byte count (a usize)");
            ok = false;
        }
    }
    let adjust = match &length.adjust {
        Some((n, expr)) => match i64::try_from(*n) {
            Ok(n) => Some(n),
            Err(_) => {
                cx.error_spanned(expr, "`adjust` is an i64");
                ok = false;
                None
            }
        },
        None => None,
    };
    ok.then(|| CheckedLength {
        width: length.width.clone(),
        varint: length.varint.clone(),
        offset: length.offset.clone(),
        adjust,
        skip: length.skip.clone(),
        max_frame: length.max_frame.clone(),
        little_endian: length.little_endian.is_some(),
        counts_itself: length.counts_itself.is_some(),
        plausible: length.plausible.clone(),
    })
}
