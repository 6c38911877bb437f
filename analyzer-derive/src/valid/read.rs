//! How a frame is read, and a message's role, checked: a struct's
//! `tag(..)` field, the enum's variant selectors, `parse = path` or
//! `nom = path` — exactly one.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::Ident;

use super::{is_type, type_span};
use crate::ast::{Data, Field, Input, Variant};
use crate::attr::Role;
use crate::ctxt::Ctxt;

/// How `parse` reads a frame.
pub enum Read {
    /// The struct's first byte gives its `Kind` field; the rest is its body.
    Tag {
        kind: Ident,
        body: Ident,
        tags: Vec<(u8, Role)>,
    },
    /// Each variant is selected by a first byte or word.
    Variants { keyword: bool, arms: Vec<Selected> },
    /// A function.
    Parse(syn::Path),
    /// A nom parser, on the whole frame.
    Nom(syn::Path),
}

/// A variant and what selects it.
pub struct Selected {
    pub variant: Ident,
    pub value: Vec<u8>,
    pub role: Role,
    /// It has one field, the rest of the frame.
    pub field: bool,
}

/// Where `kind()` comes from.
pub enum Kind {
    Field(Ident),
    Variants(Vec<(Ident, Role)>),
    Conversation,
}

const BODY_TYPES: &[&str] = &["NetString", "Bytes"];

pub fn check(cx: &mut Ctxt, input: &Input<'_>) -> Option<Read> {
    let attrs = &input.attrs;
    let mut sources: Vec<(Span, &str)> = Vec::new();
    if let Some(path) = &attrs.parse {
        sources.push((path.span(), "parse"));
    }
    if let Some(path) = &attrs.nom {
        sources.push((path.span(), "nom"));
    }
    let read = match &input.data {
        Data::Struct(data) => {
            if matches!(data.original, syn::Fields::Unnamed(_) | syn::Fields::Unit) {
                cx.error_spanned(
                    input.ident,
                    "#[derive(Protocol)] needs a struct with named fields (they are the \
                     message's event fields)",
                );
                return None;
            }
            let tagged: Vec<&Field<'_>> = data
                .fields
                .iter()
                .filter(|f| f.attrs.tag.is_some())
                .collect();
            let kinds: Vec<&Field<'_>> = data
                .fields
                .iter()
                .filter(|f| f.attrs.kind.is_some())
                .collect();
            for field in tagged.iter().chain(&kinds) {
                if !is_type(field.ty, &["Kind"]) {
                    cx.error_spanned(
                        field.ty,
                        "a `tag` or `kind` field is an `analyzer_core::Kind`",
                    );
                }
            }
            for extra in tagged.iter().skip(1).chain(kinds.iter().skip(1)) {
                cx.error_spanned(extra.ident, "one field gives the message's role");
            }
            if let (Some(tag), Some(kind)) = (tagged.first(), kinds.first()) {
                cx.error_spanned(kind.ident, "`kind` and `tag` both give the role: keep one");
                let _ = tag;
            }
            match tagged.first() {
                Some(field) => {
                    let span = field
                        .attrs
                        .tag
                        .as_ref()
                        .map(|t| t.key.span())
                        .unwrap_or_else(|| type_span(input));
                    sources.push((span, "a `tag(..)` field"));
                    tag_struct(cx, data.fields.as_slice(), field)
                }
                None => None,
            }
        }
        Data::Enum(variants) => {
            if variants.is_empty() {
                cx.error_spanned(
                    input.ident,
                    "#[derive(Protocol)] needs an enum with variants",
                );
                return None;
            }
            let selected = variants
                .iter()
                .filter(|v| v.attrs.tag.is_some() || v.attrs.keyword.is_some())
                .count();
            if selected > 0 {
                let first = variants
                    .iter()
                    .find(|v| v.attrs.tag.is_some() || v.attrs.keyword.is_some());
                let span = first.map_or_else(|| type_span(input), |v| v.ident.span());
                sources.push((span, "variant selectors"));
                variants_read(cx, variants)
            } else {
                None
            }
        }
        Data::Union => return None,
    };
    if sources.len() > 1 {
        let names: Vec<&str> = sources.iter().map(|(_, n)| *n).collect();
        for (span, _) in &sources[1..] {
            cx.push(syn::Error::new(
                *span,
                format!(
                    "a frame is read one way, here by {}: keep one",
                    names.join(" and by ")
                ),
            ));
        }
        return None;
    }
    if let Some(read) = read {
        return Some(read);
    }
    if let Some(path) = &attrs.parse {
        return Some(Read::Parse(path.clone()));
    }
    if let Some(path) = &attrs.nom {
        return Some(Read::Nom(path.clone()));
    }
    if sources.is_empty() {
        cx.push(syn::Error::new(
            type_span(input),
            "no way to read a frame: give a struct a `#[protocol(tag(request = b'>', ..))]` \
             `Kind` field, give each variant a `tag(..)` or `keyword(..)`, or name a function \
             with `parse = path` or a nom parser with `nom = path`",
        ));
    }
    None
}

fn tag_struct(cx: &mut Ctxt, fields: &[Field<'_>], tag: &Field<'_>) -> Option<Read> {
    let selector = tag.attrs.tag.as_ref()?;
    if selector.entries.is_empty() {
        cx.error_spanned(&selector.key, "`tag(..)` maps at least one byte to a role");
        return None;
    }
    let mut tags: Vec<(u8, Role)> = Vec::new();
    for (role, lit) in &selector.entries {
        if tags.iter().any(|(b, _)| *b == lit.value()) {
            cx.error_spanned(lit, "this byte is given to two roles");
        }
        tags.push((lit.value(), *role));
    }
    let others: Vec<&Field<'_>> = fields.iter().filter(|f| !std::ptr::eq(*f, tag)).collect();
    let body = match others.as_slice() {
        [body] if is_type(body.ty, BODY_TYPES) => body.ident.cloned(),
        [body] => {
            cx.error_spanned(
                body.ty,
                "the body of a tagged struct (the rest of the frame) is a `NetString` or \
                 `bytes::Bytes`",
            );
            None
        }
        [] => {
            cx.error_spanned(
                tag.ident,
                "a tagged struct has one more field: the body (the rest of the frame), a \
                 `NetString` or `bytes::Bytes`",
            );
            None
        }
        [_, extra, ..] => {
            cx.error_spanned(
                extra.ident,
                "a tagged struct has two fields, the `Kind` and the body; read richer \
                 messages with `parse = path` or `nom = path`",
            );
            None
        }
    }?;
    Some(Read::Tag {
        kind: tag.ident.cloned()?,
        body,
        tags,
    })
}

fn variants_read(cx: &mut Ctxt, variants: &[Variant<'_>]) -> Option<Read> {
    let keyword = variants.iter().any(|v| v.attrs.keyword.is_some());
    let mut arms: Vec<Selected> = Vec::new();
    let mut ok = true;
    for variant in variants {
        let entry = match (&variant.attrs.tag, &variant.attrs.keyword) {
            (Some(tag), None) if !keyword => tag
                .entries
                .first()
                .map(|(role, lit)| (*role, vec![lit.value()], tag.key.span(), tag.entries.len())),
            (None, Some(kw)) if keyword => kw.entries.first().map(|(role, lit)| {
                (
                    *role,
                    lit.value().into_bytes(),
                    kw.key.span(),
                    kw.entries.len(),
                )
            }),
            (None, None) => {
                cx.error_spanned(
                    variant.ident,
                    "every variant needs a `tag(role = b'x')` or `keyword(role = \"WORD\")`",
                );
                ok = false;
                continue;
            }
            _ => {
                cx.error_spanned(
                    variant.ident,
                    "the variants are selected all by `tag` or all by `keyword`",
                );
                ok = false;
                continue;
            }
        };
        let Some((role, value, span, count)) = entry else {
            ok = false;
            continue;
        };
        if count != 1 {
            cx.push(syn::Error::new(
                span,
                "a variant's selector maps one value to its role",
            ));
            ok = false;
        }
        if keyword && (value.is_empty() || value.iter().any(u8::is_ascii_whitespace)) {
            cx.push(syn::Error::new(
                span,
                "a keyword is not empty and holds no whitespace",
            ));
            ok = false;
        }
        let twice = arms.iter().any(|a| {
            if keyword {
                a.value.eq_ignore_ascii_case(&value)
            } else {
                a.value == value
            }
        });
        if twice {
            cx.push(syn::Error::new(
                span,
                "two variants are selected by the same value",
            ));
            ok = false;
        }
        let field = match variant.original {
            syn::Fields::Unit => false,
            syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                if !is_type(&fields.unnamed[0].ty, BODY_TYPES) {
                    cx.error_spanned(
                        &fields.unnamed[0].ty,
                        "a selected variant's field (the rest of the frame) is a `NetString` \
                         or `bytes::Bytes`",
                    );
                    ok = false;
                }
                true
            }
            other => {
                cx.error_spanned(
                    other,
                    "a selected variant is a unit or has one unnamed field (the rest of the \
                     frame); read richer messages with `parse = path` or `nom = path`",
                );
                ok = false;
                false
            }
        };
        arms.push(Selected {
            variant: variant.ident.clone(),
            value,
            role,
            field,
        });
    }
    ok.then_some(Read::Variants { keyword, arms })
}

/// Where `kind()` comes from.
pub fn kind(input: &Input<'_>, read: &Option<Read>) -> Kind {
    match (read, &input.data) {
        (Some(Read::Tag { kind, .. }), _) => Kind::Field(kind.clone()),
        (Some(Read::Variants { arms, .. }), _) => {
            Kind::Variants(arms.iter().map(|a| (a.variant.clone(), a.role)).collect())
        }
        (_, Data::Struct(data)) => data
            .fields
            .iter()
            .find(|f| f.attrs.kind.is_some())
            .and_then(|f| f.ident.cloned())
            .map_or(Kind::Conversation, Kind::Field),
        _ => Kind::Conversation,
    }
}
