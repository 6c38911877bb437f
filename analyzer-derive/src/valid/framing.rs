//! The framing: exactly one of `#[delimiter]`, `#[length_prefix]` and
//! `#[frame_with]` (more than one is reported while parsing).

use syn::{ExprPath, LitInt};

use super::lines::{self, Lines};
use super::what;
use crate::ast::Input;
use crate::attr::{Adjust, FramingSpec, LengthPrefixAttr, Parsed};
use crate::ctxt::Ctxt;

pub enum Framing<'a> {
    Delimiter(&'a [u8]),
    Lines(Lines<'a>),
    LengthPrefix(LengthPrefix),
    Custom {
        frame: &'a ExprPath,
        sync: &'a [u8],
        resume: Option<&'a ExprPath>,
    },
}

/// A checked `#[length_prefix(...)]`: the keys not written are `None`.
pub struct LengthPrefix {
    pub width: usize,
    pub offset: Option<usize>,
    /// Whether negative, and the absolute value.
    pub adjust: Option<(bool, u64)>,
    pub skip: Option<usize>,
    pub max_frame: Option<usize>,
    pub little_endian: bool,
}

pub fn validate<'a>(cx: &mut Ctxt, input: &'a Input) -> Option<Framing<'a>> {
    let Some(attr) = &input.attrs.framing else {
        let message = format!(
            "missing the framing on the {}: how the byte stream is cut into messages, one of \
             #[delimiter(b'\\n')], #[length_prefix(width = 4)] or #[frame_with(path)]",
            what(input)
        );
        cx.error_spanned(input.ident, message);
        return None;
    };
    if attr.name != "delimiter" {
        lines::misplaced(cx, input, &attr.name);
    }
    match attr.spec.valid()? {
        FramingSpec::Delimiter(delimiter) => lines::validate(cx, input, delimiter),
        FramingSpec::LengthPrefix(prefix) => {
            length_prefix(cx, prefix, attr.original).map(Framing::LengthPrefix)
        }
        FramingSpec::Custom(custom) => Some(Framing::Custom {
            frame: &custom.path,
            sync: custom.sync.as_ref().map_or(&[], |sync| &sync.bytes),
            resume: custom.resume.as_ref(),
        }),
    }
}

fn length_prefix(
    cx: &mut Ctxt,
    attr: &LengthPrefixAttr,
    original: &syn::Attribute,
) -> Option<LengthPrefix> {
    let width = match &attr.width {
        Some(Parsed::Valid(lit)) => {
            let width = byte_count(cx, lit);
            if width.is_some_and(|width| !matches!(width, 1 | 2 | 4 | 8)) {
                cx.error_spanned(lit, "the length field is 1, 2, 4 or 8 bytes wide");
                None
            } else {
                width
            }
        }
        Some(Parsed::Invalid) => None,
        None => {
            cx.error_spanned(
                original,
                "missing `width = ...` in #[length_prefix]: the length field's size in bytes, \
                 1, 2, 4 or 8",
            );
            None
        }
    };
    let mut valid = true;
    let mut count = |value: &Option<Parsed<LitInt>>| match value {
        Some(Parsed::Valid(lit)) => {
            let count = byte_count(cx, lit);
            valid &= count.is_some();
            count
        }
        Some(Parsed::Invalid) => {
            valid = false;
            None
        }
        None => None,
    };
    let offset = count(&attr.offset);
    let skip = count(&attr.skip);
    let max_frame = count(&attr.max_frame);
    let adjust = match &attr.adjust {
        Some(Parsed::Valid(adjust_lit)) => {
            let adjust = adjust_value(cx, adjust_lit);
            valid &= adjust.is_some();
            adjust
        }
        Some(Parsed::Invalid) => {
            valid = false;
            None
        }
        None => None,
    };
    let little_endian = attr
        .endian
        .as_ref()
        .is_some_and(|flag| flag == "little_endian");
    valid.then_some(LengthPrefix {
        width: width?,
        offset,
        adjust,
        skip,
        max_frame,
        little_endian,
    })
}

/// A byte count: a plain (or `usize`) integer literal.
pub(super) fn byte_count(cx: &mut Ctxt, lit: &LitInt) -> Option<usize> {
    if !matches!(lit.suffix(), "" | "usize") {
        cx.error_spanned(lit, "expected a plain integer, like `4`");
        return None;
    }
    let count = lit.base10_parse::<usize>().ok();
    if count.is_none() {
        let message = if lit.base10_digits().starts_with('-') {
            "a byte count cannot be negative"
        } else {
            "this byte count does not fit in a `usize`"
        };
        cx.error_spanned(lit, message);
    }
    count
}

fn adjust_value(cx: &mut Ctxt, adjust: &Adjust) -> Option<(bool, u64)> {
    if !matches!(adjust.lit.suffix(), "" | "i64") {
        cx.error_spanned(&adjust.lit, "expected a plain integer, like `12` or `-4`");
        return None;
    }
    let limit = if adjust.negative {
        i64::MIN.unsigned_abs()
    } else {
        i64::MAX.unsigned_abs()
    };
    let value = adjust
        .lit
        .base10_parse::<u64>()
        .ok()
        .filter(|v| *v <= limit);
    if value.is_none() {
        cx.error_spanned(&adjust.expr, "`adjust` must fit in an `i64`");
    }
    Some((adjust.negative, value?))
}
