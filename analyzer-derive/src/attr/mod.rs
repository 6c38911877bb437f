//! Parsing of the one attribute, `#[protocol(...)]`, into a small AST: on
//! the type (`container.rs`, with its framing keys in `framing.rs`), on a
//! struct's fields and an enum's variants (`member.rs`); and of the
//! `#[serde(...)]` keys the event writer honours (`serde.rs`).
//!
//! This stage checks syntax only (which keys exist, what kind of value each
//! takes, no key twice, each key in its place); what the values mean is
//! checked in `valid.rs`.

mod container;
mod framing;
mod member;
mod serde;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::Parse;
use syn::{parenthesized, Token};

use crate::ctxt::Ctxt;

pub use container::{container, Container};
pub use framing::{Block, Framing, Length, Parts, Side};
pub use member::{field, variant, variant_field, FieldAttrs, Role, VariantAttrs};
pub use serde::{convert, serde_container, serde_member, SerdeAttrs};

/// Parses `= value` after a key. A value that is not a `T` is reported
/// (saying what was `expected`) and skipped, so that the keys after it are
/// still checked.
fn value<T: Parse>(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta,
    expected: &str,
) -> syn::Result<Option<T>> {
    let expr: syn::Expr = meta.value()?.parse()?;
    match syn::parse2(expr.to_token_stream()) {
        Ok(value) => Ok(Some(value)),
        Err(_) => {
            cx.error_spanned(expr, expected);
            Ok(None)
        }
    }
}

/// A key without a value (`bare_end`): reports and skips one.
fn flag(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<()> {
    if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        let key = key_of(meta);
        cx.push(meta.error(format_args!("`{key}` takes no value")));
        skip_value(meta)?;
    }
    Ok(())
}

/// The key as written.
fn key_of(meta: &ParseNestedMeta) -> String {
    meta.path.to_token_stream().to_string().replace(' ', "")
}

fn unknown_key(meta: &ParseNestedMeta, place: &str, expected: &str) -> syn::Error {
    let key = key_of(meta);
    meta.error(format_args!(
        "unknown key `{key}` in #[protocol(...)] on {place}; expected {expected}"
    ))
}

/// Consumes the value after an unknown key (`= value` or `(...)`), so that
/// the keys after it are still parsed and checked.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

/// Keeps the first of a key that may appear once; reports the others.
fn once<T>(cx: &mut Ctxt, slot: &mut Option<T>, meta: &ParseNestedMeta, parsed: Option<T>) {
    let Some(parsed) = parsed else { return };
    if slot.is_some() {
        let key = key_of(meta);
        cx.push(meta.error(format_args!("duplicate `{key}` in #[protocol(...)]")));
    } else {
        *slot = Some(parsed);
    }
}
