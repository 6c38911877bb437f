//! An enum: each variant chosen by its leading tag byte or keyword, with its
//! role; or parsed by `#[parse_with]` with the role from `#[kind_with]`.

use quote::quote;
use syn::Fields;

use super::{known_type, KindFrom, Parse, Selected};
use crate::ast::{Enum, Input};
use crate::attr::{Hook, SelectorValue};
use crate::ctxt::Ctxt;

pub fn validate<'a>(
    cx: &mut Ctxt,
    input: &'a Input<'a>,
    data: &'a Enum<'a>,
) -> Option<(Parse<'a>, KindFrom<'a>)> {
    match &input.attrs.parse_with {
        Some(parse_with) => with_parse(cx, input, data, parse_with),
        None => selected(cx, input, data),
    }
}

fn with_parse<'a>(
    cx: &mut Ctxt,
    input: &'a Input<'a>,
    data: &'a Enum<'a>,
    parse_with: &'a Hook<'a>,
) -> Option<(Parse<'a>, KindFrom<'a>)> {
    for selector in data
        .variants
        .iter()
        .filter_map(|v| v.attrs.selector.as_ref())
    {
        let message = format!(
            "#[{}] cannot be used with #[parse_with]: the parse function chooses the variant, \
             and #[kind_with] gives its role",
            selector.kind.name()
        );
        cx.error_spanned(selector.original, message);
    }
    let kind = match &input.attrs.kind_with {
        Some(kind_with) => kind_with.path(),
        None => {
            cx.error_spanned(
                parse_with.original,
                "an enum with #[parse_with] needs #[kind_with(path)], a `fn(&Self) -> Kind`, to \
                 give each message's role",
            );
            None
        }
    };
    let parse = parse_with.path();
    Some((Parse::With(parse?), KindFrom::With(kind?)))
}

fn selected<'a>(
    cx: &mut Ctxt,
    input: &'a Input<'a>,
    data: &'a Enum<'a>,
) -> Option<(Parse<'a>, KindFrom<'a>)> {
    let mut valid = true;
    if let Some(kind_with) = &input.attrs.kind_with {
        cx.error_spanned(
            kind_with.original,
            "#[kind_with] needs #[parse_with(...)]: without it, each variant's #[tag] or \
             #[keyword] gives its role",
        );
        valid = false;
    }
    if data.variants.is_empty() {
        let (token, ident) = (data.enum_token, input.ident);
        cx.error_spanned(
            quote!(#token #ident),
            "#[derive(Protocol)] needs an enum with variants, each chosen by \
             #[tag(b'..', role)] or #[keyword(\"..\", role)]",
        );
        return None;
    }
    // The first variant's selector sets the kind for all.
    let first = data
        .variants
        .iter()
        .find_map(|v| Some((v.ident, v.attrs.selector.as_ref()?)));
    let by = first.map(|(_, selector)| selector.kind);
    let mut variants: Vec<Selected> = Vec::new();
    for variant in &data.variants {
        let body = body(cx, variant.fields);
        valid &= body.is_some();
        let Some(selector) = &variant.attrs.selector else {
            let message = format!(
                "variant `{}` needs #[tag(b'..', role)] or #[keyword(\"..\", role)] to say \
                 which frames it parses (or the enum needs #[parse_with(...)])",
                variant.ident
            );
            cx.error_spanned(variant.ident, message);
            valid = false;
            continue;
        };
        if let Some((first_ident, first)) = first.filter(|(_, s)| s.kind != selector.kind) {
            let message = format!(
                "the variants of an enum are all chosen the same way, and `{first_ident}` uses \
                 #[{}]; this one uses #[{}]",
                first.kind.name(),
                selector.kind.name()
            );
            cx.error_spanned(selector.original, message);
            valid = false;
            continue;
        }
        let Some((value, role)) = selector.value.valid() else {
            valid = false;
            continue;
        };
        valid &= value_is_valid(cx, value, &variants);
        variants.push(Selected {
            ident: variant.ident,
            value,
            role: *role,
            body: body.flatten(),
        });
    }
    if !valid {
        return None;
    }
    let roles = variants.iter().map(|v| (v.ident, v.role)).collect();
    let by = by?;
    Some((Parse::Variants { by, variants }, KindFrom::Variants(roles)))
}

/// A variant's field: `Some(None)` for a unit variant, `Some(Some(field))`
/// for one `NetString` or `Bytes` field, `None` after reporting any other
/// shape.
fn body<'a>(cx: &mut Ctxt, fields: &'a Fields) -> Option<Option<&'a syn::Field>> {
    const SHAPE: &str = "a variant is a unit variant, or a tuple variant with one `NetString` \
                         or `Bytes` field that receives the rest of the frame";
    match fields {
        Fields::Unit => Some(None),
        Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
            let field = &unnamed.unnamed[0];
            if matches!(known_type(&field.ty), Some("NetString" | "Bytes")) {
                Some(Some(field))
            } else {
                let message = "the variant's field must be a `NetString` or `Bytes`: it \
                               receives the rest of the frame after the tag or keyword";
                cx.error_spanned(&field.ty, message);
                None
            }
        }
        Fields::Unnamed(unnamed) => {
            let message = format!("{SHAPE}, not {} fields", unnamed.unnamed.len());
            cx.error_spanned(unnamed, message);
            None
        }
        Fields::Named(named) => {
            cx.error_spanned(named, format!("{SHAPE}, not named fields"));
            None
        }
    }
}

/// Checks a tag byte or keyword against itself and the variants before.
fn value_is_valid(cx: &mut Ctxt, value: &SelectorValue, before: &[Selected]) -> bool {
    match value {
        SelectorValue::Byte(byte) => {
            let first = before.iter().find(|v| match v.value {
                SelectorValue::Byte(other) => other.value() == byte.value(),
                SelectorValue::Keyword(_) => false,
            });
            if let Some(first) = first {
                let message = format!(
                    "tag byte b'{}' is already used for variant `{}`",
                    byte.value().escape_ascii(),
                    first.ident
                );
                cx.error_spanned(byte, message);
                return false;
            }
        }
        SelectorValue::Keyword(word) => {
            let text = word.value();
            if text.is_empty() {
                cx.error_spanned(word, "the keyword must not be empty");
                return false;
            }
            if text.contains(' ') {
                cx.error_spanned(
                    word,
                    "a keyword is one word: the frame's first word ends at its first space",
                );
                return false;
            }
            let first = before.iter().find(|v| match v.value {
                SelectorValue::Keyword(other) => other.value().eq_ignore_ascii_case(&text),
                SelectorValue::Byte(_) => false,
            });
            if let Some(first) = first {
                let message = format!(
                    "keyword {text:?} is already used for variant `{}` (keywords match \
                     ignoring ASCII case)",
                    first.ident
                );
                cx.error_spanned(word, message);
                return false;
            }
        }
    }
    true
}
