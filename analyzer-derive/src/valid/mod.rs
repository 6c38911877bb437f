//! What the attributes mean, checked: every misuse is reported at the
//! attribute, key, literal, field or variant at fault, all of them at once.
//! The result is the model `expand` turns into code: `framing.rs` checks
//! the framing, `read.rs` how a frame is read and its role, `write.rs` the
//! event fields.

mod framing;
mod read;
pub mod write;

use proc_macro2::Span;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Ident, LitInt, LitStr};

use crate::ast::{Data, Input};
use crate::ctxt::Ctxt;

pub use framing::{CheckedBlock, CheckedFraming, CheckedLength, CheckedParts};
pub use read::{Kind, Read};
pub use write::{Write, WriteField, WriteVariant};

/// The checked model of a `#[derive(Protocol)]`.
pub struct Checked<'a> {
    pub ident: &'a Ident,
    pub name: LitStr,
    pub ports: Vec<LitInt>,
    pub framing: CheckedFraming,
    pub read: Read,
    pub kind: Kind,
    pub write: Write,
    /// The type implements `Conversation` by hand.
    pub conversation: bool,
}

/// Checks the input; `None` when something was reported.
pub fn validate<'a>(cx: &mut Ctxt, input: &'a Input<'a>) -> Option<Checked<'a>> {
    let ident = input.ident;
    if !input.generics.params.is_empty() {
        let generics = input.generics;
        cx.error_spanned(
            quote!(#ident #generics),
            "#[derive(Protocol)] does not support generic types",
        );
    }
    let attrs = &input.attrs;
    let name = check_name(cx, input);
    let ports = check_ports(cx, attrs.ports.as_deref().unwrap_or_default());
    let framing = framing::check(cx, input);
    let read = read::check(cx, input);
    let kind = read::kind(input, &read);
    let write = write::check(cx, input);
    let (Some(name), Some(framing), Some(read), Some(write)) = (name, framing, read, write) else {
        return None;
    };
    if matches!(input.data, Data::Union) {
        return None;
    }
    Some(Checked {
        ident,
        name,
        ports,
        framing,
        read,
        kind,
        write,
        conversation: attrs.conversation.is_some(),
    })
}

/// `name = "..."`: required; a lowercase ASCII letter, then lowercase
/// letters, digits and `_`.
fn check_name(cx: &mut Ctxt, input: &Input<'_>) -> Option<LitStr> {
    let attrs = &input.attrs;
    let Some(name) = &attrs.name else {
        let ident = input.ident;
        match attrs.first {
            Some(attr) => cx.error_spanned(
                attr,
                "#[protocol(...)] needs `name = \"...\"`: the protocol's name, as events \
                 publish it",
            ),
            None => cx.error_spanned(
                ident,
                "#[derive(Protocol)] needs #[protocol(name = \"...\", ...)] on the type",
            ),
        }
        return None;
    };
    let text = name.value();
    let mut chars = text.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        cx.error_spanned(
            name,
            "a protocol name is a lowercase ASCII letter, then lowercase ASCII letters, \
             digits and `_` (it becomes a JSON key and `event.dataset`)",
        );
        return None;
    }
    Some(name.clone())
}

/// `ports(..)`: in 1..=65535, none twice.
fn check_ports(cx: &mut Ctxt, ports: &[LitInt]) -> Vec<LitInt> {
    let mut seen = Vec::new();
    for port in ports {
        match port.base10_parse::<u16>() {
            Ok(0) | Err(_) => cx.error_spanned(port, "a port is in 1..=65535"),
            Ok(n) if seen.contains(&n) => cx.error_spanned(port, format!("port {n} given twice")),
            Ok(n) => seen.push(n),
        }
    }
    ports.to_vec()
}

/// Whether `ty`'s last path segment is `name` (`Kind`,
/// `analyzer_core::Kind`).
pub(crate) fn is_type(ty: &syn::Type, names: &[&str]) -> bool {
    match ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|s| names.iter().any(|n| s.ident == n)),
        syn::Type::Group(group) => is_type(&group.elem, names),
        _ => false,
    }
}

/// The span of the first `#[protocol]` attribute, or of the type's name.
pub(crate) fn type_span(input: &Input<'_>) -> Span {
    match input.attrs.first {
        Some(attr) => attr.span(),
        None => input.ident.span(),
    }
}
