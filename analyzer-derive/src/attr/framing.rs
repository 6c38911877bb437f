//! The framing keys of `#[protocol(...)]` on the type: `delimiter = ..`
//! (with the line keys `max_line`, `bare_end`, `exact_case`, `block(..)`,
//! `parts(..)`), `length(..)`, `framer = Type`.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{parenthesized, Expr, Ident, Lit, LitInt, LitStr, Token};

use super::{flag, key_of, skip_value, value};
use crate::ctxt::Ctxt;

/// How the stream is cut, as declared.
pub enum Framing {
    /// `delimiter = b"\r\n"`: the bytes, and the literal for spans.
    Delimiter(Vec<u8>, Lit),
    /// `length(..)`.
    Length(Length),
    /// `framer = Type`.
    Framer(syn::Type),
}

/// `length(width = 4, offset = 1, adjust = -4, skip = 2, max_frame = N,
/// little_endian, counts_itself, plausible = path)` or `length(varint = 4,
/// ..)`.
#[derive(Default)]
pub struct Length {
    pub span: Option<Span>,
    pub width: Option<LitInt>,
    pub varint: Option<LitInt>,
    pub offset: Option<LitInt>,
    /// The adjustment, and its expression for spans.
    pub adjust: Option<(i128, Expr)>,
    pub skip: Option<LitInt>,
    pub max_frame: Option<LitInt>,
    pub little_endian: Option<Ident>,
    pub counts_itself: Option<Ident>,
    pub plausible: Option<syn::Path>,
}

/// `block(after("set", "add"), length_word(4), max_len(N), from("client"))`.
pub struct Block {
    pub span: Span,
    pub after: Vec<LitStr>,
    pub length_word: Option<LitInt>,
    pub max_len: Option<LitInt>,
    pub from: Option<Side>,
}

/// `parts("VALUE", until("END"), max(1000), from("server"))` or
/// `parts(reply_code, ..)`.
pub struct Parts {
    pub span: Span,
    pub keyword: Option<LitStr>,
    pub reply_code: Option<Ident>,
    pub until: Option<LitStr>,
    pub max: Option<LitInt>,
    pub from: Option<Side>,
}

/// `from("client")` or `from("server")`: which side sends the lines.
#[derive(Clone, Copy)]
pub enum Side {
    Client,
    Server,
}

/// `= b'\n'` or `= b"\r\n"`.
pub fn delimiter(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Framing>> {
    let expected = "expected a byte literal like `b'\\n'` or a byte string like `b\"\\r\\n\"`";
    let Some(lit) = value::<Lit>(cx, meta, expected)? else {
        return Ok(None);
    };
    let bytes = match &lit {
        Lit::Byte(byte) => vec![byte.value()],
        Lit::ByteStr(bytes) => bytes.value(),
        other => {
            cx.error_spanned(other, expected);
            return Ok(None);
        }
    };
    if bytes.is_empty() {
        cx.error_spanned(&lit, "a delimiter cannot be empty");
        return Ok(None);
    }
    Ok(Some(Framing::Delimiter(bytes, lit)))
}

/// `= Type`.
pub fn framer(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Framing>> {
    let expected = "expected a type implementing `analyzer_core::Framer<Self>` and `Default`";
    Ok(value::<syn::Type>(cx, meta, expected)?.map(Framing::Framer))
}

fn int(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<LitInt>> {
    value(cx, meta, "expected an integer literal")
}

/// `(value)` after a key of `block(..)` or `parts(..)`. Their values are
/// literals in parentheses: both are repeated, and clippy's
/// `duplicated_attributes` lint takes a `key = value` or a word repeated at
/// the same place of one attribute for a mistake.
fn paren<T: syn::parse::Parse>(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta,
    expected: &str,
) -> syn::Result<Option<T>> {
    if !meta.input.peek(syn::token::Paren) {
        let key = key_of(meta);
        cx.push(meta.error(format_args!(
            "write `{key}(..)`: inside `block` and `parts`, values go in parentheses \
             (clippy's `duplicated_attributes` lint refuses a `key = value` repeated \
             in one attribute)"
        )));
        skip_value(meta)?;
        return Ok(None);
    }
    let content;
    parenthesized!(content in meta.input);
    let tokens = content.parse::<proc_macro2::TokenStream>()?;
    match syn::parse2::<T>(tokens.clone()) {
        Ok(value) => Ok(Some(value)),
        Err(_) => {
            cx.error_spanned(tokens, expected);
            Ok(None)
        }
    }
}

fn paren_int(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<LitInt>> {
    paren(cx, meta, "expected an integer literal")
}

fn set<T>(cx: &mut Ctxt, meta: &ParseNestedMeta, slot: &mut Option<T>, parsed: Option<T>) {
    let Some(parsed) = parsed else { return };
    if slot.is_some() {
        cx.push(meta.error(format_args!("duplicate `{}`", key_of(meta))));
    } else {
        *slot = Some(parsed);
    }
}

/// `(..)` of `length`.
pub fn length(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Framing>> {
    let mut out = Length {
        span: Some(meta.path.span()),
        ..Length::default()
    };
    meta.parse_nested_meta(|inner| {
        let key = key_of(&inner);
        match key.as_str() {
            "width" => {
                let v = int(cx, &inner)?;
                set(cx, &inner, &mut out.width, v)
            }
            "varint" => {
                let v = int(cx, &inner)?;
                set(cx, &inner, &mut out.varint, v)
            }
            "offset" => {
                let v = int(cx, &inner)?;
                set(cx, &inner, &mut out.offset, v)
            }
            "skip" => {
                let v = int(cx, &inner)?;
                set(cx, &inner, &mut out.skip, v)
            }
            "max_frame" => {
                let v = int(cx, &inner)?;
                set(cx, &inner, &mut out.max_frame, v)
            }
            "adjust" => {
                let expr: Expr = inner.value()?.parse()?;
                let parsed = signed(&expr);
                if parsed.is_none() {
                    cx.error_spanned(&expr, "expected an integer literal like `12` or `-4`");
                }
                set(cx, &inner, &mut out.adjust, parsed.map(|n| (n, expr)));
            }
            "little_endian" | "counts_itself" => {
                flag(cx, &inner)?;
                let ident = inner.path.get_ident().cloned();
                let slot = match key.as_str() {
                    "little_endian" => &mut out.little_endian,
                    _ => &mut out.counts_itself,
                };
                set(cx, &inner, slot, ident);
            }
            "big_endian" => flag(cx, &inner)?,
            "plausible" => {
                let path = value(cx, &inner, "expected the path of a `fn(&[u8]) -> bool`")?;
                set(cx, &inner, &mut out.plausible, path);
            }
            _ => {
                cx.push(inner.error(format_args!(
                    "unknown key `{key}` in `length(..)`; expected `width`, `varint`, `offset`, \
                     `adjust`, `skip`, `max_frame`, `little_endian`, `big_endian`, \
                     `counts_itself` or `plausible`"
                )));
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    Ok(Some(Framing::Length(out)))
}

/// An integer literal, possibly negated.
fn signed(expr: &Expr) -> Option<i128> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => int.base10_parse::<i128>().ok(),
            _ => None,
        },
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => {
            signed(&unary.expr).map(|n| -n)
        }
        Expr::Group(group) => signed(&group.expr),
        _ => None,
    }
}

/// `("client")` or `("server")` (strings: clippy's `duplicated_attributes`
/// lint takes a word repeated at the same place of one attribute, as
/// `from(server)` in two `parts`, for a mistake).
fn side(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Side>> {
    let expected = "expected `\"client\"` or `\"server\"`";
    let Some(lit) = paren::<LitStr>(cx, meta, expected)? else {
        return Ok(None);
    };
    match lit.value().as_str() {
        "client" => Ok(Some(Side::Client)),
        "server" => Ok(Some(Side::Server)),
        _ => {
            cx.error_spanned(&lit, expected);
            Ok(None)
        }
    }
}

/// `("word", "word")`.
fn words(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Vec<LitStr>> {
    let content;
    parenthesized!(content in meta.input);
    match Punctuated::<LitStr, Token![,]>::parse_terminated(&content) {
        Ok(words) => Ok(words.into_iter().collect()),
        Err(error) => {
            cx.push(syn::Error::new(
                error.span(),
                "expected string literals like `\"set\"`",
            ));
            content.parse::<proc_macro2::TokenStream>()?;
            Ok(Vec::new())
        }
    }
}

/// `(..)` of `block`.
pub fn block(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Block> {
    let mut out = Block {
        span: meta.path.span(),
        after: Vec::new(),
        length_word: None,
        max_len: None,
        from: None,
    };
    let mut after_seen = false;
    meta.parse_nested_meta(|inner| {
        let key = key_of(&inner);
        match key.as_str() {
            "after" => {
                if std::mem::replace(&mut after_seen, true) {
                    cx.push(inner.error("duplicate `after`"));
                }
                out.after.extend(words(cx, &inner)?);
            }
            "length_word" => {
                let v = paren_int(cx, &inner)?;
                set(cx, &inner, &mut out.length_word, v)
            }
            "max_len" => {
                let v = paren_int(cx, &inner)?;
                set(cx, &inner, &mut out.max_len, v)
            }
            "from" => {
                let v = side(cx, &inner)?;
                set(cx, &inner, &mut out.from, v)
            }
            _ => {
                cx.push(inner.error(format_args!(
                    "unknown key `{key}` in `block(..)`; expected `after`, `length_word`, \
                     `max_len` or `from`"
                )));
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// `(..)` of `parts`.
pub fn parts(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Parts> {
    let mut out = Parts {
        span: meta.path.span(),
        keyword: None,
        reply_code: None,
        until: None,
        max: None,
        from: None,
    };
    let content;
    parenthesized!(content in meta.input);
    if content.peek(LitStr) {
        out.keyword = Some(content.parse()?);
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    let rest = content.parse::<proc_macro2::TokenStream>()?;
    let parser = syn::meta::parser(|inner| {
        let key = key_of(&inner);
        match key.as_str() {
            "reply_code" => {
                flag(cx, &inner)?;
                set(
                    cx,
                    &inner,
                    &mut out.reply_code,
                    inner.path.get_ident().cloned(),
                );
            }
            "until" => {
                let word = paren(cx, &inner, "expected a string literal like `\"END\"`")?;
                set(cx, &inner, &mut out.until, word);
            }
            "max" => {
                let v = paren_int(cx, &inner)?;
                set(cx, &inner, &mut out.max, v)
            }
            "from" => {
                let v = side(cx, &inner)?;
                set(cx, &inner, &mut out.from, v)
            }
            _ => {
                cx.push(inner.error(format_args!(
                    "unknown key `{key}` in `parts(..)`; expected an opening word \
                     (`\"VALUE\"`) first, then `until`, `max`, `from`, or `reply_code`"
                )));
                skip_value(&inner)?;
            }
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, rest)?;
    Ok(out)
}
